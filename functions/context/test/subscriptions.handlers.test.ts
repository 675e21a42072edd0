import { marshall } from "@aws-sdk/util-dynamodb";
import { createDocumentClient, createDynamoDbClient, ensureTable } from "@sdp/aws";
import { destinationTemplate, platformTables, tableName } from "@sdp/contracts";
import { Scope } from "@sdp/kernel";
import type { Context, DynamoDBRecord } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { bundledContextLoader } from "../src/adapters/bundled-contexts";
import { contextCache } from "../src/domain/contexts";
import type { Entity } from "../src/domain/model";
import { buildHandler as createEntity } from "../src/handlers/createEntity";
import { buildHandler as createSubscription } from "../src/handlers/createSubscription";
import { buildHandler as deleteSubscription } from "../src/handlers/deleteSubscription";
import { buildHandler as notifyPeriodic } from "../src/handlers/notifyPeriodicSubscriptions";
import { buildHandler as notifySubscriptions } from "../src/handlers/notifySubscriptions";
import { buildHandler as querySubscriptions } from "../src/handlers/querySubscriptions";
import { buildHandler as retrieveSubscription } from "../src/handlers/retrieveSubscription";
import { buildHandler as updateSubscription } from "../src/handlers/updateSubscription";
import { CONTEXT_SERVICE, SUBSCRIPTION_TIMERS_TABLE, SUBSCRIPTIONS_TABLE } from "../src/keys";
import { contextManifest } from "../src/manifest";
import { buildDynamoDbSubscriptionStore } from "../src/subscriptions/adapters/dynamodb-subscription-store";
import { buildDynamoDbTimerStore } from "../src/subscriptions/adapters/dynamodb-timer-store";
import type {
  HttpRequest,
  HttpSender,
  MqttMessage,
  MqttPublisher,
  NotifierDeps,
  SubscriptionDeps,
} from "../src/subscriptions/ports";
import { call, freshTenant, staff, TEST_STAGE, testDeps } from "./support";

const VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/";
const SDM = "https://smart-data-models.github.io/dataModel.PointOfInterest/context.jsonld";
const client = createDocumentClient();
const contexts = contextCache(bundledContextLoader);
const subscriptionsSpec = destinationTemplate([contextManifest]).tables.find(
  (t) => t.purpose === SUBSCRIPTIONS_TABLE,
);
const timersSpec = platformTables([contextManifest]).find((t) => t.purpose === SUBSCRIPTION_TIMERS_TABLE);
const timersTable = `sdp-${TEST_STAGE}-t${crypto.randomUUID().slice(0, 8)}-timers`;
const timers = buildDynamoDbTimerStore(client, timersTable);
const subscriptionsOf = () =>
  buildDynamoDbSubscriptionStore(
    client,
    tableName(TEST_STAGE, Scope.tenant(), CONTEXT_SERVICE, SUBSCRIPTIONS_TABLE),
  );

const api: SubscriptionDeps = {
  subscriptions: subscriptionsOf,
  timers,
  contexts,
  network: "private-allowed",
};
const handlers = {
  create: createSubscription(api),
  query: querySubscriptions(api),
  retrieve: retrieveSubscription(api),
  update: updateSubscription(api),
  remove: deleteSubscription(api),
};

/** A destination with its entities and subscriptions tables, as the provisioner creates them. */
async function destination(): Promise<string> {
  if (!subscriptionsSpec) throw new Error("no subscriptions table declared");
  const { slug } = await freshTenant();
  await ensureTable(
    createDynamoDbClient(),
    tableName(TEST_STAGE, slug, CONTEXT_SERVICE, SUBSCRIPTIONS_TABLE),
    subscriptionsSpec,
  );
  return slug;
}

beforeAll(async () => {
  if (!timersSpec) throw new Error("no timer table declared");
  await ensureTable(createDynamoDbClient(), timersTable, timersSpec);
});

