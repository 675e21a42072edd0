import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SplitShardCommand } from "@aws-sdk/client-kinesis";
import { createKinesisClient } from "@sdp/aws";
import type { KinesisStreamRecord } from "aws-lambda";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openFileQueue } from "../queue/file-queue";
import { CheckpointStore } from "./checkpoint";
import { type RunningEventSourceMapping, startEventSourceMapping } from "./index";
import {
  createStream,
  delay,
  deleteStream,
  eventually,
  kinesisHandler,
  payloads,
  putRecords,
  settingsFor,
  temporaryDirectory,
  waitForStreamActive,
} from "./test-helpers";

const SHARD = "shardId-000000000000";
const FAST_RETRIES = { min: 20, max: 50 };

const kinesis = createKinesisClient();
const cleanups: Array<() => Promise<void>> = [];

/** Every test registers what it created; stopping mappings first keeps them from polling deleted streams. */
async function prepare() {
  const dir = await temporaryDirectory();
  const stream = await createStream(kinesis);
  const mappings: RunningEventSourceMapping[] = [];
  cleanups.push(async () => {
    await Promise.all(mappings.map((mapping) => mapping.stop()));
    await deleteStream(kinesis, stream.name);
    await dir.remove();
  });
  return {
    dir: dir.path,
    stream,
    checkpointFile: join(dir.path, "checkpoint.json"),
    dlq: openFileQueue("dlq", join(dir.path, "dlq.jsonl")),
    track(mapping: RunningEventSourceMapping) {
      mappings.push(mapping);
      return mapping;
    },
  };
}

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(() => {
  kinesis.destroy();
});

