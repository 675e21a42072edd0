import { describe, expect, it } from "vitest";
import {
  asArray,
  asObject,
  CORE_CONTEXT,
  expectProblem,
  type Json,
  linkTo,
  type Notification,
  SDM_CONTEXT,
  uniqueId,
  uniqueType,
  until,
  useBroker,
} from "./harness";

/**
 * The ETSI suite's subscription cases (`TP/NGSI-LD/ContextInformation/Subscription/**`): create,
 * update, retrieve, query and delete subscriptions, and the notification behaviour over HTTP. Each
 * case sends our own payloads to the real platform and checks what the suite's case checks.
 */
const broker = useBroker();

const LD_JSON = { "content-type": "application/ld+json" };
/** An attribute of the bundled PointOfInterest context, to tell compacted from expanded names. */
const ACCESS_TYPE_IRI = "https://smartdatamodels.org/dataModel.PointOfInterest/accessType";
/** How long a case waits before concluding that no notification is coming (p99 latency ≈ 2 s). */
const QUIET_MS = 3_000;

const subscriptionId = () => uniqueId("Subscription");

/** A receiver path of its own for each case. */
const receiverPath = () => `/notify/${crypto.randomUUID()}`;

interface SubscriptionOptions {
  readonly id?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
}

async function createSubscription(body: Json, options: SubscriptionOptions = {}): Promise<string> {
  const id = options.id ?? subscriptionId();
  const response = await broker.request("POST", "/subscriptions", {
    body: { id, type: "Subscription", ...body },
    ...(options.headers ? { headers: options.headers } : {}),
  });
  expect(response.status, response.text).toBe(201);
  return id;
}

async function deleteSubscription(id: string) {
  await broker.request("DELETE", `/subscriptions/${encodeURIComponent(id)}`);
}

async function retrieveSubscription(id: string, headers?: Record<string, string>) {
  const response = await broker.request("GET", `/subscriptions/${encodeURIComponent(id)}`, {
    ...(headers ? { headers } : {}),
  });
  expect(response.status, response.text).toBe(200);
  return asObject(response.body);
}

/** An HTTP endpoint on the harness's receiver. */
const endpointAt = (path: string, extra: Json = {}) => ({ uri: broker.receiverUrl(path), ...extra });

/** A Building-like entity of a unique type with the attributes the suite's building samples carry. */
function building(type: string, id = uniqueId(type)): Json {
  return {
    id,
    type,
    name: { type: "Property", value: "Eiffel Tower" },
    subCategory: { type: "Property", value: "tourism" },
    airQualityLevel: { type: "Property", value: 4 },
    almostFull: { type: "Property", value: false },
  };
}

/** A building with a Property, a Relationship, a GeoProperty and a LanguageProperty. */
function buildingOfEveryKind(type: string, id = uniqueId(type)): Json {
  return {
    id,
    type,
    name: { type: "Property", value: "Eiffel Tower" },
    locatedAt: { type: "Relationship", object: "urn:ngsi-ld:City:Paris" },
    location: { type: "GeoProperty", value: { type: "Point", coordinates: [-8.5, 41.2] } },
    street: { type: "LanguageProperty", languageMap: { fr: "Grand Place", nl: "Grote Markt" } },
  };
}

async function createEntity(entity: Json, headers?: Record<string, string>) {
  const response = await broker.request("POST", "/entities", {
    body: entity,
    ...(headers ? { headers } : {}),
  });
  expect(response.status, response.text).toBe(201);
}

async function deleteEntity(id: string) {
  await broker.request("DELETE", `/entities/${encodeURIComponent(id)}`);
}

async function patchAttrs(id: string, fragment: Json, headers?: Record<string, string>) {
  const response = await broker.request("PATCH", `/entities/${encodeURIComponent(id)}/attrs`, {
    body: fragment,
    ...(headers ? { headers } : {}),
  });
  expect(response.status, response.text).toBe(204);
}

/** The suite's "airQualityLevel fragment": airQualityLevel becomes 5. */
const airQualityFive = (id: string) => patchAttrs(id, { airQualityLevel: { type: "Property", value: 5 } });

async function nextNotification(path: string, count = 1): Promise<Notification> {
  return until(`notification ${count} on ${path}`, () => broker.received(path)[count - 1]);
}

const firstEntity = (notification: Notification) => asObject(asArray(notification.body.data)[0]);

/**
 * The first notified entity that passes the check, with its notification. A subscription made just
 * after its entity may also be told of the entity's creation (the change reaches the notifier through
 * the stream later, possibly in the same notification as the update), so cases about an update look
 * for the entity as that update left it.
 */
async function notificationWhere(
  path: string,
  check: (entity: Json) => boolean,
): Promise<{ notification: Notification; entity: Json }> {
  return until(`a matching notification on ${path}`, () => {
    for (const notification of broker.received(path)) {
      const entity = asArray(notification.body.data)
        .map((e) => asObject(e))
        .find(check);
      if (entity) return { notification, entity };
    }
    return undefined;
  });
}

/** The notification of the suite's airQualityLevel update (to 5). */
const airQualityNotification = (path: string, format: "normalized" | "keyValues" = "normalized") =>
  notificationWhere(path, (entity) =>
    format === "keyValues"
      ? entity.airQualityLevel === 5
      : asObject(entity.airQualityLevel ?? {}).value === 5,
  );

async function expectNoNotification(path: string) {
  await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
  expect(broker.received(path)).toEqual([]);
}

const isDateTime = (value: unknown) =>
  typeof value === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value);

