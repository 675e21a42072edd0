import { type KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { type ContextUpdate, contextUpdatePartitionKey } from "@sdp/contracts";
import { errorFields, log } from "@sdp/kernel";
import type { ContextUpdatePublisher, StreamPutResult, StreamWriter } from "../domain/ports";

// PutRecords limits.
const MAX_RECORDS = 500;
const MAX_REQUEST_BYTES = 5 * 1024 * 1024;

export interface StreamWriterOptions {
  /** Attempts per record for records Kinesis refuses (throughput) before giving up on them. */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
}

type Entry = { readonly partitionKey: string; readonly data: Buffer };

/** Chunks in input order, each within PutRecords' record and size limits. */
function chunks(indexes: readonly number[], records: readonly Entry[]): number[][] {
  const result: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const index of indexes) {
    const record = records[index];
    if (!record) continue;
    const size = record.data.length + Buffer.byteLength(record.partitionKey);
    if (current.length === MAX_RECORDS || (current.length > 0 && bytes + size > MAX_REQUEST_BYTES)) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/**
 * PutRecords onto a Kinesis stream. Records Kinesis refuses are tried again with backoff; what still
 * fails is reported per record, never thrown, so callers can answer (or retry) record by record.
 */
export function buildKinesisStreamWriter(
  client: KinesisClient,
  streamName: string,
  options: StreamWriterOptions = {},
): StreamWriter {
  const maxAttempts = options.maxAttempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 100;
  return {
    async put(records) {
      const results: Array<StreamPutResult["results"][number]> = records.map(() => ({
        error: "not attempted",
      }));
      let pending = records.map((_, index) => index);
      for (let attempt = 0; attempt < maxAttempts && pending.length > 0; attempt += 1) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, baseDelayMs * 2 ** (attempt - 1)));
        const retry: number[] = [];
        for (const chunk of chunks(pending, records)) {
          try {
            const output = await client.send(
              new PutRecordsCommand({
                StreamName: streamName,
                Records: chunk.map((index) => ({
                  PartitionKey: records[index]?.partitionKey,
                  Data: records[index]?.data,
                })),
              }),
            );
            chunk.forEach((index, position) => {
              const result = output.Records?.[position];
              if (result?.SequenceNumber && !result.ErrorCode)
                results[index] = { sequenceNumber: result.SequenceNumber };
              else {
                results[index] = { error: result?.ErrorCode ?? "no result" };
                retry.push(index);
              }
            });
          } catch (error) {
            log.warn("PutRecords failed", {
              stream: streamName,
              records: chunk.length,
              ...errorFields(error),
            });
            for (const index of chunk) {
              results[index] = { error: error instanceof Error ? error.name : "PutRecords failed" };
              retry.push(index);
            }
          }
        }
        pending = retry;
      }
      return { results };
    },
  };
}

/** Context updates onto the `context-updates` stream, partitioned by `<tenant>/<entityId>`. */
export function buildStreamContextUpdatePublisher(writer: StreamWriter): ContextUpdatePublisher {
  return {
    async publish(updates: readonly ContextUpdate[]) {
      const { results } = await writer.put(
        updates.map((update) => ({
          partitionKey: contextUpdatePartitionKey(update),
          data: Buffer.from(JSON.stringify(update)),
        })),
      );
      const failed = new Set<number>();
      results.forEach((result, index) => {
        if ("error" in result) failed.add(index);
      });
      return { failed };
    },
  };
}
