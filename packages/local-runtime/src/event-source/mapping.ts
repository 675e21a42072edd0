import { randomUUID } from "node:crypto";
import { createDynamoDbClient, createDynamoDbStreamsClient, createKinesisClient } from "@sdp/aws";
import { errorFields, log } from "@sdp/kernel";
import { invokeHandler, type LambdaHandler } from "../lambda/invoke";
import { CheckpointStore } from "./checkpoint";
import { dynamodbAdapter } from "./dynamodb-source";
import { kinesisAdapter } from "./kinesis-source";
import { type InvocationResult, type ShardExit, ShardWorker, type ShardWorkerContext } from "./shard-worker";
import { functionArn } from "./source-support";
import { type BackoffRange, backoffMs, sleep, Waker } from "./timing";
import type {
  EventSourceMappingOptions,
  EventSourceMappingStats,
  EventSourceSettings,
  RunningEventSourceMapping,
  SourceDescription,
  StartPosition,
  StreamAdapter,
} from "./types";

const DEFAULT_POLL_INTERVAL_MS = 200;
const DEFAULT_RETRY_BACKOFF: BackoffRange = { minMs: 1_000, maxMs: 30_000 };
const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
/** Lambda notices new shards within about a minute; locally a few seconds keeps tests and demos snappy. */
const DISCOVERY_INTERVAL_MS = 5_000;
/** A source that does not exist yet is looked for more often, so consumers start soon after it appears. */
const MISSING_SOURCE_INTERVAL_MS = 1_000;
const IDLE_CHECK_INTERVAL_MS = 20;

/**
 * Starts a local Lambda event source mapping over a Kinesis stream or a DynamoDB table's stream,
 * with Lambda's documented semantics (DESIGN §2). Throws at once on invalid settings or an unreadable
 * checkpoint file; everything after that (missing source, stream errors, function errors) is handled
 * in the background and reported through logs and `stats()`.
 */
