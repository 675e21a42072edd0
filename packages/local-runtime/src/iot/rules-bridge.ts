import { randomUUID } from "node:crypto";
import { type KinesisClient, KinesisServiceException, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { createKinesisClient } from "@sdp/aws";
import { errorFields, log } from "@sdp/kernel";
import type { LocalQueue } from "../queue/file-queue";
import { isValidTopicFilter, topicMatches } from "./topic-policy";

/** One IoT topic rule with a Kinesis action and an error action into a dead-letter queue. */
export interface IotKinesisRule {
  readonly name: string;
  readonly topicFilter: string;
  readonly streamName: string;
  /** An IoT substitution template such as `${topic(2)}/${topic(3)}`. */
  readonly partitionKey: string;
  readonly errorQueue: LocalQueue;
}

export interface IotRulesBridgeOptions {
  readonly rules: readonly IotKinesisRule[];
  readonly kinesis?: KinesisClient;
  /** Records per PutRecords request, at most Kinesis' 500 (the default). */
  readonly maxBatchRecords?: number;
  /** How long a record may wait for others to share its request; default 5 ms. */
  readonly maxBatchDelayMs?: number;
  /** PutRecords attempts per record before the error action; default 4. */
  readonly maxAttempts?: number;
  /** First retry delay, doubled per attempt; default 50 ms. */
  readonly retryBaseDelayMs?: number;
  /** PutRecords requests in flight per stream; default 4. */
  readonly maxConcurrentRequests?: number;
}

/** What the rules engine needs of a broker message (a `BrokerMessage` fits). */
export interface RuleInput {
  readonly topic: string;
  readonly payload: Buffer;
  readonly clientId: string;
}

// A type alias, not an interface, so it is assignable to Record<string, unknown> (health reports).
export type IotRulesBridgeStats = {
  readonly messages: number;
  /** Messages no rule selected; they are not forwarded anywhere. */
  readonly unmatched: number;
  /** (rule, message) pairs, i.e. records meant for Kinesis. */
  readonly records: number;
  readonly recordsPut: number;
  readonly putRecordsRequests: number;
  readonly retries: number;
  /** Records handed to a rule's error action. */
  readonly errorActions: number;
  /** Error actions that failed themselves; the broker then refuses the message. */
  readonly errorActionFailures: number;
  /** Records waiting for, or in, a PutRecords request, or waiting to be retried. */
  readonly pending: number;
};

export interface IotRulesBridge {
  /**
   * Resolves once every matching rule has either put the record on its stream or captured the failure
   * with its error action; rejects only when an error action itself failed.
   */
  handle(message: RuleInput): Promise<void>;
  stats(): IotRulesBridgeStats;
  /** Sends what is batched now and waits until every message handed in so far is settled. */
  flush(): Promise<void>;
}

/** The message AWS IoT sends to a rule's error action. */
export interface IotErrorActionMessage {
  readonly ruleName: string;
  readonly topic: string;
  readonly cloudwatchTraceId: string;
  readonly clientId: string;
  readonly base64OriginalPayload: string;
  readonly failures: readonly {
    readonly failedAction: string;
    readonly failedResource: string;
    readonly errorMessage: string;
  }[];
}

export interface SubstitutionContext {
  readonly topic: string;
  readonly clientId: string;
  /** Milliseconds since the epoch, fixed once per message. */
  readonly timestamp: number;
}

// Kinesis PutRecords limits.
const MAX_RECORDS_PER_REQUEST = 500;
const MAX_REQUEST_BYTES = 5 * 1024 * 1024;
const MAX_RECORD_BYTES = 1024 * 1024;
const MAX_PARTITION_KEY_CHARS = 256;

type TemplatePart =
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "topic"; readonly level: number | null }
  | { readonly kind: "clientid" | "timestamp" | "newuuid" };

/**
 * Compiles an IoT substitution template once, so a rule with an unsupported expression fails at start
 * rather than per message. Supported: `${topic()}`, `${topic(n)}` (1-based; past the last level it is
 * empty), `${clientid()}`, `${timestamp()}` and `${newuuid()}`.
 */
export function compileSubstitutionTemplate(template: string): (context: SubstitutionContext) => string {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of template.matchAll(/\$\{([^}]*)\}/g)) {
    if (match.index > last) parts.push({ kind: "literal", text: template.slice(last, match.index) });
    last = match.index + match[0].length;
    const expression = (match[1] ?? "").trim();
    const call = /^([a-z]+)\(\s*(\d*)\s*\)$/i.exec(expression);
    const name = call?.[1]?.toLowerCase();
    const argument = call?.[2] ?? "";
    if (name === "topic") {
      const level = argument === "" ? null : Number(argument);
      if (level === 0) throw new Error(`topic levels are 1-based in ${template}`);
      parts.push({ kind: "topic", level });
    } else if ((name === "clientid" || name === "timestamp" || name === "newuuid") && argument === "") {
      parts.push({ kind: name });
    } else {
      throw new Error(`unsupported substitution expression \${${expression}} in ${template}`);
    }
  }
  if (last < template.length) parts.push({ kind: "literal", text: template.slice(last) });
  return (context) => parts.map((part) => renderPart(part, context)).join("");
}

