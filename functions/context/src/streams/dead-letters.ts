import { randomUUID } from "node:crypto";
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { ContextDeadLetter } from "@sdp/contracts";

/**
 * The context service's dead-letter queue, where its stream consumers put records they can never
 * process (with the reason), so a poison record never blocks its shard.
 */
export interface DeadLetterSink {
  send(letters: readonly ContextDeadLetter[]): Promise<void>;
}

/** An SQS queue (in AWS): one message per letter, its reason also as a message attribute. */
export function sqsDeadLetterSink(client: SQSClient, queueUrl: string): DeadLetterSink {
  return {
    async send(letters) {
      for (let start = 0; start < letters.length; start += 10) {
        const batch = letters.slice(start, start + 10);
        const output = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((letter, index) => ({
              Id: String(index),
              MessageBody: JSON.stringify(letter),
              MessageAttributes: { reason: { DataType: "String", StringValue: letter.reason } },
            })),
          }),
        );
        if ((output.Failed ?? []).length > 0) {
          throw new Error(`SQS refused ${output.Failed?.length} dead letter(s)`);
        }
      }
    },
  };
}

/** The local runtime's queue: a JSON Lines file of `{ messageId, sentAt, body, attributes }`. */
export function fileDeadLetterSink(queueUrl: string): DeadLetterSink {
  const file = fileURLToPath(queueUrl);
  return {
    async send(letters) {
      if (letters.length === 0) return;
      await mkdir(dirname(file), { recursive: true });
      const lines = letters.map((letter) =>
        JSON.stringify({
          messageId: randomUUID(),
          sentAt: new Date().toISOString(),
          body: letter,
          attributes: { reason: letter.reason },
        }),
      );
      await appendFile(file, `${lines.join("\n")}\n`);
    },
  };
}

/** An SQS queue URL in AWS, a `file:` URL locally. */
export function deadLetterSinkFor(url: string): DeadLetterSink {
  return url.startsWith("file:") ? fileDeadLetterSink(url) : sqsDeadLetterSink(new SQSClient({}), url);
}