export function startEventSourceMapping(options: EventSourceMappingOptions): RunningEventSourceMapping {
  validateSettings(options.name, options.settings);
  const checkpoints = CheckpointStore.open(options.checkpointFile);
  const abort = new AbortController();
  const { signal } = abort;
  const adapter = createAdapter(options);
  const stats: EventSourceMappingStats = {
    invocations: 0,
    recordsProcessed: 0,
    recordsFailed: 0,
    batchesDeadLettered: 0,
  };
  const logFields = {
    function: options.name,
    source: options.source.kind,
    ...(options.source.kind === "kinesis"
      ? { streamName: options.source.streamName }
      : { tableName: options.source.tableName }),
  };
  const pollWaker = new Waker(signal);
  const discoveryWaker = new Waker(signal);
  let clock = 0;
  const tick = () => {
    clock += 1;
    return clock;
  };

  let loadedHandler: Promise<LambdaHandler> | undefined;
  const loadHandler = () => {
    // A failed load is retried on the next invocation, like a Lambda init error on a new container.
    loadedHandler ??= options.handler().catch((error: unknown) => {
      loadedHandler = undefined;
      throw error;
    });
    return loadedHandler;
  };
  const invoke = async (records: readonly unknown[]): Promise<InvocationResult> => {
    let requestId: string = randomUUID();
    try {
      const handler = await loadHandler();
      // invokeHandler builds the context; capturing its request id lets the on-failure record name it.
      const observed: LambdaHandler = (event, context) => {
        requestId = context.awsRequestId;
        return handler(event, context);
      };
      const response = await invokeHandler(
        observed,
        { Records: records },
        {
          functionName: options.name,
          timeoutMs: options.timeoutMs ?? (options.settings.handler.timeoutSeconds ?? 10) * 1000,
          ...(options.settings.handler.memoryMb !== undefined
            ? { memoryMb: options.settings.handler.memoryMb }
            : {}),
        },
      );
      return { ok: true, requestId, response };
    } catch (error) {
      return { ok: false, requestId, error };
    }
  };

  const context: ShardWorkerContext<unknown> = {
    adapter,
    settings: options.settings,
    checkpoints,
    invoke,
    onFailure: options.onFailure,
    stats,
    signal,
    pollWaker,
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    retryBackoff: options.retryBackoffMs
      ? { minMs: options.retryBackoffMs.min, maxMs: options.retryBackoffMs.max }
      : DEFAULT_RETRY_BACKOFF,
    tick,
    functionArn: async () => functionArn(await adapter.region(), options.name),
    logFields,
  };

  const workers = new Map<string, { worker: ShardWorker<unknown>; done: Promise<ShardExit> }>();
  /** The latest completed discovery, stamped with the tick taken before it started. */
  let lastDiscovery: { tick: number; description: SourceDescription | undefined } | undefined;
  let missingLogged = false;

  const schedule = (description: SourceDescription) => {
    const { streamArn, shards } = description;
    const present = new Set(shards.map((shard) => shard.shardId));
    for (const shard of shards) {
      const key = `${streamArn}|${shard.shardId}`;
      if (workers.has(key)) continue;
      if (checkpoints.get(streamArn, shard.shardId)?.finished) continue;
      // Children wait until every parent still in the stream has been read to its end, so records
      // for one partition key stay in order across a split or merge.
      const parentsPending = shard.parentShardIds.some(
        (parent) => present.has(parent) && !checkpoints.get(streamArn, parent)?.finished,
      );
      if (parentsPending) continue;
      const hasKnownParent = shard.parentShardIds.some(
        (parent) => present.has(parent) || checkpoints.get(streamArn, parent) !== undefined,
      );
      // A shard born from one we followed starts at its beginning; the configured starting position
      // only applies to the shards the mapping found when it first met the stream.
      const start: StartPosition = hasKnownParent
        ? { type: "TRIM_HORIZON" }
        : { type: options.settings.startingPosition };
      const worker = new ShardWorker(context, streamArn, shard.shardId, start);
      const done = worker.run().then(
        (exit) => {
          workers.delete(key);
          // A finished parent may release its children now rather than at the next discovery. A shard
          // that is gone waits for the regular discovery, so it cannot spin.
          if (exit === "finished") discoveryWaker.wake();
          return exit;
        },
        (error: unknown) => {
          workers.delete(key);
          stats.lastError = error instanceof Error ? error.message : String(error);
          log.error("event source shard reader crashed", {
            ...logFields,
            shardId: shard.shardId,
            ...errorFields(error),
          });
          return "gone" as const;
        },
      );
      workers.set(key, { worker, done });
      log.debug("event source shard reader started", {
        ...logFields,
        shardId: shard.shardId,
        start: start.type,
      });
    }
  };

  const discover = async () => {
    const started = tick();
    const description = await adapter.discover(signal);
    if (signal.aborted) return;
    if (description === undefined) {
      if (!missingLogged) log.debug("event source not found yet; waiting for it", logFields);
      missingLogged = true;
    } else {
      missingLogged = false;
      const keep = new Set(description.shards.flatMap((shard) => [shard.shardId, ...shard.parentShardIds]));
      await checkpoints.prune(description.streamArn, keep);
      schedule(description);
    }
    lastDiscovery = { tick: started, description };
  };

  const discoveryLoop = (async () => {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await discover();
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        stats.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        log.warn("event source discovery failed", { ...logFields, ...errorFields(error) });
        await sleep(backoffMs(failures, { minMs: 500, maxMs: 10_000 }), signal);
        continue;
      }
      const missing = lastDiscovery?.description === undefined;
      await discoveryWaker.wait(missing ? MISSING_SOURCE_INTERVAL_MS : DISCOVERY_INTERVAL_MS);
    }
  })();

  log.info("event source mapping started", {
    ...logFields,
    batchSize: options.settings.batchSize,
    startingPosition: options.settings.startingPosition,
  });

  const isIdleSince = (mark: number): boolean => {
    if (!lastDiscovery || lastDiscovery.tick <= mark) return false;
    const { description } = lastDiscovery;
    if (description === undefined) return true;
    for (const shard of description.shards) {
      if (checkpoints.get(description.streamArn, shard.shardId)?.finished) continue;
      const running = workers.get(`${description.streamArn}|${shard.shardId}`);
      if (!running?.worker.caughtUpSince(mark)) return false;
    }
    return true;
  };

  const idleWaiters = new Set<(error: Error) => void>();
  let stopping: Promise<void> | undefined;

  return {
    stats: () => ({ ...stats }),

    idle(timeoutMs = DEFAULT_IDLE_TIMEOUT_MS) {
      if (signal.aborted) return Promise.reject(new Error(`Event source mapping ${options.name} is stopped`));
      const mark = tick();
      discoveryWaker.wake();
      pollWaker.wake();
      return new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        let timer: NodeJS.Timeout | undefined;
        const finish = (error?: Error) => {
          clearTimeout(timer);
          idleWaiters.delete(finish);
          if (error) reject(error);
          else resolve();
        };
        const check = () => {
          if (isIdleSince(mark)) return finish();
          if (Date.now() >= deadline) {
            return finish(
              new Error(
                // Counts only: lastError may carry a handler's message, which may quote record data.
                `Event source mapping ${options.name} still busy after ${timeoutMs} ms (invocations ${stats.invocations}, processed ${stats.recordsProcessed}, failed ${stats.recordsFailed})`,
              ),
            );
          }
          timer = setTimeout(check, IDLE_CHECK_INTERVAL_MS);
        };
        idleWaiters.add(finish);
        check();
      });
    },

    stop() {
      stopping ??= (async () => {
        abort.abort();
        for (const fail of [...idleWaiters])
          fail(new Error(`Event source mapping ${options.name} was stopped`));
        await discoveryLoop;
        await Promise.all([...workers.values()].map((entry) => entry.done));
        await checkpoints.flush();
        adapter.close();
        log.info("event source mapping stopped", logFields);
      })();
      return stopping;
    },
  };
}