describe.concurrent("CreateSubscription", () => {
  it("028_01_01 creates a subscription (JSON-LD) and retrieves it as created", async () => {
    // Prepare
    const id = subscriptionId();
    const type = uniqueType("Building");
    // Act
    const created = await broker.request("POST", "/subscriptions", {
      headers: LD_JSON,
      body: {
        id,
        type: "Subscription",
        timeInterval: 5,
        entities: [{ type }],
        notification: {
          format: "keyValues",
          endpoint: { uri: "http://localhost:1111/notify", accept: "application/json" },
        },
        "@context": [CORE_CONTEXT],
      },
    });
    // Assess
    expect(created.status, created.text).toBe(201);
    // The id is percent-encoded in the path (":" as %3A), an equivalent spelling of the same URI.
    expect(decodeURIComponent(created.headers.get("location") ?? "")).toBe(`/ngsi-ld/v1/subscriptions/${id}`);
    const retrieved = await retrieveSubscription(id, { accept: "application/ld+json" });
    expect(retrieved).toMatchObject({
      id,
      type: "Subscription",
      timeInterval: 5,
      entities: [{ type }],
      isActive: true,
      status: "active",
      notification: {
        format: "keyValues",
        endpoint: { uri: "http://localhost:1111/notify", accept: "application/json" },
      },
    });
    await deleteSubscription(id);
  });

  it("028_02_01 refuses a body that is not JSON with 400 InvalidRequest", async () => {
    const response = await broker.request("POST", "/subscriptions", {
      headers: LD_JSON,
      raw: '{"id": "urn:ngsi-ld:Subscription:broken", "type": "Subscription",',
    });
    expectProblem(response, 400, "InvalidRequest");
  });

  it("028_02_02 refuses an empty JSON object with 400 BadRequestData", async () => {
    const response = await broker.request("POST", "/subscriptions", { headers: LD_JSON, raw: "{}" });
    expectProblem(response, 400, "BadRequestData");
  });

  it.each([
    ["028_03_01", "invalidId"],
    ["028_03_02", ""],
  ])("%s refuses a subscription id that is not a URI (%j) with 400 BadRequestData", async (_case, id) => {
    const response = await broker.request("POST", "/subscriptions", {
      headers: LD_JSON,
      body: {
        id,
        type: "Subscription",
        entities: [{ type: uniqueType("Building") }],
        notification: { endpoint: { uri: "http://localhost:1111/notify" } },
        "@context": CORE_CONTEXT,
      },
    });
    expectProblem(response, 400, "BadRequestData");
  });

  it("028_04_01 refuses an id already taken with 409 AlreadyExists", async () => {
    // Prepare
    const body = {
      entities: [{ type: uniqueType("Building") }],
      notification: { endpoint: { uri: "http://localhost:1111/notify" } },
    };
    const id = await createSubscription(body);
    // Act
    const again = await broker.request("POST", "/subscriptions", {
      body: { id, type: "Subscription", ...body },
    });
    // Assess
    expectProblem(again, 409, "AlreadyExists");
    await deleteSubscription(id);
  });

  it.each([
    ["028_05_01", "throttling together with timeInterval", { timeInterval: 10, throttling: 5 }],
    ["028_05_02", "a negative throttling", { throttling: -30 }],
  ])("%s refuses %s with 400 BadRequestData", async (_case, _what, members) => {
    const response = await broker.request("POST", "/subscriptions", {
      body: {
        id: subscriptionId(),
        type: "Subscription",
        entities: [{ type: uniqueType("Building") }],
        notification: { format: "keyValues", endpoint: { uri: "http://localhost:1111/notify" } },
        ...members,
      },
    });
    expectProblem(response, 400, "BadRequestData");
  });

  it.each([
    ["028_07_01", "an invalid jsonldContext", "unknownContext", 400, "BadRequestData"],
    [
      "028_07_02",
      "an unavailable jsonldContext",
      "https://example.org/not-bundled/context.jsonld",
      503,
      "LdContextNotAvailable",
    ],
  ])("%s refuses %s", async (_case, _what, jsonldContext, status, type) => {
    const response = await broker.request("POST", "/subscriptions", {
      headers: LD_JSON,
      body: {
        id: subscriptionId(),
        type: "Subscription",
        entities: [{ type: uniqueType("Building") }],
        notification: { endpoint: { uri: "http://localhost:1111/notify", accept: "application/ld+json" } },
        jsonldContext,
        "@context": [CORE_CONTEXT],
      },
    });
    expectProblem(response, status, type);
  });

  /**
   * The problems a refusal lists (`errors`), by member: a pick or omit the broker did not know would be
   * refused too, as an unknown member, so the cases below check that the value was judged.
   */
  const reasonsFor = (response: { body: unknown }, field: string) =>
    asArray(asObject(response.body).errors ?? [])
      .map((e) => asObject(e))
      .filter((e) => e.field === field)
      .map((e) => String(e.reason));

  it.each([
    ["028_08_01", "the same entity member in pick and omit", { pick: ["id"], omit: ["id"] }, "pick", /omit/],
    ["028_08_02", "pick with attributes", { pick: ["id"], attributes: ["id"] }, "pick", /attributes/],
    ["028_08_03", "omit with attributes", { omit: ["id"], attributes: ["id"] }, "omit", /attributes/],
  ])(
    "%s refuses a subscription with %s with 400 BadRequestData",
    async (_case, _what, params, member, reason) => {
      const response = await broker.request("POST", "/subscriptions", {
        body: {
          id: subscriptionId(),
          type: "Subscription",
          entities: [{ type: uniqueType("Building") }],
          notification: {
            endpoint: { uri: "http://localhost:1111/notify", accept: "application/json" },
            ...params,
          },
        },
      });
      expectProblem(response, 400, "BadRequestData");
      expect(reasonsFor(response, `body.notification.${member}`)).toEqual([expect.stringMatching(reason)]);
    },
  );

  it.each([
    ["028_09_01", { format: "keyValues", showChanges: true }],
    ["028_09_02", { format: "simplified", showChanges: true }],
    ["028_09_03", { attributes: [] }],
    ["028_09_04", { pick: [] }],
    ["028_09_05", { omit: [] }],
  ])("%s refuses notification parameters %j with 400 BadRequestData", async (_case, params) => {
    const response = await broker.request("POST", "/subscriptions", {
      body: {
        id: subscriptionId(),
        type: "Subscription",
        entities: [{ type: uniqueType("Building") }],
        notification: { endpoint: { uri: "http://localhost:18099/notify" }, ...params },
      },
    });
    expectProblem(response, 400, "BadRequestData");
    // pick and omit are refused for their value (empty), not as members the broker does not know.
    for (const member of ["pick", "omit"].filter((m) => m in params)) {
      const reasons = reasonsFor(response, `body.notification.${member}`);
      expect(reasons.length, response.text).toBeGreaterThan(0);
      expect(reasons).not.toContain("is not a known field");
    }
  });

  it("028_09_06 accepts showChanges with the normalized format", async () => {
    const id = await createSubscription({
      entities: [{ type: uniqueType("Building") }],
      notification: {
        endpoint: { uri: "http://localhost:18099/notify" },
        format: "normalized",
        showChanges: true,
      },
    });
    await deleteSubscription(id);
  });

  it("028_10_01 accepts receiverInfo key-value pairs of strings", async () => {
    const id = await createSubscription({
      entities: [{ type: uniqueType("Building") }],
      notification: {
        endpoint: {
          uri: "http://localhost:18099/notify",
          receiverInfo: [{ key: "Authorization", value: "Bearer abc" }],
        },
      },
    });
    await deleteSubscription(id);
  });

  it.each([
    ["028_10_02", "a numeric receiverInfo value", { receiverInfo: [{ key: "K", value: 42 }] }],
    ["028_10_03", "an object notifierInfo value", { notifierInfo: [{ key: "K", value: { a: 1 } }] }],
    ["028_10_04", "a pair without value", { receiverInfo: [{ key: "K" }] }],
    ["028_10_05", "a numeric key", { receiverInfo: [{ key: 5, value: "v" }] }],
  ])("%s refuses %s with 400 BadRequestData", async (_case, _what, extra) => {
    const response = await broker.request("POST", "/subscriptions", {
      body: {
        id: subscriptionId(),
        type: "Subscription",
        entities: [{ type: uniqueType("Building") }],
        notification: { endpoint: { uri: "http://localhost:18099/notify", ...extra } },
      },
    });
    expectProblem(response, 400, "BadRequestData");
  });

  it("5811_01_01 refuses an expiresAt in the past with 400 BadRequestData", async () => {
    const response = await broker.request("POST", "/subscriptions", {
      body: {
        id: subscriptionId(),
        type: "Subscription",
        entities: [{ type: uniqueType("Building") }],
        expiresAt: "2000-01-01T00:00:00Z",
        notification: { endpoint: { uri: "http://localhost:1111/notify" } },
      },
    });
    expectProblem(response, 400, "BadRequestData");
  });

  it("5811_01_02 creates a subscription with isActive false as paused", async () => {
    const id = await createSubscription({
      entities: [{ type: uniqueType("Building") }],
      isActive: false,
      notification: { endpoint: { uri: "http://localhost:1111/notify" } },
    });
    expect((await retrieveSubscription(id)).status).toBe("paused");
    await deleteSubscription(id);
  });

  it("5811_01_03 generates a URI for a subscription without id and answers it in Location", async () => {
    // Act
    const response = await broker.request("POST", "/subscriptions", {
      body: {
        type: "Subscription",
        entities: [{ type: uniqueType("Building") }],
        notification: { endpoint: { uri: "http://localhost:1111/notify" } },
      },
    });
    // Assess
    expect(response.status, response.text).toBe(201);
    const location = decodeURIComponent(response.headers.get("location") ?? "");
    expect(location).toMatch(/^\/ngsi-ld\/v1\/subscriptions\/urn:/);
    const generated = location.split("/").pop() ?? "";
    expect((await retrieveSubscription(generated)).id).toBe(generated);
    await deleteSubscription(generated);
  });

  it("5811_01_03 answers the generated id literally (not percent-encoded) in Location", async () => {
    // Act
    const response = await broker.request("POST", "/subscriptions", {
      body: {
        type: "Subscription",
        entities: [{ type: uniqueType("Building") }],
        notification: { endpoint: { uri: "http://localhost:1111/notify" } },
      },
    });
    // Assess
    expect(response.status, response.text).toBe(201);
    const location = response.headers.get("location") ?? "";
    expect(location).toMatch(/^\/ngsi-ld\/v1\/subscriptions\/urn:ngsi-ld:Subscription:[^%]+$/);
    const generated = location.split("/").pop() ?? "";
    expect((await retrieveSubscription(generated)).id).toBe(generated);
    await deleteSubscription(generated);
  });

  it("5811_02_01 refuses a notification trigger outside the six valid ones with 400 BadRequestData", async () => {
    const response = await broker.request("POST", "/subscriptions", {
      body: {
        id: subscriptionId(),
        type: "Subscription",
        entities: [{ type: uniqueType("Building") }],
        notificationTrigger: ["entityChanged"],
        notification: { endpoint: { uri: "http://localhost:1111/notify" } },
      },
    });
    expectProblem(response, 400, "BadRequestData");
  });

  it("5811_02_02 accepts all six notification triggers together", async () => {
    const triggers = [
      "entityCreated",
      "entityUpdated",
      "entityDeleted",
      "attributeCreated",
      "attributeUpdated",
      "attributeDeleted",
    ];
    const id = await createSubscription({
      entities: [{ type: uniqueType("Building") }],
      notificationTrigger: triggers,
      notification: { endpoint: { uri: "http://localhost:1111/notify" } },
    });
    expect((await retrieveSubscription(id)).notificationTrigger).toEqual(triggers);
    await deleteSubscription(id);
  });

  it("5811_02_04 ignores read-only members a client sends (status, timesSent)", async () => {
    const id = await createSubscription({
      entities: [{ type: uniqueType("Building") }],
      status: "expired",
      notification: { endpoint: { uri: "http://localhost:1111/notify" }, timesSent: 42 },
    });
    const retrieved = await retrieveSubscription(id);
    expect(retrieved.status).toBe("active");
    expect(asObject(retrieved.notification).timesSent).not.toBe(42);
    await deleteSubscription(id);
  });
});