const subscriptionBody = (extra: Record<string, unknown> = {}) => ({
  type: "Subscription",
  entities: [{ type: "Beach" }],
  notification: { endpoint: { uri: "http://127.0.0.1:4100/notify" } },
  ...extra,
});
const linkTo = (url: string) =>
  `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
const path = (id: string) => `/ngsi-ld/v1/subscriptions/${encodeURIComponent(id)}`;

describe("the subscription API", () => {
  it("creates a subscription (201 + Location), refuses its id twice (409) and returns it", async () => {
    // Prepare
    const tenant = await destination();
    const id = `urn:ngsi-ld:Subscription:${crypto.randomUUID()}`;
    const body = subscriptionBody({
      id,
      watchedAttributes: ["temperature"],
      q: "temperature>25",
      throttling: 5,
    });
    // Act
    const created = await call(handlers.create, { method: "POST", body, principal: staff(tenant) });
    const again = await call(handlers.create, { method: "POST", body, principal: staff(tenant) });
    const read = await call(handlers.retrieve, {
      path: path(id),
      pathParameters: { subscriptionId: id },
      principal: staff(tenant, ["viewer"]),
    });
    // Assess
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/ngsi-ld/v1/subscriptions/${id}`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ type: "https://uri.etsi.org/ngsi-ld/errors/AlreadyExists" });
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      id,
      type: "Subscription",
      entities: [{ type: "Beach" }],
      watchedAttributes: ["temperature"],
      notificationTrigger: ["attributeCreated", "attributeUpdated"],
      q: "temperature>25",
      isActive: true,
      status: "active",
      throttling: 5,
      notification: {
        format: "normalized",
        sysAttrs: false,
        showChanges: false,
        endpoint: { uri: "http://127.0.0.1:4100/notify", accept: "application/json" },
        timesSent: 0,
        timesFailed: 0,
      },
    });
  });

  it("compacts names with each requester's @context (stored expanded)", async () => {
    // Prepare
    const tenant = await destination();
    const created = await call(handlers.create, {
      method: "POST",
      headers: { "content-type": "application/ld+json" },
      body: subscriptionBody({
        "@context": {
          ex: "https://villamar.example/terms/",
          Beach: "ex:Beach",
          temperature: "ex:temperature",
        },
        watchedAttributes: ["temperature"],
      }),
      principal: staff(tenant),
    });
    const id = decodeURIComponent(String(created.headers.location).split("/").pop() ?? "");
    // Act
    const plain = await call(handlers.retrieve, {
      pathParameters: { subscriptionId: id },
      principal: staff(tenant),
    });
    const ld = await call(handlers.retrieve, {
      pathParameters: { subscriptionId: id },
      headers: { accept: "application/ld+json", link: linkTo(SDM) },
      principal: staff(tenant),
    });
    // Assess
    expect(created.status).toBe(201);
    expect(id).toMatch(/^urn:ngsi-ld:Subscription:/);
    expect(plain.body).toMatchObject({
      entities: [{ type: "https://villamar.example/terms/Beach" }],
      watchedAttributes: ["https://villamar.example/terms/temperature"],
    });
    expect(ld.body).toMatchObject({ "@context": SDM, type: "Subscription" });
  });

  it("stores a notification's pick and omit, answers them compacted and refuses conflicts (400)", async () => {
    // Prepare
    const tenant = await destination();
    const id = `urn:ngsi-ld:Subscription:${crypto.randomUUID()}`;
    const created = await call(handlers.create, {
      method: "POST",
      headers: { link: linkTo(SDM) },
      body: subscriptionBody({
        id,
        notification: { endpoint: { uri: "http://127.0.0.1:4100/notify" }, pick: ["id", "accessType"] },
      }),
      principal: staff(tenant),
    });
    // Act
    const plain = await call(handlers.retrieve, {
      pathParameters: { subscriptionId: id },
      principal: staff(tenant),
    });
    const withContext = await call(handlers.retrieve, {
      pathParameters: { subscriptionId: id },
      headers: { link: linkTo(SDM) },
      principal: staff(tenant),
    });
    const conflicting = await call(handlers.update, {
      method: "PATCH",
      pathParameters: { subscriptionId: id },
      body: { notification: { omit: ["type"] } },
      principal: staff(tenant),
    });
    const switched = await call(handlers.update, {
      method: "PATCH",
      pathParameters: { subscriptionId: id },
      body: { notification: { pick: null, omit: ["type"] } },
      principal: staff(tenant),
    });
    const afterSwitch = await call(handlers.retrieve, {
      pathParameters: { subscriptionId: id },
      principal: staff(tenant),
    });
    // Assess
    expect(created.status).toBe(201);
    expect(plain.body).toMatchObject({
      notification: {
        pick: ["id", "https://smartdatamodels.org/dataModel.PointOfInterest/accessType"],
      },
    });
    expect(withContext.body).toMatchObject({ notification: { pick: ["id", "accessType"] } });
    expect(conflicting).toMatchObject({
      status: 400,
      body: {
        type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData",
        errors: [{ field: "body.notification.pick" }],
      },
    });
    expect(switched.status).toBe(204);
    expect(afterSwitch.body).toMatchObject({ notification: { omit: ["type"] } });
    expect(afterSwitch.body).not.toMatchObject({ notification: { pick: expect.anything() } });
  });

  it("lists subscriptions a page at a time with Link headers and a count", async () => {
    // Prepare
    const tenant = await destination();
    for (let i = 0; i < 3; i++) {
      await call(handlers.create, {
        method: "POST",
        body: subscriptionBody({ id: `urn:ngsi-ld:Subscription:${i}` }),
        principal: staff(tenant),
      });
    }
    // Act
    const first = await call(handlers.query, {
      path: "/ngsi-ld/v1/subscriptions",
      query: { limit: "2", count: "true" },
      principal: staff(tenant),
    });
    const second = await call(handlers.query, {
      query: { limit: "2", offset: "2" },
      principal: staff(tenant),
    });
    // Assess
    expect(first.status).toBe(200);
    expect(first.headers["NGSILD-Results-Count"]).toBe("3");
    expect(first.headers.link).toContain(
      '</ngsi-ld/v1/subscriptions?limit=2&count=true&offset=2>; rel="next"',
    );
    expect(Array.isArray(first.body) && first.body.map((s: { id: string }) => s.id)).toEqual([
      "urn:ngsi-ld:Subscription:0",
      "urn:ngsi-ld:Subscription:1",
    ]);
    expect(second.headers.link).toContain('rel="prev"');
    expect(second.body).toHaveLength(1);
  });

  it("updates with a fragment, deletes, then answers 404", async () => {
    // Prepare
    const tenant = await destination();
    const id = `urn:ngsi-ld:Subscription:${crypto.randomUUID()}`;
    await call(handlers.create, {
      method: "POST",
      body: subscriptionBody({ id, q: "temperature>25" }),
      principal: staff(tenant),
    });
    // Act
    const patched = await call(handlers.update, {
      method: "PATCH",
      pathParameters: { subscriptionId: id },
      body: { q: null, isActive: false, notification: { format: "keyValues" } },
      principal: staff(tenant),
    });
    const read = await call(handlers.retrieve, {
      pathParameters: { subscriptionId: id },
      query: { options: "sysAttrs" },
      principal: staff(tenant),
    });
    const deleted = await call(handlers.remove, {
      method: "DELETE",
      pathParameters: { subscriptionId: id },
      principal: staff(tenant),
    });
    const gone = await call(handlers.retrieve, {
      pathParameters: { subscriptionId: id },
      principal: staff(tenant),
    });
    const patchGone = await call(handlers.update, {
      method: "PATCH",
      pathParameters: { subscriptionId: id },
      body: { isActive: true },
      principal: staff(tenant),
    });
    // Assess
    expect(patched.status).toBe(204);
    expect(read.body).toMatchObject({
      isActive: false,
      status: "paused",
      notification: { format: "keyValues" },
    });
    expect(read.body).toHaveProperty("createdAt");
    expect(read.body).not.toHaveProperty("q");
    expect(deleted.status).toBe(204);
    expect([gone.status, patchGone.status]).toEqual([404, 404]);
  });

  it.each([
    ["not JSON", "{", 400, "InvalidRequest"],
    ["an unknown member", subscriptionBody({ colour: "blue" }), 400, "BadRequestData"],
    [
      "a metadata endpoint",
      subscriptionBody({ notification: { endpoint: { uri: "http://169.254.169.254/" } } }),
      400,
      "BadRequestData",
    ],
    ["a wrong type", { ...subscriptionBody(), type: "Entity" }, 400, "BadRequestData"],
    [
      "an MQTT topic of another destination",
      subscriptionBody({
        notification: { endpoint: { uri: "mqtt://127.0.0.1:1883/notifications/other/x" } },
      }),
      400,
      "BadRequestData",
    ],
    [
      "an unbundled jsonldContext",
      subscriptionBody({ jsonldContext: "https://unknown.example.org/context.jsonld" }),
      503,
      "LdContextNotAvailable",
    ],
  ])("answers %s with the right 4xx/503, never a 500", async (_what, body, status, type) => {
    // Prepare
    const tenant = await destination();
    // Act
    const response = await call(handlers.create, { method: "POST", body, principal: staff(tenant) });
    // Assess
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ type: `https://uri.etsi.org/ngsi-ld/errors/${type}` });
  });

  it("keeps destinations apart and refuses viewers to write", async () => {
    // Prepare
    const [a, b] = [await destination(), await destination()];
    const id = `urn:ngsi-ld:Subscription:${crypto.randomUUID()}`;
    await call(handlers.create, { method: "POST", body: subscriptionBody({ id }), principal: staff(a) });
    // Act
    const fromB = await call(handlers.retrieve, {
      pathParameters: { subscriptionId: id },
      principal: staff(b),
    });
    const viewer = await call(handlers.create, {
      method: "POST",
      body: subscriptionBody(),
      principal: staff(a, ["viewer"]),
    });
    // Assess
    expect(fromB.status).toBe(404);
    expect(viewer.status).toBe(403);
  });
});

