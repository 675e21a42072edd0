import type { Context } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { buildHandler as batchCreate } from "../src/handlers/batchCreate";
import { buildHandler as batchDelete } from "../src/handlers/batchDelete";
import { buildHandler as batchMerge } from "../src/handlers/batchMerge";
import { buildHandler as batchUpdate } from "../src/handlers/batchUpdate";
import { buildHandler as batchUpsert } from "../src/handlers/batchUpsert";
import { buildHandler as getAttribute } from "../src/handlers/getAttribute";
import { buildHandler as getEntityType } from "../src/handlers/getEntityType";
import { buildHandler as listAttributes } from "../src/handlers/listAttributes";
import { buildHandler as listEntityTypes } from "../src/handlers/listEntityTypes";
import { buildHandler as queryEntities } from "../src/handlers/queryEntities";
import { buildHandler as queryEntitiesPost } from "../src/handlers/queryEntitiesPost";
import { buildHandler as retrieveEntity } from "../src/handlers/retrieveEntity";
import { call, freshTenant, staff, testDeps } from "./support";

const deps = testDeps();
const handlers = {
  query: queryEntities(deps),
  queryPost: queryEntitiesPost(deps),
  create: batchCreate(deps),
  upsert: batchUpsert(deps),
  update: batchUpdate(deps),
  merge: batchMerge(deps),
  remove: batchDelete(deps),
  retrieve: retrieveEntity(deps),
  types: listEntityTypes(deps),
  type: getEntityType(deps),
  attributes: listAttributes(deps),
  attribute: getAttribute(deps),
};

const CONTEXT = { "@vocab": "https://villamar.example/terms/" };
const context = { "content-type": "application/ld+json" };

/** A small destination: beaches and museums around Valencia, one far away in Madrid. */
const point = (lon: number, lat: number) => ({
  type: "GeoProperty",
  value: { type: "Point", coordinates: [lon, lat] },
});
const ENTITIES = [
  {
    id: "urn:ngsi-ld:Beach:a",
    type: "Beach",
    name: "Playa de la Malvarrosa",
    temperature: 24,
    location: point(-0.3255, 39.4786),
    address: { addressLocality: "Valencia" },
    length: { value: 1000, unitCode: "MTR" },
  },
  {
    id: "urn:ngsi-ld:Beach:b",
    type: "Beach",
    name: "Playa del Cabanyal",
    temperature: 19,
    location: point(-0.3266, 39.4688),
    address: { addressLocality: "Valencia" },
  },
  {
    id: "urn:ngsi-ld:Beach:c",
    type: ["Beach", "Protected"],
    name: "Playa de la Devesa",
    temperature: 22,
    location: point(-0.3114, 39.3317),
    capacity: 300,
  },
  {
    id: "urn:ngsi-ld:Museum:a",
    type: "Museum",
    name: "IVAM",
    temperature: 21,
    location: point(-0.3829, 39.4794),
    isOpen: true,
  },
  {
    id: "urn:ngsi-ld:Museum:b",
    type: ["Museum", "Protected"],
    name: "Museo del Prado",
    temperature: 20,
    location: point(-3.6921, 40.4138),
    isOpen: false,
  },
  {
    id: "urn:ngsi-ld:Park:a",
    type: "Park",
    name: "Jardín del Turia",
    location: {
      type: "GeoProperty",
      value: {
        type: "LineString",
        coordinates: [
          [-0.4, 39.48],
          [-0.35, 39.47],
          [-0.33, 39.46],
        ],
      },
    },
    refNearby: { type: "Relationship", object: "urn:ngsi-ld:Museum:a" },
  },
].map((e) => ({ ...e, "@context": CONTEXT }));

let as: ReturnType<typeof staff>;

beforeAll(async () => {
  const { slug } = await freshTenant();
  as = staff(slug);
  const created = await call(handlers.create, {
    method: "POST",
    body: ENTITIES,
    headers: context,
    principal: as,
  });
  expect(created.status).toBe(201);
});

const link = `<data:,>; rel="x"`;
const ids = (body: unknown) => (Array.isArray(body) ? body.map((e: { id: string }) => e.id) : body);
const query = (q: Record<string, string>, headers: Record<string, string> = {}) =>
  call(handlers.query, { query: q, headers: { link, ...headers }, principal: as }).then((r) => ({
    ...r,
    ids: ids(r.body),
  }));

const VOCAB = "https://villamar.example/terms/";
const full = (term: string) => `${VOCAB}${term}`;