describe.concurrent("UpdateSubscription", () => {
  const update = {
    type: "Subscription",
    notification: {
      format: "keyValues",
      endpoint: { uri: "http://my.second.endpoint.org/notify", accept: "application/json" },
    },
  };
  const subscriptionBody = () => ({
    timeInterval: 5,
    entities: [{ type: uniqueType("Building") }],
    notification: {
      format: "keyValues",
      endpoint: { uri: "http://localhost:1111/notify", accept: "application/json" },
    },
  });

  it("029_01_01 answers 405 to a PATCH without a subscription id", async () => {
    const response = await broker.request("PATCH", "/subscriptions/", { body: update });
    expect(response.status).toBe(405);
  });

  it("029_01_02 refuses an id that is not a URI with 400 BadRequestData", async () => {
    const response = await broker.request("PATCH", "/subscriptions/InvalidUri", { body: update });
    expectProblem(response, 400, "BadRequestData");
  });

  it("029_02_01 answers 404 ResourceNotFound for an unknown subscription", async () => {
    const response = await broker.request("PATCH", `/subscriptions/${subscriptionId()}`, { body: update });
    expectProblem(response, 404, "ResourceNotFound");
  });

  it("029_03_01 refuses a fragment that breaks the data types with 400 BadRequestData", async () => {
    const id = await createSubscription(subscriptionBody());
    const response = await broker.request("PATCH", `/subscriptions/${id}`, {
      body: { type: "Subscription", throttling: "often" },
    });
    expectProblem(response, 400, "BadRequestData");
    await deleteSubscription(id);
  });

  it("029_04_01 refuses removing a mandatory member (endpoint: null) with 400 BadRequestData", async () => {
    const id = await createSubscription(subscriptionBody());
    const response = await broker.request("PATCH", `/subscriptions/${id}`, {
      body: { type: "Subscription", notification: { format: "keyValues", endpoint: null } },
    });
    expectProblem(response, 400, "BadRequestData");
    await deleteSubscription(id);
  });

  it("029_05_01/02 expands names with the fragment's @context and compacts them per reader", async () => {
    // Prepare
    const id = await createSubscription(subscriptionBody());
    // Act
    const response = await broker.request("PATCH", `/subscriptions/${id}`, {
      headers: { link: linkTo(SDM_CONTEXT) },
      body: { type: "Subscription", entities: [{ type: "Museum" }] },
    });
    // Assess
    expect(response.status, response.text).toBe(204);
    expect(response.text).toBe("");
    const withContext = await retrieveSubscription(id, { link: linkTo(SDM_CONTEXT) });
    expect(withContext.entities).toEqual([{ type: "Museum" }]);
    const withoutContext = await retrieveSubscription(id);
    expect(withoutContext.entities).toEqual([
      { type: "https://smartdatamodels.org/dataModel.PointOfInterest/Museum" },
    ]);
    await deleteSubscription(id);
  });

  it("029_06_01 modifies the subscription with the fragment", async () => {
    const id = await createSubscription(subscriptionBody());
    const response = await broker.request("PATCH", `/subscriptions/${id}`, { body: update });
    expect(response.status, response.text).toBe(204);
    expect(response.text).toBe("");
    const retrieved = await retrieveSubscription(id);
    expect(retrieved).toMatchObject({
      id,
      timeInterval: 5,
      notification: {
        format: "keyValues",
        endpoint: { uri: "http://my.second.endpoint.org/notify", accept: "application/json" },
      },
    });
    await deleteSubscription(id);
  });

  it.each([
    ["029_07_01", { isActive: true }],
    ["029_08_01", { isActive: true, expiresAt: "2099-01-01T00:00:00Z" }],
  ])("%s activates a paused subscription with %j", async (_case, fragment) => {
    const id = await createSubscription({ ...subscriptionBody(), isActive: false });
    expect((await retrieveSubscription(id)).status).toBe("paused");
    const response = await broker.request("PATCH", `/subscriptions/${id}`, {
      body: { type: "Subscription", ...fragment },
    });
    expect(response.status, response.text).toBe(204);
    expect((await retrieveSubscription(id)).status).toBe("active");
    await deleteSubscription(id);
  });

  it("029_09_01 pauses an active subscription with isActive false", async () => {
    const id = await createSubscription(subscriptionBody());
    const response = await broker.request("PATCH", `/subscriptions/${id}`, {
      body: { type: "Subscription", isActive: false },
    });
    expect(response.status, response.text).toBe(204);
    expect((await retrieveSubscription(id)).status).toBe("paused");
    await deleteSubscription(id);
  });

  it("029_10_01 reactivates an expired subscription with a future expiresAt", async () => {
    // Prepare: a subscription that expires in two seconds, then has expired
    const id = await createSubscription(subscriptionBody());
    const soon = new Date(Date.now() + 2_000).toISOString();
    const shortened = await broker.request("PATCH", `/subscriptions/${id}`, {
      body: { type: "Subscription", expiresAt: soon },
    });
    expect(shortened.status, shortened.text).toBe(204);
    await until("the subscription to expire", async () =>
      (await retrieveSubscription(id)).status === "expired" ? true : undefined,
    );
    // Act
    const response = await broker.request("PATCH", `/subscriptions/${id}`, {
      body: { type: "Subscription", expiresAt: "2099-01-01T00:00:00Z" },
    });
    // Assess
    expect(response.status, response.text).toBe(204);
    expect((await retrieveSubscription(id)).status).toBe("active");
    await deleteSubscription(id);
  });

  it("029_11_01 refuses an expiresAt in the past with 400 BadRequestData", async () => {
    const id = await createSubscription(subscriptionBody());
    const response = await broker.request("PATCH", `/subscriptions/${id}`, {
      body: { type: "Subscription", expiresAt: "2020-08-01T22:07:00Z" },
    });
    expectProblem(response, 400, "BadRequestData");
    await deleteSubscription(id);
  });
});

