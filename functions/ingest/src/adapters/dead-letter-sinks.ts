import { randomUUID } from "node:crypto";
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { DeadLetterSink } from "../domain/ports";

/**
 * The dead-letter queue as an SQS queue (in AWS). Each letter is one message whose body is the letter
 * and whose `reason` attribute allows filtering without parsing.
 */
export function buildSqsDeadLetterSink(client: SQSClient, queueUrl: string): DeadLetterSink {
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
          throw new Error(
            `SQS refused ${output.Failed?.length} dead letter(s): ${output.Failed?.[0]?.Code ?? "unknown"}`,
          );
        }
      }
    },
  };
}

/**
 * The dead-letter queue as the local runtime keeps queues (DESIGN §2, decision 9): a JSON Lines file
 * of `{ messageId, sentAt, body, attributes }`, appended to (one write per batch).
 */
export function buildFileDeadLetterSink(queueUrl: string): DeadLetterSink {
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
