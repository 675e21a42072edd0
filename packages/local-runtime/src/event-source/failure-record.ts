import type { SourceRecord } from "./types";

export type FailureCondition = "RetryAttemptsExhausted" | "RecordAgeExceeded";

export interface InvocationResponseContext {
  readonly statusCode: number;
  readonly executedVersion: string;
  /** `Unhandled` for a thrown error or a timeout; absent for a partial batch failure. */
  readonly functionError?: string;
}

export interface StreamBatchInfo {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly approximateArrivalOfFirstRecord: string;
  readonly approximateArrivalOfLastRecord: string;
  readonly batchSize: number;
  readonly streamArn: string;
}

interface InvocationRecordBase {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: FailureCondition;
    readonly approximateInvokeCount: number;
  };
  /** Absent when the records expired before any invocation. */
  readonly responseContext?: InvocationResponseContext;
  readonly version: "1.0";
  readonly timestamp: string;
}

/**
 * The document Lambda sends to an on-failure destination for a stream batch it gives up on: metadata
 * only, never the records themselves (the consumer reads them from the stream by sequence number).
 */
export type OnFailureInvocationRecord =
  | (InvocationRecordBase & { readonly KinesisBatchInfo: StreamBatchInfo })
  | (InvocationRecordBase & { readonly DDBStreamBatchInfo: StreamBatchInfo });

export interface InvocationRecordInput {
  readonly kind: "kinesis" | "dynamodb";
  readonly requestId: string;
  readonly functionArn: string;
  readonly condition: FailureCondition;
  readonly approximateInvokeCount: number;
  readonly response: InvocationResponseContext | undefined;
  readonly shardId: string;
  readonly streamArn: string;
  readonly records: readonly SourceRecord<unknown>[];
  readonly now: Date;
}

export function invocationRecord(input: InvocationRecordInput): OnFailureInvocationRecord {
  const first = input.records[0];
  const last = input.records[input.records.length - 1];
  if (!first || !last) throw new Error("An invocation record needs at least one record");
  const base: InvocationRecordBase = {
    requestContext: {
      requestId: input.requestId,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.approximateInvokeCount,
    },
    ...(input.response ? { responseContext: input.response } : {}),
    version: "1.0",
    timestamp: input.now.toISOString(),
  };
  const info: StreamBatchInfo = {
    shardId: input.shardId,
    startSequenceNumber: first.sequenceNumber,
    endSequenceNumber: last.sequenceNumber,
    approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
    approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
    batchSize: input.records.length,
    streamArn: input.streamArn,
  };
  return input.kind === "kinesis"
    ? { ...base, KinesisBatchInfo: info }
    : { ...base, DDBStreamBatchInfo: info };
}
