import { createDocumentClient } from "@sdp/aws";
import { describe, expect, it } from "vitest";
import { buildDynamoDbEntityStore } from "../src/adapters/dynamodb-entity-store";
import type { Attribute, Entity } from "../src/domain/model";
import { buildDynamoDbHistoryStore } from "../src/temporal/adapters/dynamodb-history-store";
import { changeRecordsOf } from "../src/temporal/adapters/entity-stream";
import { valueInstance } from "../src/temporal/domain/instances";
import type { SeriesRead } from "../src/temporal/domain/model";
import { recordChanges } from "../src/temporal/domain/recorder";
import { inTenant, TEST_STAGE, uniqueId } from "./support";
import { freshDestination, memorySink, streamRecords, temporalTestDeps } from "./temporal-support";

const TEMPERATURE = "https://example.org/temperature";
const TYPE = "https://example.org/Sensor";
const client = createDocumentClient();

const at = (minute: number) => `2024-05-01T10:${String(minute).padStart(2, "0")}:00.000Z`;
const reading = (value: number, observedAt: string): Attribute => ({
  type: "Property",
  value,
  observedAt,
  createdAt: observedAt,
  modifiedAt: observedAt,
});
const all: SeriesRead = { property: "observedAt", window: {}, limit: 1000 };

async function historyWith(values: number[], options: { retentionDays?: number; now?: () => Date } = {}) {
  const { history, slug, entities } = await freshDestination();
  const store = buildDynamoDbHistoryStore(client, history, {
    retentionDays: options.retentionDays ?? 36_500,
    ...options,
  });
  const id = uniqueId("Sensor");
  const series = { entityId: id, attr: TEMPERATURE };
  const instances = values.map((value, minute) =>
    valueInstance(series, reading(value, at(minute)), at(minute)),
  );
  await store.record({
    entityId: id,
    instances,
    series: [series],
    head: { kind: "present", types: [TYPE], createdAt: at(0), at: at(0) },
  });
  return { store, series, id, instances, slug, entities, table: history };
}

describe("the DynamoDB history store", () => {
  it("reads one series over a time range with a single key condition: before, after, between", async () => {
    // Prepare
    const { store, series } = await historyWith([10, 11, 12, 13, 14]);
    // Act
    const before = await store.read(series, { ...all, window: { before: at(2) } });
    const after = await store.read(series, { ...all, window: { from: { time: at(2), inclusive: false } } });
    const between = await store.read(series, {
      ...all,
      window: { from: { time: at(1), inclusive: true }, before: at(3) },
    });
    // Assess
    const values = (page: typeof before) =>
      page.instances.map((i) =>
        i.content.kind === "value" && i.content.attribute.type === "Property"
          ? i.content.attribute.value
          : null,
      );
    expect(values(before)).toEqual([10, 11]);
    expect(values(after)).toEqual([13, 14]);
    expect(values(between)).toEqual([11, 12]);
  });

  it("returns the last N instances oldest first, and reports truncation past the limit", async () => {
    // Prepare
    const { store, series, instances } = await historyWith([1, 2, 3, 4, 5, 6]);
    // Act
    const last = await store.read(series, { ...all, lastN: 2 });
    const limited = await store.read(series, { ...all, limit: 4 });
    // Assess
    expect(last.instances.map((i) => i.instanceId)).toEqual(instances.slice(4).map((i) => i.instanceId));
    expect(limited.truncated).toBe(true);
    expect(limited.instances).toHaveLength(4);
  });

  it("filters by createdAt when asked for another time property", async () => {
    // Prepare
    const { store, series } = await historyWith([1, 2, 3]);
    // Act
    const page = await store.read(series, {
      property: "createdAt",
      window: { from: { time: at(1), inclusive: true } },
      limit: 1000,
    });
    // Assess
    expect(page.instances.map((i) => i.createdAt)).toEqual([at(1), at(2)]);
  });

  it("knows the entity's head and series, finds, replaces and removes an instance", async () => {
    // Prepare
    const { store, series, id, instances } = await historyWith([7, 8]);
    const target = instances[1];
    if (!target) throw new Error("no instance");
    // Act
    const head = await store.head(id);
    const found = await store.instance(id, TEMPERATURE, target.instanceId);
    await store.replace({ ...target, modifiedAt: at(30) });
    const replaced = await store.instance(id, TEMPERATURE, target.instanceId);
    await store.removeInstance(target);
    const gone = await store.instance(id, TEMPERATURE, target.instanceId);
    // Assess
    expect(head).toMatchObject({ entityId: id, types: [TYPE], createdAt: at(0), series: [series] });
    expect(found?.instanceId).toBe(target.instanceId);
    expect(replaced?.modifiedAt).toBe(at(30));
    expect(gone).toBeUndefined();
    expect((await store.read(series, all)).instances).toHaveLength(1);
  });

  it("adds an instance only once: adding it again changes nothing", async () => {
    // Prepare
    const { store, series, id } = await historyWith([]);
    const late = valueInstance(series, reading(5, at(40)), "2024-05-01T11:00:00.000Z");
    // Act
    await store.add(id, [TYPE], [late]);
    await store.add(id, [TYPE], [{ ...late, createdAt: "2030-01-01T00:00:00.000Z" }]);
    const page = await store.read(series, all);
    // Assess
    expect(page.instances).toHaveLength(1);
    expect(page.instances[0]?.createdAt).toBe("2024-05-01T11:00:00.000Z");
  });

  it("never returns instances past the retention, even before TTL removes them", async () => {
    // Prepare
    const { table, series } = await historyWith([1, 2], { retentionDays: 1 });
    const later = buildDynamoDbHistoryStore(client, table, {
      retentionDays: 1,
      now: () => new Date("2024-05-02T10:00:30.000Z"),
    });
    // Act
    const page = await later.read(series, all);
    // Assess
    expect(page.instances.map((i) => i.time)).toEqual([at(1)]);
  });

  it("removes everything of an entity, and then knows nothing of it", async () => {
    // Prepare
    const { store, series, id } = await historyWith([1, 2, 3]);
    // Act
    const removed = await store.removeEntity(id);
    const again = await store.removeEntity(id);
    // Assess
    expect(removed).toBe(true);
    expect(again).toBe(false);
    expect(await store.head(id)).toBeUndefined();
    expect((await store.read(series, all)).instances).toEqual([]);
  });
});

