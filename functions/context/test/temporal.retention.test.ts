import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient, createDynamoDbClient, ensureTable } from "@sdp/aws";
import { TenantRegistry } from "@sdp/contracts";
import { describe, expect, it } from "vitest";
import { buildDynamoDbEntityStore } from "../src/adapters/dynamodb-entity-store";
import type { Attribute, Entity } from "../src/domain/model";
import { buildDynamoDbHistoryStore, seriesKey } from "../src/temporal/adapters/dynamodb-history-store";
import { buildDynamoDbRetentionSettings } from "../src/temporal/adapters/dynamodb-retention-settings";
import { changeRecordsOf } from "../src/temporal/adapters/entity-stream";
import { valueInstance } from "../src/temporal/domain/instances";
import type { SeriesRead } from "../src/temporal/domain/model";
import type { RetentionSettings } from "../src/temporal/domain/ports";
import { recordChanges } from "../src/temporal/domain/recorder";
import { cachedRetention } from "../src/temporal/domain/retention";
import { TEST_STAGE, uniqueId, uniqueSlug } from "./support";
import { freshDestination, memorySink, streamRecords } from "./temporal-support";

const TEMPERATURE = "https://example.org/temperature";
const TYPE = "https://example.org/Sensor";
const DAY = 86_400_000;
const client = createDocumentClient();
const all: SeriesRead = { property: "observedAt", window: {}, limit: 1000 };

/** A settings source that answers from a map, counts its reads, and can be made to fail. */
function countingSettings(values: Record<string, number | undefined>) {
  const source: RetentionSettings & { reads: number; failing: boolean } = {
    reads: 0,
    failing: false,
    async historyRetentionDays(tenant: string) {
      source.reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (source.failing) throw new Error("registry unavailable");
      return values[tenant];
    },
  };
  return source;
}

/** A registry table shaped as the tenants service declares it (pk/sk), under a unique name. */
async function freshRegistry() {
  const table = `registry-${crypto.randomUUID()}`;
  await ensureTable(createDynamoDbClient(), table, {
    service: TenantRegistry.service,
    purpose: TenantRegistry.purpose,
    partitionKey: { name: TenantRegistry.pk, type: "S" },
    sortKey: { name: TenantRegistry.sk, type: "S" },
  });
  return table;
}

const profileKey = (slug: string) => ({
  [TenantRegistry.pk]: TenantRegistry.tenantPk(slug),
  [TenantRegistry.sk]: TenantRegistry.profileSk,
});

/** What the tenants service writes for a destination: its profile, with settings when given. */
async function registerDestination(table: string, slug: string, settings?: Record<string, unknown>) {
  await client.send(
    new PutCommand({
      TableName: table,
      Item: {
        ...profileKey(slug),
        [TenantRegistry.kind]: "tenant",
        slug,
        status: "active",
        ...(settings ? { settings } : {}),
      },
    }),
  );
}

async function setRetention(table: string, slug: string, days: number) {
  await client.send(
    new UpdateCommand({
      TableName: table,
      Key: profileKey(slug),
      UpdateExpression: "SET #settings = :settings",
      ExpressionAttributeNames: { "#settings": "settings" },
      ExpressionAttributeValues: { ":settings": { historyRetentionDays: days } },
    }),
  );
}

const reading = (value: number, observedAt: string): Attribute => ({
  type: "Property",
  value,
  observedAt,
  createdAt: observedAt,
  modifiedAt: observedAt,
});
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const epoch = (time: string) => Math.floor(Date.parse(time) / 1000);

