import { createDocumentClient, createDynamoDbClient, ensureTable } from "@sdp/aws";
import { destinationTemplate, platformTables, tableName } from "@sdp/contracts";
import { beforeAll, describe, expect, it } from "vitest";
import { bundledContextLoader } from "../src/adapters/bundled-contexts";
import { contextCache } from "../src/domain/contexts";
import type { ActiveContext } from "../src/domain/jsonld";
import { NonexistentTenantError } from "../src/domain/ports";
import { CONTEXT_SERVICE, SUBSCRIPTION_TIMERS_TABLE, SUBSCRIPTIONS_TABLE } from "../src/keys";
import { contextManifest } from "../src/manifest";
import { buildDynamoDbSubscriptionStore } from "../src/subscriptions/adapters/dynamodb-subscription-store";
import { buildDynamoDbTimerStore } from "../src/subscriptions/adapters/dynamodb-timer-store";
import type { Subscription } from "../src/subscriptions/model";
import { parseSubscription, patchSubscription } from "../src/subscriptions/parse";
import { SubscriptionChangedError, SubscriptionExistsError } from "../src/subscriptions/ports";
import { TEST_STAGE, uniqueSlug } from "./support";

const VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/";
const NOW = "2025-06-01T10:00:00.000Z";
const client = createDocumentClient();
let ctx: ActiveContext;

const subscriptionsSpec = destinationTemplate([contextManifest]).tables.find(
  (t) => t.purpose === SUBSCRIPTIONS_TABLE,
);
const timersSpec = platformTables([contextManifest]).find((t) => t.purpose === SUBSCRIPTION_TIMERS_TABLE);

/** A destination's subscriptions table, created from the manifest's declaration as the provisioner does. */
async function freshStore() {
  if (!subscriptionsSpec) throw new Error("the manifest declares no subscriptions table");
  const table = tableName(TEST_STAGE, uniqueSlug(), CONTEXT_SERVICE, SUBSCRIPTIONS_TABLE);
  await ensureTable(createDynamoDbClient(), table, subscriptionsSpec);
  return buildDynamoDbSubscriptionStore(client, table);
}

function subscription(
  body: Record<string, unknown>,
  id = `urn:ngsi-ld:Subscription:${crypto.randomUUID()}`,
): Subscription {
  return parseSubscription(
    { id, type: "Subscription", notification: { endpoint: { uri: "http://127.0.0.1:4100/n" } }, ...body },
    { ctx, contextRef: undefined, tenant: "villamar", network: "private-allowed", now: NOW },
    () => crypto.randomUUID(),
  );
}

beforeAll(async () => {
  ctx = await contextCache(bundledContextLoader).resolve("villamar", undefined);
});

