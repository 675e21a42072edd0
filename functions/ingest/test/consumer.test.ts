import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type _Record,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { createKinesisClient } from "@sdp/aws";
import { ContextUpdate, IngestDeadLetter, withEventSourceDefaults } from "@sdp/contracts";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { startEventSourceMapping } from "../../../packages/local-runtime/src/event-source";
import {
  createStream,
  deleteStream,
  kinesisHandler,
  temporaryDirectory,
} from "../../../packages/local-runtime/src/event-source/test-helpers";
import { buildFileDeadLetterSink } from "../src/adapters/dead-letter-sinks";
import { kinesisConsumer } from "../src/adapters/kinesis-consumer";
import {
  buildKinesisStreamWriter,
  buildStreamContextUpdatePublisher,
} from "../src/adapters/kinesis-stream-writer";
import type { ConsumerDeps } from "../src/domain/consumer";
import { Devices } from "../src/domain/devices";
import type { ContextUpdatePublisher } from "../src/domain/ports";
import { ingestManifest } from "../src/manifest";
import { airQualityStation, crowdCounter, fakeIdentities, freshDestination } from "./support";

const kinesis = createKinesisClient();
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => kinesis.destroy());

/** Every record on every shard of a stream, oldest first per shard. */
async function readAll(streamName: string): Promise<_Record[]> {
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const records: _Record[] = [];
  for (const shard of Shards ?? []) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: "TRIM_HORIZON",
      }),
    );
    let iterator = ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      records.push(...(page.Records ?? []));
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return records;
}

const updatesOn = async (streamName: string) =>
  (await readAll(streamName)).map((record) => ({
    partitionKey: record.PartitionKey,
    update: ContextUpdate.parse(JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString("utf8"))),
  }));

const QueueLine = z.object({
  messageId: z.string(),
  body: IngestDeadLetter,
  attributes: z.record(z.string(), z.string()),
});