function createAdapter(options: EventSourceMappingOptions): StreamAdapter<unknown> {
  const { source, clients = {} } = options;
  if (source.kind === "kinesis") {
    const client = clients.kinesis ?? createKinesisClient();
    return kinesisAdapter(client, source.streamName, options.name, clients.kinesis === undefined);
  }
  const tables = clients.dynamodb ?? createDynamoDbClient();
  const streams = clients.dynamodbStreams ?? createDynamoDbStreamsClient();
  return dynamodbAdapter(tables, streams, source.tableName, {
    tables: clients.dynamodb === undefined,
    streams: clients.dynamodbStreams === undefined,
  });
}

/** The limits CreateEventSourceMapping enforces, except the 60 s minimum record age (kept short in tests). */
function validateSettings(name: string, settings: EventSourceSettings): void {
  const problems: string[] = [];
  const integer = (value: number, min: number, max: number, field: string) => {
    if (!Number.isInteger(value) || value < min || value > max)
      problems.push(`${field} must be ${min}..${max}`);
  };
  integer(settings.batchSize, 1, 10_000, "batchSize");
  if (settings.maximumBatchingWindowSeconds < 0 || settings.maximumBatchingWindowSeconds > 300) {
    problems.push("maximumBatchingWindowSeconds must be 0..300");
  }
  integer(settings.maximumRetryAttempts, -1, 10_000, "maximumRetryAttempts");
  if (settings.maximumRecordAgeSeconds < -1 || settings.maximumRecordAgeSeconds > 604_800) {
    problems.push("maximumRecordAgeSeconds must be -1 or 0..604800");
  }
  if (problems.length > 0) throw new RangeError(`Event source mapping ${name}: ${problems.join("; ")}`);
}
