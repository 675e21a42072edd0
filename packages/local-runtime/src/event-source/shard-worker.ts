import { errorFields, log } from "@sdp/kernel";
import type { LocalQueue } from "../queue/file-queue";
import { interpretBatchResponse } from "./batch-response";
import type { CheckpointStore } from "./checkpoint";
import { type FailureCondition, type InvocationResponseContext, invocationRecord } from "./failure-record";
import { errorNamed } from "./source-support";
import { type BackoffRange, backoffMs, sleep, type Waker } from "./timing";
import type {
  EventSourceMappingStats,
  EventSourceSettings,
  SourceRecord,
  StartPosition,
  StreamAdapter,
} from "./types";

/** Lambda's synchronous invocation payload limit; a batch is cut before it would exceed it. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Room for `{"Records":[...]}` and separators around the records. */
const PAYLOAD_OVERHEAD_BYTES = 64;
/** Backoff after an error talking to the stream itself (not a function error). */
const POLL_ERROR_BACKOFF: BackoffRange = { minMs: 500, maxMs: 10_000 };

export type InvocationResult =
  | { readonly ok: true; readonly requestId: string; readonly response: unknown }
  | { readonly ok: false; readonly requestId: string; readonly error: unknown };

export interface ShardWorkerContext<R> {
  readonly adapter: StreamAdapter<R>;
  readonly settings: EventSourceSettings;
  readonly checkpoints: CheckpointStore;
  readonly invoke: (records: readonly R[]) => Promise<InvocationResult>;
  readonly onFailure: LocalQueue | undefined;
  readonly stats: EventSourceMappingStats;
  readonly signal: AbortSignal;
  readonly pollWaker: Waker;
  readonly pollIntervalMs: number;
  readonly retryBackoff: BackoffRange;
  /** Monotonic counter shared with `idle()`, to tell reads that started after a given moment. */
  readonly tick: () => number;
  readonly functionArn: () => Promise<string>;
  readonly logFields: Readonly<Record<string, unknown>>;
}

export type ShardExit = "finished" | "stopped" | "gone";

interface Attempt {
  readonly requestId: string;
  readonly response: InvocationResponseContext;
}

/**
 * Reads one shard in order with at most one batch in flight, as a Lambda event source mapping does.
 *
 * `buffer` holds every record read but not yet committed, starting right after the checkpoint.
 * `plan` holds the sizes of the next batches when they are constrained: a failed batch is retried
 * as the same records, a bisected batch becomes two halves tried in turn, and after a partial batch
 * failure only the rest of that batch is retried. Empty `plan`: the next batch takes what is there.
 */
export class ShardWorker<R> {
  private buffer: SourceRecord<R>[] = [];
  private plan: number[] = [];
  private iterator: string | undefined;
  private needIterator = true;
  private endOfShard = false;
  private bufferSince: number | undefined;
  /** Failed attempts that count toward MaximumRetryAttempts, for the batch starting at the head. */
  private retries = 0;
  /** Invocations that included the head record (Lambda's approximateInvokeCount). */
  private headInvocations = 0;
  private lastAttempt: Attempt | undefined;
  private busy = false;
  private caughtUpTick = 0;
  private pollErrors = 0;

  constructor(
    private readonly context: ShardWorkerContext<R>,
    readonly streamArn: string,
    readonly shardId: string,
    private readonly startPosition: StartPosition,
  ) {}

  /** Nothing buffered, nothing in flight, and a read that began after `mark` found the shard empty. */
  caughtUpSince(mark: number): boolean {
    return !this.busy && this.buffer.length === 0 && this.caughtUpTick > mark;
  }