describe("Kinesis event source mapping against kinesalite", () => {
  it("delivers records in order in Lambda's Kinesis event shape", async () => {
    // Prepare
    const { stream, checkpointFile, track } = await prepare();
    const [sequenceNumber] = await putRecords(kinesis, stream.name, ["hello"], () => "device-7");
    const received: KinesisStreamRecord[] = [];
    const functionNames: string[] = [];
    const before = Date.now() / 1000;

    // Act
    const mapping = track(
      startEventSourceMapping({
        name: "shape-consumer",
        source: { kind: "kinesis", streamName: stream.name },
        settings: settingsFor(),
        handler: kinesisHandler(async (event, context) => {
          received.push(...event.Records);
          functionNames.push(context.functionName);
        }),
        checkpointFile,
      }),
    );
    await mapping.idle();

    // Assess
    expect(received).toEqual([
      {
        kinesis: {
          kinesisSchemaVersion: "1.0",
          partitionKey: "device-7",
          sequenceNumber,
          data: Buffer.from("hello").toString("base64"),
          approximateArrivalTimestamp: expect.any(Number),
        },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `${SHARD}:${sequenceNumber}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: "arn:aws:iam::000000000000:role/shape-consumer",
        awsRegion: "eu-west-1",
        eventSourceARN: stream.arn,
      },
    ]);
    expect(Object.keys(received[0] ?? {})).toEqual([
      "kinesis",
      "eventSource",
      "eventVersion",
      "eventID",
      "eventName",
      "invokeIdentityArn",
      "awsRegion",
      "eventSourceARN",
    ]);
    expect(functionNames).toEqual(["shape-consumer"]);
    expect(CheckpointStore.open(checkpointFile).get(stream.arn, SHARD)?.sequenceNumber).toBe(sequenceNumber);
    const arrival = received[0]?.kinesis.approximateArrivalTimestamp;
    expect(arrival).toBeGreaterThanOrEqual(before - 5);
    expect(arrival).toBeLessThanOrEqual(Date.now() / 1000);
  });

  it("isolates a poison record by bisecting: good records once, the poison alone dead-lettered, the shard moves on", async () => {
    // Prepare
    const { stream, checkpointFile, dlq, track } = await prepare();
    const names = Array.from({ length: 10 }, (_, index) => `r${index}`);
    const sequenceNumbers = await putRecords(kinesis, stream.name, names);
    const processed: string[] = [];
    const invocations: string[][] = [];

    // Act
    const mapping = track(
      startEventSourceMapping({
        name: "poison-consumer",
        source: { kind: "kinesis", streamName: stream.name },
        settings: settingsFor({ batchSize: 10, bisectBatchOnFunctionError: true, maximumRetryAttempts: 2 }),
        handler: kinesisHandler(async (event) => {
          const batch = payloads(event);
          invocations.push(batch);
          if (batch.includes("r6")) throw new Error("cannot process r6");
          processed.push(...batch);
        }),
        onFailure: dlq,
        checkpointFile,
        retryBackoffMs: FAST_RETRIES,
      }),
    );
    await mapping.idle();
    const [lateSequenceNumber] = await putRecords(kinesis, stream.name, ["r10"]);
    await mapping.idle();

    // Assess
    expect(processed).toEqual(["r0", "r1", "r2", "r3", "r4", "r5", "r7", "r8", "r9", "r10"]);
    // One first attempt plus maximumRetryAttempts retries once the poison stands alone.
    expect(invocations.filter((batch) => batch.length === 1 && batch[0] === "r6")).toHaveLength(3);
    const messages = dlq.list();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.body).toEqual({
      requestContext: {
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        functionArn: "arn:aws:lambda:eu-west-1:000000000000:function:poison-consumer",
        condition: "RetryAttemptsExhausted",
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      version: "1.0",
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      KinesisBatchInfo: {
        shardId: SHARD,
        startSequenceNumber: sequenceNumbers[6],
        endSequenceNumber: sequenceNumbers[6],
        approximateArrivalOfFirstRecord: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/),
        approximateArrivalOfLastRecord: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/),
        batchSize: 1,
        streamArn: stream.arn,
      },
    });
    expect(mapping.stats()).toMatchObject({ recordsProcessed: 10, recordsFailed: 1, batchesDeadLettered: 1 });
    expect(CheckpointStore.open(checkpointFile).get(stream.arn, SHARD)?.sequenceNumber).toBe(
      lateSequenceNumber,
    );
  });

  it("with ReportBatchItemFailures, checkpoints before the lowest failed record and resumes there", async () => {
    // Prepare
    const { stream, checkpointFile, track } = await prepare();
    const names = Array.from({ length: 10 }, (_, index) => `r${index}`);
    const sequenceNumbers = await putRecords(kinesis, stream.name, names);
    const invocations: string[][] = [];
    const checkpointsSeen: Array<string | undefined> = [];

    // Act
    const mapping = track(
      startEventSourceMapping({
        name: "partial-consumer",
        source: { kind: "kinesis", streamName: stream.name },
        settings: settingsFor({ batchSize: 10, reportBatchItemFailures: true, maximumRetryAttempts: 3 }),
        handler: kinesisHandler(async (event) => {
          invocations.push(payloads(event));
          checkpointsSeen.push(CheckpointStore.open(checkpointFile).get(stream.arn, SHARD)?.sequenceNumber);
          if (invocations.length > 1) return { batchItemFailures: [] };
          // Reported out of order on purpose: Lambda resumes at the lowest sequence number.
          const failed = [event.Records[6], event.Records[3]].map(
            (record) => record?.kinesis.sequenceNumber ?? "",
          );
          return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
        }),
        checkpointFile,
        retryBackoffMs: FAST_RETRIES,
      }),
    );
    await mapping.idle();

    // Assess
    expect(invocations).toEqual([names, names.slice(3)]);
    expect(checkpointsSeen).toEqual([undefined, sequenceNumbers[2]]);
    expect(CheckpointStore.open(checkpointFile).get(stream.arn, SHARD)?.sequenceNumber).toBe(
      sequenceNumbers[9],
    );
    expect(mapping.stats()).toMatchObject({ invocations: 2, recordsProcessed: 10, recordsFailed: 0 });
  });

  it("treats an empty or unknown itemIdentifier as a failure of the whole batch", async () => {
    // Prepare
    const { stream, checkpointFile, track } = await prepare();
    await putRecords(kinesis, stream.name, ["a", "b", "c"]);
    const invocations: string[][] = [];
    const responses = [
      { batchItemFailures: [{ itemIdentifier: "" }] },
      { batchItemFailures: [{ itemIdentifier: "42" }] },
    ];

    // Act
    const mapping = track(
      startEventSourceMapping({
        name: "invalid-response-consumer",
        source: { kind: "kinesis", streamName: stream.name },
        settings: settingsFor({ reportBatchItemFailures: true, maximumRetryAttempts: 5 }),
        handler: kinesisHandler(async (event) => {
          invocations.push(payloads(event));
          return responses[invocations.length - 1] ?? null;
        }),
        checkpointFile,
        retryBackoffMs: FAST_RETRIES,
      }),
    );
    await mapping.idle();

    // Assess
    expect(invocations).toEqual([
      ["a", "b", "c"],
      ["a", "b", "c"],
      ["a", "b", "c"],
    ]);
    expect(mapping.stats()).toMatchObject({ recordsProcessed: 3, recordsFailed: 0 });
  });

  it("resumes from the checkpoint file after a restart: committed records are not redelivered, unfinished ones are", async () => {
    // Prepare
    const { stream, checkpointFile, track } = await prepare();
    await putRecords(kinesis, stream.name, ["r0", "r1", "r2", "r3", "r4"]);
    const first: string[][] = [];
    const second: string[][] = [];
    const settings = settingsFor({ batchSize: 2 });
    const firstRun = track(
      startEventSourceMapping({
        name: "restart-consumer",
        source: { kind: "kinesis", streamName: stream.name },
        settings,
        handler: kinesisHandler(async (event) => {
          first.push(payloads(event));
          if (payloads(event).includes("r4")) throw new Error("downstream unavailable");
        }),
        checkpointFile,
        retryBackoffMs: FAST_RETRIES,
      }),
    );
    await eventually(() => first.some((batch) => batch.includes("r4")));
    await firstRun.stop();
    await putRecords(kinesis, stream.name, ["r5", "r6"]);

    // Act
    const secondRun = track(
      startEventSourceMapping({
        name: "restart-consumer",
        source: { kind: "kinesis", streamName: stream.name },
        settings,
        handler: kinesisHandler(async (event) => {
          second.push(payloads(event));
        }),
        checkpointFile,
      }),
    );
    await secondRun.idle();

    // Assess
    expect(first.slice(0, 2)).toEqual([
      ["r0", "r1"],
      ["r2", "r3"],
    ]);
    expect(second.flat()).toEqual(["r4", "r5", "r6"]);
    expect(secondRun.stats()).toMatchObject({ recordsProcessed: 3 });
  });

  it("sends records older than maximumRecordAgeSeconds to the failure queue without invoking the function", async () => {
    // Prepare
    const { stream, checkpointFile, dlq, track } = await prepare();
    const sequenceNumbers = await putRecords(kinesis, stream.name, ["old0", "old1", "old2"]);
    await delay(1_200);
    const processed: string[] = [];

    // Act
    const mapping = track(
      startEventSourceMapping({
        name: "age-consumer",
        source: { kind: "kinesis", streamName: stream.name },
        settings: settingsFor({ maximumRecordAgeSeconds: 1 }),
        handler: kinesisHandler(async (event) => {
          processed.push(...payloads(event));
        }),
        onFailure: dlq,
        checkpointFile,
      }),
    );
    await mapping.idle();
    await putRecords(kinesis, stream.name, ["fresh"]);
    await mapping.idle();

    // Assess
    expect(processed).toEqual(["fresh"]);
    const messages = dlq.list();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.body).toEqual({
      requestContext: {
        requestId: expect.any(String),
        functionArn: "arn:aws:lambda:eu-west-1:000000000000:function:age-consumer",
        condition: "RecordAgeExceeded",
        approximateInvokeCount: 0,
      },
      version: "1.0",
      timestamp: expect.any(String),
      KinesisBatchInfo: expect.objectContaining({
        shardId: SHARD,
        startSequenceNumber: sequenceNumbers[0],
        endSequenceNumber: sequenceNumbers[2],
        batchSize: 3,
        streamArn: stream.arn,
      }),
    });
  });

  it("retries a failing batch until its records exceed maximumRecordAgeSeconds, then dead-letters it", async () => {
    // Prepare
    const { stream, checkpointFile, dlq, track } = await prepare();
    await putRecords(kinesis, stream.name, ["doomed"]);
    let attempts = 0;

    // Act
    const mapping = track(
      startEventSourceMapping({
        name: "age-retry-consumer",
        source: { kind: "kinesis", streamName: stream.name },
        settings: settingsFor({ maximumRecordAgeSeconds: 1, maximumRetryAttempts: -1 }),
        handler: kinesisHandler(async () => {
          attempts += 1;
          throw new Error("always failing");
        }),
        onFailure: dlq,
        checkpointFile,
        retryBackoffMs: { min: 100, max: 200 },
      }),
    );
    await mapping.idle(5_000);

    // Assess
    expect(attempts).toBeGreaterThan(1);
    const [message] = dlq.list();
    expect(message?.body).toMatchObject({
      requestContext: { condition: "RecordAgeExceeded", approximateInvokeCount: attempts },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      KinesisBatchInfo: { batchSize: 1 },
    });
    expect(mapping.stats()).toMatchObject({
      invocations: attempts,
      recordsFailed: 1,
      batchesDeadLettered: 1,
    });
  });

  it("treats a timeout as a function error", async () => {
    // Prepare
    const { stream, checkpointFile, dlq, track } = await prepare();
    await putRecords(kinesis, stream.name, ["slow", "quick"]);
    const completed: string[] = [];

    // Act
    const mapping = track(
      startEventSourceMapping({
        name: "timeout-consumer",
        source: { kind: "kinesis", streamName: stream.name },
        settings: settingsFor({ batchSize: 1, maximumRetryAttempts: 0 }),
        handler: kinesisHandler(async (event) => {
          if (payloads(event).includes("slow")) await delay(300);
          completed.push(...payloads(event));
        }),
        timeoutMs: 100,
        onFailure: dlq,
        checkpointFile,
      }),
    );
    await mapping.idle();

    // Assess
    expect(dlq.list().map((message) => message.body)).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({
          condition: "RetryAttemptsExhausted",
          approximateInvokeCount: 1,
        }),
        responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      }),
    ]);
    expect(mapping.stats()).toMatchObject({ recordsProcessed: 1, recordsFailed: 1 });
    expect(mapping.stats().lastError).toMatch(/LambdaTimeoutError/);
    // The timed-out handler keeps running in the background, as nothing can kill a promise.
    await eventually(() => completed.includes("slow"));
  });

  it("waits up to the batching window to fill a batch", async () => {
    // Prepare
    const { stream, checkpointFile, track } = await prepare();
    const invocations: string[][] = [];
    const mapping = track(
      startEventSourceMapping({
        name: "window-consumer",
        source: { kind: "kinesis", streamName: stream.name },
        settings: settingsFor({ batchSize: 100, maximumBatchingWindowSeconds: 1 }),
        handler: kinesisHandler(async (event) => {
          invocations.push(payloads(event));
        }),
        checkpointFile,
        pollIntervalMs: 50,
      }),
    );
    await mapping.idle();

    // Act
    for (const payload of ["w0", "w1", "w2"]) {
      await putRecords(kinesis, stream.name, [payload]);
      await delay(150);
    }
    await mapping.idle();

    // Assess
    expect(invocations).toEqual([["w0", "w1", "w2"]]);
  });

  it("reads a split shard's children only after the parent is finished", async () => {
    // Prepare
    const { stream, checkpointFile, track } = await prepare();
    const parentRecords = ["p0", "p1", "p2", "p3", "p4"];
    const childRecords = Array.from({ length: 10 }, (_, index) => `c${index}`);
    await putRecords(kinesis, stream.name, parentRecords, (payload) => `key-${payload}`);
    await kinesis.send(
      new SplitShardCommand({
        StreamName: stream.name,
        ShardToSplit: SHARD,
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await waitForStreamActive(kinesis, stream.name);
    await putRecords(kinesis, stream.name, childRecords, (payload) => `key-${payload}`);
    const delivered: string[] = [];

    // Act
    const mapping = track(
      startEventSourceMapping({
        name: "split-consumer",
        source: { kind: "kinesis", streamName: stream.name },
        settings: settingsFor({ batchSize: 2 }),
        handler: kinesisHandler(async (event) => {
          delivered.push(...payloads(event));
        }),
        checkpointFile,
      }),
    );
    await mapping.idle();

    // Assess
    expect(delivered.slice(0, parentRecords.length)).toEqual(parentRecords);
    expect([...delivered.slice(parentRecords.length)].sort()).toEqual([...childRecords].sort());
    expect(CheckpointStore.open(checkpointFile).get(stream.arn, SHARD)?.finished).toBe(true);
  });

  it("refuses to start on a corrupt checkpoint file rather than guess a position", async () => {
    // Prepare
    const { stream, dir } = await prepare();
    const checkpointFile = join(dir, "corrupt.json");
    await writeFile(checkpointFile, '{"version":1,"streams":{"x":{"shard":{"sequenceNumber":7}}}}');

    // Act
    const start = () =>
      startEventSourceMapping({
        name: "corrupt-consumer",
        source: { kind: "kinesis", streamName: stream.name },
        settings: settingsFor(),
        handler: kinesisHandler(async () => undefined),
        checkpointFile,
      });

    // Assess
    expect(start).toThrow(/not a valid event source checkpoint/);
  });
});