describe("querying entities over the handlers", () => {
  it.each([
    [{ type: full("Beach") }, ["urn:ngsi-ld:Beach:a", "urn:ngsi-ld:Beach:b", "urn:ngsi-ld:Beach:c"]],
    [
      { type: `${full("Beach")},${full("Museum")}`, q: `${full("temperature")}>=21` },
      ["urn:ngsi-ld:Beach:a", "urn:ngsi-ld:Beach:c", "urn:ngsi-ld:Museum:a"],
    ],
    [
      { type: `(${full("Beach")}|${full("Museum")});${full("Protected")}` },
      ["urn:ngsi-ld:Beach:c", "urn:ngsi-ld:Museum:b"],
    ],
    [{ id: "urn:ngsi-ld:Museum:b,urn:ngsi-ld:Beach:a" }, ["urn:ngsi-ld:Beach:a", "urn:ngsi-ld:Museum:b"]],
    [{ idPattern: "^urn:ngsi-ld:Museum:" }, ["urn:ngsi-ld:Museum:a", "urn:ngsi-ld:Museum:b"]],
    [
      { type: full("Beach"), q: `${full("name")}~="Malv|Deve"` },
      ["urn:ngsi-ld:Beach:a", "urn:ngsi-ld:Beach:c"],
    ],
    [
      { type: full("Beach"), q: `${full("address")}[addressLocality]=="Valencia";${full("temperature")}<20` },
      ["urn:ngsi-ld:Beach:b"],
    ],
    [{ type: full("Beach"), q: `${full("length")}.unitCode=="MTR"` }, ["urn:ngsi-ld:Beach:a"]],
    [{ type: full("Beach"), q: `!${full("capacity")}` }, ["urn:ngsi-ld:Beach:a", "urn:ngsi-ld:Beach:b"]],
    [{ q: `${full("temperature")}==19..20` }, ["urn:ngsi-ld:Beach:b", "urn:ngsi-ld:Museum:b"]],
    [{ q: `${full("refNearby")}==urn:ngsi-ld:Museum:a` }, ["urn:ngsi-ld:Park:a"]],
    [{ attrs: full("capacity") }, ["urn:ngsi-ld:Beach:c"]],
    [
      { georel: "near;maxDistance==2000", geometry: "Point", coordinates: "[-0.3260,39.4740]" },
      ["urn:ngsi-ld:Beach:a", "urn:ngsi-ld:Beach:b", "urn:ngsi-ld:Park:a"],
    ],
    [
      {
        type: full("Beach"),
        georel: "near;minDistance==5000",
        geometry: "Point",
        coordinates: "[-0.3260,39.4740]",
      },
      ["urn:ngsi-ld:Beach:c"],
    ],
    [
      {
        georel: "within",
        geometry: "Polygon",
        coordinates: "[[[-0.5,39.4],[-0.3,39.4],[-0.3,39.5],[-0.5,39.5],[-0.5,39.4]]]",
      },
      ["urn:ngsi-ld:Beach:a", "urn:ngsi-ld:Beach:b", "urn:ngsi-ld:Museum:a", "urn:ngsi-ld:Park:a"],
    ],
    [
      { georel: "intersects", geometry: "LineString", coordinates: "[[-0.36,39.40],[-0.34,39.49]]" },
      ["urn:ngsi-ld:Park:a"],
    ],
    [
      {
        type: full("Museum"),
        georel: "disjoint",
        geometry: "Polygon",
        coordinates: "[[[-1,39],[0,39],[0,40],[-1,40],[-1,39]]]",
      },
      ["urn:ngsi-ld:Museum:b"],
    ],
  ])("%j selects %j", async (parameters, expected) => {
    // Act
    const response = await query(parameters);
    // Assess
    expect(response.status).toBe(200);
    expect(response.ids).toEqual(expected);
  });

  it("stops reading when the request's time is up and answers TooComplexQuery, not a timeout", async () => {
    // Prepare: one Lambda about to time out, one with its full 29 s
    const lambda = (remainingMs: number) =>
      ({ awsRequestId: `deadline-${remainingMs}`, getRemainingTimeInMillis: () => remainingMs }) as Context;
    const request = { query: { type: full("Beach") }, headers: { link }, principal: as };
    // Act
    const late = await call(handlers.query, request, lambda(1_000));
    const timely = await call(handlers.query, request, lambda(29_000));
    // Assess
    expect(late.status).toBe(403);
    expect(late.body).toMatchObject({
      type: "https://uri.etsi.org/ngsi-ld/errors/TooComplexQuery",
      detail: expect.stringContaining("narrow it"),
    });
    expect(timely.status).toBe(200);
    expect(ids(timely.body)).toEqual(["urn:ngsi-ld:Beach:a", "urn:ngsi-ld:Beach:b", "urn:ngsi-ld:Beach:c"]);
  });

  it("expands names in type, q and attrs with the requester's @context", async () => {
    // Act
    const response = await call(handlers.query, {
      query: { type: "Beach", q: "temperature>20", attrs: "name", options: "keyValues" },
      headers: {
        link: `<https://smart-data-models.github.io/dataModel.PointOfInterest/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"`,
      },
      principal: as,
    });
    // Assess: the POI context maps Beach and name elsewhere, so nothing matches
    expect(response.body).toEqual([]);
  });

  it("pages with limit and offset, Link rel=next/prev, and counts on request", async () => {
    // Act
    const first = await query({ type: full("Beach"), limit: "2", count: "true" });
    const second = await query({ type: full("Beach"), limit: "2", offset: "2" });
    const onlyCount = await query({ type: full("Beach"), limit: "0", count: "true" });
    // Assess
    expect(first.ids).toEqual(["urn:ngsi-ld:Beach:a", "urn:ngsi-ld:Beach:b"]);
    expect(first.headers["NGSILD-Results-Count"]).toBe("3");
    expect(first.headers.link).toContain('rel="next"');
    expect(first.headers.link).toContain("offset=2");
    expect(second.ids).toEqual(["urn:ngsi-ld:Beach:c"]);
    expect(second.headers.link).toContain('rel="prev"');
    expect(second.headers.link).not.toContain('rel="next"');
    expect(onlyCount).toMatchObject({ body: [], headers: { "NGSILD-Results-Count": "3" } });
  });

  it("answers a GeoJSON FeatureCollection", async () => {
    // Act
    const response = await query(
      { type: full("Museum"), options: "keyValues", attrs: full("name") },
      { accept: "application/geo+json" },
    );
    // Assess
    expect(response.headers["content-type"]).toBe("application/geo+json");
    expect(response.body).toMatchObject({
      type: "FeatureCollection",
      features: [
        {
          id: "urn:ngsi-ld:Museum:a",
          type: "Feature",
          geometry: { type: "Point", coordinates: [-0.3829, 39.4794] },
        },
        { id: "urn:ngsi-ld:Museum:b", type: "Feature" },
      ],
    });
  });

  it.each([
    [{}, 400, "BadRequestData"],
    [{ type: "Beach", limit: "1001" }, 403, "TooManyResults"],
    [{ type: "Beach", limit: "-1" }, 400, "BadRequestData"],
    [{ type: "Beach", unknown: "1" }, 400, "InvalidRequest"],
    [{ q: "temperature>" }, 400, "BadRequestData"],
    [{ type: "(Beach" }, 400, "BadRequestData"],
    [{ georel: "near", geometry: "Point", coordinates: "[0,0]" }, 400, "BadRequestData"],
    [{ georel: "within", geometry: "Point", coordinates: "[0,0]" }, 400, "BadRequestData"],
    [{ georel: "within", geometry: "Polygon" }, 400, "BadRequestData"],
    [{ georel: "near;maxDistance==10", geometry: "Point", coordinates: "[0," }, 400, "BadRequestData"],
    [{ idPattern: "(" }, 400, "BadRequestData"],
  ])("refuses %j", async (parameters, status, type) => {
    // Act
    const response = await query(parameters);
    // Assess
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ type: `https://uri.etsi.org/ngsi-ld/errors/${type}` });
  });

  it("answers POST /entityOperations/query with selectors, q, geoQ and a projection", async () => {
    // Act
    const response = await call(handlers.queryPost, {
      method: "POST",
      query: { options: "keyValues" },
      headers: { ...context, accept: "application/ld+json" },
      body: {
        type: "Query",
        entities: [{ type: "Beach" }, { type: "Museum", idPattern: ":a$" }],
        q: "temperature>20",
        geoQ: { georel: "near;maxDistance==10000", geometry: "Point", coordinates: [-0.35, 39.47] },
        attrs: ["name"],
        "@context": CONTEXT,
      },
      principal: as,
    });
    // Assess
    expect(response.body).toEqual([
      { id: "urn:ngsi-ld:Beach:a", type: "Beach", name: "Playa de la Malvarrosa", "@context": CONTEXT },
      { id: "urn:ngsi-ld:Museum:a", type: "Museum", name: "IVAM", "@context": CONTEXT },
    ]);
  });
});