describe("the DynamoDB subscription store", () => {
  it("creates, reads and refuses a taken id", async () => {
    // Prepare
    const store = await freshStore();
    const s = subscription({ entities: [{ type: "Beach" }], q: "temperature>25" });
    // Act
    await store.create(s);
    const read = await store.get(s.id);
    const again = store.create(s);
    // Assess
    expect(read).toEqual({ subscription: s, status: { timesSent: 0, timesFailed: 0 }, revision: 1 });
    await expect(again).rejects.toBeInstanceOf(SubscriptionExistsError);
    expect(await store.get("urn:ngsi-ld:Subscription:none")).toBeUndefined();
  });

  it("keeps a notification's pick and omit", async () => {
    // Prepare
    const store = await freshStore();
    const picking = subscription({
      entities: [{ type: "Beach" }],
      notification: { endpoint: { uri: "http://127.0.0.1:4100/n" }, pick: ["id", "temperature"] },
    });
    const omitting = subscription({
      entities: [{ type: "Beach" }],
      notification: { endpoint: { uri: "http://127.0.0.1:4100/n" }, omit: ["type"] },
    });
    // Act
    await Promise.all([picking, omitting].map((s) => store.create(s)));
    const [readPicking, readOmitting] = await Promise.all([store.get(picking.id), store.get(omitting.id)]);
    // Assess
    expect(readPicking?.subscription.notification.pick).toEqual(["id", `${VOCAB}temperature`]);
    expect(readOmitting?.subscription.notification.omit).toEqual(["type"]);
  });

  it("finds candidates by the entity's types, and those naming no type, without a scan", async () => {
    // Prepare
    const store = await freshStore();
    const beaches = subscription({ entities: [{ type: "Beach" }] });
    const museums = subscription({ entities: [{ type: "Museum,Monument" }] });
    const anything = subscription({ watchedAttributes: ["temperature"] });
    await Promise.all([beaches, museums, anything].map((s) => store.create(s)));
    // Act
    const forBeach = await store.candidates([`${VOCAB}Beach`]);
    const forMonument = await store.candidates([`${VOCAB}Monument`, `${VOCAB}Other`]);
    // Assess
    expect(forBeach.map((c) => c.subscription.id).sort()).toEqual([beaches.id, anything.id].sort());
    expect(forMonument.map((c) => c.subscription.id).sort()).toEqual([museums.id, anything.id].sort());
  });

  it("updates conditionally, moving its index items and keeping the delivery status", async () => {
    // Prepare
    const store = await freshStore();
    const s = subscription({ entities: [{ type: "Beach" }] });
    await store.create(s);
    await store.record(s.id, { at: NOW, ok: true });
    const next = patchSubscription(
      s,
      { entities: [{ type: "Museum" }] },
      {
        ctx,
        contextRef: undefined,
        tenant: "villamar",
        network: "private-allowed",
        now: "2025-06-01T11:00:00.000Z",
      },
    );
    // Act
    await store.update(next, 1);
    const stale = store.update(next, 1);
    // Assess
    await expect(stale).rejects.toBeInstanceOf(SubscriptionChangedError);
    expect(await store.get(s.id)).toMatchObject({
      subscription: { entities: [{ type: { kind: "type", name: `${VOCAB}Museum` } }] },
      status: { timesSent: 1, timesFailed: 0, status: "ok", lastSuccess: NOW },
      revision: 2,
    });
    expect(await store.candidates([`${VOCAB}Beach`])).toEqual([]);
    expect((await store.candidates([`${VOCAB}Museum`])).map((c) => c.subscription.id)).toEqual([s.id]);
  });

  it("lists in id order, a page at a time, with a count", async () => {
    // Prepare
    const store = await freshStore();
    const ids = ["a", "b", "c", "d", "e"].map((x) => `urn:ngsi-ld:Subscription:${x}`);
    for (const id of [...ids].reverse())
      await store.create(subscription({ entities: [{ type: "Beach" }] }, id));
    // Act
    const first = await store.list({ limit: 2, offset: 0, count: true });
    const last = await store.list({ limit: 2, offset: 4, count: false });
    // Assess
    expect(first.items.map((i) => i.subscription.id)).toEqual(ids.slice(0, 2));
    expect(first).toMatchObject({ more: true, count: 5 });
    expect(last.items.map((i) => i.subscription.id)).toEqual(ids.slice(4));
    expect(last.more).toBe(false);
  });

  it("deletes with its index items", async () => {
    // Prepare
    const store = await freshStore();
    const s = subscription({ entities: [{ type: "Beach" }] });
    await store.create(s);
    // Act
    const deleted = await store.delete(s.id);
    const again = await store.delete(s.id);
    // Assess
    expect([deleted, again]).toEqual([true, false]);
    expect(await store.candidates([`${VOCAB}Beach`])).toEqual([]);
    expect((await store.list({ limit: 10, offset: 0, count: true })).count).toBe(0);
  });

  it("takes a throttling slot atomically: one of two concurrent notifiers wins", async () => {
    // Prepare
    const store = await freshStore();
    const s = subscription({ entities: [{ type: "Beach" }], throttling: 10 });
    await store.create(s);
    // Act
    const both = await Promise.all([
      store.reserve(s.id, NOW, "2025-06-01T09:59:50.000Z"),
      store.reserve(s.id, NOW, "2025-06-01T09:59:50.000Z"),
    ]);
    const tooSoon = await store.reserve(s.id, "2025-06-01T10:00:05.000Z", "2025-06-01T09:59:55.000Z");
    const later = await store.reserve(s.id, "2025-06-01T10:00:10.000Z", NOW);
    // Assess
    expect(both.filter(Boolean)).toHaveLength(1);
    expect([tooSoon, later]).toEqual([false, true]);
  });

  it("records deliveries atomically and leaves deleted subscriptions alone", async () => {
    // Prepare
    const store = await freshStore();
    const s = subscription({ entities: [{ type: "Beach" }] });
    await store.create(s);
    // Act
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.record(s.id, { at: NOW, ok: i % 2 === 0 })));
    await store.record("urn:ngsi-ld:Subscription:gone", { at: NOW, ok: false });
    // Assess
    expect((await store.get(s.id))?.status).toMatchObject({ timesSent: 10, timesFailed: 5 });
    expect(await store.get("urn:ngsi-ld:Subscription:gone")).toBeUndefined();
  });

  it("names a missing table as a destination without context data", async () => {
    // Prepare
    const store = buildDynamoDbSubscriptionStore(
      client,
      tableName(TEST_STAGE, uniqueSlug(), CONTEXT_SERVICE, SUBSCRIPTIONS_TABLE),
    );
    // Act
    const attempt = store.get("urn:ngsi-ld:Subscription:x");
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(NonexistentTenantError);
  });
});

describe("the DynamoDB timer store", () => {
  it("lists due timers and lets one runner advance each", async () => {
    // Prepare
    if (!timersSpec) throw new Error("the manifest declares no timer table");
    const table = `sdp-${TEST_STAGE}-${uniqueSlug()}-timers`;
    await ensureTable(createDynamoDbClient(), table, timersSpec);
    const timers = buildDynamoDbTimerStore(client, table);
    await timers.set("villamar", "urn:ngsi-ld:Subscription:due", "2025-06-01T09:59:00.000Z");
    await timers.set("villamar", "urn:ngsi-ld:Subscription:later", "2025-06-01T10:05:00.000Z");
    // Act
    const due = [];
    for await (const timer of timers.due(NOW)) due.push(timer);
    const [timer] = due;
    if (!timer) throw new Error("nothing due");
    const runs = await Promise.all([
      timers.advance(timer, "2025-06-01T10:01:00.000Z"),
      timers.advance(timer, "2025-06-01T10:01:00.000Z"),
    ]);
    await timers.remove("villamar", "urn:ngsi-ld:Subscription:later");
    const after = [];
    for await (const t of timers.due("2025-06-01T11:00:00.000Z")) after.push(t.subscriptionId);
    // Assess
    expect(due).toEqual([
      { tenant: "villamar", subscriptionId: "urn:ngsi-ld:Subscription:due", due: "2025-06-01T09:59:00.000Z" },
    ]);
    expect(runs.filter(Boolean)).toHaveLength(1);
    expect(after).toEqual(["urn:ngsi-ld:Subscription:due"]);
  });
});