// ---- the notifier -------------------------------------------------------------------------------

interface Sent {
  readonly http: HttpRequest[];
  readonly mqtt: MqttMessage[];
}

/** Ports that record what they deliver; URLs containing `fail` answer 500, `down` refuse to connect. */
function fakePorts(): { http: HttpSender; mqtt: MqttPublisher; sent: Sent } {
  const sent: Sent = { http: [], mqtt: [] };
  return {
    sent,
    http: {
      async post(request) {
        if (request.url.includes("down")) throw new Error("connect ECONNREFUSED");
        sent.http.push(request);
        return { status: request.url.includes("fail") ? 500 : 204 };
      },
    },
    mqtt: {
      async publish(message) {
        sent.mqtt.push(message);
      },
    },
  };
}

function notifier(ports: ReturnType<typeof fakePorts>): NotifierDeps {
  return {
    subscriptions: subscriptionsOf,
    entities: testDeps().store,
    timers,
    contexts,
    http: ports.http,
    mqtt: ports.mqtt,
    network: "private-allowed",
    delivery: { backoffMs: 1, timeoutMs: 500 },
  };
}

const lambda = { getRemainingTimeInMillis: () => 30_000, awsRequestId: "test" } as Context;
let sequence = 1000;

/** A stream record of the entity item, as DynamoDB Streams sends it (NEW_AND_OLD_IMAGES). */
function record(tenant: string, before: Entity | undefined, after: Entity | undefined): DynamoDBRecord {
  const image = (e: Entity) =>
    marshall({ pk: e.id, sk: "@", v: 1, doc: JSON.stringify(e) }) as NonNullable<
      NonNullable<DynamoDBRecord["dynamodb"]>["NewImage"]
    >;
  const id = (after ?? before)?.id ?? "";
  sequence += 1;
  return {
    eventName: !before ? "INSERT" : !after ? "REMOVE" : "MODIFY",
    eventSourceARN: `arn:aws:dynamodb:eu-west-1:000000000000:table/${tableName(TEST_STAGE, tenant, CONTEXT_SERVICE, "entities")}/stream/2025-01-01T00:00:00.000`,
    dynamodb: {
      Keys: marshall({ pk: id, sk: "@" }) as NonNullable<NonNullable<DynamoDBRecord["dynamodb"]>["Keys"]>,
      SequenceNumber: String(sequence),
      ApproximateCreationDateTime: Date.now() / 1000,
      ...(before ? { OldImage: image(before) } : {}),
      ...(after ? { NewImage: image(after) } : {}),
    },
  };
}

