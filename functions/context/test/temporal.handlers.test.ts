import { beforeAll, describe, expect, it } from "vitest";
import { buildHandler as appendTemporalAttributes } from "../src/handlers/appendTemporalAttributes";
import { buildHandler as createEntity } from "../src/handlers/createEntity";
import { buildHandler as createTemporalEntity } from "../src/handlers/createTemporalEntity";
import { buildHandler as deleteEntity } from "../src/handlers/deleteEntity";
import { buildHandler as deleteTemporalAttribute } from "../src/handlers/deleteTemporalAttribute";
import { buildHandler as deleteTemporalEntity } from "../src/handlers/deleteTemporalEntity";
import { buildHandler as deleteTemporalInstance } from "../src/handlers/deleteTemporalInstance";
import { buildHandler as modifyTemporalInstance } from "../src/handlers/modifyTemporalInstance";
import { buildHandler as queryTemporalEntities } from "../src/handlers/queryTemporalEntities";
import { buildHandler as queryTemporalEntitiesPost } from "../src/handlers/queryTemporalEntitiesPost";
import { buildHandler as recordEntityHistory } from "../src/handlers/recordEntityHistory";
import { buildHandler as retrieveEntity } from "../src/handlers/retrieveEntity";
import { buildHandler as retrieveTemporalEntity } from "../src/handlers/retrieveTemporalEntity";
import { buildHandler as updateAttribute } from "../src/handlers/updateAttribute";
import { call, type EventInput, staff, TEST_STAGE, uniqueId } from "./support";
import { freshDestination, memorySink, streamRecords, temporalTestDeps } from "./temporal-support";

/**
 * The temporal API over its handlers, against DynamoDB Local: the entity API changes entities, the
 * history recorder reads the real stream of the entities table (as Lambda's event source would), and
 * the temporal routes read and change the history.
 */
const deps = temporalTestDeps();
const handlers = {
  create: createEntity(deps),
  retrieve: retrieveEntity(deps),
  remove: deleteEntity(deps),
  patch: updateAttribute(deps),
  temporal: retrieveTemporalEntity(deps),
  query: queryTemporalEntities(deps),
  queryPost: queryTemporalEntitiesPost(deps),
  createTemporal: createTemporalEntity(deps),
  appendTemporal: appendTemporalAttributes(deps),
  deleteTemporal: deleteTemporalEntity(deps),
  deleteTemporalAttribute: deleteTemporalAttribute(deps),
  modifyInstance: modifyTemporalInstance(deps),
  deleteInstance: deleteTemporalInstance(deps),
};
const recorder = recordEntityHistory({ history: deps.history, deadLetters: memorySink() }, () => TEST_STAGE);

let tenant: string;
let entitiesTable: string;
let as: EventInput["principal"];

beforeAll(async () => {
  const destination = await freshDestination();
  tenant = destination.slug;
  entitiesTable = destination.entities;
  as = staff(tenant);
});

/** Runs the recorder over the whole stream so far (recording is idempotent, so again is harmless). */
async function recordHistory() {
  const result = await recorder({ Records: await streamRecords(entitiesTable) });
  expect(result.batchItemFailures).toEqual([]);
}

const root = "/ngsi-ld/v1";
const temporalPath = (id: string, query: Record<string, string> = {}) => ({
  path: `${root}/temporal/entities/${encodeURIComponent(id)}`,
  pathParameters: { entityId: id },
  query,
});
const minute = (n: number) => `2024-06-01T08:${String(n).padStart(2, "0")}:00Z`;

async function sensorWithReadings(values: number[]) {
  const id = uniqueId("Sensor");
  const created = await call(handlers.create, {
    method: "POST",
    principal: as,
    body: {
      id,
      type: "Sensor",
      name: "Harbour",
      temperature: { type: "Property", value: 0, observedAt: minute(0) },
    },
  });
  expect(created.status).toBe(201);
  for (const [index, value] of values.entries()) {
    const patched = await call(handlers.patch, {
      method: "PATCH",
      principal: as,
      path: `${root}/entities/${encodeURIComponent(id)}/attrs/temperature`,
      pathParameters: { entityId: id, attrId: "temperature" },
      body: { value, observedAt: minute(index + 1), unitCode: "CEL" },
    });
    expect(patched.status).toBe(204);
  }
  await recordHistory();
  return id;
}

const temporal = (id: string, query: Record<string, string> = {}) =>
  call(handlers.temporal, { ...temporalPath(id, query), principal: as });

type Body = Record<string, unknown>;
const asObject = (value: unknown): Body =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value))
    : {};
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