function renderPart(part: TemplatePart, context: SubstitutionContext): string {
  switch (part.kind) {
    case "literal":
      return part.text;
    case "topic":
      return part.level === null ? context.topic : (context.topic.split("/")[part.level - 1] ?? "");
    case "clientid":
      return context.clientId;
    case "timestamp":
      return String(context.timestamp);
    case "newuuid":
      return randomUUID();
  }
}

interface CompiledRule {
  readonly rule: IotKinesisRule;
  readonly partitionKey: (context: SubstitutionContext) => string;
}

interface PendingRecord {
  readonly rule: IotKinesisRule;
  readonly message: RuleInput;
  readonly partitionKey: string;
  readonly bytes: number;
  attempts: number;
  readonly settle: { resolve(): void; reject(error: unknown): void };
}

function isRetryable(error: unknown): boolean {
  if (error instanceof KinesisServiceException) {
    return (
      error.$fault === "server" ||
      error.$retryable !== undefined ||
      error.name === "ProvisionedThroughputExceededException" ||
      error.name === "LimitExceededException" ||
      error.name === "KMSThrottlingException"
    );
  }
  // Network trouble and timeouts that the SDK's own retries did not overcome.
  return true;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : "unknown error";
}

/**
 * The local IoT rules engine for Kinesis actions. Messages from all publishers are batched per stream
 * into PutRecords requests; records Kinesis reports as failed are retried with backoff, and a record that
 * still cannot be put goes to the rule's error action in AWS IoT's error message format.
 */