describe("the retention that applies to a destination", () => {
  it("is its own setting, else the deployment's default", async () => {
    // Prepare
    const policy = cachedRetention(countingSettings({ villamar: 30 }), { defaultDays: 730 });
    // Act
    const own = await policy.days("villamar");
    const fallback = await policy.days("elsewhere");
    // Assess
    expect(own).toBe(30);
    expect(fallback).toBe(730);
  });

  it("is read once per destination and minute, and once for concurrent first askers", async () => {
    // Prepare
    let clock = 0;
    const values: Record<string, number> = { villamar: 30 };
    const settings = countingSettings(values);
    const policy = cachedRetention(settings, { defaultDays: 730, ttlMs: 60_000, now: () => clock });
    // Act
    const first = await Promise.all(Array.from({ length: 20 }, () => policy.days("villamar")));
    values.villamar = 7;
    clock = 59_999;
    const cached = await policy.days("villamar");
    const readsWithinTheMinute = settings.reads;
    clock = 60_000;
    const refreshed = await policy.days("villamar");
    // Assess
    expect(first).toEqual(Array.from({ length: 20 }, () => 30));
    expect(readsWithinTheMinute).toBe(1);
    expect(cached).toBe(30);
    expect(refreshed).toBe(7);
    expect(settings.reads).toBe(2);
  });

  it("keeps the last known value when the registry cannot be read, and fails when it knows none", async () => {
    // Prepare
    let clock = 0;
    const settings = countingSettings({ villamar: 30 });
    const policy = cachedRetention(settings, { defaultDays: 730, ttlMs: 60_000, now: () => clock });
    await policy.days("villamar");
    settings.failing = true;
    clock = 120_000;
    // Act
    const stale = await policy.days("villamar");
    const unknown = policy.days("elsewhere");
    // Assess
    expect(stale).toBe(30);
    await expect(unknown).rejects.toThrow("registry unavailable");
  });

  it("is read from the registry's profile item: the setting, none, no record, or a value the contract refuses", async () => {
    // Prepare
    const table = await freshRegistry();
    const [own, none, broken] = [uniqueSlug(), uniqueSlug(), uniqueSlug()];
    await registerDestination(table, own, { historyRetentionDays: 45 });
    await registerDestination(table, none);
    await registerDestination(table, broken, { historyRetentionDays: "forever" });
    const settings = buildDynamoDbRetentionSettings(client, table);
    // Act
    const answers = await Promise.all(
      [own, none, broken, uniqueSlug()].map((slug) => settings.historyRetentionDays(slug)),
    );
    // Assess
    expect(answers).toEqual([45, undefined, undefined, undefined]);
  });
});

