import { beforeAll, describe, expect, it } from "vitest";
import { buildHandler as appendAttributes } from "../src/handlers/appendAttributes";
import { buildHandler as batchUpsert } from "../src/handlers/batchUpsert";
import { buildHandler as createEntity } from "../src/handlers/createEntity";
import { buildHandler as mergeEntity } from "../src/handlers/mergeEntity";
import { buildHandler as queryEntities } from "../src/handlers/queryEntities";
import { buildHandler as queryEntitiesPost } from "../src/handlers/queryEntitiesPost";
import { buildHandler as recordEntityHistory } from "../src/handlers/recordEntityHistory";
import { buildHandler as replaceAttribute } from "../src/handlers/replaceAttribute";
import { buildHandler as retrieveEntity } from "../src/handlers/retrieveEntity";
import { buildHandler as retrieveTemporalEntity } from "../src/handlers/retrieveTemporalEntity";
import { buildHandler as updateAttribute } from "../src/handlers/updateAttribute";
import { buildHandler as updateAttributes } from "../src/handlers/updateAttributes";
import { call, type EventInput, staff, TEST_STAGE, uniqueId } from "./support";
import { freshDestination, memorySink, streamRecords, temporalTestDeps } from "./temporal-support";

/**
 * VocabProperty, ListProperty and ListRelationship through the entity, batch, query and temporal
 * handlers, against DynamoDB Local (the history recorder reads the entities table's real stream).
 */
const deps = temporalTestDeps();
const handlers = {
  create: createEntity(deps),
  retrieve: retrieveEntity(deps),
  merge: mergeEntity(deps),
  append: appendAttributes(deps),
  update: updateAttributes(deps),
  updateOne: updateAttribute(deps),
  replaceOne: replaceAttribute(deps),
  upsert: batchUpsert(deps),
  query: queryEntities(deps),
  queryPost: queryEntitiesPost(deps),
  temporal: retrieveTemporalEntity(deps),
};
const recorder = recordEntityHistory({ history: deps.history, deadLetters: memorySink() }, () => TEST_STAGE);

/** The writer's own vocabulary: its terms expand under this @vocab. */
const TERMS = "https://villamar.example/terms/";
const CONTEXT = { "@vocab": TERMS };
const ld = { "content-type": "application/ld+json" };

let as: EventInput["principal"];
let entitiesTable: string;

beforeAll(async () => {
  const destination = await freshDestination();
  entitiesTable = destination.entities;
  as = staff(destination.slug);
});

const entityPath = (id: string) => ({
  path: `/ngsi-ld/v1/entities/${encodeURIComponent(id)}`,
  pathParameters: { entityId: id },
});
const attrPath = (id: string, attrId: string) => ({
  path: `/ngsi-ld/v1/entities/${encodeURIComponent(id)}/attrs/${attrId}`,
  pathParameters: { entityId: id, attrId },
});

/** A place written in the core context: its vocabulary terms expand under the core @vocab. */
function place(id: string) {
  return {
    id,
    type: "Place",
    category: { type: "VocabProperty", vocab: ["monument", "sightseeing"] },
    depths: {
      type: "ListProperty",
      valueList: [300, 120, 6],
      unitCode: "MMT",
      observedAt: "2024-05-01T10:00:00Z",
    },
    route: [
      {
        type: "ListRelationship",
        objectList: [{ object: "urn:ngsi-ld:City:Antwerp" }, "urn:ngsi-ld:City:Rotterdam"],
        objectType: "City",
        source: { type: "Property", value: "planner" },
      },
      {
        type: "ListRelationship",
        objectList: ["urn:ngsi-ld:City:Ghent"],
        datasetId: "urn:ngsi-ld:Dataset:b",
      },
    ],
  };
}

const create = (body: unknown, headers: Record<string, string> = {}) =>
  call(handlers.create, { method: "POST", body, headers, principal: as });
const read = (id: string, query: Record<string, string> = {}) =>
  call(handlers.retrieve, { ...entityPath(id), query, principal: as });