export function createIotRulesBridge(options: IotRulesBridgeOptions): IotRulesBridge {
  const kinesis = options.kinesis ?? createKinesisClient();
  const maxBatchRecords = Math.min(
    Math.max(options.maxBatchRecords ?? MAX_RECORDS_PER_REQUEST, 1),
    MAX_RECORDS_PER_REQUEST,
  );
  const maxBatchDelayMs = Math.max(options.maxBatchDelayMs ?? 5, 0);
  const maxAttempts = Math.max(options.maxAttempts ?? 4, 1);
  const retryBaseDelayMs = Math.max(options.retryBaseDelayMs ?? 50, 0);
  const maxConcurrentRequests = Math.max(options.maxConcurrentRequests ?? 4, 1);

  const names = new Set<string>();
  const rules: CompiledRule[] = options.rules.map((rule) => {
    if (names.has(rule.name)) throw new Error(`duplicate IoT rule name: ${rule.name}`);
    names.add(rule.name);
    if (!isValidTopicFilter(rule.topicFilter)) throw new Error(`invalid topic filter in rule ${rule.name}`);
    if (rule.streamName === "") throw new Error(`rule ${rule.name} names no stream`);
    return { rule, partitionKey: compileSubstitutionTemplate(rule.partitionKey) };
  });

  const counters = {
    messages: 0,
    unmatched: 0,
    records: 0,
    recordsPut: 0,
    putRecordsRequests: 0,
    retries: 0,
    errorActions: 0,
    errorActionFailures: 0,
  };
  let awaitingRetry = 0;
  const outstanding = new Set<Promise<void>>();
  const batchers = new Map<string, StreamBatcher>();

  function errorAction(record: PendingRecord, errorMessage: string): void {
    const { rule, message } = record;
    const body: IotErrorActionMessage = {
      ruleName: rule.name,
      topic: message.topic,
      cloudwatchTraceId: randomUUID(),
      clientId: message.clientId,
      base64OriginalPayload: message.payload.toString("base64"),
      failures: [{ failedAction: "KinesisAction", failedResource: rule.streamName, errorMessage }],
    };
    try {
      rule.errorQueue.send(body, { ruleName: rule.name });
      counters.errorActions++;
      log.warn("iot rule action failed; message sent to the error action", {
        rule: rule.name,
        stream: rule.streamName,
        errorQueue: rule.errorQueue.name,
        topic: message.topic,
        clientId: message.clientId,
        attempts: record.attempts,
        reason: errorMessage,
      });
      record.settle.resolve();
    } catch (error) {
      counters.errorActionFailures++;
      log.error("iot rule error action failed", {
        rule: rule.name,
        errorQueue: rule.errorQueue.name,
        ...errorFields(error),
      });
      record.settle.reject(error);
    }
  }

  function failed(record: PendingRecord, reason: string, retryable: boolean, batcher: StreamBatcher): void {
    record.attempts++;
    if (retryable && record.attempts < maxAttempts) {
      counters.retries++;
      const delay = retryBaseDelayMs * 2 ** (record.attempts - 1) * (0.5 + Math.random() / 2);
      awaitingRetry++;
      setTimeout(() => {
        awaitingRetry--;
        batcher.add(record);
      }, delay);
      return;
    }
    errorAction(record, reason);
  }

  class StreamBatcher {
    private queue: PendingRecord[] = [];
    private timer: NodeJS.Timeout | undefined;
    private inFlight = 0;
    private inFlightRecords = 0;

    constructor(private readonly streamName: string) {}

    get pending(): number {
      return this.queue.length + this.inFlightRecords;
    }

    add(record: PendingRecord): void {
      this.queue.push(record);
      if (this.queue.length >= maxBatchRecords) this.pump();
      else this.timer ??= setTimeout(() => this.pump(), maxBatchDelayMs);
    }

    pump(): void {
      clearTimeout(this.timer);
      this.timer = undefined;
      while (this.queue.length > 0 && this.inFlight < maxConcurrentRequests) {
        const batch: PendingRecord[] = [];
        let bytes = 0;
        for (const record of this.queue) {
          if (
            batch.length === maxBatchRecords ||
            (batch.length > 0 && bytes + record.bytes > MAX_REQUEST_BYTES)
          )
            break;
          batch.push(record);
          bytes += record.bytes;
        }
        this.queue.splice(0, batch.length);
        void this.send(batch);
      }
    }

    private async send(batch: PendingRecord[]): Promise<void> {
      this.inFlight++;
      this.inFlightRecords += batch.length;
      try {
        const output = await kinesis.send(
          new PutRecordsCommand({
            StreamName: this.streamName,
            Records: batch.map((record) => ({
              Data: record.message.payload,
              PartitionKey: record.partitionKey,
            })),
          }),
        );
        counters.putRecordsRequests++;
        const results = output.Records ?? [];
        for (const [index, record] of batch.entries()) {
          const result = results[index];
          if (result?.SequenceNumber !== undefined && result.ErrorCode === undefined) {
            counters.recordsPut++;
            record.settle.resolve();
          } else {
            const reason = result?.ErrorCode
              ? `${result.ErrorCode}: ${result.ErrorMessage ?? ""}`
              : "PutRecords returned no result for the record";
            failed(record, reason, true, this);
          }
        }
      } catch (error) {
        counters.putRecordsRequests++;
        const retryable = isRetryable(error);
        log.warn("iot rule PutRecords request failed", {
          stream: this.streamName,
          records: batch.length,
          retryable,
          ...errorFields(error),
        });
        for (const record of batch) failed(record, describe(error), retryable, this);
      } finally {
        this.inFlight--;
        this.inFlightRecords -= batch.length;
        // Records that queued up behind a full set of requests have waited long enough.
        if (this.queue.length > 0 && this.timer === undefined) this.pump();
      }
    }
  }

  function batcherFor(streamName: string): StreamBatcher {
    let batcher = batchers.get(streamName);
    if (batcher === undefined) {
      batcher = new StreamBatcher(streamName);
      batchers.set(streamName, batcher);
    }
    return batcher;
  }

  function submit(compiled: CompiledRule, message: RuleInput, context: SubstitutionContext): Promise<void> {
    counters.records++;
    return new Promise<void>((resolve, reject) => {
      const partitionKey = compiled.partitionKey(context);
      const record: PendingRecord = {
        rule: compiled.rule,
        message,
        partitionKey,
        bytes: message.payload.length + Buffer.byteLength(partitionKey),
        attempts: 0,
        settle: { resolve, reject },
      };
      // One invalid record would fail the whole PutRecords request, so it never joins a batch.
      if (partitionKey.length === 0 || partitionKey.length > MAX_PARTITION_KEY_CHARS) {
        record.attempts = 1;
        errorAction(
          record,
          `ValidationException: partition key must have 1 to 256 characters, got ${partitionKey.length}`,
        );
      } else if (record.bytes > MAX_RECORD_BYTES) {
        record.attempts = 1;
        errorAction(record, `ValidationException: record of ${record.bytes} bytes exceeds 1 MiB`);
      } else {
        batcherFor(compiled.rule.streamName).add(record);
      }
    });
  }

  return {
    handle(message) {
      counters.messages++;
      const matching = rules.filter((compiled) => topicMatches(compiled.rule.topicFilter, message.topic));
      if (matching.length === 0) {
        counters.unmatched++;
        return Promise.resolve();
      }
      const context: SubstitutionContext = {
        topic: message.topic,
        clientId: message.clientId,
        timestamp: Date.now(),
      };
      const settled = Promise.all(matching.map((compiled) => submit(compiled, message, context))).then(
        () => undefined,
      );
      outstanding.add(settled);
      const forget = () => outstanding.delete(settled);
      settled.then(forget, forget);
      return settled;
    },
    stats() {
      let pending = awaitingRetry;
      for (const batcher of batchers.values()) pending += batcher.pending;
      return { ...counters, pending };
    },
    async flush() {
      for (const batcher of batchers.values()) batcher.pump();
      while (outstanding.size > 0) await Promise.allSettled([...outstanding]);
    },
  };
}
