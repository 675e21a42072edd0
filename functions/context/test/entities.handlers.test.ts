import { beforeAll, describe, expect, it } from "vitest";
import { buildHandler as appendAttributes } from "../src/handlers/appendAttributes";
import { buildHandler as createEntity } from "../src/handlers/createEntity";
import { buildHandler as deleteAttribute } from "../src/handlers/deleteAttribute";
import { buildHandler as deleteEntity } from "../src/handlers/deleteEntity";
import { buildHandler as mergeEntity } from "../src/handlers/mergeEntity";
import { buildHandler as replaceAttribute } from "../src/handlers/replaceAttribute";
import { buildHandler as replaceEntity } from "../src/handlers/replaceEntity";
import { buildHandler as retrieveEntity } from "../src/handlers/retrieveEntity";
import { buildHandler as updateAttribute } from "../src/handlers/updateAttribute";
import { buildHandler as updateAttributes } from "../src/handlers/updateAttributes";
import { call, type EventInput, freshTenant, platformAdmin, staff, testDeps, uniqueId } from "./support";

const deps = testDeps();
const handlers = {
  create: createEntity(deps),
  retrieve: retrieveEntity(deps),
  replace: replaceEntity(deps),
  merge: mergeEntity(deps),
  remove: deleteEntity(deps),
  append: appendAttributes(deps),
  update: updateAttributes(deps),
  updateOne: updateAttribute(deps),
  replaceOne: replaceAttribute(deps),
  deleteOne: deleteAttribute(deps),
};

const POI_CONTEXT =
  "https://raw.githubusercontent.com/smart-data-models/dataModel.PointOfInterest/master/context.jsonld";