const at = "2025-06-01T10:00:00.000Z";
function beach(
  temperature: number,
  id = `urn:ngsi-ld:Beach:${crypto.randomUUID()}`,
  modifiedAt = at,
): Entity {
  return {
    id,
    types: [`${VOCAB}Beach`],
    createdAt: at,
    modifiedAt,
    attrs: { [`${VOCAB}temperature`]: [{ type: "Property", value: temperature, createdAt: at, modifiedAt }] },
  };
}

async function subscribe(tenant: string, body: Record<string, unknown>): Promise<string> {
  const response = await call(handlers.create, {
    method: "POST",
    body: subscriptionBody(body),
    principal: staff(tenant),
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return decodeURIComponent(String(response.headers.location).split("/").pop() ?? "");
}

async function statusOf(tenant: string, id: string) {
  const read = await call(handlers.retrieve, {
    pathParameters: { subscriptionId: id },
    principal: staff(tenant),
  });
  const body = read.body as { notification: Record<string, unknown> };
  return body.notification;
}

describe("the notifier (entities stream consumer)", () => {
  it("notifies creation and update in the subscription's format and moves its counters", async () => {
    // Prepare
    const tenant = await destination();
    const ports = fakePorts();
    const id = await subscribe(tenant, {
      notification: { format: "keyValues", endpoint: { uri: "http://127.0.0.1:4100/good" } },
    });
    const created = beach(20);
    const warmer = beach(22, created.id, "2025-06-01T10:00:05.000Z");
    // Act
    const result = await notifySubscriptions(notifier(ports), () => TEST_STAGE)(
      { Records: [record(tenant, undefined, created), record(tenant, created, warmer)] },
      lambda,
    );
    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(ports.sent.http).toHaveLength(1);
    const notification = JSON.parse(ports.sent.http[0]?.body ?? "{}");
    expect(notification).toMatchObject({
      type: "Notification",
      subscriptionId: id,
      data: [
        { id: created.id, type: "Beach", temperature: 20 },
        { id: created.id, type: "Beach", temperature: 22 },
      ],
    });
    expect(ports.sent.http[0]?.headers).toMatchObject({
      "content-type": "application/json",
      "ngsild-tenant": tenant,
    });
    expect(await statusOf(tenant, id)).toMatchObject({ status: "ok", timesSent: 1, timesFailed: 0 });
  });

  it("a failing endpoint does not stop notifications to a good one, and its failure is recorded", async () => {
    // Prepare
    const tenant = await destination();
    const ports = fakePorts();
    const good = await subscribe(tenant, {
      notification: { endpoint: { uri: "http://127.0.0.1:4100/good" } },
    });
    const failing = await subscribe(tenant, {
      notification: { endpoint: { uri: "http://127.0.0.1:4100/fail" } },
    });
    const down = await subscribe(tenant, {
      notification: { endpoint: { uri: "http://127.0.0.1:4100/down" } },
    });
    // Act
    const result = await notifySubscriptions(notifier(ports), () => TEST_STAGE)(
      { Records: [record(tenant, undefined, beach(20))] },
      lambda,
    );
    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(ports.sent.http.filter((r) => r.url.endsWith("/good"))).toHaveLength(1);
    expect(ports.sent.http.filter((r) => r.url.endsWith("/fail"))).toHaveLength(3);
    expect(await statusOf(tenant, good)).toMatchObject({ status: "ok", timesSent: 1, timesFailed: 0 });
    expect(await statusOf(tenant, failing)).toMatchObject({ status: "failed", timesSent: 1, timesFailed: 1 });
    expect(await statusOf(tenant, down)).toMatchObject({ status: "failed", timesFailed: 1 });
  });

  it("publishes MQTT notifications and respects triggers, q, paused subscriptions and throttling", async () => {
    // Prepare
    const tenant = await destination();
    const ports = fakePorts();
    const warm = await subscribe(tenant, {
      q: "temperature>25",
      notification: { endpoint: { uri: `mqtt://127.0.0.1:1883/notifications/${tenant}/warm` } },
    });
    await subscribe(tenant, { isActive: false });
    const deletions = await subscribe(tenant, { notificationTrigger: ["entityDeleted"] });
    const throttled = await subscribe(tenant, { throttling: 3600 });
    const hot = beach(30);
    const cold = beach(10);
    const handler = notifySubscriptions(notifier(ports), () => TEST_STAGE);
    // Act
    await handler({ Records: [record(tenant, undefined, hot), record(tenant, undefined, cold)] }, lambda);
    await handler({ Records: [record(tenant, hot, undefined)] }, lambda);
    await handler({ Records: [record(tenant, undefined, beach(31))] }, lambda);
    // Assess
    expect(ports.sent.mqtt.map((m) => m.topic)).toEqual([
      `notifications/${tenant}/warm`,
      `notifications/${tenant}/warm`,
    ]);
    const first = JSON.parse(ports.sent.mqtt[0]?.payload ?? "{}");
    expect(first.body.data.map((e: { id: string }) => e.id)).toEqual([hot.id]);
    expect(first.metadata).toMatchObject({ "Content-Type": "application/json", "NGSILD-Tenant": tenant });
    const deleted = ports.sent.http.filter((r) => JSON.parse(r.body).subscriptionId === deletions);
    expect(deleted.map((r) => JSON.parse(r.body).data[0])).toEqual([
      expect.objectContaining({ id: hot.id, deletedAt: expect.any(String) }),
    ]);
    expect(ports.sent.http.filter((r) => JSON.parse(r.body).subscriptionId === throttled)).toHaveLength(1);
    expect(await statusOf(tenant, warm)).toMatchObject({ timesSent: 2 });
  });

  it("keeps destinations apart: a change of one never reaches another's subscriptions", async () => {
    // Prepare
    const [a, b] = [await destination(), await destination()];
    const ports = fakePorts();
    await subscribe(b, {});
    // Act
    await notifySubscriptions(notifier(ports), () => TEST_STAGE)(
      { Records: [record(a, undefined, beach(20))] },
      lambda,
    );
    // Assess
    expect(ports.sent.http).toHaveLength(0);
  });

  it("reports the record it could not match, so the batch resumes there", async () => {
    // Prepare
    const tenant = await destination();
    const ports = fakePorts();
    const broken: NotifierDeps = {
      ...notifier(ports),
      subscriptions: () => ({
        ...subscriptionsOf(),
        candidates: async () => {
          throw new Error("ProvisionedThroughputExceededException");
        },
      }),
    };
    const first = record(tenant, undefined, beach(20));
    // Act
    const result = await notifySubscriptions(broken, () => TEST_STAGE)(
      { Records: [first, record(tenant, undefined, beach(21))] },
      lambda,
    );
    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: first.dynamodb?.SequenceNumber }] });
  });

  it("ignores index items, other tables and destinations without a subscriptions table", async () => {
    // Prepare
    const { slug } = await freshTenant();
    const ports = fakePorts();
    const index = record(slug, undefined, beach(20));
    if (index.dynamodb)
      index.dynamodb.Keys = marshall({
        pk: "urn:ngsi-ld:Beach:x",
        sk: "t#Beach",
      }) as typeof index.dynamodb.Keys;
    const other = {
      ...record(slug, undefined, beach(20)),
      eventSourceARN: "arn:aws:dynamodb:eu-west-1:0:table/other/stream/x",
    };
    // Act
    const result = await notifySubscriptions(notifier(ports), () => TEST_STAGE)(
      { Records: [index, other, record(slug, undefined, beach(20))] },
      lambda,
    );
    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(ports.sent.http).toHaveLength(0);
  });
});

