import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import type { withEventSourceDefaults } from "@sdp/contracts";
import type { LambdaHandler } from "../lambda/invoke";
import type { LocalQueue } from "../queue/file-queue";

/** The physical stream a mapping reads: a Kinesis stream by name, or the stream of a DynamoDB table. */
export type EventSource = { kind: "kinesis"; streamName: string } | { kind: "dynamodb"; tableName: string };

export type EventSourceSettings = ReturnType<typeof withEventSourceDefaults>;

export interface EventSourceMappingOptions {
  /** Function name: the Lambda context's `functionName`, the function ARN and the log field. */
  name: string;
  source: EventSource;
  settings: EventSourceSettings;
  /** Loaded on the first invocation, like a cold start; a failed load counts as a function error. */
  handler: () => Promise<LambdaHandler>;
  /** Function timeout; defaults to the handler's `timeoutSeconds`, else 10 s. */
  timeoutMs?: number;
  /** On-failure destination; without one, discarded batches are only logged (as Lambda does). */
  onFailure?: LocalQueue;
  /** JSON file with the per-shard position. One mapping owns one file. */
  checkpointFile: string;
  /** Wait between polls of a shard that had nothing new. Default 200 ms. */
  pollIntervalMs?: number;
  /** Backoff between retries of a failed batch. Default 1 s doubling up to 30 s. */
  retryBackoffMs?: { min: number; max: number };
  clients?: { kinesis?: KinesisClient; dynamodb?: DynamoDBClient; dynamodbStreams?: DynamoDBStreamsClient };
}

export interface EventSourceMappingStats {
  /** Handler invocations, failed ones included. */
  invocations: number;
  /** Records committed after a successful invocation. */
  recordsProcessed: number;
  /** Records given up on (sent to the on-failure destination, or discarded when there is none). */
  recordsFailed: number;
  /** Batches given up on. */
  batchesDeadLettered: number;
  lastError?: string;
}

export interface RunningEventSourceMapping {
  /** Stops polling; an in-flight invocation is awaited and committed only if it succeeded. */
  stop(): Promise<void>;
  /** Resolves when every record currently in the source has been processed or dead-lettered. */
  idle(timeoutMs?: number): Promise<void>;
  stats(): EventSourceMappingStats;
}

/** Where a shard reader starts. */
export type StartPosition =
  | { readonly type: "AFTER_SEQUENCE_NUMBER"; readonly sequenceNumber: string }
  | { readonly type: "TRIM_HORIZON" }
  | { readonly type: "LATEST" };

export interface ShardDescription {
  readonly shardId: string;
  /** Parent and adjacent parent (after a merge); their records come first. */
  readonly parentShardIds: readonly string[];
}

export interface SourceDescription {
  readonly streamArn: string;
  readonly shards: readonly ShardDescription[];
}

/** A stream record already in the shape Lambda puts into `event.Records`. */
export interface SourceRecord<R> {
  readonly sequenceNumber: string;
  /** Approximate arrival (Kinesis) or creation (DynamoDB) time, epoch milliseconds, as reported. */
  readonly arrivalMs: number;
  /** The time MaximumRecordAgeInSeconds counts from: the arrival time, unless that is known to be coarse. */
  readonly ageFromMs: number;
  /** Size of the record inside the invocation payload, for the 6 MB payload limit. */
  readonly sizeBytes: number;
  readonly event: R;
}

export interface ReadResult<R> {
  readonly records: readonly SourceRecord<R>[];
  /** Absent once a closed shard has been read to its end. */
  readonly nextIterator: string | undefined;
  /** Nothing more is currently in the shard after this read. */
  readonly caughtUp: boolean;
}

/** What differs between Kinesis and DynamoDB Streams; everything else is the shared poller. */
export interface StreamAdapter<R> {
  readonly kind: "kinesis" | "dynamodb";
  /** Largest `Limit` GetRecords accepts. */
  readonly maxReadLimit: number;
  /** Resolves undefined while the source does not exist (yet). */
  discover(signal: AbortSignal): Promise<SourceDescription | undefined>;
  iterator(
    streamArn: string,
    shardId: string,
    position: StartPosition,
    signal: AbortSignal,
  ): Promise<string | undefined>;
  read(
    streamArn: string,
    shardId: string,
    iterator: string,
    limit: number,
    signal: AbortSignal,
  ): Promise<ReadResult<R>>;
  /** The region Lambda reports as `awsRegion` and uses in the function ARN. */
  region(): Promise<string>;
  /** Releases clients the mapping created itself. */
  close(): void;
}
