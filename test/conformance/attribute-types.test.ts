import { describe, expect, it } from "vitest";
import {
  asArray,
  asObject,
  type BrokerResponse,
  CORE_CONTEXT,
  ERRORS,
  type Json,
  type Notification,
  uniqueId,
  uniqueType,
  until,
  useBroker,
} from "./harness";

/**
 * The ETSI suite's cases about the attribute types of clause 4.5.20–4.5.22: VocabProperty (`vocab`),
 * ListProperty (`valueList`) and ListRelationship (`objectList`), across provision, retrieval,
 * subscriptions (showChanges) and the temporal API. The suite's samples use its own test @context; ours
 * are written with the core @context (inline, `application/ld+json`), under which `monument` and the
 * other terms expand to the core default vocabulary and compact back to the same short names.
 */
const broker = useBroker();

const LD_JSON = { "content-type": "application/ld+json", accept: "application/ld+json" };
const ld = (body: Json) => ({ ...body, "@context": [CORE_CONTEXT] });
const entityPath = (id: string) => `/entities/${encodeURIComponent(id)}`;

function expectProblem(response: BrokerResponse, status: number, type: string) {
  expect(response.status, response.text).toBe(status);
  const body = asObject(response.body);
  expect(body.type).toBe(`${ERRORS}${type}`);
  expect(typeof body.title).toBe("string");
}

async function create(entity: Json): Promise<string> {
  const response = await broker.request("POST", "/entities", { body: ld(entity), headers: LD_JSON });
  expect(response.status, response.text).toBe(201);
  return String(entity.id);
}

/** The entity as the broker now holds it, without the @context a JSON-LD answer carries. */
async function retrieve(id: string, query: Record<string, string> = {}): Promise<Json> {
  const response = await broker.request("GET", entityPath(id), {
    headers: { accept: "application/ld+json" },
    query,
  });
  expect(response.status, response.text).toBe(200);
  const { "@context": _context, ...entity } = asObject(response.body);
  return entity;
}

const deleteEntity = (id: string) => broker.request("DELETE", entityPath(id));

/** The suite's building with a VocabProperty (`building-vocab-property-*.jsonld`). */
const buildingWithVocab = (type: string, vocab: string | string[], extra: Json = {}): Json => ({
  id: uniqueId(type),
  type,
  vocabProperty: { type: "VocabProperty", vocab, ...extra },
});

describe.concurrent("Provision/Entities/CreateEntity", () => {
  it.each([
    ["001_15_01", "a string", "monument"],
    ["001_15_02", "an array", ["monument", "sightseeing"]],
  ])("%s creates an entity with a VocabProperty whose vocab is %s", async (_case, _kind, vocab) => {
    // Prepare
    const entity = buildingWithVocab(uniqueType("Building"), vocab);
    // Act
    const response = await broker.request("POST", "/entities", { body: ld(entity), headers: LD_JSON });
    // Assess
    expect(response.status, response.text).toBe(201);
    expect(decodeURIComponent(response.headers.get("location") ?? "")).toBe(
      `/ngsi-ld/v1/entities/${entity.id}`,
    );
    expect(await retrieve(String(entity.id))).toEqual(entity);
    await deleteEntity(String(entity.id));
  });

  it("4522_01_01 accepts objectList entries bare and as {object}, and answers them all as {object}", async () => {
    // Prepare
    const type = uniqueType("Vehicle");
    const id = uniqueId(type);
    // Act
    await create({
      id,
      type,
      route: {
        type: "ListRelationship",
        objectList: ["urn:ngsi-ld:Road:1", { object: "urn:ngsi-ld:Road:2" }],
      },
    });
    // Assess
    expect((await retrieve(id)).route).toEqual({
      type: "ListRelationship",
      objectList: [{ object: "urn:ngsi-ld:Road:1" }, { object: "urn:ngsi-ld:Road:2" }],
    });
    await deleteEntity(id);
  });

  it.each([
    [
      "4522_01_02",
      "an objectList entry that is no URI",
      { type: "ListRelationship", objectList: ["not a uri"] },
    ],
    [
      "4522_01_03",
      "a ListProperty that also has a value",
      { type: "ListProperty", valueList: [1.2], value: 3 },
    ],
  ])("%s refuses %s with 400 BadRequestData", async (_case, _what, attribute) => {
    // Prepare
    const type = uniqueType("Vehicle");
    const id = uniqueId(type);
    // Act
    const response = await broker.request("POST", "/entities", {
      body: ld({ id, type, attribute }),
      headers: LD_JSON,
    });
    // Assess
    expectProblem(response, 400, "BadRequestData");
    expect((await broker.request("GET", entityPath(id))).status).toBe(404);
  });
});