describe("periodic subscriptions", () => {
  it("sends the current matching entities when the timer is due, once per interval", async () => {
    // Prepare
    const tenant = await destination();
    const ports = fakePorts();
    const created = await call(createEntity(testDeps()), {
      method: "POST",
      body: { id: `urn:ngsi-ld:Beach:${crypto.randomUUID()}`, type: "Beach", temperature: 23 },
      principal: staff(tenant),
    });
    expect(created.status).toBe(201);
    const id = await subscribe(tenant, {
      timeInterval: 600,
      notification: { format: "keyValues", endpoint: { uri: "http://127.0.0.1:4100/periodic" } },
    });
    await timers.set(tenant, id, "2000-01-01T00:00:00.000Z");
    const handler = notifyPeriodic(notifier(ports));
    // Act
    await handler({}, lambda);
    await handler({}, lambda);
    // Assess
    const mine = ports.sent.http.filter((r) => JSON.parse(r.body).subscriptionId === id);
    expect(mine).toHaveLength(1);
    expect(JSON.parse(mine[0]?.body ?? "{}").data).toEqual([
      expect.objectContaining({ type: "Beach", temperature: 23 }),
    ]);
    expect(await statusOf(tenant, id)).toMatchObject({ timesSent: 1, status: "ok" });
  });

  it("drops the timer of a deleted subscription", async () => {
    // Prepare
    const tenant = await destination();
    const ports = fakePorts();
    const id = await subscribe(tenant, { timeInterval: 600 });
    await call(handlers.remove, {
      method: "DELETE",
      pathParameters: { subscriptionId: id },
      principal: staff(tenant),
    });
    await timers.set(tenant, id, "2000-01-01T00:00:00.000Z");
    // Act
    await notifyPeriodic(notifier(ports))({}, lambda);
    // Assess
    const left = [];
    for await (const timer of timers.due("2100-01-01T00:00:00.000Z"))
      if (timer.subscriptionId === id) left.push(timer);
    expect(left).toEqual([]);
  });
});