describe("datasetId selects attribute instances (clause 4.5.5)", () => {
  const TOWER = {
    id: "urn:ngsi-ld:Tower:miguelete",
    type: "Tower",
    name: [
      { type: "Property", value: "Micalet" },
      { type: "Property", value: "Miguelete", datasetId: "urn:ngsi-ld:Dataset:es" },
      { type: "Property", value: "Micalet de la Seu", datasetId: "urn:ngsi-ld:Dataset:va" },
    ],
    height: { type: "Property", value: 51, datasetId: "urn:ngsi-ld:Dataset:es" },
    "@context": CONTEXT,
  };

  beforeAll(async () => {
    const created = await call(handlers.create, {
      method: "POST",
      body: [TOWER],
      headers: context,
      principal: as,
    });
    expect(created.status).toBe(201);
  });

  const retrieve = (q: Record<string, string>) =>
    call(handlers.retrieve, {
      pathParameters: { entityId: TOWER.id },
      query: q,
      headers: { link },
      principal: as,
    });

  it("keeps only the instances of the named datasets, @none being the default one", async () => {
    // Act
    const spanish = await retrieve({ datasetId: "urn:ngsi-ld:Dataset:es", options: "keyValues" });
    const defaults = await retrieve({ datasetId: "@none" });
    const both = await query({
      type: full("Tower"),
      datasetId: "@none,urn:ngsi-ld:Dataset:va",
      attrs: full("name"),
    });
    // Assess
    expect(spanish.body).toEqual({
      id: TOWER.id,
      type: full("Tower"),
      [full("name")]: { dataset: { "urn:ngsi-ld:Dataset:es": "Miguelete" } },
      [full("height")]: { dataset: { "urn:ngsi-ld:Dataset:es": 51 } },
    });
    expect(defaults.body).toEqual({
      id: TOWER.id,
      type: full("Tower"),
      [full("name")]: { type: "Property", value: "Micalet" },
    });
    expect(both.body).toEqual([
      {
        id: TOWER.id,
        type: full("Tower"),
        [full("name")]: [
          { type: "Property", value: "Micalet" },
          { type: "Property", value: "Micalet de la Seu", datasetId: "urn:ngsi-ld:Dataset:va" },
        ],
      },
    ]);
  });

  it("still answers the entity when no instance of the named datasets exists", async () => {
    // Act
    const response = await query({ type: full("Tower"), datasetId: "urn:ngsi-ld:Dataset:fr" });
    // Assess
    expect(response.body).toEqual([{ id: TOWER.id, type: full("Tower") }]);
  });

  it("takes datasetId in the Query body too", async () => {
    // Act
    const response = await call(handlers.queryPost, {
      method: "POST",
      headers: { ...context, accept: "application/ld+json" },
      body: {
        type: "Query",
        entities: [{ type: "Tower" }],
        datasetId: ["urn:ngsi-ld:Dataset:va"],
        "@context": CONTEXT,
      },
      principal: as,
    });
    // Assess
    expect(response.body).toEqual([
      {
        id: TOWER.id,
        type: "Tower",
        name: { type: "Property", value: "Micalet de la Seu", datasetId: "urn:ngsi-ld:Dataset:va" },
        "@context": CONTEXT,
      },
    ]);
  });

  it("refuses a datasetId that is neither a URI nor @none", async () => {
    // Act
    const response = await retrieve({ datasetId: "not a uri" });
    // Assess
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData" });
  });
});