describe("the history recorder on the entities table's real stream", () => {
  it("records creation, changes, attribute deletion and entity deletion, and a redelivery changes nothing", async () => {
    // Prepare
    const { slug, entities } = await freshDestination();
    const deps = { history: temporalTestDeps().history, deadLetters: memorySink() };
    const store = buildDynamoDbEntityStore(client, entities);
    const id = uniqueId("Sensor");
    const base: Entity = {
      id,
      types: [TYPE],
      createdAt: at(0),
      modifiedAt: at(0),
      attrs: { [TEMPERATURE]: [reading(20, at(0))] },
    };
    await store.create(base);
    let stored = await store.get(id);
    await store.update(
      { ...base, modifiedAt: at(1), attrs: { [TEMPERATURE]: [reading(21, at(1))] } },
      stored?.revision ?? { version: 0, indexItems: [] },
    );
    stored = await store.get(id);
    await store.update(
      { ...base, modifiedAt: at(2), attrs: {} },
      stored?.revision ?? { version: 0, indexItems: [] },
    );
    stored = await store.get(id);
    await store.delete(id, stored?.revision ?? { version: 0, indexItems: [] });
    const records = await streamRecords(entities);
    // Act
    const failed = await recordChanges(deps, changeRecordsOf(records, TEST_STAGE));
    const redelivered = await recordChanges(deps, changeRecordsOf(records, TEST_STAGE));
    const { head, page } = await inTenant(slug, async () => {
      const history = deps.history();
      return {
        head: await history.head(id),
        page: await history.read({ entityId: id, attr: TEMPERATURE }, all),
      };
    });
    // Assess
    expect(failed).toEqual([]);
    expect(redelivered).toEqual([]);
    expect(page.instances.map((i) => [i.time, i.content.kind])).toEqual([
      [at(0), "value"],
      [at(1), "value"],
      [at(2), "deleted"],
    ]);
    expect(head?.types).toEqual([TYPE]);
    expect(head?.deletedAt).toBeDefined();
    expect(deps.deadLetters.letters).toEqual([]);
  });

  it("dead-letters a change it cannot read, without holding back the others", async () => {
    // Prepare
    const deps = { history: temporalTestDeps().history, deadLetters: memorySink() };
    const records = changeRecordsOf(
      [
        {
          eventSourceARN: "arn:aws:dynamodb:eu-west-1:1:table/not-a-context-table/stream/x",
          dynamodb: { SequenceNumber: "1", Keys: { pk: { S: "urn:x:1" }, sk: { S: "@" } } },
        },
        {
          eventSourceARN: `arn:aws:dynamodb:eu-west-1:1:table/sdp-${TEST_STAGE}-villamar-context-entities/stream/x`,
          dynamodb: {
            SequenceNumber: "2",
            Keys: { pk: { S: "urn:x:1" }, sk: { S: "@" } },
            NewImage: { pk: { S: "urn:x:1" }, sk: { S: "@" }, v: { N: "1" }, doc: { S: "{not json" } },
          },
        },
        { dynamodb: { SequenceNumber: "3", Keys: { pk: { S: "#types" }, sk: { S: TYPE } } } },
      ],
      TEST_STAGE,
    );
    // Act
    const failed = await recordChanges(deps, records);
    // Assess
    expect(failed).toEqual([]);
    expect(records[2]?.kind).toBe("ignored");
    expect(deps.deadLetters.letters.map((l) => [l.kind, l.reason, l.sequenceNumber])).toEqual([
      ["entity-change", "unknown-destination", "1"],
      ["entity-change", "invalid-change", "2"],
    ]);
  });
});
