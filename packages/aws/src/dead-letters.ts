import { randomUUID } from "node:crypto";
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";

/**
 * A service's dead-letter queue, where consumers put records they can never process, with the reason,
 * so a poison record never blocks its shard. Each service keeps its own letter type.
 */
export interface DeadLetterSink<L extends { readonly reason: string }> {
  send(letters: readonly L[]): Promise<void>;
}

/** An SQS queue (in AWS): one message per letter, its reason also as a message attribute for filtering. */
export function buildSqsDeadLetterSink<L extends { readonly reason: string }>(
  client: SQSClient,
  queueUrl: string,
): DeadLetterSink<L> {
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
 * The local runtime's queue (decision 9): a JSON Lines file of `{ messageId, sentAt, body, attributes }`,
 * appended once per batch.
 */
export function buildFileDeadLetterSink<L extends { readonly reason: string }>(
  queueUrl: string,
): DeadLetterSink<L> {
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

/** An SQS queue URL in AWS, a `file:` URL locally: the configuration decides, not the code. */
export function deadLetterSinkFor<L extends { readonly reason: string }>(url: string): DeadLetterSink<L> {
  return url.startsWith("file:")
    ? buildFileDeadLetterSink<L>(url)
    : buildSqsDeadLetterSink<L>(new SQSClient({}), url);
}