describe.concurrent("Provision/EntityAttributes", () => {
  it("010_11_01 appends a VocabProperty: 204, and the entity has it", async () => {
    // Prepare
    const type = uniqueType("Vehicle");
    const id = await create({ id: uniqueId(type), type });
    const vocabProperty = { type: "VocabProperty", vocab: "monument" };
    // Act
    const response = await broker.request("POST", `${entityPath(id)}/attrs`, {
      body: ld({ vocabProperty }),
      headers: LD_JSON,
    });
    // Assess
    expect(response.status, response.text).toBe(204);
    expect(await retrieve(id)).toEqual({ id, type, vocabProperty });
    await deleteEntity(id);
  });

  it("012_09_01 partially updates a VocabProperty: new vocab, new sub-attribute, the others kept", async () => {
    // Prepare
    const source = { type: "Property", value: "Speedometer" };
    const entity = buildingWithVocab(uniqueType("Building"), "monument", { source });
    const id = await create(entity);
    const providedBy = { type: "Relationship", object: "urn:ngsi-ld:Person:JohnDoe" };
    // Act
    const response = await broker.request("PATCH", `${entityPath(id)}/attrs/vocabProperty`, {
      body: ld({ vocab: "sightseeing", providedBy }),
      headers: LD_JSON,
    });
    // Assess
    expect(response.status, response.text).toBe(204);
    expect((await retrieve(id)).vocabProperty).toEqual({
      type: "VocabProperty",
      vocab: "sightseeing",
      source,
      providedBy,
    });
    await deleteEntity(id);
  });

  it("013_07_01 deletes a VocabProperty: 204, and the entity is left without it", async () => {
    // Prepare
    const type = uniqueType("Building");
    const id = await create(buildingWithVocab(type, "monument"));
    // Act
    const response = await broker.request("DELETE", `${entityPath(id)}/attrs/vocabProperty`, {
      query: { deleteAll: "false" },
    });
    // Assess
    expect(response.status, response.text).toBe(204);
    expect(await retrieve(id)).toEqual({ id, type });
    await deleteEntity(id);
  });
});

describe.concurrent("Consumption/Entity/RetrieveEntity", () => {
  it("454_01 keyValues: every attribute type and a multi-instance attribute in their simplified forms", async () => {
    // Prepare
    const type = uniqueType("Vehicle");
    const id = await create({
      id: uniqueId(type),
      type,
      speed: [
        { type: "Property", value: 55 },
        { type: "Property", value: 11, datasetId: "urn:ngsi-ld:Dataset:gps" },
      ],
      tyreTreadDepths: { type: "ListProperty", valueList: [1.2, 3.4] },
      isParked: { type: "Relationship", object: "urn:ngsi-ld:OffStreetParking:1" },
      route: { type: "ListRelationship", objectList: ["urn:ngsi-ld:Road:1", "urn:ngsi-ld:Road:2"] },
      street: { type: "LanguageProperty", languageMap: { fr: "Grand Place", nl: "Grote Markt" } },
      settings: { type: "JsonProperty", json: { mode: "eco", limits: [30, 50] } },
      vocabProperty: { type: "VocabProperty", vocab: ["monument", "sightseeing"] },
    });
    // Act
    const body = await retrieve(id, { options: "keyValues" });
    // Assess
    expect(body).toEqual({
      id,
      type,
      speed: { dataset: { "@none": 55, "urn:ngsi-ld:Dataset:gps": 11 } },
      tyreTreadDepths: [1.2, 3.4],
      isParked: "urn:ngsi-ld:OffStreetParking:1",
      route: ["urn:ngsi-ld:Road:1", "urn:ngsi-ld:Road:2"],
      street: { languageMap: { fr: "Grand Place", nl: "Grote Markt" } },
      settings: { json: { mode: "eco", limits: [30, 50] } },
      vocabProperty: { vocab: ["monument", "sightseeing"] },
    });
    await deleteEntity(id);
  });
});