describe("VocabProperty, ListProperty and ListRelationship over the handlers", () => {
  it("creates them and answers normalized, concise and keyValues", async () => {
    // Prepare
    const id = uniqueId("Place");
    // Act
    const created = await create(place(id));
    const normalized = await read(id);
    const concise = await read(id, { format: "concise" });
    const keyValues = await read(id, { options: "keyValues" });
    // Assess
    expect(created.status).toBe(201);
    expect(normalized.body).toEqual({
      id,
      type: "Place",
      category: { type: "VocabProperty", vocab: ["monument", "sightseeing"] },
      depths: {
        type: "ListProperty",
        valueList: [300, 120, 6],
        unitCode: "MMT",
        observedAt: "2024-05-01T10:00:00Z",
      },
      route: [
        {
          type: "ListRelationship",
          objectList: [{ object: "urn:ngsi-ld:City:Antwerp" }, { object: "urn:ngsi-ld:City:Rotterdam" }],
          objectType: "City",
          source: { type: "Property", value: "planner" },
        },
        {
          type: "ListRelationship",
          objectList: [{ object: "urn:ngsi-ld:City:Ghent" }],
          datasetId: "urn:ngsi-ld:Dataset:b",
        },
      ],
    });
    expect(concise.body).toMatchObject({
      category: { vocab: ["monument", "sightseeing"] },
      depths: { valueList: [300, 120, 6], unitCode: "MMT", observedAt: "2024-05-01T10:00:00Z" },
      route: [
        { objectList: [{ object: "urn:ngsi-ld:City:Antwerp" }, { object: "urn:ngsi-ld:City:Rotterdam" }] },
        { objectList: [{ object: "urn:ngsi-ld:City:Ghent" }], datasetId: "urn:ngsi-ld:Dataset:b" },
      ],
    });
    expect(keyValues.body).toEqual({
      id,
      type: "Place",
      category: { vocab: ["monument", "sightseeing"] },
      depths: [300, 120, 6],
      route: {
        dataset: {
          "@none": ["urn:ngsi-ld:City:Antwerp", "urn:ngsi-ld:City:Rotterdam"],
          "urn:ngsi-ld:Dataset:b": ["urn:ngsi-ld:City:Ghent"],
        },
      },
    });
  });

  it("expands vocabulary terms with the writer's @context and compacts them with the reader's", async () => {
    // Prepare
    const id = uniqueId("Place");
    const created = await create({ id, type: "Place", kind: { vocab: "Museum" }, "@context": CONTEXT }, ld);
    // Act
    const withCore = await read(id, { options: "keyValues" });
    const withOwn = await call(handlers.queryPost, {
      method: "POST",
      query: { options: "keyValues" },
      headers: { ...ld, accept: "application/ld+json" },
      body: { type: "Query", entities: [{ id, type: "Place" }], "@context": CONTEXT },
      principal: as,
    });
    // Assess
    expect(created.status).toBe(201);
    expect(withCore.body).toEqual({
      id,
      type: `${TERMS}Place`,
      [`${TERMS}kind`]: { vocab: `${TERMS}Museum` },
    });
    expect(withOwn.body).toEqual([{ id, type: "Place", kind: { vocab: "Museum" }, "@context": CONTEXT }]);
  });

  it("changes them by merge, partial update, update, append and attribute replacement", async () => {
    // Prepare
    const id = uniqueId("Place");
    await create(place(id));
    // Act
    const partial = await call(handlers.updateOne, {
      method: "PATCH",
      ...attrPath(id, "category"),
      body: { vocab: "museum" },
      principal: as,
    });
    const merged = await call(handlers.merge, {
      method: "PATCH",
      ...entityPath(id),
      headers: { "content-type": "application/merge-patch+json" },
      body: {
        depths: { valueList: [250, 100] },
        route: { objectList: [{ object: "urn:ngsi-ld:null" }], datasetId: "urn:ngsi-ld:Dataset:b" },
      },
      principal: as,
    });
    const updated = await call(handlers.update, {
      method: "PATCH",
      path: `/ngsi-ld/v1/entities/${encodeURIComponent(id)}/attrs`,
      pathParameters: { entityId: id },
      body: { category: { type: "VocabProperty", vocab: "park" }, missing: { vocab: "x" } },
      principal: as,
    });
    const appended = await call(handlers.append, {
      method: "POST",
      path: `/ngsi-ld/v1/entities/${encodeURIComponent(id)}/attrs`,
      pathParameters: { entityId: id },
      body: { stops: { type: "ListRelationship", objectList: ["urn:ngsi-ld:Stop:1"] } },
      principal: as,
    });
    const replaced = await call(handlers.replaceOne, {
      method: "PUT",
      ...attrPath(id, "route"),
      body: { type: "ListRelationship", objectList: ["urn:ngsi-ld:City:Delft"] },
      principal: as,
    });
    const after = await read(id, { options: "keyValues" });
    // Assess
    expect([partial.status, merged.status, updated.status, appended.status, replaced.status]).toEqual([
      204, 204, 207, 204, 204,
    ]);
    expect(updated.body).toMatchObject({ updated: ["category"], notUpdated: [{ attributeName: "missing" }] });
    expect(after.body).toEqual({
      id,
      type: "Place",
      category: { vocab: "park" },
      depths: [250, 100],
      route: ["urn:ngsi-ld:City:Delft"],
      stops: ["urn:ngsi-ld:Stop:1"],
    });
  });

  it("refuses a ListProperty carrying value and a ListRelationship with a target that is no URI (400)", async () => {
    // Act
    const response = await create({
      id: uniqueId("Place"),
      type: "Place",
      depths: { type: "ListProperty", value: [1, 2] },
      route: { type: "ListRelationship", objectList: ["urn:ngsi-ld:City:A", { object: "Delft" }] },
    });
    // Assess
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData",
      errors: [
        { field: "depths.value", reason: expect.stringContaining('"valueList"') },
        { field: "route.objectList[1]", reason: expect.stringContaining("URI") },
      ],
    });
  });

  it("upserts them in a batch and selects by q on vocabulary terms and list members", async () => {
    // Prepare
    const [a, b] = [uniqueId("Trail"), uniqueId("Trail")];
    const upserted = await call(handlers.upsert, {
      method: "POST",
      headers: ld,
      body: [
        {
          id: a,
          type: "Trail",
          level: { vocab: "Easy" },
          towns: { valueList: ["Altea", "Calp"] },
          "@context": CONTEXT,
        },
        {
          id: b,
          type: "Trail",
          level: { vocab: "Hard" },
          towns: { valueList: ["Xàbia"] },
          "@context": CONTEXT,
        },
      ],
      principal: as,
    });
    const select = (q: string) =>
      call(handlers.queryPost, {
        method: "POST",
        query: { options: "keyValues" },
        headers: ld,
        body: { type: "Query", entities: [{ type: "Trail" }], q, attrs: ["level"], "@context": CONTEXT },
        principal: as,
      }).then((r) => (Array.isArray(r.body) ? r.body.map((e: { id: string }) => e.id).sort() : r.body));
    // Act
    const easy = await select('level=="Easy"');
    const expanded = await select(`level=="${TERMS}Hard"`);
    const calp = await select('towns=="Calp"');
    const either = await select('level=="Easy","Hard";towns=="Xàbia"');
    // Assess
    expect(upserted.status).toBe(201);
    expect(easy).toEqual([a]);
    expect(expanded).toEqual([b]);
    expect(calp).toEqual([a]);
    expect(either).toEqual([b]);
  });

  it("keeps their history: temporalValues as {vocab} pairs, valueLists and objectLists", async () => {
    // Prepare
    const id = uniqueId("Place");
    await create({
      id,
      type: "Place",
      category: { vocab: "monument", observedAt: "2024-06-01T08:00:00Z" },
      depths: { valueList: [1, 2], observedAt: "2024-06-01T08:00:00Z" },
      route: { objectList: ["urn:ngsi-ld:City:A"], observedAt: "2024-06-01T08:00:00Z" },
    });
    await call(handlers.merge, {
      method: "PATCH",
      ...entityPath(id),
      headers: { "content-type": "application/merge-patch+json" },
      body: {
        category: { vocab: "museum", observedAt: "2024-06-01T09:00:00Z" },
        depths: { valueList: [3], observedAt: "2024-06-01T09:00:00Z" },
        route: { objectList: ["urn:ngsi-ld:City:B"], observedAt: "2024-06-01T09:00:00Z" },
      },
      principal: as,
    });
    const recorded = await recorder({ Records: await streamRecords(entitiesTable) });
    // Act
    const temporalPath = {
      path: `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(id)}`,
      pathParameters: { entityId: id },
    };
    const values = await call(handlers.temporal, {
      ...temporalPath,
      query: { options: "temporalValues" },
      principal: as,
    });
    const normalized = await call(handlers.temporal, {
      ...temporalPath,
      query: { attrs: "category" },
      principal: as,
    });
    // Assess
    expect(recorded.batchItemFailures).toEqual([]);
    expect(values.body).toEqual({
      id,
      type: "Place",
      category: {
        type: "VocabProperty",
        vocabs: [
          [{ vocab: "monument" }, "2024-06-01T08:00:00Z"],
          [{ vocab: "museum" }, "2024-06-01T09:00:00Z"],
        ],
      },
      depths: {
        type: "ListProperty",
        valueLists: [
          [[1, 2], "2024-06-01T08:00:00Z"],
          [[3], "2024-06-01T09:00:00Z"],
        ],
      },
      route: {
        type: "ListRelationship",
        objectLists: [
          [["urn:ngsi-ld:City:A"], "2024-06-01T08:00:00Z"],
          [["urn:ngsi-ld:City:B"], "2024-06-01T09:00:00Z"],
        ],
      },
    });
    expect(normalized.body).toMatchObject({
      category: [
        { type: "VocabProperty", vocab: "monument", observedAt: "2024-06-01T08:00:00Z" },
        { type: "VocabProperty", vocab: "museum", observedAt: "2024-06-01T09:00:00Z" },
      ],
    });
  });
});