  async run(): Promise<ShardExit> {
    const { signal } = this.context;
    while (!signal.aborted) {
      try {
        const step = await this.step();
        if (step !== "continue") return step;
        this.pollErrors = 0;
      } catch (error) {
        if (signal.aborted) break;
        if (errorNamed(error, "ExpiredIteratorException")) {
          this.needIterator = true;
          continue;
        }
        if (errorNamed(error, "ResourceNotFoundException")) {
          log.warn("event source shard is gone", { ...this.fields(), ...errorFields(error) });
          return "gone";
        }
        // DynamoDB Local (shared database) reports an iterator opened on an empty shard as trimmed once
        // another table is written: reopen from what was read (or the start) instead of retrying it.
        if (errorNamed(error, "TrimmedDataAccessException")) this.needIterator = true;
        this.pollErrors += 1;
        this.context.stats.lastError = describe(error);
        log.warn("event source poll failed", { ...this.fields(), ...errorFields(error) });
        await sleep(backoffMs(this.pollErrors, POLL_ERROR_BACKOFF), signal);
      }
    }
    return "stopped";
  }

  private fields(): Record<string, unknown> {
    return { ...this.context.logFields, shardId: this.shardId };
  }

  private async step(): Promise<ShardExit | "continue"> {
    const { settings, signal } = this.context;
    if (!this.endOfShard && this.buffer.length < settings.batchSize) await this.fill();
    if (signal.aborted) return "stopped";
    if (this.buffer.length === 0) {
      if (this.endOfShard) {
        await this.context.checkpoints.finish(this.streamArn, this.shardId);
        log.info("event source shard finished", this.fields());
        return "finished";
      }
      await this.context.pollWaker.wait(this.context.pollIntervalMs);
      return "continue";
    }
    if (await this.discardExpired()) return "continue";
    const windowLeft = this.batchingWindowLeft();
    if (windowLeft > 0) {
      await sleep(Math.min(windowLeft, this.context.pollIntervalMs), signal);
      return "continue";
    }
    await this.processNextBatch();
    return "continue";
  }

  private async fill(): Promise<void> {
    const { adapter, signal } = this.context;
    if (this.needIterator) {
      this.iterator = await this.openIterator();
      this.needIterator = false;
      if (this.iterator === undefined) {
        this.endOfShard = true;
        return;
      }
    }
    if (this.iterator === undefined) return;
    const started = this.context.tick();
    const want = Math.min(adapter.maxReadLimit, this.context.settings.batchSize - this.buffer.length);
    const result = await adapter.read(this.streamArn, this.shardId, this.iterator, Math.max(1, want), signal);
    this.iterator = result.nextIterator;
    if (result.nextIterator === undefined) this.endOfShard = true;
    if (result.records.length > 0) {
      this.buffer.push(...result.records);
      this.bufferSince ??= Date.now();
      this.caughtUpTick = 0;
    } else if (result.caughtUp && this.buffer.length === 0) {
      this.caughtUpTick = started;
    }
  }

  /** Resumes right after the newest record already held, else after the checkpoint, else at the start. */
  private async openIterator(): Promise<string | undefined> {
    const { adapter, signal } = this.context;
    const held = this.buffer[this.buffer.length - 1]?.sequenceNumber;
    const committed = this.context.checkpoints.get(this.streamArn, this.shardId)?.sequenceNumber;
    const after = held ?? committed;
    if (after === undefined)
      return adapter.iterator(this.streamArn, this.shardId, this.startPosition, signal);
    try {
      return await adapter.iterator(
        this.streamArn,
        this.shardId,
        { type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: after },
        signal,
      );
    } catch (error) {
      // The checkpointed record has been trimmed, or belongs to an earlier stream of the same name:
      // its successors are gone too, so the oldest record still there is the right place to resume.
      if (held === undefined && errorNamed(error, "TrimmedDataAccessException", "InvalidArgumentException")) {
        log.warn("event source checkpoint is no longer in the stream; resuming at the trim horizon", {
          ...this.fields(),
          ...errorFields(error),
        });
        return adapter.iterator(this.streamArn, this.shardId, { type: "TRIM_HORIZON" }, signal);
      }
      throw error;
    }
  }