describe("the history under a destination's retention", () => {
  it("is recorded from the real entities stream with expiresAt = time + the destination's retention", async () => {
    // Prepare
    const registry = await freshRegistry();
    const { slug, entities, history } = await freshDestination();
    await registerDestination(registry, slug, { historyRetentionDays: 10 });
    const policy = cachedRetention(buildDynamoDbRetentionSettings(client, registry), { defaultDays: 730 });
    const deps = {
      history: () => buildDynamoDbHistoryStore(client, history, { retentionDays: () => policy.days(slug) }),
      deadLetters: memorySink(),
    };
    const id = uniqueId("Sensor");
    const observedAt = ago(60_000);
    const entity: Entity = {
      id,
      types: [TYPE],
      createdAt: observedAt,
      modifiedAt: observedAt,
      attrs: { [TEMPERATURE]: [reading(21, observedAt)] },
    };
    await buildDynamoDbEntityStore(client, entities).create(entity);
    const records = changeRecordsOf(await streamRecords(entities), TEST_STAGE);
    // Act
    const failed = await recordChanges(deps, records);
    const page = await deps.history().read({ entityId: id, attr: TEMPERATURE }, all);
    // Assess
    expect(failed).toEqual([]);
    const [instance] = page.instances;
    if (!instance) throw new Error("nothing recorded");
    const { Item } = await client.send(
      new GetCommand({
        TableName: history,
        Key: { pk: seriesKey(instance), sk: `${instance.time}#${instance.instanceId.slice(-24)}` },
      }),
    );
    expect(Item?.expiresAt).toBe(epoch(observedAt) + 10 * 86_400);
  });

  it("hides instances older than a shortened retention at once, for every time property", async () => {
    // Prepare
    const registry = await freshRegistry();
    const { slug, history } = await freshDestination();
    await registerDestination(registry, slug, { historyRetentionDays: 30 });
    const policy = () =>
      cachedRetention(buildDynamoDbRetentionSettings(client, registry), { defaultDays: 730, ttlMs: 0 });
    const storeOf = (retention = policy()) =>
      buildDynamoDbHistoryStore(client, history, { retentionDays: () => retention.days(slug) });
    const id = uniqueId("Sensor");
    const series = { entityId: id, attr: TEMPERATURE };
    const [old, recent] = [ago(5 * DAY), ago(3_600_000)].map((time, index) =>
      valueInstance(series, reading(index, time), time),
    );
    if (!old || !recent) throw new Error("no instances");
    await storeOf().add(id, [TYPE], [old, recent]);
    const before = await storeOf().read(series, all);
    // Act
    await setRetention(registry, slug, 2);
    const shortened = storeOf();
    const byObservedAt = await shortened.read(series, all);
    const lastOne = await shortened.read(series, { ...all, lastN: 5 });
    const byCreatedAt = await shortened.read(series, { property: "createdAt", window: {}, limit: 1000 });
    const oldById = await shortened.instance(id, TEMPERATURE, old.instanceId);
    // Assess
    expect(before.instances.map((i) => i.time)).toEqual([old.time, recent.time]);
    expect(byObservedAt.instances.map((i) => i.time)).toEqual([recent.time]);
    expect(lastOne.instances.map((i) => i.time)).toEqual([recent.time]);
    expect(byCreatedAt.instances.map((i) => i.time)).toEqual([recent.time]);
    expect(oldById).toBeUndefined();
  });

  it("keeps what was written under a shorter retention expiring then, even when it is lengthened", async () => {
    // Prepare
    const registry = await freshRegistry();
    const { slug, history } = await freshDestination();
    await registerDestination(registry, slug, { historyRetentionDays: 2 });
    const storeOf = () => {
      const retention = cachedRetention(buildDynamoDbRetentionSettings(client, registry), {
        defaultDays: 730,
        ttlMs: 0,
      });
      return buildDynamoDbHistoryStore(client, history, { retentionDays: () => retention.days(slug) });
    };
    const id = uniqueId("Sensor");
    const series = { entityId: id, attr: TEMPERATURE };
    const expiredThen = valueInstance(series, reading(1, ago(3 * DAY)), ago(3 * DAY));
    await storeOf().add(id, [TYPE], [expiredThen]);
    // Act
    await setRetention(registry, slug, 30);
    const lengthened = storeOf();
    const page = await lengthened.read(series, all);
    const newer = valueInstance(series, reading(2, ago(DAY)), ago(DAY));
    await lengthened.add(id, [TYPE], [newer]);
    const { Item } = await client.send(
      new GetCommand({
        TableName: history,
        Key: { pk: seriesKey(newer), sk: `${newer.time}#${newer.instanceId.slice(-24)}` },
      }),
    );
    // Assess
    expect(page.instances).toEqual([]);
    expect(Item?.expiresAt).toBe(epoch(newer.time) + 30 * 86_400);
    expect((await lengthened.read(series, all)).instances.map((i) => i.time)).toEqual([newer.time]);
  });

  it("answers an empty page, without a failing key condition, for a window that lies wholly before the retention", async () => {
    // Prepare
    const { history } = await freshDestination();
    const store = buildDynamoDbHistoryStore(client, history, { retentionDays: 1 });
    const id = uniqueId("Sensor");
    const series = { entityId: id, attr: TEMPERATURE };
    await store.add(id, [TYPE], [valueInstance(series, reading(1, ago(3_600_000)), ago(3_600_000))]);
    // Act
    const page = await store.read(series, {
      ...all,
      window: { from: { time: ago(10 * DAY), inclusive: true }, before: ago(5 * DAY) },
    });
    // Assess
    expect(page).toEqual({ instances: [], truncated: false });
  });
});
