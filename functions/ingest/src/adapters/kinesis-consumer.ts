import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { type ConsumerDeps, type IngestRecord, processIngestBatch } from "../domain/consumer";

const streamNameOf = (arn: string) => arn.split(":stream/")[1] ?? arn;

/** The records of a Kinesis event as the consumer reads them. */
export function ingestRecordsOf(event: KinesisStreamEvent): IngestRecord[] {
  return event.Records.map((record) => ({
    stream: streamNameOf(record.eventSourceARN),
    sequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey,
    data: Buffer.from(record.kinesis.data, "base64"),
    arrivedAt: new Date(Math.round(record.kinesis.approximateArrivalTimestamp * 1000)),
  }));
}

/** A Lambda handler for the ingest stream's event source (ReportBatchItemFailures). */
export function kinesisConsumer(deps: ConsumerDeps) {
  return async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    const outcome = await processIngestBatch(deps, ingestRecordsOf(event));
    return { batchItemFailures: outcome.failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