  /** Lambda waits up to the batching window for a full batch, but never delays a retry. */
  private batchingWindowLeft(): number {
    const windowMs = this.context.settings.maximumBatchingWindowSeconds * 1000;
    if (windowMs <= 0 || this.plan.length > 0 || this.endOfShard) return 0;
    if (this.buffer.length >= this.context.settings.batchSize) return 0;
    const bytes = this.buffer.reduce((sum, record) => sum + record.sizeBytes, PAYLOAD_OVERHEAD_BYTES);
    if (bytes >= MAX_PAYLOAD_BYTES) return 0;
    return Math.max(0, (this.bufferSince ?? Date.now()) + windowMs - Date.now());
  }

  /** Records older than MaximumRecordAgeInSeconds are never sent to the function again. */
  private async discardExpired(): Promise<boolean> {
    const maxAgeSeconds = this.context.settings.maximumRecordAgeSeconds;
    if (maxAgeSeconds < 0) return false;
    const cutoff = Date.now() - maxAgeSeconds * 1000;
    const limit = Math.min(this.plan[0] ?? this.context.settings.batchSize, this.context.settings.batchSize);
    let expired = 0;
    while (expired < limit && expired < this.buffer.length) {
      const record = this.buffer[expired];
      if (!record || record.ageFromMs >= cutoff) break;
      expired += 1;
    }
    if (expired === 0) return false;
    await this.giveUp(expired, "RecordAgeExceeded");
    return true;
  }

  private nextBatch(): SourceRecord<R>[] {
    const limit = this.plan[0] ?? this.context.settings.batchSize;
    const batch: SourceRecord<R>[] = [];
    let bytes = PAYLOAD_OVERHEAD_BYTES;
    for (const record of this.buffer) {
      if (batch.length >= limit) break;
      if (batch.length > 0 && bytes + record.sizeBytes + 1 > MAX_PAYLOAD_BYTES) break;
      batch.push(record);
      bytes += record.sizeBytes + 1;
    }
    // From here on the plan's head is exactly this batch, so retries and halves refer to it.
    const planned = this.plan[0];
    if (planned === undefined) this.plan = [batch.length];
    else if (planned > batch.length) this.plan.splice(0, 1, batch.length, planned - batch.length);
    return batch;
  }

  private async processNextBatch(): Promise<void> {
    const { settings, stats } = this.context;
    if (this.context.signal.aborted) return;
    // A give-up that could not be delivered last time (e.g. the queue file was not writable) is
    // retried as such: the function has had its attempts.
    if (settings.maximumRetryAttempts >= 0 && this.retries > settings.maximumRetryAttempts) {
      await this.giveUp(this.plan[0] ?? 1, "RetryAttemptsExhausted");
      return;
    }
    const batch = this.nextBatch();
    this.busy = true;
    let result: InvocationResult;
    try {
      stats.invocations += 1;
      this.headInvocations += 1;
      result = await this.context.invoke(batch.map((record) => record.event));
    } finally {
      this.busy = false;
    }

    if (!result.ok) {
      this.lastAttempt = {
        requestId: result.requestId,
        response: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      };
      stats.lastError = describe(result.error);
      log.warn("event source batch failed", {
        ...this.fields(),
        batchSize: batch.length,
        attempt: this.retries + 1,
        // Only the error's class: a handler's message may quote the records it choked on.
        errorName: result.error instanceof Error ? result.error.name : typeof result.error,
      });
      await this.failed(batch, true);
      return;
    }

    const outcome = settings.reportBatchItemFailures
      ? interpretBatchResponse(
          result.response,
          batch.map((record) => record.sequenceNumber),
        )
      : ({ kind: "success" } as const);
    if (outcome.kind === "success") {
      await this.commit(batch.length);
      stats.recordsProcessed += batch.length;
      return;
    }
    this.lastAttempt = {
      requestId: result.requestId,
      response: { statusCode: 200, executedVersion: "$LATEST" },
    };
    if (outcome.kind === "invalid") {
      stats.lastError = `invalid batch item failure response: ${outcome.reason}`;
      log.warn("event source batch response names an unknown item; the whole batch failed", {
        ...this.fields(),
        batchSize: batch.length,
        reason: outcome.reason,
      });
      await this.failed(batch, true);
      return;
    }
    // Checkpoint just before the lowest failed record; the rest of this batch is retried from there.
    if (outcome.failedIndex > 0) {
      await this.commit(outcome.failedIndex);
      stats.recordsProcessed += outcome.failedIndex;
      this.headInvocations = 1;
    }
    this.lastAttempt = {
      requestId: result.requestId,
      response: { statusCode: 200, executedVersion: "$LATEST" },
    };
    stats.lastError = `partial batch failure: ${batch.length - outcome.failedIndex} of ${batch.length} records to retry`;
    log.info("event source batch partially failed", {
      ...this.fields(),
      batchSize: batch.length,
      succeeded: outcome.failedIndex,
    });
    await this.failed(batch.slice(outcome.failedIndex), false);
  }