/** A destination with a crowd counter (UltraLight) and an air quality station (JSON), and the streams. */
async function prepare(
  options: { publisher?: (real: ContextUpdatePublisher) => ContextUpdatePublisher } = {},
) {
  const destination = await freshDestination();
  const { identity } = fakeIdentities();
  const counter = (await Devices.register({ ...destination, identity }, destination.tenant, crowdCounter()))
    .device;
  const station = (
    await Devices.register({ ...destination, identity }, destination.tenant, airQualityStation())
  ).device;
  const [ingest, updates] = [await createStream(kinesis), await createStream(kinesis, 2)];
  const dir = await temporaryDirectory();
  const queueUrl = pathToFileURL(join(dir.path, "dead-letters.jsonl")).href;
  const real = buildStreamContextUpdatePublisher(
    buildKinesisStreamWriter(kinesis, updates.name, { baseDelayMs: 10 }),
  );
  const deps: ConsumerDeps = {
    devices: destination.store,
    health: destination.health,
    commands: destination.commands,
    updates: options.publisher ? options.publisher(real) : real,
    deadLetters: buildFileDeadLetterSink(queueUrl),
  };
  const [declaration] = ingestManifest.streamConsumers;
  const mapping = startEventSourceMapping({
    name: `ingest-test-${crypto.randomUUID().slice(0, 6)}`,
    source: { kind: "kinesis", streamName: ingest.name },
    settings: { ...withEventSourceDefaults(declaration), maximumBatchingWindowSeconds: 0 },
    handler: kinesisHandler((event) => kinesisConsumer(deps)(event)),
    checkpointFile: join(dir.path, "checkpoint.json"),
    pollIntervalMs: 20,
    retryBackoffMs: { min: 20, max: 50 },
    clients: { kinesis },
  });
  cleanups.push(async () => {
    await mapping.stop();
    await Promise.all([deleteStream(kinesis, ingest.name), deleteStream(kinesis, updates.name)]);
    await dir.remove();
  });
  const key = (device: { thingName: string }) => `${destination.tenant}/${device.thingName}`;
  return {
    destination,
    counter,
    station,
    ingest,
    updates,
    mapping,
    key,
    /** Puts payloads in order, each with its partition key. */
    async publish(entries: ReadonlyArray<readonly [string, string]>) {
      const output = await kinesis.send(
        new PutRecordsCommand({
          StreamName: ingest.name,
          Records: entries.map(([partitionKey, payload]) => ({
            PartitionKey: partitionKey,
            Data: Buffer.from(payload),
          })),
        }),
      );
      expect(output.FailedRecordCount ?? 0).toBe(0);
    },
    deadLetters: () =>
      readFileSync(new URL(queueUrl), "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => QueueLine.parse(JSON.parse(line))),
  };
}

describe("the ingest stream consumer against kinesalite and DynamoDB Local", () => {
  it("turns UltraLight and JSON measurements into context updates partitioned by entity, and records health", async () => {
    // Prepare
    const subject = await prepare();
    // Act
    await subject.publish([
      [subject.key(subject.counter), "2024-07-01T10:00:00Z|c|42|b|0.91#2024-07-01T10:05:00Z|c|47"],
      [
        subject.key(subject.station),
        JSON.stringify({ pm10: 21.5, no2: 40, TimeInstant: "2024-07-01T10:00:00Z" }),
      ],
    ]);
    await subject.mapping.idle(20_000);
    // Assess
    const updates = await updatesOn(subject.updates.name);
    expect(updates).toHaveLength(3);
    const counterUpdates = updates.filter((entry) => entry.update.entityId === subject.counter.entityId);
    expect(counterUpdates.map((entry) => entry.update.attributes.peopleCount)).toEqual(
      expect.arrayContaining([
        { type: "Property", value: 42, observedAt: "2024-07-01T10:00:00.000Z", unitCode: "C62" },
        { type: "Property", value: 47, observedAt: "2024-07-01T10:05:00.000Z", unitCode: "C62" },
      ]),
    );
    expect(counterUpdates[0]?.partitionKey).toBe(`${subject.destination.tenant}/${subject.counter.entityId}`);
    const air = updates.find((entry) => entry.update.entityType === "AirQualityObserved")?.update;
    expect(air?.attributes).toEqual({
      pm10: { type: "Property", value: 21.5, observedAt: "2024-07-01T10:00:00.000Z", unitCode: "GQ" },
      no2: { type: "Property", value: 40, observedAt: "2024-07-01T10:00:00.000Z", unitCode: "GQ" },
    });
    const health = await subject.destination.health.get(subject.destination.tenant, subject.counter.deviceId);
    expect(health).toMatchObject({
      messageCount: 1,
      decodeErrorCount: 0,
      battery: 0.91,
      lastObservedAt: "2024-07-01T10:05:00.000Z",
    });
    expect(health?.lastSeenAt).toEqual(expect.any(String));
  }, 60_000);

  it("dead-letters malformed, unknown, foreign and oversized records with their reason, counts them, and keeps the shard moving", async () => {
    // Prepare
    const subject = await prepare();
    const tenant = subject.destination.tenant;
    // Act
    await subject.publish([
      [subject.key(subject.counter), "c|12|b"],
      [subject.key(subject.station), "not json"],
      [`${tenant}/${tenant}_ghost`, "c|1"],
      [`${tenant}/other-town_pc-1`, "c|1"],
      ["no-destination-here/no-destination-here_pc-1", "c|1"],
      [subject.key(subject.counter), `c|${"9".repeat(40_000)}`],
      ["garbage", "c|1"],
      [subject.key(subject.counter), "2024-07-01T10:00:00Z|c|5"],
    ]);
    await subject.mapping.idle(20_000);
    // Assess
    const letters = subject.deadLetters().map((line) => line.body);
    expect(letters.map((letter) => letter.reason)).toEqual([
      "malformed-payload",
      "malformed-payload",
      "unknown-device",
      "unknown-device",
      "unknown-destination",
      "oversized",
      "invalid-partition-key",
    ]);
    expect(letters[0]).toMatchObject({
      kind: "ingest-record",
      stream: subject.ingest.name,
      tenant,
      deviceId: subject.counter.deviceId,
      partitionKey: subject.key(subject.counter),
      data: Buffer.from("c|12|b").toString("base64"),
      detail: expect.stringMatching(/odd number of fields/),
    });
    expect(subject.deadLetters()[0]?.attributes).toEqual({ reason: "malformed-payload" });
    expect(
      (await updatesOn(subject.updates.name)).map((entry) => entry.update.attributes.peopleCount),
    ).toEqual([{ type: "Property", value: 5, observedAt: "2024-07-01T10:00:00.000Z", unitCode: "C62" }]);
    expect(await subject.destination.health.deadLetterCounts(tenant)).toEqual({
      "malformed-payload": 2,
      "unknown-device": 2,
      oversized: 1,
    });
    expect(await subject.destination.health.get(tenant, subject.counter.deviceId)).toMatchObject({
      messageCount: 3,
      decodeErrorCount: 2,
    });
    expect(subject.mapping.stats()).toMatchObject({
      recordsFailed: 0,
      batchesDeadLettered: 0,
      recordsProcessed: 8,
    });
  }, 60_000);

  it("reports the records whose updates could not be published, and the retry yields the same update ids", async () => {
    // Prepare
    let refusals = 1;
    const subject = await prepare({
      publisher: (real) => ({
        async publish(updates) {
          // The broker's stream refuses the second update once (e.g. throughput exceeded).
          if (refusals > 0 && updates.length > 1) {
            refusals -= 1;
            const result = await real.publish(updates);
            return { failed: new Set([...result.failed, 1]) };
          }
          return real.publish(updates);
        },
      }),
    });
    // Act
    await subject.publish([
      [subject.key(subject.counter), "2024-07-01T10:00:00Z|c|1"],
      [subject.key(subject.counter), "2024-07-01T10:01:00Z|c|2"],
      [subject.key(subject.counter), "2024-07-01T10:02:00Z|c|3"],
    ]);
    await subject.mapping.idle(20_000);
    // Assess
    const updates = (await updatesOn(subject.updates.name)).map((entry) => entry.update);
    const distinct = new Map(updates.map((update) => [update.updateId, update.attributes.peopleCount]));
    expect(refusals).toBe(0);
    expect(distinct.size).toBe(3);
    expect(updates.length).toBeGreaterThan(3);
    expect(subject.mapping.stats()).toMatchObject({ recordsFailed: 0, recordsProcessed: 3 });
  }, 60_000);

  it("gives redelivered records the same update ids, with or without a device timestamp", async () => {
    // Prepare
    const subject = await prepare();
    await subject.publish([
      [subject.key(subject.counter), "2024-07-01T10:00:00Z|c|1"],
      [subject.key(subject.counter), "c|2"],
    ]);
    await subject.mapping.idle(20_000);
    const first = (await updatesOn(subject.updates.name)).map((entry) => entry.update.updateId).sort();
    // Act: a second consumer with no checkpoint reads the same records again.
    const dir = await temporaryDirectory();
    const deps = {
      devices: subject.destination.store,
      health: subject.destination.health,
      commands: subject.destination.commands,
      updates: buildStreamContextUpdatePublisher(buildKinesisStreamWriter(kinesis, subject.updates.name)),
      deadLetters: buildFileDeadLetterSink(pathToFileURL(join(dir.path, "dlq.jsonl")).href),
    };
    const again = startEventSourceMapping({
      name: "ingest-redelivery",
      source: { kind: "kinesis", streamName: subject.ingest.name },
      settings: withEventSourceDefaults(ingestManifest.streamConsumers[0]),
      handler: kinesisHandler((event) => kinesisConsumer(deps)(event)),
      checkpointFile: join(dir.path, "checkpoint.json"),
      pollIntervalMs: 20,
      clients: { kinesis },
    });
    await again.idle(20_000);
    await again.stop();
    await dir.remove();
    // Assess
    const all = (await updatesOn(subject.updates.name)).map((entry) => entry.update.updateId);
    expect(all).toHaveLength(4);
    expect([...new Set(all)].sort()).toEqual(first);
  }, 60_000);

  it("records a command acknowledgement", async () => {
    // Prepare
    const subject = await prepare();
    const tenant = subject.destination.tenant;
    const commandId = "01J2Z3Y4X5W6V7T8S9R0QPNMKJ";
    await subject.destination.commands.insert(tenant, {
      commandId,
      deviceId: subject.counter.deviceId,
      command: "reset",
      status: "sent",
      topic: `cmd/${tenant}/${subject.counter.thingName}/${commandId}`,
      createdAt: new Date().toISOString(),
    });
    // Act
    await subject.publish([
      [`${subject.key(subject.counter)}/ack/${commandId}`, `${subject.counter.deviceId}@reset|OK`],
    ]);
    await subject.mapping.idle(20_000);
    // Assess
    expect(await subject.destination.commands.get(tenant, subject.counter.deviceId, commandId)).toMatchObject(
      {
        status: "acknowledged",
        result: "OK",
        acknowledgedAt: expect.any(String),
      },
    );
  }, 60_000);
});