describe.concurrent("Subscription/SubscriptionNotificationBehaviour", () => {
  const receiverPath = () => `/notify/${crypto.randomUUID()}`;

  /** A building with a VocabProperty and a showChanges subscription to its type. */
  async function watchedVocabBuilding(triggers?: string[]) {
    const type = uniqueType("Building");
    const entityId = await create(buildingWithVocab(type, "monument"));
    const path = receiverPath();
    const subscriptionId = uniqueId("Subscription");
    const response = await broker.request("POST", "/subscriptions", {
      body: {
        id: subscriptionId,
        type: "Subscription",
        entities: [{ type }],
        ...(triggers ? { notificationTrigger: triggers } : {}),
        notification: { endpoint: { uri: broker.receiverUrl(path) }, showChanges: true },
      },
    });
    expect(response.status, response.text).toBe(201);
    return { type, entityId, path, subscriptionId };
  }

  /** The first notified entity that passes the check (creation may be notified before the change). */
  const notifiedEntity = (path: string, check: (entity: Json) => boolean) =>
    until(`a matching notification on ${path}`, () => {
      for (const notification of broker.received(path)) {
        const entity = asArray(notification.body.data)
          .map((e) => asObject(e))
          .find(check);
        if (entity) return { notification, entity };
      }
      return undefined;
    });

  const vocabOf = (entity: Json) => asObject(entity.vocabProperty ?? {}).vocab;

  it("046_33_01 shows the previous vocab of an updated VocabProperty", async () => {
    // Prepare
    const s = await watchedVocabBuilding();
    // Act
    const response = await broker.request("PATCH", `${entityPath(s.entityId)}/attrs`, {
      body: { vocabProperty: { type: "VocabProperty", vocab: "museum" } },
    });
    // Assess
    expect(response.status, response.text).toBe(204);
    const { notification, entity } = await notifiedEntity(s.path, (e) => vocabOf(e) === "museum");
    expect(notification.body.subscriptionId).toBe(s.subscriptionId);
    expect(entity.vocabProperty).toEqual({
      type: "VocabProperty",
      vocab: "museum",
      previousVocab: "monument",
    });
    await broker.request("DELETE", `/subscriptions/${encodeURIComponent(s.subscriptionId)}`);
    await deleteEntity(s.entityId);
  });

  it("046_39_01 shows the previous vocab of a VocabProperty of a deleted entity", async () => {
    // Prepare
    const s = await watchedVocabBuilding(["entityDeleted"]);
    // Act
    const response = await deleteEntity(s.entityId);
    // Assess
    expect(response.status, response.text).toBe(204);
    const notification: Notification = await until(
      `notification on ${s.path}`,
      () => broker.received(s.path)[0],
    );
    expect(notification.body.subscriptionId).toBe(s.subscriptionId);
    const entity = asObject(asArray(notification.body.data)[0]);
    expect(entity).toMatchObject({ id: s.entityId, type: s.type });
    expect(entity.vocabProperty).toEqual({
      type: "VocabProperty",
      vocab: "urn:ngsi-ld:null",
      previousVocab: "monument",
    });
    await broker.request("DELETE", `/subscriptions/${encodeURIComponent(s.subscriptionId)}`);
  });
});

describe.concurrent("TemporalContextInformation/Consumption/TemporalEntity/RetrieveTemporalEntity", () => {
  /** Yesterday at hh:mm UTC, so the instances lie within the history's retention. */
  const at = (hhmm: string) => `${new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)}T${hhmm}:00Z`;
  const temporalPath = (id: string) => `/temporal/entities/${encodeURIComponent(id)}`;

  /** The suite's vehicle whose VocabProperty changed three times (`vehicle-vocab-property-temporal-…`). */
  async function vehicleWithVocabHistory() {
    const type = uniqueType("Vehicle");
    const id = uniqueId(type);
    const history: Array<[string | string[], string]> = [
      ["monument", at("12:03")],
      ["sightseeing", at("12:05")],
      [["monument", "sightseeing"], at("12:07")],
    ];
    const response = await broker.request("POST", "/temporal/entities", {
      body: ld({
        id,
        type,
        vocabProperty: history.map(([vocab, observedAt]) => ({ type: "VocabProperty", vocab, observedAt })),
      }),
      headers: LD_JSON,
    });
    expect(response.status, response.text).toBe(201);
    return { id, type, history };
  }

  async function retrieveTemporal(id: string, query: Record<string, string> = {}) {
    const response = await broker.request("GET", temporalPath(id), { query });
    expect(response.status, response.text).toBe(200);
    return asObject(response.body);
  }

  async function cleanUp(id: string) {
    await broker.request("DELETE", temporalPath(id));
    await deleteEntity(id);
  }

  it("020_16_01 retrieves the normalized history of a VocabProperty", async () => {
    // Prepare
    const { id, type, history } = await vehicleWithVocabHistory();
    // Act
    const body = await retrieveTemporal(id);
    // Assess
    expect(body).toMatchObject({ id, type });
    const instances = asArray(body.vocabProperty)
      .map((i) => asObject(i))
      .sort((a, b) => String(a.observedAt).localeCompare(String(b.observedAt)));
    expect(instances.map(({ instanceId: _instanceId, ...rest }) => rest)).toEqual(
      history.map(([vocab, observedAt]) => ({ type: "VocabProperty", vocab, observedAt })),
    );
    for (const instance of instances) expect(String(instance.instanceId)).toMatch(/^urn:ngsi-ld:/);
    await cleanUp(id);
  });

  it("020_16_02 retrieves the temporalValues history of a VocabProperty: {vocab} pairs at observedAt as written", async () => {
    // Prepare
    const { id, type, history } = await vehicleWithVocabHistory();
    // Act
    const body = await retrieveTemporal(id, { options: "temporalValues" });
    // Assess
    expect(body).toMatchObject({ id, type });
    const simplified = asObject(body.vocabProperty);
    expect(simplified.type).toBe("VocabProperty");
    const pairs = asArray(simplified.vocabs).map((pair) => asArray(pair));
    expect(pairs.map(([, time]) => time)).toEqual(history.map(([, observedAt]) => observedAt));
    expect(pairs.map(([vocab]) => vocab)).toEqual(history.map(([vocab]) => ({ vocab })));
    await cleanUp(id);
  });
});