  /**
   * A failed batch is bisected (if enabled and it can be split) without using the retry quota;
   * otherwise it is retried after a backoff until the quota is spent, then given up on.
   */
  private async failed(batch: readonly SourceRecord<R>[], bisectable: boolean): Promise<void> {
    const { settings, signal } = this.context;
    if (this.context.signal.aborted) return;
    if (bisectable && settings.bisectBatchOnFunctionError && batch.length > 1) {
      const first = Math.ceil(batch.length / 2);
      this.plan.splice(0, 1, first, batch.length - first);
      return;
    }
    this.retries += 1;
    if (settings.maximumRetryAttempts >= 0 && this.retries > settings.maximumRetryAttempts) {
      await this.giveUp(batch.length, "RetryAttemptsExhausted");
      return;
    }
    await sleep(backoffMs(this.retries, this.context.retryBackoff), signal);
  }

  /** Sends the invocation record to the on-failure destination, then moves the checkpoint past. */
  private async giveUp(count: number, condition: FailureCondition): Promise<void> {
    const { stats, onFailure, adapter } = this.context;
    const records = this.buffer.slice(0, count);
    const record = invocationRecord({
      kind: adapter.kind,
      requestId: this.lastAttempt?.requestId ?? crypto.randomUUID(),
      functionArn: await this.context.functionArn(),
      condition,
      approximateInvokeCount: this.headInvocations,
      response: this.lastAttempt?.response,
      shardId: this.shardId,
      streamArn: this.streamArn,
      records,
      now: new Date(),
    });
    const info = adapter.kind === "kinesis" ? "KinesisBatchInfo" : "DDBStreamBatchInfo";
    const fields = {
      ...this.fields(),
      condition,
      batchSize: records.length,
      startSequenceNumber: records[0]?.sequenceNumber,
      endSequenceNumber: records[records.length - 1]?.sequenceNumber,
    };
    if (onFailure) {
      onFailure.send(record);
      log.warn("event source batch sent to the on-failure destination", {
        ...fields,
        queue: onFailure.name,
        info,
      });
    } else {
      log.warn("event source batch discarded (no on-failure destination)", fields);
    }
    await this.commit(count);
    stats.batchesDeadLettered += 1;
    stats.recordsFailed += count;
  }

  /** Durably moves the checkpoint past the first `count` buffered records, then forgets them. */
  private async commit(count: number): Promise<void> {
    const last = this.buffer[count - 1];
    if (!last) throw new Error(`Cannot commit ${count} records; ${this.buffer.length} are buffered`);
    await this.context.checkpoints.commit(this.streamArn, this.shardId, last.sequenceNumber);
    this.buffer = this.buffer.slice(count);
    if (this.buffer.length === 0) this.bufferSince = undefined;
    this.consumePlan(count);
    this.retries = 0;
    this.headInvocations = 0;
    this.lastAttempt = undefined;
  }

  private consumePlan(count: number): void {
    let left = count;
    while (left > 0 && this.plan.length > 0) {
      const head = this.plan[0] ?? 0;
      if (head <= left) {
        this.plan.shift();
        left -= head;
      } else {
        this.plan[0] = head - left;
        left = 0;
      }
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