describe("the temporal API over its handlers", () => {
  it("returns every instance of an attribute in temporal representation, each with its instanceId", async () => {
    // Prepare
    const id = await sensorWithReadings([10, 11, 12]);
    // Act
    const answer = await temporal(id);
    // Assess
    expect(answer.status).toBe(200);
    const body = asObject(answer.body);
    expect(body).toMatchObject({ id, type: "Sensor" });
    const instances = asList(body.temperature).map(asObject);
    expect(instances.map((i) => [i.value, i.observedAt])).toEqual([
      [0, minute(0)],
      [10, minute(1)],
      [11, minute(2)],
      [12, minute(3)],
    ]);
    expect(instances.every((i) => typeof i.instanceId === "string")).toBe(true);
    expect(asList(body.name)).toHaveLength(1);
  });

  it("answers temporalValues, lastN, timerel=between and aggregatedValues", async () => {
    // Prepare
    const id = await sensorWithReadings([10, 20, 30, 40]);
    // Act
    const values = await temporal(id, { options: "temporalValues", attrs: "temperature" });
    const last = await temporal(id, { lastN: "2", attrs: "temperature" });
    const between = await temporal(id, {
      timerel: "between",
      timeAt: minute(1),
      endTimeAt: minute(3),
      format: "temporalValues",
    });
    const aggregated = await temporal(id, {
      options: "aggregatedValues",
      aggrMethods: "totalCount,sum,avg,min,max",
      aggrPeriodDuration: "PT2M",
      timerel: "after",
      timeAt: minute(0),
    });
    // Assess
    expect(asObject(values.body).temperature).toEqual({
      type: "Property",
      values: [
        [0, minute(0)],
        [10, minute(1)],
        [20, minute(2)],
        [30, minute(3)],
        [40, minute(4)],
      ],
    });
    expect(asObject(values.body).name).toBeUndefined();
    expect(asList(asObject(last.body).temperature).map((i) => asObject(i).value)).toEqual([30, 40]);
    expect(asObject(asObject(between.body).temperature).values).toEqual([
      [10, "2024-06-01T08:01:00Z"],
      [20, "2024-06-01T08:02:00Z"],
    ]);
    const temperature = asObject(asObject(aggregated.body).temperature);
    expect(temperature.type).toBe("Property");
    expect(temperature.sum).toEqual([
      [10, "2024-06-01T08:00:00.000Z", "2024-06-01T08:02:00.000Z"],
      [50, "2024-06-01T08:02:00.000Z", "2024-06-01T08:04:00.000Z"],
      [40, "2024-06-01T08:04:00.000Z", "2024-06-01T08:06:00.000Z"],
    ]);
    expect(temperature.avg).toEqual([
      [10, "2024-06-01T08:00:00.000Z", "2024-06-01T08:02:00.000Z"],
      [25, "2024-06-01T08:02:00.000Z", "2024-06-01T08:04:00.000Z"],
      [40, "2024-06-01T08:04:00.000Z", "2024-06-01T08:06:00.000Z"],
    ]);
    // timerel=after excludes timeAt itself: the reading at 08:00 is not aggregated.
    expect(asList(temperature.totalCount).map((t) => asList(t)[0])).toEqual([1, 2, 1]);
  });

  it("queries the history of the entities a query selects, GET and POST", async () => {
    // Prepare
    const id = await sensorWithReadings([5, 6]);
    // Act
    const byId = await call(handlers.query, {
      principal: as,
      path: `${root}/temporal/entities`,
      query: { id, attrs: "temperature", lastN: "1", count: "true" },
    });
    const byType = await call(handlers.query, {
      principal: as,
      path: `${root}/temporal/entities`,
      query: { type: "Sensor", q: `temperature==6`, options: "temporalValues" },
    });
    const posted = await call(handlers.queryPost, {
      method: "POST",
      principal: as,
      path: `${root}/temporal/entityOperations/query`,
      body: {
        type: "Query",
        entities: [{ id, type: "Sensor" }],
        attrs: ["temperature"],
        temporalQ: { timerel: "before", timeAt: minute(2) },
      },
    });
    // Assess
    expect(byId.status).toBe(200);
    expect(byId.headers["NGSILD-Results-Count"]).toBe("1");
    expect(asList(asObject(asList(byId.body)[0]).temperature).map((i) => asObject(i).value)).toEqual([6]);
    expect(asList(byType.body).map((e) => asObject(e).id)).toContain(id);
    expect(posted.status).toBe(200);
    expect(asList(asObject(asList(posted.body)[0]).temperature).map((i) => asObject(i).value)).toEqual([
      0, 5,
    ]);
  });

  it("projects the history with pick and omit, GET and POST, as the entity API does", async () => {
    // Prepare
    const id = await sensorWithReadings([7, 8]);
    // Act
    const picked = await temporal(id, { pick: "temperature", lastN: "1" });
    const omitted = await temporal(id, { omit: "id,temperature", options: "sysAttrs" });
    const queried = await call(handlers.query, {
      principal: as,
      path: `${root}/temporal/entities`,
      query: { id, pick: "id" },
    });
    const posted = await call(handlers.queryPost, {
      method: "POST",
      principal: as,
      path: `${root}/temporal/entityOperations/query`,
      body: { type: "Query", entities: [{ id, type: "Sensor" }], omit: ["type", "name"] },
    });
    const nothingLeft = await temporal(id, { pick: "humidity" });
    // Assess
    expect(picked.status).toBe(200);
    expect(Object.keys(asObject(picked.body))).toEqual(["temperature"]);
    expect(asList(asObject(picked.body).temperature).map((i) => asObject(i).value)).toEqual([8]);
    expect(asObject(omitted.body)).toMatchObject({ type: "Sensor", createdAt: expect.any(String) });
    expect(Object.keys(asObject(omitted.body)).sort()).toEqual(["createdAt", "modifiedAt", "name", "type"]);
    expect(queried.body).toEqual([{ id }]);
    expect(posted.status).toBe(200);
    expect(Object.keys(asObject(asList(posted.body)[0]))).toEqual(["id", "temperature"]);
    expect(nothingLeft).toMatchObject({
      status: 404,
      body: { type: "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound" },
    });
  });

  const badProjection = (field: string) => ({
    status: 400,
    body: {
      type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData",
      errors: [{ field, reason: expect.any(String) }],
    },
  });

  it.each([
    [{ pick: "temperature", omit: "temperature" }, "query.pick"],
    [{ pick: "temperature", attrs: "name" }, "query.pick"],
    [{ omit: "temperature", attrs: "name" }, "query.omit"],
    [{ pick: "id,,temperature" }, "query.pick"],
  ])("refuses %j on retrieve and query with 400 naming %s", async (given, field) => {
    // Prepare
    const id = await sensorWithReadings([]);
    // Act
    const retrieved = await temporal(id, given);
    const queried = await call(handlers.query, { principal: as, query: { id, ...given } });
    // Assess
    expect(retrieved).toMatchObject(badProjection(field));
    expect(queried).toMatchObject(badProjection(field));
  });

  it.each([
    [{ pick: ["id"], attrs: ["name"] }, "body.pick"],
    [{ omit: ["locatedAt{name}"] }, "body.omit"],
    [{ pick: [] }, "body.pick"],
  ])("refuses %j in a Query body with 400 naming %s", async (members, field) => {
    // Act
    const posted = await call(handlers.queryPost, {
      method: "POST",
      principal: as,
      path: `${root}/temporal/entityOperations/query`,
      body: { type: "Query", entities: [{ type: "Sensor" }], ...members },
    });
    // Assess
    expect(posted).toMatchObject(badProjection(field));
  });

  it("creates a temporal entity from instances (201), adds to it (204), and makes the newest instance current", async () => {
    // Prepare
    const id = uniqueId("Sensor");
    const body = {
      id,
      type: "Sensor",
      temperature: [
        { type: "Property", value: 1, observedAt: minute(1) },
        { type: "Property", value: 3, observedAt: minute(3) },
        { type: "Property", value: 2, observedAt: minute(2) },
      ],
    };
    // Act
    const created = await call(handlers.createTemporal, { method: "POST", principal: as, body });
    const again = await call(handlers.createTemporal, {
      method: "POST",
      principal: as,
      body: { id, type: "Sensor", temperature: { type: "Property", value: 0, observedAt: minute(0) } },
    });
    const appended = await call(handlers.appendTemporal, {
      method: "POST",
      principal: as,
      path: `${root}/temporal/entities/${encodeURIComponent(id)}/attrs`,
      pathParameters: { entityId: id },
      body: { temperature: [{ type: "Property", value: 9, observedAt: minute(9) }] },
    });
    const history = await temporal(id, { options: "temporalValues" });
    const current = await call(handlers.retrieve, {
      principal: as,
      path: `${root}/entities/${encodeURIComponent(id)}`,
      pathParameters: { entityId: id },
    });
    // Assess
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/ngsi-ld/v1/temporal/entities/${id}`);
    expect(again.status).toBe(204);
    expect(appended.status).toBe(204);
    expect(asList(asObject(asObject(history.body).temperature).values).map((p) => asList(p)[0])).toEqual([
      0, 1, 2, 3, 9,
    ]);
    expect(asObject(asObject(current.body).temperature).value).toBe(9);
  });

  it("changes and deletes single instances, an attribute's history and an entity's history", async () => {
    // Prepare
    const id = await sensorWithReadings([50, 60]);
    const instances = asList(asObject((await temporal(id, { attrs: "temperature" })).body).temperature).map(
      asObject,
    );
    const [, second, third] = instances.map((i) => String(i.instanceId));
    const instancePath = (instanceId: string) => ({
      path: `${root}/temporal/entities/${encodeURIComponent(id)}/attrs/temperature/${encodeURIComponent(instanceId)}`,
      pathParameters: { entityId: id, attrId: "temperature", instanceId },
    });
    // Act
    const modified = await call(handlers.modifyInstance, {
      method: "PATCH",
      principal: as,
      ...instancePath(second ?? ""),
      body: { value: 55 },
    });
    const moved = await call(handlers.modifyInstance, {
      method: "PATCH",
      principal: as,
      ...instancePath(second ?? ""),
      body: { value: 55, observedAt: minute(30) },
    });
    const deleted = await call(handlers.deleteInstance, {
      method: "DELETE",
      principal: as,
      ...instancePath(third ?? ""),
    });
    const deletedAgain = await call(handlers.deleteInstance, {
      method: "DELETE",
      principal: as,
      ...instancePath(third ?? ""),
    });
    const after = asList(asObject((await temporal(id, { attrs: "temperature" })).body).temperature).map(
      asObject,
    );
    const attributeGone = await call(handlers.deleteTemporalAttribute, {
      method: "DELETE",
      principal: as,
      path: `${root}/temporal/entities/${encodeURIComponent(id)}/attrs/temperature`,
      pathParameters: { entityId: id, attrId: "temperature" },
    });
    const entityGone = await call(handlers.deleteTemporal, {
      method: "DELETE",
      principal: as,
      ...temporalPath(id),
    });
    const afterAll = await call(handlers.deleteTemporal, {
      method: "DELETE",
      principal: as,
      ...temporalPath(id),
    });
    // Assess
    expect(modified.status).toBe(204);
    expect(moved.status).toBe(400);
    expect(deleted.status).toBe(204);
    expect(deletedAgain.status).toBe(404);
    expect(after.map((i) => i.value)).toEqual([0, 55]);
    expect(attributeGone.status).toBe(204);
    expect(entityGone.status).toBe(204);
    expect(afterAll.status).toBe(404);
  });

  it("records the deletion of an entity as NGSI-LD Null instances with deletedAt", async () => {
    // Prepare
    const id = await sensorWithReadings([1]);
    // Act
    const removed = await call(handlers.remove, {
      method: "DELETE",
      principal: as,
      path: `${root}/entities/${encodeURIComponent(id)}`,
      pathParameters: { entityId: id },
    });
    await recordHistory();
    const answer = await temporal(id, { attrs: "temperature", options: "sysAttrs" });
    // Assess
    expect(removed.status).toBe(204);
    expect(answer.status).toBe(200);
    const body = asObject(answer.body);
    expect(body.deletedAt).toBeDefined();
    const last = asObject(asList(body.temperature).at(-1));
    expect(last).toMatchObject({ type: "Property", value: "urn:ngsi-ld:null" });
    expect(last.deletedAt).toBeDefined();
  });

  it("refuses bad requests with NGSI-LD errors, never a 500", async () => {
    // Prepare
    const id = await sensorWithReadings([]);
    // Act
    const badTimerel = await temporal(id, { timerel: "during", timeAt: minute(1) });
    const unknownEntity = await temporal(uniqueId("Sensor"));
    const unknownParameter = await temporal(id, { since: "yesterday" });
    const noObservedAt = await call(handlers.createTemporal, {
      method: "POST",
      principal: as,
      body: { id: uniqueId("Sensor"), type: "Sensor", temperature: [{ type: "Property", value: 1 }] },
    });
    const notAnInstance = await call(handlers.deleteInstance, {
      method: "DELETE",
      principal: as,
      path: `${root}/temporal/entities/${encodeURIComponent(id)}/attrs/temperature/whatever`,
      pathParameters: { entityId: id, attrId: "temperature", instanceId: "whatever" },
    });
    const noAggregation = await temporal(id, { options: "aggregatedValues" });
    // Assess
    expect(badTimerel).toMatchObject({
      status: 400,
      body: { type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData" },
    });
    expect(unknownEntity).toMatchObject({
      status: 404,
      body: { type: "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound" },
    });
    expect(unknownParameter.status).toBe(400);
    expect(noObservedAt).toMatchObject({
      status: 400,
      body: { detail: expect.stringMatching(/temperature\[0\]\.observedAt: is required/) },
    });
    // An instance id that is not a URI is a bad request, not an unknown instance (ETSI 017_02_03).
    expect(notAnInstance).toMatchObject({
      status: 400,
      body: { type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData" },
    });
    expect(noAggregation).toMatchObject({
      status: 400,
      body: { detail: expect.stringMatching(/aggrMethods/) },
    });
  });
});
