import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { type ApplierDeps, applyUpdates, type UpdateRecord } from "./applier";

const streamNameOf = (arn: string) => arn.split(":stream/")[1] ?? arn;

/** The records of a Kinesis event as the applier reads them. */
export function updateRecordsOf(event: KinesisStreamEvent): UpdateRecord[] {
  return event.Records.map((record) => ({
    stream: streamNameOf(record.eventSourceARN),
    sequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey,
    data: Buffer.from(record.kinesis.data, "base64"),
    arrivedAt: new Date(Math.round(record.kinesis.approximateArrivalTimestamp * 1000)),
  }));
}

/** A Lambda handler for the `context-updates` event source (ReportBatchItemFailures). */
export function kinesisApplier(deps: ApplierDeps) {
  return async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    const outcome = await applyUpdates(deps, updateRecordsOf(event));
    return { batchItemFailures: outcome.failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