describe("RetrieveSubscription", () => {
  it("030_01_01 refuses an id that is not a URI with 400 BadRequestData", async () => {
    expectProblem(await broker.request("GET", "/subscriptions/InvalidUri"), 400, "BadRequestData");
  });

  it("030_02_01 answers 404 ResourceNotFound for an unknown subscription", async () => {
    expectProblem(await broker.request("GET", `/subscriptions/${subscriptionId()}`), 404, "ResourceNotFound");
  });

  it("030_03_01 retrieves a subscription", async () => {
    const type = uniqueType("Building");
    const id = await createSubscription(
      {
        timeInterval: 5,
        entities: [{ type }],
        notification: {
          format: "keyValues",
          endpoint: { uri: "http://localhost:1111/notify", accept: "application/json" },
        },
        "@context": CORE_CONTEXT,
      },
      { headers: LD_JSON },
    );
    const response = await broker.request("GET", `/subscriptions/${id}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id,
      type: "Subscription",
      entities: [{ type }],
      timeInterval: 5,
      status: "active",
      notification: {
        format: "keyValues",
        endpoint: { uri: "http://localhost:1111/notify", accept: "application/json" },
      },
    });
    await deleteSubscription(id);
  });
});

describe("QuerySubscriptions", () => {
  /** Three subscriptions like the suite's (periodic, watchedAttributes, inactive). */
  async function threeSubscriptions(prefix: string): Promise<string[]> {
    const type = uniqueType("Building");
    const endpoint = { uri: "http://localhost:1111/notify" };
    return [
      await createSubscription(
        { timeInterval: 5, entities: [{ type }], notification: { endpoint } },
        { id: `${prefix}1` },
      ),
      await createSubscription(
        { entities: [{ type }], watchedAttributes: ["name"], notification: { endpoint } },
        { id: `${prefix}2` },
      ),
      await createSubscription(
        { entities: [{ type }], isActive: false, notification: { endpoint } },
        { id: `${prefix}3` },
      ),
    ];
  }

  it("031_01_01 lists the subscriptions", async () => {
    // Prepare
    const ids = await threeSubscriptions(`${subscriptionId()}-`);
    // Act
    const response = await broker.request("GET", "/subscriptions", { query: { limit: "1000" } });
    // Assess
    expect(response.status).toBe(200);
    const listed = asArray(response.body).map((s) => asObject(s));
    for (const id of ids) expect(listed.find((s) => s.id === id)?.type).toBe("Subscription");
    expect(listed.find((s) => s.id === ids[2])?.status).toBe("paused");
    for (const id of ids) await deleteSubscription(id);
  });

  it("031_02_01/02/03 pages the list with limit and offset and Link prev/next", async () => {
    // Prepare: ids that sort after every other subscription of the destination (ULIDs and UUIDs do not
    // reach "z"), so the three are the last three of the listing whatever other cases left behind.
    const ids = await threeSubscriptions(`urn:ngsi-ld:Subscription:zzz${crypto.randomUUID()}-`);
    const total = Number(
      (await broker.request("GET", "/subscriptions", { query: { count: "true", limit: "1" } })).headers.get(
        "ngsild-results-count",
      ),
    );
    const first = total - 3;
    const page = (limit: number, offset: number) =>
      broker.request("GET", "/subscriptions", {
        query: { limit: String(limit), offset: String(offset) },
        headers: { accept: "application/ld+json" },
      });
    // Act: the second of the three
    const second = await page(1, first + 1);
    // Assess
    expect(asArray(second.body).map((s) => asObject(s).id)).toEqual([ids[1]]);
    const secondLinks = second.headers.get("link") ?? "";
    expect(secondLinks).toContain(`offset=${first}`);
    expect(secondLinks).toContain('rel="prev"');
    expect(secondLinks).toContain(`offset=${first + 2}`);
    expect(secondLinks).toContain('rel="next"');
    // Act: the last one: a prev link, no next
    const last = await page(1, first + 2);
    expect(asArray(last.body).map((s) => asObject(s).id)).toEqual([ids[2]]);
    expect(last.headers.get("link") ?? "").toContain('rel="prev"');
    expect(last.headers.get("link") ?? "").not.toContain('rel="next"');
    // Act: all of them on one page: no links
    const all = await page(15, first);
    expect(asArray(all.body).map((s) => asObject(s).id)).toEqual(ids);
    expect(all.headers.get("link") ?? "").not.toContain('rel="next"');
    for (const id of ids) await deleteSubscription(id);
  });
});

describe("DeleteSubscription", () => {
  it("032_01_01 answers 405 to a DELETE without a subscription id", async () => {
    expect((await broker.request("DELETE", "/subscriptions/")).status).toBe(405);
  });

  it("032_01_02 refuses an id that is not a URI with 400 BadRequestData", async () => {
    expectProblem(await broker.request("DELETE", "/subscriptions/InvalidUri"), 400, "BadRequestData");
  });

  it("032_02_01 answers 404 ResourceNotFound for an unknown subscription", async () => {
    expectProblem(
      await broker.request("DELETE", `/subscriptions/${subscriptionId()}`),
      404,
      "ResourceNotFound",
    );
  });

  it("032_03_01 deletes a subscription", async () => {
    const id = await createSubscription({
      timeInterval: 5,
      entities: [{ type: uniqueType("Building") }],
      notification: { endpoint: { uri: "http://localhost:1111/notify" } },
    });
    const response = await broker.request("DELETE", `/subscriptions/${id}`);
    expect(response.status).toBe(204);
    expect(response.text).toBe("");
    expect((await broker.request("GET", `/subscriptions/${id}`)).status).toBe(404);
  });
});

describe.concurrent("SubscriptionNotificationBehaviour", () => {
  /** A building of a unique type and a subscription to it with a notification receiver of its own. */
  async function watchedBuilding(
    subscription: (entityId: string, type: string, path: string) => Json,
    entity: (type: string) => Json = building,
  ) {
    const type = uniqueType("Building");
    const created = entity(type);
    const entityId = String(created.id);
    await createEntity(created);
    const path = receiverPath();
    const id = await createSubscription(subscription(entityId, type, path));
    return {
      entityId,
      type,
      path,
      id,
      async cleanUp() {
        await deleteSubscription(id);
        await deleteEntity(entityId);
      },
    };
  }

  const onEntity = (entityId: string, type: string) => [{ id: entityId, type }];

  it("046_01_01 notifies an active subscription of a change", async () => {
    const s = await watchedBuilding((entityId, type, path) => ({
      entities: onEntity(entityId, type),
      notification: { endpoint: endpointAt(path) },
    }));
    await airQualityFive(s.entityId);
    const { notification, entity } = await airQualityNotification(s.path);
    expect(notification.body.subscriptionId).toBe(s.id);
    expect(entity.id).toBe(s.entityId);
    expect(asObject(entity.airQualityLevel).value).toBe(5);
    await s.cleanUp();
  });

  it("046_03_01 includes the whole entity when there is no q or geoQ", async () => {
    const s = await watchedBuilding((entityId, type, path) => ({
      entities: onEntity(entityId, type),
      notification: { endpoint: endpointAt(path) },
    }));
    await airQualityFive(s.entityId);
    const { entity } = await airQualityNotification(s.path);
    expect(asObject(entity.airQualityLevel).value).toBe(5);
    expect(asObject(entity.name).value).toBe("Eiffel Tower");
    await s.cleanUp();
  });

  it("046_04_01 notifies a change of a watched attribute", async () => {
    const s = await watchedBuilding((_entityId, type, path) => ({
      entities: [{ type }],
      watchedAttributes: ["airQualityLevel"],
      notification: { endpoint: endpointAt(path) },
    }));
    await airQualityFive(s.entityId);
    const { entity } = await airQualityNotification(s.path);
    expect(entity.id).toBe(s.entityId);
    expect(asObject(entity.airQualityLevel).value).toBe(5);
    expect(asObject(entity.name).value).toBe("Eiffel Tower");
    await s.cleanUp();
  });

  it("046_05_01 notifies a watched change of an entity that matches q", async () => {
    const s = await watchedBuilding((entityId, type, path) => ({
      entities: onEntity(entityId, type),
      watchedAttributes: ["airQualityLevel"],
      q: "airQualityLevel>4",
      notification: { endpoint: endpointAt(path) },
    }));
    await airQualityFive(s.entityId);
    const entity = firstEntity(await nextNotification(s.path));
    expect(entity.id).toBe(s.entityId);
    expect(asObject(entity.airQualityLevel).value).toBe(5);
    expect(asObject(entity.name).value).toBe("Eiffel Tower");
    await s.cleanUp();
  });

  it("046_06_01 notifies the creation of an entity to an entityCreated subscription", async () => {
    // Prepare
    const type = uniqueType("Building");
    const path = receiverPath();
    const id = await createSubscription({
      entities: [{ type }],
      notificationTrigger: ["entityCreated"],
      notification: { endpoint: endpointAt(path) },
    });
    const entity = buildingOfEveryKind(type);
    // Act
    await createEntity({ ...entity, "@context": CORE_CONTEXT }, LD_JSON);
    // Assess
    const notification = await nextNotification(path);
    expect(notification.body.subscriptionId).toBe(id);
    expect(firstEntity(notification).id).toBe(entity.id);
    await deleteSubscription(id);
    await deleteEntity(String(entity.id));
  });

  it("046_07_01 sends a notification of the structure of clause 5.3.1", async () => {
    const s = await watchedBuilding((entityId, type, path) => ({
      entities: onEntity(entityId, type),
      notification: { endpoint: endpointAt(path) },
    }));
    await airQualityFive(s.entityId);
    const { body } = await nextNotification(s.path);
    expect(body.type).toBe("Notification");
    expect(String(body.id)).toMatch(/^urn:ngsi-ld:Notification:/);
    expect(body.subscriptionId).toBe(s.id);
    expect(isDateTime(body.notifiedAt)).toBe(true);
    await s.cleanUp();
  });

  it("046_07_02 includes only notification.attributes", async () => {
    const s = await watchedBuilding((entityId, type, path) => ({
      entities: onEntity(entityId, type),
      notification: { attributes: ["airQualityLevel"], endpoint: endpointAt(path) },
    }));
    await airQualityFive(s.entityId);
    const entity = firstEntity(await nextNotification(s.path));
    expect(entity).toHaveProperty("airQualityLevel");
    expect(entity).not.toHaveProperty("name");
    await s.cleanUp();
  });

  it.each([
    ["046_42_01", "only the members pick names", { pick: ["id", "name"] }, ["id", "name"]],
    [
      "046_43_01",
      "none of the members omit names",
      { omit: ["type", "name"] },
      ["id", "locatedAt", "location", "street"],
    ],
  ])("%s notifies an update with %s", async (_case, _what, projection, expected) => {
    // Prepare: a building with attributes of four types, created before its subscription
    const s = await watchedBuilding(
      (_entityId, type, path) => ({
        entities: [{ type }],
        notification: { endpoint: endpointAt(path, { accept: "application/json" }), ...projection },
      }),
      buildingOfEveryKind,
    );
    // Act: the suite's name fragment
    await patchAttrs(s.entityId, { name: { type: "Property", value: "Tour Eiffel" } });
    // Assess: with name in the projection, wait for the update; without it, every entry looks alike
    const { notification, entity } = await notificationWhere(s.path, (e) =>
      expected.includes("name") ? asObject(e.name ?? {}).value === "Tour Eiffel" : true,
    );
    expect(notification.body.subscriptionId).toBe(s.id);
    expect(Object.keys(entity).sort()).toEqual(expected);
    if (expected.includes("id")) expect(entity.id).toBe(s.entityId);
    if (expected.includes("name")) expect(entity.name).toEqual({ type: "Property", value: "Tour Eiffel" });
    if (expected.includes("street")) {
      expect(entity.locatedAt).toEqual({ type: "Relationship", object: "urn:ngsi-ld:City:Paris" });
      expect(entity.location).toEqual({
        type: "GeoProperty",
        value: { type: "Point", coordinates: [-8.5, 41.2] },
      });
      expect(entity.street).toEqual({
        type: "LanguageProperty",
        languageMap: { fr: "Grand Place", nl: "Grote Markt" },
      });
    }
    await s.cleanUp();
  });

  it("046_07_03 observes URI expansion: a term the notification's @context lacks stays an IRI", async () => {
    // Prepare: the entity is written with the PointOfInterest context; the subscription names an inline
    // @context object, which no Link header can carry, so the notification is compacted with the core only
    const type = uniqueType("Building");
    const entityId = uniqueId(type);
    await createEntity(
      { id: entityId, type, accessType: { type: "Property", value: "free" } },
      { link: linkTo(SDM_CONTEXT) },
    );
    const path = receiverPath();
    const id = await createSubscription(
      {
        entities: [{ id: entityId, type }],
        notification: { endpoint: endpointAt(path) },
        "@context": [{ accessType: ACCESS_TYPE_IRI }, CORE_CONTEXT],
      },
      { headers: LD_JSON },
    );
    // Act
    await patchAttrs(
      entityId,
      { accessType: { type: "Property", value: "paid" } },
      { link: linkTo(SDM_CONTEXT) },
    );
    // Assess
    const { entity } = await notificationWhere(
      path,
      (e) => asObject(e[ACCESS_TYPE_IRI] ?? {}).value === "paid",
    );
    expect(asObject(entity[ACCESS_TYPE_IRI]).value).toBe("paid");
    await deleteSubscription(id);
    await deleteEntity(entityId);
  });

  it.each([
    ["046_08_01", "normalized"],
    ["046_08_02", "keyValues"],
  ])("%s includes every attribute without notification.attributes (%s)", async (_case, format) => {
    const s = await watchedBuilding((entityId, type, path) => ({
      entities: onEntity(entityId, type),
      notification: { format, endpoint: endpointAt(path) },
    }));
    await airQualityFive(s.entityId);
    const entity = firstEntity(await nextNotification(s.path));
    expect(entity.id).toBe(s.entityId);
    for (const name of ["almostFull", "airQualityLevel", "subCategory"]) expect(entity).toHaveProperty(name);
    if (format === "keyValues") expect(entity.name).toBe("Eiffel Tower");
    else expect(asObject(entity.name).value).toBe("Eiffel Tower");
    await s.cleanUp();
  });

  it("046_09_01 sends endpoint.receiverInfo as headers", async () => {
    const s = await watchedBuilding((entityId, type, path) => ({
      entities: onEntity(entityId, type),
      notification: {
        endpoint: endpointAt(path, {
          receiverInfo: [{ key: "X-Additional-Key", value: "an additional value" }],
        }),
      },
    }));
    await airQualityFive(s.entityId);
    expect((await nextNotification(s.path)).headers["x-additional-key"]).toBe("an additional value");
    await s.cleanUp();
  });

  it("046_10_01 sends JSON by default, with the @context in a Link header", async () => {
    // Prepare: a subscription written with the PointOfInterest context in a Link header
    const type = uniqueType("Building");
    const created = building(type);
    await createEntity(created);
    const path = receiverPath();
    const id = await createSubscription(
      { entities: [{ id: created.id, type }], notification: { endpoint: endpointAt(path) } },
      { headers: { link: linkTo(SDM_CONTEXT) } },
    );
    // Act
    await airQualityFive(String(created.id));
    // Assess
    const notification = await nextNotification(path);
    expect(notification.headers["content-type"]).toMatch(/^application\/json/);
    expect(notification.headers.link).toBe(linkTo(SDM_CONTEXT));
    expect(firstEntity(notification)).not.toHaveProperty("@context");
    await deleteSubscription(id);
    await deleteEntity(String(created.id));
  });

  it("046_11_01 counts the notification in timesSent", async () => {
    // attributeUpdated only: the entity's creation, made just before, must not count
    const s = await watchedBuilding((entityId, type, path) => ({
      entities: onEntity(entityId, type),
      notificationTrigger: ["attributeUpdated"],
      notification: { endpoint: endpointAt(path) },
    }));
    await airQualityFive(s.entityId);
    await nextNotification(s.path);
    const status = await until("timesSent to be recorded", async () => {
      const n = asObject((await retrieveSubscription(s.id)).notification);
      return n.timesSent === 1 ? n : undefined;
    });
    expect(status.timesSent).toBe(1);
    await s.cleanUp();
  });

  it("046_12_01 records status ok, lastNotification and lastSuccess", async () => {
    const s = await watchedBuilding((entityId, type, path) => ({
      entities: onEntity(entityId, type),
      notification: { endpoint: endpointAt(path) },
    }));
    await airQualityFive(s.entityId);
    await nextNotification(s.path);
    const status = await until("the delivery to be recorded", async () => {
      const n = asObject((await retrieveSubscription(s.id)).notification);
      return n.lastSuccess === undefined ? undefined : n;
    });
    expect(status.status).toBe("ok");
    expect(isDateTime(status.lastNotification)).toBe(true);
    expect(isDateTime(status.lastSuccess)).toBe(true);
    await s.cleanUp();
  });

  it("046_13_01 records status failed and lastFailure when the endpoint fails", async () => {
    // Prepare: nothing listens on port 1 of the loopback
    const s = await watchedBuilding((entityId, type) => ({
      entities: onEntity(entityId, type),
      notification: { endpoint: { uri: "http://127.0.0.1:1/notify" } },
    }));
    // Act
    await airQualityFive(s.entityId);
    // Assess
    const status = await until("the failure to be recorded", async () => {
      const n = asObject((await retrieveSubscription(s.id)).notification);
      return n.lastFailure === undefined ? undefined : n;
    });
    expect(status.status).toBe("failed");
    expect(isDateTime(status.lastFailure)).toBe(true);
    await s.cleanUp();
  });

  it("046_14_01 sends JSON-LD when endpoint.accept asks for it: no Link header, @context in the body", async () => {
    const s = await watchedBuilding((entityId, type, path) => ({
      entities: onEntity(entityId, type),
      notification: { endpoint: endpointAt(path, { accept: "application/ld+json" }) },
    }));
    await airQualityFive(s.entityId);
    const notification = await nextNotification(s.path);
    expect(notification.headers["content-type"]).toMatch(/^application\/ld\+json/);
    expect(notification.headers.link).toBeUndefined();
    expect(firstEntity(notification)).toHaveProperty("@context");
    await s.cleanUp();
  });

  it("046_15_01 does not notify again before the throttling has elapsed", async () => {
    const s = await watchedBuilding((entityId, type, path) => ({
      entities: onEntity(entityId, type),
      notificationTrigger: ["attributeUpdated"],
      throttling: 60,
      notification: { endpoint: endpointAt(path) },
    }));
    await airQualityFive(s.entityId);
    await nextNotification(s.path);
    await patchAttrs(s.entityId, { airQualityLevel: { type: "Property", value: 6 } });
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    expect(broker.received(s.path)).toHaveLength(1);
    await s.cleanUp();
  });

  it("046_16_01 notifies an entity whose type matches the type selection", async () => {
    // Prepare
    const [buildingType, towerType] = [uniqueType("Building"), uniqueType("Tower")];
    const path = receiverPath();
    const id = await createSubscription({
      entities: [{ type: `(${buildingType}|${towerType})` }],
      notificationTrigger: ["entityCreated"],
      notification: { endpoint: endpointAt(path) },
    });
    const entity = building(buildingType);
    // Act
    await createEntity(entity);
    // Assess
    const notification = await nextNotification(path);
    expect(notification.body.subscriptionId).toBe(id);
    expect(firstEntity(notification).id).toBe(entity.id);
    await deleteSubscription(id);
    await deleteEntity(String(entity.id));
  });

  it("046_16_02 does not notify an entity whose type does not match the type selection", async () => {
    const [buildingType, towerType, vehicleType] = [
      uniqueType("Building"),
      uniqueType("Tower"),
      uniqueType("Vehicle"),
    ];
    const path = receiverPath();
    const id = await createSubscription({
      entities: [{ type: `(${buildingType}|${towerType})` }],
      notificationTrigger: ["entityCreated"],
      notification: { endpoint: endpointAt(path) },
    });
    const vehicle = { id: uniqueId(vehicleType), type: vehicleType, speed: { type: "Property", value: 50 } };
    await createEntity(vehicle);
    await expectNoNotification(path);
    await deleteSubscription(id);
    await deleteEntity(vehicle.id);
  });

  it.each([
    ["046_17_01", true],
    ["046_18_01", false],
  ])("%s includes system attributes exactly when sysAttrs is %s", async (_case, sysAttrs) => {
    const s = await watchedBuilding((entityId, type, path) => ({
      entities: onEntity(entityId, type),
      notification: { sysAttrs, endpoint: endpointAt(path) },
    }));
    await airQualityFive(s.entityId);
    const entity = firstEntity(await nextNotification(s.path));
    if (sysAttrs) {
      expect(isDateTime(entity.createdAt)).toBe(true);
      expect(isDateTime(entity.modifiedAt)).toBe(true);
    } else {
      expect(entity).not.toHaveProperty("createdAt");
      expect(entity).not.toHaveProperty("modifiedAt");
    }
    await s.cleanUp();
  });

  it("046_20 compacts the notification with the subscription's jsonldContext", async () => {
    // Prepare: the subscription itself is written with the core context only
    const type = uniqueType("Building");
    const entityId = uniqueId(type);
    await createEntity(
      { id: entityId, type, accessType: { type: "Property", value: "free" } },
      { link: linkTo(SDM_CONTEXT) },
    );
    const path = receiverPath();
    const id = await createSubscription({
      entities: [{ id: entityId, type }],
      jsonldContext: SDM_CONTEXT,
      notification: { endpoint: endpointAt(path, { accept: "application/ld+json" }) },
    });
    // Act
    await patchAttrs(
      entityId,
      { accessType: { type: "Property", value: "paid" } },
      { link: linkTo(SDM_CONTEXT) },
    );
    // Assess
    const { notification, entity } = await notificationWhere(
      path,
      (e) => asObject(e.accessType ?? {}).value === "paid",
    );
    expect(asObject(entity.accessType).value).toBe("paid");
    expect(JSON.stringify(notification.body["@context"])).toContain(SDM_CONTEXT);
    await deleteSubscription(id);
    await deleteEntity(entityId);
  });

  it("046_21_01 notifies an entity deletion with the entity's id, type and deletedAt only", async () => {
    const s = await watchedBuilding(
      (_entityId, type, path) => ({
        entities: [{ type }],
        notificationTrigger: ["entityDeleted"],
        notification: { format: "keyValues", endpoint: endpointAt(path) },
      }),
      buildingOfEveryKind,
    );
    await deleteEntity(s.entityId);
    const notification = await nextNotification(s.path);
    expect(notification.body.subscriptionId).toBe(s.id);
    expect(asArray(notification.body.data)).toHaveLength(1);
    const entity = firstEntity(notification);
    expect(Object.keys(entity).sort()).toEqual(["deletedAt", "id", "type"]);
    expect(entity.id).toBe(s.entityId);
    expect(isDateTime(entity.deletedAt)).toBe(true);
    await deleteSubscription(s.id);
  });

  it("046_21_02 adds createdAt and modifiedAt to an entity deletion with sysAttrs", async () => {
    const s = await watchedBuilding(
      (_entityId, type, path) => ({
        entities: [{ type }],
        notificationTrigger: ["entityDeleted"],
        notification: { format: "keyValues", sysAttrs: true, endpoint: endpointAt(path) },
      }),
      buildingOfEveryKind,
    );
    await deleteEntity(s.entityId);
    const entity = firstEntity(await nextNotification(s.path));
    expect(Object.keys(entity).sort()).toEqual(["createdAt", "deletedAt", "id", "modifiedAt", "type"]);
    expect(isDateTime(entity.createdAt)).toBe(true);
    expect(isDateTime(entity.deletedAt)).toBe(true);
    await deleteSubscription(s.id);
  });

  describe("attributeDeleted", () => {
    const deleteAttr = async (entityId: string, attr: string, query?: Record<string, string>) => {
      const response = await broker.request("DELETE", `/entities/${entityId}/attrs/${attr}`, {
        ...(query ? { query } : {}),
      });
      expect(response.status, response.text).toBe(204);
    };

    /** The suite's multi-instance building: `name` in a default and a French dataset. */
    const multiInstanceBuilding = (type: string): Json => ({
      ...building(type),
      name: [
        { type: "Property", value: "Eiffel Tower" },
        { type: "Property", value: "Tour Eiffel", datasetId: "urn:ngsi-ld:Dataset:french-name" },
      ],
    });

    it.each([
      ["046_22_01", undefined],
      ["046_22_02", ["name"]],
    ])("%s notifies an attribute deletion in keyValues (watchedAttributes %j)", async (_case, watched) => {
      const s = await watchedBuilding((_entityId, type, path) => ({
        entities: [{ type }],
        ...(watched ? { watchedAttributes: watched } : {}),
        notificationTrigger: ["attributeDeleted"],
        notification: { format: "keyValues", endpoint: endpointAt(path) },
      }));
      await deleteAttr(s.entityId, "name");
      const notification = await nextNotification(s.path);
      expect(notification.body.subscriptionId).toBe(s.id);
      expect(asArray(notification.body.data)).toHaveLength(1);
      expect(firstEntity(notification)).toEqual({
        id: s.entityId,
        type: s.type,
        almostFull: false,
        subCategory: "tourism",
        airQualityLevel: 4,
        name: "urn:ngsi-ld:null",
      });
      await s.cleanUp();
    });

    it("046_22_03 does not notify the deletion of an attribute that is not watched", async () => {
      const s = await watchedBuilding((_entityId, type, path) => ({
        entities: [{ type }],
        watchedAttributes: ["name"],
        notificationTrigger: ["attributeDeleted"],
        notification: { format: "keyValues", endpoint: endpointAt(path) },
      }));
      await deleteAttr(s.entityId, "airQualityLevel");
      await expectNoNotification(s.path);
      await s.cleanUp();
    });

    it("046_22_04 notifies an attribute deletion in normalized form with the NGSI-LD Null", async () => {
      const s = await watchedBuilding((_entityId, type, path) => ({
        entities: [{ type }],
        watchedAttributes: ["name"],
        notificationTrigger: ["attributeDeleted"],
        notification: { format: "normalized", endpoint: endpointAt(path) },
      }));
      await deleteAttr(s.entityId, "name");
      const entity = firstEntity(await nextNotification(s.path));
      expect(entity.name).toEqual({ type: "Property", value: "urn:ngsi-ld:null" });
      expect(asObject(entity.airQualityLevel).value).toBe(4);
      await s.cleanUp();
    });

    it("046_22_05 gives the deleted attribute a deletedAt with sysAttrs", async () => {
      const s = await watchedBuilding((_entityId, type, path) => ({
        entities: [{ type }],
        watchedAttributes: ["name"],
        notificationTrigger: ["attributeDeleted"],
        notification: { format: "normalized", sysAttrs: true, endpoint: endpointAt(path) },
      }));
      await deleteAttr(s.entityId, "name");
      const entity = firstEntity(await nextNotification(s.path));
      expect(isDateTime(asObject(entity.name).deletedAt)).toBe(true);
      await s.cleanUp();
    });

    it.each([
      ["046_22_06", "normalized", { type: "Property", value: "urn:ngsi-ld:null" }],
      ["046_22_07", "keyValues", "urn:ngsi-ld:null"],
    ])("%s notifies the deletion of one dataset of an attribute (%s)", async (_case, format, deleted) => {
      const s = await watchedBuilding(
        (_entityId, type, path) => ({
          entities: [{ type }],
          watchedAttributes: ["name"],
          notificationTrigger: ["attributeDeleted"],
          notification: { format, endpoint: endpointAt(path) },
        }),
        multiInstanceBuilding,
      );
      await deleteAttr(s.entityId, "name", { datasetId: "urn:ngsi-ld:Dataset:french-name" });
      const entity = firstEntity(await nextNotification(s.path));
      expect(entity.id).toBe(s.entityId);
      if (format === "normalized")
        expect(entity.name).toEqual([
          { type: "Property", value: "Eiffel Tower" },
          { ...asObject(deleted), datasetId: "urn:ngsi-ld:Dataset:french-name" },
        ]);
      else
        expect(entity.name).toEqual({
          dataset: { "@none": "Eiffel Tower", "urn:ngsi-ld:Dataset:french-name": deleted },
        });
      await s.cleanUp();
    });

    it("046_22_08 notifies the deletion of every instance of an attribute (deleteAll)", async () => {
      const s = await watchedBuilding(
        (_entityId, type, path) => ({
          entities: [{ type }],
          watchedAttributes: ["name"],
          notificationTrigger: ["attributeDeleted"],
          notification: { format: "normalized", endpoint: endpointAt(path) },
        }),
        multiInstanceBuilding,
      );
      await deleteAttr(s.entityId, "name", { deleteAll: "true" });
      const notification = await nextNotification(s.path);
      expect(asArray(notification.body.data)).toHaveLength(1);
      const name = firstEntity(notification).name;
      const instances = (Array.isArray(name) ? name : [name]).map((i) => asObject(i));
      expect(instances.length).toBeGreaterThan(0);
      for (const instance of instances) expect(instance.value).toBe("urn:ngsi-ld:null");
      await s.cleanUp();
    });

    it.each([
      ["046_22_12", false],
      ["046_22_13", true],
    ])(
      "%s notifies the watched attributes of a deleted entity as deleted (sysAttrs %s)",
      async (_case, sysAttrs) => {
        // Prepare
        const s = await watchedBuilding((_entityId, type, path) => ({
          entities: [{ type }],
          watchedAttributes: ["name"],
          notificationTrigger: ["attributeDeleted"],
          notification: { format: "normalized", sysAttrs, endpoint: endpointAt(path) },
        }));
        // Act
        await deleteEntity(s.entityId);
        // Assess
        const notification = await nextNotification(s.path);
        expect(asArray(notification.body.data)).toHaveLength(1);
        const entity = firstEntity(notification);
        const expected = sysAttrs
          ? ["createdAt", "deletedAt", "id", "modifiedAt", "name", "type"]
          : ["deletedAt", "id", "name", "type"];
        expect(Object.keys(entity).sort()).toEqual(expected);
        expect(entity).toMatchObject({
          id: s.entityId,
          name: { type: "Property", value: "urn:ngsi-ld:null" },
        });
        if (sysAttrs) {
          const name = asObject(entity.name);
          for (const member of ["createdAt", "modifiedAt", "deletedAt"])
            expect(isDateTime(name[member])).toBe(true);
        }
        await deleteSubscription(s.id);
      },
    );

    const nullDeletions: Array<[string, string, Json, (id: string) => Promise<unknown>]> = [
      [
        "046_22_09_01",
        "name",
        { type: "Property", value: "urn:ngsi-ld:null" },
        (id) => broker.request("PATCH", `/entities/${id}`, { body: { name: "urn:ngsi-ld:null" } }),
      ],
      [
        "046_22_09_03",
        "name",
        { type: "Property", value: "urn:ngsi-ld:null" },
        (id) =>
          broker.request("PATCH", `/entities/${id}/attrs/name`, {
            body: { type: "Property", value: "urn:ngsi-ld:null" },
          }),
      ],
      [
        "046_22_10_01",
        "locatedAt",
        { type: "Relationship", object: "urn:ngsi-ld:null" },
        (id) => broker.request("PATCH", `/entities/${id}`, { body: { locatedAt: "urn:ngsi-ld:null" } }),
      ],
      [
        "046_22_10_03",
        "locatedAt",
        { type: "Relationship", object: "urn:ngsi-ld:null" },
        (id) =>
          broker.request("PATCH", `/entities/${id}/attrs/locatedAt`, {
            body: { type: "Relationship", object: "urn:ngsi-ld:null" },
          }),
      ],
    ];

    it.each(nullDeletions)(
      "%s notifies %s deleted with the NGSI-LD Null",
      async (_case, attr, expected, remove) => {
        const s = await watchedBuilding(
          (_entityId, type, path) => ({
            entities: [{ type }],
            watchedAttributes: [attr],
            notificationTrigger: ["attributeDeleted"],
            notification: { format: "normalized", endpoint: endpointAt(path) },
          }),
          buildingOfEveryKind,
        );
        const response = asObject(await remove(s.entityId));
        expect(response.status).toBe(204);
        const notification = await nextNotification(s.path);
        expect(asArray(notification.body.data)).toHaveLength(1);
        expect(firstEntity(notification)[attr]).toEqual(expected);
        await s.cleanUp();
      },
    );

    it.each([
      ["046_22_09_02", "name", { type: "Property", value: "urn:ngsi-ld:null" }],
      ["046_22_10_02", "locatedAt", { type: "Relationship", object: "urn:ngsi-ld:null" }],
    ])(
      "%s notifies %s deleted by PATCH /entities/{id}/attrs with the NGSI-LD Null",
      async (_case, attr, nulled) => {
        // Prepare
        const s = await watchedBuilding(
          (_entityId, type, path) => ({
            entities: [{ type }],
            watchedAttributes: [attr],
            notificationTrigger: ["attributeDeleted"],
            notification: { format: "normalized", endpoint: endpointAt(path) },
          }),
          buildingOfEveryKind,
        );
        // Act
        const response = await broker.request("PATCH", `/entities/${encodeURIComponent(s.entityId)}/attrs`, {
          body: { [attr]: nulled },
        });
        // Assess
        expect(response.status, response.text).toBe(204);
        const notification = await nextNotification(s.path);
        expect(notification.body.subscriptionId).toBe(s.id);
        expect(asArray(notification.body.data)).toHaveLength(1);
        expect(firstEntity(notification).id).toBe(s.entityId);
        expect(firstEntity(notification)[attr]).toEqual(nulled);
        await s.cleanUp();
      },
    );
  });

  describe("showChanges", () => {
    const showChangesOn = (triggers: string[]) => (_entityId: string, type: string, path: string) => ({
      entities: [{ type }],
      notificationTrigger: triggers,
      notification: { format: "normalized", showChanges: true, endpoint: endpointAt(path) },
    });

    const updates: Array<[string, string, Json, Json]> = [
      [
        "046_31_01",
        "name",
        { type: "Property", value: "Tour Eiffel" },
        { type: "Property", value: "Tour Eiffel", previousValue: "Eiffel Tower" },
      ],
      [
        "046_31_02",
        "locatedAt",
        { type: "Relationship", object: "urn:ngsi-ld:City:Lyon" },
        { type: "Relationship", object: "urn:ngsi-ld:City:Lyon", previousObject: "urn:ngsi-ld:City:Paris" },
      ],
      [
        "046_31_03",
        "location",
        { type: "GeoProperty", value: { type: "Point", coordinates: [2.29, 48.85] } },
        {
          type: "GeoProperty",
          value: { type: "Point", coordinates: [2.29, 48.85] },
          previousValue: { type: "Point", coordinates: [-8.5, 41.2] },
        },
      ],
      [
        "046_31_04",
        "street",
        { type: "LanguageProperty", languageMap: { fr: "Rue Neuve" } },
        {
          type: "LanguageProperty",
          languageMap: { fr: "Rue Neuve" },
          previousLanguageMap: { fr: "Grand Place", nl: "Grote Markt" },
        },
      ],
    ];

    it.each(updates)(
      "%s shows the previous value of an updated %s",
      async (_case, attr, fragment, expected) => {
        const s = await watchedBuilding(showChangesOn(["attributeUpdated"]), buildingOfEveryKind);
        await patchAttrs(s.entityId, { [attr]: fragment });
        const entity = firstEntity(await nextNotification(s.path));
        expect(entity[attr]).toEqual(expected);
        await s.cleanUp();
      },
    );

    it("046_32_01 shows the previous json of an updated JsonProperty", async () => {
      const s = await watchedBuilding(showChangesOn(["attributeUpdated"]), (type) => ({
        id: uniqueId(type),
        type,
        jsonProperty: { type: "JsonProperty", json: { color: "blue", size: 1 } },
      }));
      await patchAttrs(s.entityId, { jsonProperty: { type: "JsonProperty", json: { color: "red" } } });
      const entity = firstEntity(await nextNotification(s.path));
      expect(entity.jsonProperty).toEqual({
        type: "JsonProperty",
        json: { color: "red" },
        previousJson: { color: "blue", size: 1 },
      });
      await s.cleanUp();
    });

    const deletions: Array<[string, string, Json]> = [
      ["046_34_01", "name", { type: "Property", value: "urn:ngsi-ld:null", previousValue: "Eiffel Tower" }],
      [
        "046_34_02",
        "locatedAt",
        { type: "Relationship", object: "urn:ngsi-ld:null", previousObject: "urn:ngsi-ld:City:Paris" },
      ],
      [
        "046_34_03",
        "location",
        {
          type: "GeoProperty",
          value: "urn:ngsi-ld:null",
          previousValue: { type: "Point", coordinates: [-8.5, 41.2] },
        },
      ],
      [
        "046_34_04",
        "street",
        {
          type: "LanguageProperty",
          languageMap: "urn:ngsi-ld:null",
          previousLanguageMap: { fr: "Grand Place", nl: "Grote Markt" },
        },
      ],
    ];

    it.each(deletions)("%s shows the previous value of a deleted %s", async (_case, attr, expected) => {
      const s = await watchedBuilding(showChangesOn(["attributeDeleted"]), buildingOfEveryKind);
      const response = await broker.request("DELETE", `/entities/${s.entityId}/attrs/${attr}`, {
        query: { deleteAll: "false" },
      });
      expect(response.status, response.text).toBe(204);
      const entity = firstEntity(await nextNotification(s.path));
      expect(entity[attr]).toEqual(expected);
      await s.cleanUp();
    });

    it("046_35_01 shows the previous json of a deleted JsonProperty", async () => {
      const s = await watchedBuilding(showChangesOn(["attributeDeleted"]), (type) => ({
        id: uniqueId(type),
        type,
        jsonProperty: { type: "JsonProperty", json: { color: "blue" } },
      }));
      const response = await broker.request("DELETE", `/entities/${s.entityId}/attrs/jsonProperty`);
      expect(response.status, response.text).toBe(204);
      const entity = firstEntity(await nextNotification(s.path));
      expect(entity.jsonProperty).toEqual({
        type: "JsonProperty",
        json: "urn:ngsi-ld:null",
        previousJson: { color: "blue" },
      });
      await s.cleanUp();
    });

    it("046_37_01 shows the previous value of every attribute of a deleted entity", async () => {
      const s = await watchedBuilding(showChangesOn(["entityDeleted"]), buildingOfEveryKind);
      await deleteEntity(s.entityId);
      const entity = firstEntity(await nextNotification(s.path));
      expect(entity).toMatchObject({
        id: s.entityId,
        type: s.type,
        name: { type: "Property", value: "urn:ngsi-ld:null", previousValue: "Eiffel Tower" },
        locatedAt: {
          type: "Relationship",
          object: "urn:ngsi-ld:null",
          previousObject: "urn:ngsi-ld:City:Paris",
        },
        location: {
          type: "GeoProperty",
          value: "urn:ngsi-ld:null",
          previousValue: { type: "Point", coordinates: [-8.5, 41.2] },
        },
        street: {
          type: "LanguageProperty",
          languageMap: "urn:ngsi-ld:null",
          previousLanguageMap: { fr: "Grand Place", nl: "Grote Markt" },
        },
      });
      expect(isDateTime(entity.deletedAt)).toBe(true);
      await deleteSubscription(s.id);
    });

    it("046_38_01 shows the previous json of a JsonProperty of a deleted entity", async () => {
      const s = await watchedBuilding(showChangesOn(["entityDeleted"]), (type) => ({
        id: uniqueId(type),
        type,
        jsonProperty: { type: "JsonProperty", json: { color: "blue" } },
      }));
      await deleteEntity(s.entityId);
      const entity = firstEntity(await nextNotification(s.path));
      expect(entity.jsonProperty).toEqual({
        type: "JsonProperty",
        json: "urn:ngsi-ld:null",
        previousJson: { color: "blue" },
      });
      await deleteSubscription(s.id);
    });

    it("046_40_01 sends no previous value for a created entity", async () => {
      // Prepare
      const type = uniqueType("Building");
      const path = receiverPath();
      const id = await createSubscription(showChangesOn(["entityCreated"])("", type, path));
      const entity = building(type);
      // Act
      await createEntity(entity);
      // Assess
      const notification = await nextNotification(path);
      expect(firstEntity(notification).id).toBe(entity.id);
      expect(JSON.stringify(notification.body.data)).not.toMatch(/"previous/);
      await deleteSubscription(id);
      await deleteEntity(String(entity.id));
    });

    it("046_41_01 sends no previous value for a created attribute", async () => {
      const s = await watchedBuilding(showChangesOn(["attributeCreated"]), (type) => ({
        id: uniqueId(type),
        type,
      }));
      const appended = await broker.request("POST", `/entities/${s.entityId}/attrs`, {
        body: { name: { type: "Property", value: "Eiffel Tower" } },
      });
      expect(appended.status, appended.text).toBe(204);
      const notification = await nextNotification(s.path);
      expect(JSON.stringify(notification.body.data)).not.toContain("previousValue");
      expect(asObject(firstEntity(notification).name).value).toBe("Eiffel Tower");
      await s.cleanUp();
    });
  });

  describe("paused subscriptions", () => {
    it("5212_01_01/02 a paused subscription delivers nothing; resuming it restores delivery", async () => {
      // Prepare
      const type = uniqueType("Building");
      const path = receiverPath();
      const id = await createSubscription({
        entities: [{ type }],
        isActive: false,
        notification: { endpoint: endpointAt(path) },
      });
      const entity = building(type);
      // Act: a change while paused
      await createEntity(entity);
      // Assess
      await expectNoNotification(path);
      // Act: resume, change again
      const resumed = await broker.request("PATCH", `/subscriptions/${id}`, { body: { isActive: true } });
      expect(resumed.status, resumed.text).toBe(204);
      await airQualityFive(String(entity.id));
      // Assess
      const notification = await nextNotification(path);
      expect(notification.body.subscriptionId).toBe(id);
      expect(firstEntity(notification).id).toBe(entity.id);
      await deleteSubscription(id);
      await deleteEntity(String(entity.id));
    });
  });
});