const linkTo = (url: string) =>
  `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;

let tenant: string;
let as: EventInput["principal"];

beforeAll(async () => {
  tenant = (await freshTenant()).slug;
  as = staff(tenant);
});

const entityPath = (id: string) => ({
  path: `/ngsi-ld/v1/entities/${encodeURIComponent(id)}`,
  pathParameters: { entityId: id },
});
const attrPath = (id: string, attrId: string) => ({
  path: `/ngsi-ld/v1/entities/${encodeURIComponent(id)}/attrs/${attrId}`,
  pathParameters: { entityId: id, attrId },
});

function beach(id: string) {
  return {
    id,
    type: "Beach",
    name: { type: "Property", value: "Playa Norte" },
    description: "A quiet beach",
    length: { type: "Property", value: 450, unitCode: "MTR", observedAt: "2024-05-01T10:00:00Z" },
    location: { type: "GeoProperty", value: { type: "Point", coordinates: [-0.3, 39.4] } },
    refSeeAlso: { type: "Relationship", object: "urn:ngsi-ld:PointOfInterest:p1" },
    slogan: { type: "LanguageProperty", languageMap: { es: "Sol y mar", en: "Sun and sea" } },
    occupancy: [
      { type: "Property", value: 10, datasetId: "urn:ngsi-ld:Dataset:morning" },
      { type: "Property", value: 50, datasetId: "urn:ngsi-ld:Dataset:noon" },
    ],
  };
}

async function create(body: unknown, headers: Record<string, string> = { link: linkTo(POI_CONTEXT) }) {
  return call(handlers.create, { method: "POST", body, headers, principal: as });
}

async function read(
  id: string,
  query: Record<string, string> = {},
  headers: Record<string, string> = { link: linkTo(POI_CONTEXT) },
) {
  return call(handlers.retrieve, { ...entityPath(id), query, headers, principal: as });
}

describe("entities over the handlers", () => {
  it("creates an entity (201 + Location) and returns it normalized with the requester's context", async () => {
    // Prepare
    const id = uniqueId("Beach");
    // Act
    const created = await create(beach(id));
    const normalized = await read(id);
    // Assess
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/ngsi-ld/v1/entities/${id}`);
    expect(normalized.status).toBe(200);
    expect(normalized.headers["content-type"]).toBe("application/json");
    expect(normalized.headers.link).toContain(POI_CONTEXT);
    expect(normalized.body).toEqual({
      ...beach(id),
      description: { type: "Property", value: "A quiet beach" },
    });
  });

  it("gives the id literally in Location, percent-encoding only what a path segment cannot hold", async () => {
    // Prepare: a URL id with a path, a query and a fragment, and a URN id with sub-delimiters
    const suffix = crypto.randomUUID();
    const url = `https://villamar.example/beaches/${suffix}?lang=es#north`;
    const urn = `urn:ngsi-ld:Beach:${suffix};part=a,b@c`;
    // Act
    const fromUrl = await create({ id: url, type: "Beach" });
    const fromUrn = await create({ id: urn, type: "Beach" });
    // Assess
    expect(fromUrl.status).toBe(201);
    expect(fromUrl.headers.location).toBe(
      `/ngsi-ld/v1/entities/https:%2F%2Fvillamar.example%2Fbeaches%2F${suffix}%3Flang=es%23north`,
    );
    expect(fromUrn.headers.location).toBe(`/ngsi-ld/v1/entities/${urn}`);
  });

  it("answers keyValues, concise, sysAttrs, attrs, pick, omit and lang", async () => {
    // Prepare
    const id = uniqueId("Beach");
    await create(beach(id));
    // Act
    const keyValues = await read(id, { options: "keyValues" });
    const concise = await read(id, { format: "concise", attrs: "name,length" });
    const sys = await read(id, { options: "sysAttrs", pick: "id,name" });
    const omitted = await read(id, { omit: "type,slogan,occupancy,location,refSeeAlso,description,length" });
    const spanish = await read(id, { lang: "es", pick: "slogan" });
    const french = await read(id, { lang: "fr,en;q=0.5", options: "keyValues", pick: "slogan" });
    // Assess
    expect(keyValues.body).toMatchObject({
      id,
      type: "Beach",
      name: "Playa Norte",
      length: 450,
      location: { type: "Point", coordinates: [-0.3, 39.4] },
      refSeeAlso: "urn:ngsi-ld:PointOfInterest:p1",
      slogan: { languageMap: { es: "Sol y mar", en: "Sun and sea" } },
      occupancy: { dataset: { "urn:ngsi-ld:Dataset:morning": 10, "urn:ngsi-ld:Dataset:noon": 50 } },
    });
    expect(concise.body).toEqual({
      id,
      type: "Beach",
      name: "Playa Norte",
      length: { value: 450, unitCode: "MTR", observedAt: "2024-05-01T10:00:00Z" },
    });
    expect(sys.body).toMatchObject({
      id,
      name: { value: "Playa Norte", createdAt: expect.any(String), modifiedAt: expect.any(String) },
    });
    expect(Object.keys(sys.body as object).sort()).toEqual(["id", "name"]);
    expect(omitted.body).toEqual({ id, name: { type: "Property", value: "Playa Norte" } });
    expect(spanish.body).toEqual({ slogan: { type: "Property", value: "Sol y mar", lang: "es" } });
    expect(french.body).toEqual({ slogan: "Sun and sea" });
  });

  it("stores expanded names, so a reader with another @context sees its own names", async () => {
    // Prepare
    const id = uniqueId("Beach");
    await create(beach(id));
    // Act
    const core = await read(
      id,
      { options: "keyValues", pick: "id,type,https://smartdatamodels.org/name,location" },
      {},
    );
    const ld = await read(
      id,
      { options: "keyValues", pick: "name" },
      { accept: "application/ld+json", link: linkTo(POI_CONTEXT) },
    );
    // Assess
    expect(core.body).toEqual({
      id,
      type: "https://smartdatamodels.org/dataModel.PointOfInterest/Beach",
      "https://smartdatamodels.org/name": "Playa Norte",
      location: { type: "Point", coordinates: [-0.3, 39.4] },
    });
    expect(core.headers.link).toContain("ngsi-ld-core-context-v1.8.jsonld");
    expect(ld.headers["content-type"]).toBe("application/ld+json");
    expect(ld.body).toEqual({ name: "Playa Norte", "@context": POI_CONTEXT });
  });

  it("accepts an inline @context with application/ld+json and refuses it with application/json", async () => {
    // Prepare
    const id = uniqueId("Beach");
    const body = { ...beach(id), "@context": [POI_CONTEXT] };
    // Act
    const asJson = await create(body, {});
    const asLd = await create(body, { "content-type": "application/ld+json" });
    const ldWithoutContext = await create(beach(uniqueId()), { "content-type": "application/ld+json" });
    // Assess
    expect(asJson).toMatchObject({
      status: 400,
      body: { type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData" },
    });
    expect(asLd.status).toBe(201);
    expect(ldWithoutContext).toMatchObject({
      status: 400,
      body: { detail: expect.stringContaining("no @context") },
    });
    expect((await read(id, { options: "keyValues", pick: "type" })).body).toEqual({ type: "Beach" });
  });

  it.each([
    ["an existing id", async (id: string) => create(beach(id)), 409, "AlreadyExists"],
    ["malformed JSON", async () => create("{not json"), 400, "InvalidRequest"],
    ["a missing type", async (id: string) => create({ id }), 400, "BadRequestData"],
    [
      "an id that is not a URI",
      async () => create({ id: "not a uri", type: "Beach" }),
      400,
      "BadRequestData",
    ],
    [
      "an unknown attribute type",
      async (id: string) => create({ id, type: "T", a: { type: "number", value: 1 } }),
      400,
      "BadRequestData",
    ],
    [
      "a Relationship without object",
      async (id: string) => create({ id, type: "T", r: { type: "Relationship", value: "urn:x:y" } }),
      400,
      "BadRequestData",
    ],
    [
      "an invalid geometry",
      async (id: string) =>
        create({
          id,
          type: "T",
          location: { type: "GeoProperty", value: { type: "Point", coordinates: [0, 100] } },
        }),
      400,
      "BadRequestData",
    ],
    [
      "the NGSI-LD Null on create",
      async (id: string) => create({ id, type: "T", a: "urn:ngsi-ld:null" }),
      400,
      "BadRequestData",
    ],
    [
      "an unreachable remote @context",
      async (id: string) => create(beach(id), { link: linkTo("https://example.org/ctx.jsonld") }),
      503,
      "LdContextNotAvailable",
    ],
    [
      "a text/plain body",
      async (id: string) => create(JSON.stringify(beach(id)), { "content-type": "text/plain" }),
      415,
      "InvalidRequest",
    ],
    [
      "a body over 1 MB",
      async (id: string) => create({ ...beach(id), big: "x".repeat(1_100_000) }),
      413,
      "BadRequestData",
    ],
    [
      "an entity larger than an item",
      async (id: string) => create({ ...beach(id), big: "x".repeat(500_000) }),
      413,
      "BadRequestData",
    ],
  ])("refuses %s", async (_label, attempt, status, type) => {
    // Prepare
    const id = uniqueId("Beach");
    await create(beach(id));
    // Act
    const response = await attempt(id);
    // Assess
    expect(response.status).toBe(status);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(response.body).toMatchObject({ type: `https://uri.etsi.org/ngsi-ld/errors/${type}`, status });
  });

  it("names every problem of a broken payload", async () => {
    // Act
    const response = await create({
      id: { type: "string", value: "x" },
      type: "T",
      price: { type: "number", value: 3 },
      location: { type: "GeoProperty", value: { type: "point", coordinates: [1, 2] } },
    });
    // Assess
    expect(response.status).toBe(400);
    expect((response.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field)).toEqual([
      "id",
      "price.type",
      "location.value",
    ]);
  });

  it("replaces an entity (PUT), keeping its creation time", async () => {
    // Prepare
    const id = uniqueId("Beach");
    await create(beach(id));
    const before = await read(id, { options: "sysAttrs", pick: "name" });
    // Act
    const replaced = await call(handlers.replace, {
      method: "PUT",
      ...entityPath(id),
      headers: { link: linkTo(POI_CONTEXT) },
      body: { type: "Beach", name: { type: "Property", value: "Playa Sur" } },
      principal: as,
    });
    const after = await read(id, { options: "keyValues" });
    const sys = await read(id, { options: "sysAttrs", pick: "name" });
    // Assess
    expect(replaced.status).toBe(204);
    expect(after.body).toEqual({ id, type: "Beach", name: "Playa Sur" });
    expect((sys.body as { name: { createdAt: string } }).name.createdAt).toBe(
      (before.body as { name: { createdAt: string } }).name.createdAt,
    );
  });

  it("merges (PATCH): values replace, sub-attributes merge, the NGSI-LD Null deletes", async () => {
    // Prepare
    const id = uniqueId("Beach");
    await create(beach(id));
    // Act
    const merged = await call(handlers.merge, {
      method: "PATCH",
      ...entityPath(id),
      headers: { link: linkTo(POI_CONTEXT), "content-type": "application/merge-patch+json" },
      body: {
        length: { value: 460 },
        name: "urn:ngsi-ld:null",
        occupancy: { value: 70, datasetId: "urn:ngsi-ld:Dataset:noon" },
        capacity: { type: "Property", value: 300 },
      },
      principal: as,
    });
    const after = await read(id, { pick: "length,name,occupancy,capacity" });
    const missing = await call(handlers.merge, {
      method: "PATCH",
      ...entityPath(uniqueId()),
      body: { a: 1 },
      principal: as,
    });
    // Assess
    expect(merged.status).toBe(204);
    expect(after.body).toEqual({
      length: { type: "Property", value: 460, unitCode: "MTR", observedAt: "2024-05-01T10:00:00Z" },
      occupancy: [
        { type: "Property", value: 10, datasetId: "urn:ngsi-ld:Dataset:morning" },
        { type: "Property", value: 70, datasetId: "urn:ngsi-ld:Dataset:noon" },
      ],
      capacity: { type: "Property", value: 300 },
    });
    expect(missing).toMatchObject({
      status: 404,
      body: { type: "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound" },
    });
  });

  it("appends attributes: 204, or 207 with what noOverwrite kept", async () => {
    // Prepare
    const id = uniqueId("Beach");
    await create(beach(id));
    const append = (query: Record<string, string>, body: unknown) =>
      call(handlers.append, {
        method: "POST",
        ...entityPath(id),
        query,
        headers: { link: linkTo(POI_CONTEXT) },
        body,
        principal: as,
      });
    // Act
    const all = await append({}, { capacity: { type: "Property", value: 100 } });
    const kept = await append({ options: "noOverwrite" }, { capacity: 999, width: 51 });
    const after = await read(id, { options: "keyValues", pick: "capacity,width" });
    // Assess
    expect(all.status).toBe(204);
    expect(kept).toMatchObject({
      status: 207,
      body: { updated: ["width"], notUpdated: [{ attributeName: "capacity" }] },
    });
    expect(after.body).toEqual({ capacity: 100, width: 51 });
  });

  it("updates existing attributes only (PATCH /attrs), reporting the others with 207", async () => {
    // Prepare
    const id = uniqueId("Beach");
    await create(beach(id));
    // Act
    const response = await call(handlers.update, {
      method: "PATCH",
      path: `/ngsi-ld/v1/entities/${id}/attrs`,
      pathParameters: { entityId: id },
      headers: { link: linkTo(POI_CONTEXT) },
      body: { name: "Playa Renovada", unknownThing: 1 },
      principal: as,
    });
    const after = await read(id, { options: "keyValues", pick: "name,unknownThing" });
    // Assess
    expect(response).toMatchObject({
      status: 207,
      body: { updated: ["name"], notUpdated: [{ attributeName: "unknownThing" }] },
    });
    expect(after.body).toEqual({ name: "Playa Renovada" });
  });

  it("updates, replaces and deletes single attributes, by datasetId and all at once", async () => {
    // Prepare
    const id = uniqueId("Beach");
    await create(beach(id));
    const headers = { link: linkTo(POI_CONTEXT) };
    // Act
    const partial = await call(handlers.updateOne, {
      method: "PATCH",
      ...attrPath(id, "length"),
      headers,
      body: { value: 470, observedAt: "urn:ngsi-ld:null" },
      principal: as,
    });
    const replaced = await call(handlers.replaceOne, {
      method: "PUT",
      ...attrPath(id, "occupancy"),
      headers,
      body: { type: "Property", value: 99, datasetId: "urn:ngsi-ld:Dataset:morning" },
      principal: as,
    });
    const oneDataset = await call(handlers.deleteOne, {
      method: "DELETE",
      ...attrPath(id, "occupancy"),
      query: { datasetId: "urn:ngsi-ld:Dataset:noon" },
      headers,
      principal: as,
    });
    const afterOne = await read(id, { pick: "length,occupancy" });
    const everything = await call(handlers.deleteOne, {
      method: "DELETE",
      ...attrPath(id, "occupancy"),
      query: { deleteAll: "true" },
      headers,
      principal: as,
    });
    const gone = await call(handlers.deleteOne, {
      method: "DELETE",
      ...attrPath(id, "occupancy"),
      headers,
      principal: as,
    });
    const unknown = await call(handlers.updateOne, {
      method: "PATCH",
      ...attrPath(id, "nothing"),
      headers,
      body: { value: 1 },
      principal: as,
    });
    // Assess
    expect([partial.status, replaced.status, oneDataset.status, everything.status]).toEqual([
      204, 204, 204, 204,
    ]);
    expect(afterOne.body).toEqual({
      length: { type: "Property", value: 470, unitCode: "MTR" },
      occupancy: { type: "Property", value: 99, datasetId: "urn:ngsi-ld:Dataset:morning" },
    });
    expect(gone.status).toBe(404);
    expect(unknown.status).toBe(404);
  });

  it("deletes an entity: 204, then 404", async () => {
    // Prepare
    const id = uniqueId("Beach");
    await create(beach(id));
    // Act
    const first = await call(handlers.remove, { method: "DELETE", ...entityPath(id), principal: as });
    const second = await call(handlers.remove, { method: "DELETE", ...entityPath(id), principal: as });
    const readBack = await read(id);
    // Assess
    expect([first.status, second.status, readBack.status]).toEqual([204, 404, 404]);
  });

  it.each([
    [
      "a viewer writing",
      () =>
        call(handlers.create, {
          method: "POST",
          body: beach(uniqueId()),
          principal: staff(tenant, ["viewer"]),
        }),
      403,
    ],
    [
      "a tourist writing",
      () =>
        call(handlers.create, {
          method: "POST",
          body: beach(uniqueId()),
          principal: { kind: "tourist", id: "t", tenant, roles: [], scopes: [] },
        }),
      403,
    ],
    [
      "an SME without context:write",
      () =>
        call(handlers.create, {
          method: "POST",
          body: beach(uniqueId()),
          principal: { kind: "sme", id: "s", tenant, roles: [], scopes: ["context:read"] },
        }),
      403,
    ],
    ["staff naming another destination", () => read(uniqueId(), {}, { "NGSILD-Tenant": "elsewhere" }), 403],
    ["no credential", () => call(handlers.retrieve, { ...entityPath(uniqueId()), principal: null }), 401],
    [
      "a platform admin naming no destination",
      () => call(handlers.retrieve, { ...entityPath(uniqueId()), principal: platformAdmin }),
      400,
    ],
    [
      "a platform admin naming a destination without data",
      () =>
        call(handlers.retrieve, {
          ...entityPath(uniqueId()),
          headers: { "NGSILD-Tenant": "nowhere-town" },
          principal: platformAdmin,
        }),
      404,
    ],
    [
      "a platform admin naming an impossible destination",
      () =>
        call(handlers.retrieve, {
          ...entityPath(uniqueId()),
          headers: { "NGSILD-Tenant": "../x" },
          principal: platformAdmin,
        }),
      400,
    ],
  ])("refuses %s", async (_label, attempt, status) => {
    // Act
    const response = await attempt();
    // Assess
    expect(response.status).toBe(status);
  });

  it("lets tourists and SMEs with context:read read, and platform admins act on a named destination", async () => {
    // Prepare
    const id = uniqueId("Beach");
    await create(beach(id));
    // Act
    const tourist = await call(handlers.retrieve, {
      ...entityPath(id),
      principal: { kind: "tourist", id: "t", tenant, roles: [], scopes: [] },
    });
    const sme = await call(handlers.retrieve, {
      ...entityPath(id),
      principal: { kind: "sme", id: "s", tenant, roles: [], scopes: ["context:read"] },
    });
    const admin = await call(handlers.retrieve, {
      ...entityPath(id),
      headers: { "NGSILD-Tenant": tenant },
      principal: platformAdmin,
    });
    const missingTenant = await call(handlers.retrieve, {
      ...entityPath(id),
      headers: { "NGSILD-Tenant": "nowhere-town" },
      principal: platformAdmin,
    });
    // Assess
    expect([tourist.status, sme.status, admin.status]).toEqual([200, 200, 200]);
    expect(missingTenant.body).toMatchObject({
      type: "https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant",
    });
  });

  it("answers GeoJSON when asked, and 406 for what it cannot produce", async () => {
    // Prepare
    const id = uniqueId("Beach");
    await create(beach(id));
    // Act
    const geo = await read(
      id,
      { options: "keyValues", pick: "name,location" },
      { accept: "application/geo+json", link: linkTo(POI_CONTEXT) },
    );
    const xml = await read(id, {}, { accept: "application/xml" });
    // Assess
    expect(geo.headers["content-type"]).toBe("application/geo+json");
    expect(geo.body).toEqual({
      id,
      type: "Feature",
      geometry: { type: "Point", coordinates: [-0.3, 39.4] },
      properties: { name: "Playa Norte", location: { type: "Point", coordinates: [-0.3, 39.4] } },
    });
    expect(xml.status).toBe(406);
  });

  it("refuses unknown query parameters and options with InvalidRequest, pick with omit with BadRequestData", async () => {
    // Prepare
    const id = uniqueId("Beach");
    await create(beach(id));
    // Act
    const unknown = await read(id, { debug: "1" });
    const option = await read(id, { options: "fancy" });
    const both = await read(id, { pick: "name", omit: "name" });
    // Assess
    for (const response of [unknown, option]) {
      expect(response).toMatchObject({
        status: 400,
        body: { type: "https://uri.etsi.org/ngsi-ld/errors/InvalidRequest" },
      });
    }
    expect(both).toMatchObject({
      status: 400,
      body: { type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData" },
    });
    expect(unknown.body).toMatchObject({
      errors: [{ field: "query.debug", reason: "is not a known parameter" }],
    });
  });
});

describe("query parameters on operations that take none", () => {
  it("refuses them rather than ignoring them", async () => {
    // Act
    const response = await call(handlers.create, {
      method: "POST",
      query: { options: "noOverwrite" },
      body: beach(uniqueId("Beach")),
      principal: as,
    });
    // Assess
    expect(response).toMatchObject({
      status: 400,
      body: {
        type: "https://uri.etsi.org/ngsi-ld/errors/InvalidRequest",
        errors: [{ field: "query.options" }],
      },
    });
  });
});