describe("batch operations over the handlers", () => {
  const batch = (handler: keyof typeof handlers, body: unknown, q: Record<string, string> = {}) =>
    call(handlers[handler], { method: "POST", body, query: q, principal: as });
  const read = (id: string) =>
    call(handlers.retrieve, {
      pathParameters: { entityId: id },
      query: { options: "keyValues" },
      principal: as,
    });
  const unique = () => `urn:ngsi-ld:Kiosk:${crypto.randomUUID()}`;

  it("creates what it can and reports each failure with its entity id (207)", async () => {
    // Prepare
    const [a, b] = [unique(), unique()];
    // Act
    const response = await batch("create", [
      { id: a, type: "Kiosk", open: true },
      { id: b, type: "Kiosk", price: { type: "Relationship", value: "urn:x:y" } },
      { id: a, type: "Kiosk" },
    ]);
    // Assess
    expect(response.status).toBe(207);
    expect(response.body).toMatchObject({
      success: [a],
      errors: [
        { entityId: b, error: { type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData", status: 400 } },
        { entityId: a, error: { type: "https://uri.etsi.org/ngsi-ld/errors/AlreadyExists", status: 409 } },
      ],
    });
  });

  it("upserts: 201 with the new ids, then 204; replace by default, append with options=update", async () => {
    // Prepare
    const id = unique();
    // Act
    const created = await batch("upsert", [{ id, type: "Kiosk", open: true, owner: "Ana" }]);
    const replaced = await batch("upsert", [{ id, type: "Kiosk", open: false }]);
    const afterReplace = await read(id);
    const appended = await batch("upsert", [{ id, type: "Kiosk", owner: "Luis" }], { options: "update" });
    const afterAppend = await read(id);
    const both = await batch("upsert", [{ id, type: "Kiosk" }], { options: "update,replace" });
    // Assess
    expect(created).toMatchObject({ status: 201, body: [id] });
    expect([replaced.status, appended.status]).toEqual([204, 204]);
    expect(afterReplace.body).toEqual({ id, type: "Kiosk", open: false });
    expect(afterAppend.body).toEqual({ id, type: "Kiosk", open: false, owner: "Luis" });
    expect(both.status).toBe(400);
  });

  it("updates (noOverwrite keeps values and reports them), merges, and deletes, reporting missing entities", async () => {
    // Prepare
    const [id, missing] = [unique(), unique()];
    await batch("create", [{ id, type: "Kiosk", open: true, stock: 5 }]);
    // Act
    const updated = await batch(
      "update",
      [
        { id, open: false, owner: "Ana" },
        { id: missing, open: true },
      ],
      { options: "noOverwrite" },
    );
    const merged = await batch("merge", [{ id, stock: "urn:ngsi-ld:null", owner: { value: "Eva" } }]);
    const afterMerge = await read(id);
    const deleted = await batch("remove", [id, missing]);
    const gone = await read(id);
    // Assess
    expect(updated).toMatchObject({
      status: 207,
      body: {
        success: [],
        errors: [
          { entityId: id, error: { status: 409, detail: expect.stringContaining("noOverwrite") } },
          { entityId: missing, error: { status: 404 } },
        ],
      },
    });
    expect(merged.status).toBe(204);
    expect(afterMerge.body).toEqual({ id, type: "Kiosk", open: true, owner: "Eva" });
    expect(deleted).toMatchObject({ status: 207, body: { success: [id], errors: [{ entityId: missing }] } });
    expect(gone.status).toBe(404);
  });

  it.each([
    ["an object instead of an array", { id: "urn:x:y", type: "T" }, 400],
    ["an empty array", [], 400],
    ["malformed JSON", "[{", 400],
  ])("refuses %s", async (_label, body, status) => {
    // Act
    const response = await batch("create", body);
    // Assess
    expect(response.status).toBe(status);
  });
});

describe("discovery over the handlers", () => {
  const get = (
    handler: "types" | "type" | "attributes" | "attribute",
    pathParameters?: Record<string, string>,
    q: Record<string, string> = {},
  ) =>
    call(handlers[handler], {
      ...(pathParameters ? { pathParameters } : {}),
      query: q,
      headers: { link },
      principal: as,
    });

  it("lists types and attributes, with details on request", async () => {
    // Act
    const types = await get("types");
    const detailed = await get("types", undefined, { details: "true" });
    const beach = await get("type", { type: full("Beach") });
    const attributes = await get("attributes");
    const temperature = await get("attribute", { attrId: full("temperature") });
    const unknown = await get("type", { type: full("Volcano") });
    // Assess
    expect(types.body).toMatchObject({
      type: "EntityTypeList",
      typeList: expect.arrayContaining([full("Beach"), full("Museum"), full("Park"), full("Protected")]),
    });
    expect(detailed.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: full("Park"),
          type: "EntityType",
          attributeNames: [full("name"), full("refNearby"), "location"],
        }),
      ]),
    );
    expect(beach.body).toMatchObject({ id: full("Beach"), type: "EntityTypeInfo", entityCount: 3 });
    expect(
      (beach.body as { attributeDetails: Array<{ attributeName: string; attributeTypes: string[] }> })
        .attributeDetails,
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ attributeName: "location", attributeTypes: ["GeoProperty"] }),
        expect.objectContaining({ attributeName: full("capacity"), attributeTypes: ["Property"] }),
      ]),
    );
    expect(attributes.body).toMatchObject({
      type: "AttributeList",
      attributeList: expect.arrayContaining(["location", full("refNearby")]),
    });
    expect(temperature.body).toMatchObject({
      type: "Attribute",
      attributeCount: 5,
      attributeTypes: ["Property"],
      typeNames: [full("Beach"), full("Museum"), full("Protected")],
    });
    expect(unknown.status).toBe(404);
  });
});
