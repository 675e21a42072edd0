import { describe, expect, it } from "vitest";
import {
  asArray,
  asObject,
  type BrokerResponse,
  CORE_CONTEXT,
  entityPath,
  expectProblem,
  type Json,
  linkTo,
  SDM_CONTEXT,
  uniqueId,
  uniqueType,
  useBroker,
} from "./harness";

/**
 * ETSI NGSI-LD test suite, ContextInformation/Consumption/Entity: Retrieve Entity (018_*) and Query
 * Entities (019_*, GET and POST /entityOperations/query). The suite's test @context is not bundled, so
 * the Smart Data Models PointOfInterest context plays its part: its `name`, `category` and `address`
 * expand to smartdatamodels.org IRIs, while names it does not define fall back to the core @vocab.
 */
const broker = useBroker();

const SDM = "https://smartdatamodels.org/";
const DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/";
const LD = "application/ld+json";
const GEO = "application/geo+json";
const sdmLink = { Link: linkTo(SDM_CONTEXT) };

/** A building-like entity with the suite's "simple attributes" shape, in the PointOfInterest context. */
function building(id: string, type: string, extra: Json = {}): Json {
  return {
    id,
    type,
    name: { type: "Property", value: "Eiffel Tower" },
    category: { type: "Property", value: ["tower"] },
    airQualityLevel: { type: "Property", value: 4, unitCode: "C62" },
    almostFull: { type: "Property", value: false },
    locatedIn: { type: "Relationship", object: "urn:ngsi-ld:City:Paris" },
    ...extra,
  };
}

async function create(entity: Json, context: unknown = SDM_CONTEXT): Promise<void> {
  const response = await broker.request("POST", "/entities", {
    body: { ...entity, "@context": context },
    headers: { "content-type": LD },
  });
  expect(response.status, response.text).toBe(201);
}

/** One building per group of read-only cases, created on first use (the suite's Suite Setup). */
function sharedBuilding(): () => Promise<string> {
  let created: Promise<string> | undefined;
  return () => {
    created ??= (async () => {
      const id = uniqueId("Building");
      await create(building(id, uniqueType("Building")));
      return id;
    })();
    return created;
  };
}

const ids = (response: BrokerResponse) => asArray(response.body).map((e) => asObject(e).id);

describe("RetrieveEntity", () => {
  it("018_01_01 retrieves an entity by id as JSON-LD with its attributes and @context", async () => {
    // Prepare
    const id = uniqueId("Building");
    await create(building(id, uniqueType("Building")));
    // Act
    const response = await broker.request("GET", entityPath(id), { headers: { Accept: LD, ...sdmLink } });
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain(LD);
    const body = asObject(response.body);
    expect(body.id).toBe(id);
    expect(body.name).toEqual({ type: "Property", value: "Eiffel Tower" });
    expect(body.locatedIn).toEqual({ type: "Relationship", object: "urn:ngsi-ld:City:Paris" });
    expect(body["@context"]).toBe(SDM_CONTEXT);
  });

  it("018_01_02 retrieves only the attributes named in attrs (expanded names)", async () => {
    const id = uniqueId("Building");
    await create(building(id, uniqueType("Building")));
    const response = await broker.request("GET", entityPath(id), {
      headers: { Accept: LD },
      query: { attrs: `${SDM}name,${DEFAULT_VOCAB}airQualityLevel` },
    });
    expect(response.status).toBe(200);
    const body = asObject(response.body);
    expect(Object.keys(body).sort()).toEqual(
      ["@context", "id", "type", `${SDM}name`, "airQualityLevel"].sort(),
    );
  });

  it("018_02_01 refuses an entity id that is not a URI with 400 BadRequestData", async () => {
    const response = await broker.request("GET", "/entities/thisisaninvaliduri", { headers: { Accept: LD } });
    expectProblem(response, 400, "BadRequestData");
  });

  it("018_03_01 answers 404 ResourceNotFound for an unknown entity", async () => {
    const response = await broker.request("GET", entityPath(uniqueId("Building")), {
      headers: { Accept: LD },
    });
    expectProblem(response, 404, "ResourceNotFound");
  });

  it("018_03_02 answers 404 ResourceNotFound when none of the attrs exist", async () => {
    const id = uniqueId("Building");
    await create(building(id, uniqueType("Building")));
    const response = await broker.request("GET", entityPath(id), {
      headers: { Accept: LD },
      query: { attrs: "property_not_found" },
    });
    expectProblem(response, 404, "ResourceNotFound");
  });

  it("018_04_01 retrieves the simplified (keyValues) representation", async () => {
    const id = uniqueId("Building");
    const type = uniqueType("Building");
    await create(building(id, type));
    const response = await broker.request("GET", entityPath(id), {
      headers: { Accept: LD, ...sdmLink },
      query: { options: "keyValues" },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      "@context": SDM_CONTEXT,
      id,
      type,
      name: "Eiffel Tower",
      category: ["tower"],
      airQualityLevel: 4,
      almostFull: false,
      locatedIn: "urn:ngsi-ld:City:Paris",
    });
  });

  describe("018_05 GeoJSON", () => {
    const geoEntity = (id: string, type: string): Json => ({
      id,
      type,
      name: { type: "Property", value: "Eiffel Tower" },
      location: { type: "GeoProperty", value: { type: "Point", coordinates: [2.2945, 48.8584] } },
      observationSpace: {
        type: "GeoProperty",
        value: {
          type: "Polygon",
          coordinates: [
            [
              [2.29, 48.85],
              [2.3, 48.85],
              [2.3, 48.86],
              [2.29, 48.85],
            ],
          ],
        },
      },
    });

    it("018_05_01 answers a simplified Feature with the location as geometry", async () => {
      const id = uniqueId("Building");
      const type = uniqueType("Building");
      await create(geoEntity(id, type));
      const response = await broker.request("GET", entityPath(id), {
        headers: { Accept: GEO, ...sdmLink },
        query: { options: "keyValues" },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain(GEO);
      const feature = asObject(response.body);
      expect(feature.type).toBe("Feature");
      expect(feature.id).toBe(id);
      expect(feature.geometry).toEqual({ type: "Point", coordinates: [2.2945, 48.8584] });
      const properties = asObject(feature.properties);
      expect(properties.type).toBe(type);
      expect(properties.name).toBe("Eiffel Tower");
    });

    it("018_05_02 answers a normalized Feature", async () => {
      const id = uniqueId("Building");
      await create(geoEntity(id, uniqueType("Building")));
      const response = await broker.request("GET", entityPath(id), { headers: { Accept: GEO, ...sdmLink } });
      expect(response.status).toBe(200);
      const feature = asObject(response.body);
      expect(feature.geometry).toEqual({ type: "Point", coordinates: [2.2945, 48.8584] });
      expect(asObject(feature.properties).name).toEqual({ type: "Property", value: "Eiffel Tower" });
    });

    it("018_05_03 uses the GeoProperty named by geometryProperty as geometry", async () => {
      const id = uniqueId("Building");
      await create(geoEntity(id, uniqueType("Building")));
      const response = await broker.request("GET", entityPath(id), {
        headers: { Accept: GEO, ...sdmLink },
        query: { geometryProperty: "observationSpace" },
      });
      expect(response.status).toBe(200);
      expect(asObject(asObject(response.body).geometry).type).toBe("Polygon");
    });

    it("018_05_04 answers a null geometry for a geometryProperty the entity lacks", async () => {
      const id = uniqueId("Building");
      await create(geoEntity(id, uniqueType("Building")));
      const response = await broker.request("GET", entityPath(id), {
        headers: { Accept: GEO, ...sdmLink },
        query: { geometryProperty: "operationSpace" },
      });
      expect(response.status).toBe(200);
      expect(asObject(response.body).geometry).toBeNull();
    });
  });

  describe("018_06 @context resolution", () => {
    it("018_06_01 without a Link header answers names the core context cannot compact as IRIs", async () => {
      const id = uniqueId("Building");
      await create(building(id, uniqueType("Building")));
      const response = await broker.request("GET", entityPath(id), {
        headers: { Accept: "application/json" },
      });
      expect(response.status).toBe(200);
      const body = asObject(response.body);
      expect(body[`${SDM}name`]).toEqual({ type: "Property", value: "Eiffel Tower" });
      expect(body.name).toBeUndefined();
      expect(response.headers.get("link")).toContain(CORE_CONTEXT);
    });

    it("018_06_02 with the creation @context in a Link header answers short names", async () => {
      const id = uniqueId("Building");
      await create(building(id, uniqueType("Building")));
      const response = await broker.request("GET", entityPath(id), {
        headers: { Accept: "application/json", ...sdmLink },
      });
      expect(response.status).toBe(200);
      const body = asObject(response.body);
      expect(body.name).toEqual({ type: "Property", value: "Eiffel Tower" });
      expect(body["@context"]).toBeUndefined();
      expect(response.headers.get("link")).toContain(SDM_CONTEXT);
    });
  });

  describe("018_07 language filter", () => {
    const streets = { fr: "Grand Place", nl: "Grote Markt", en: "Main Square" };
    async function languageEntity(): Promise<string> {
      const id = uniqueId("Building");
      await create({
        id,
        type: uniqueType("Building"),
        street: { type: "LanguageProperty", languageMap: streets },
      });
      return id;
    }
    const retrieve = (id: string, lang: string, options?: string) =>
      broker.request("GET", entityPath(id), {
        headers: { Accept: LD, ...sdmLink },
        query: { lang, ...(options ? { options } : {}) },
      });

    it("018_07_01 answers the LanguageProperty as a Property in the language asked for", async () => {
      const response = await retrieve(await languageEntity(), "fr");
      expect(response.status).toBe(200);
      expect(asObject(response.body).street).toEqual({ type: "Property", value: "Grand Place", lang: "fr" });
    });

    it("018_07_02 takes the first known language of a list without weights", async () => {
      const response = await retrieve(await languageEntity(), "fr-CH,fr");
      expect(asObject(response.body).street).toEqual({ type: "Property", value: "Grand Place", lang: "fr" });
    });

    it("018_07_03 answers some language for *", async () => {
      const response = await retrieve(await languageEntity(), "*");
      const street = asObject(asObject(response.body).street);
      expect(street.type).toBe("Property");
      expect(Object.values(streets)).toContain(street.value);
    });

    it("018_07_04 follows ranked preferences", async () => {
      const response = await retrieve(await languageEntity(), "fr-CH,fr;q=0.9,en;q=0.8,*;q=0.5");
      expect(asObject(asObject(response.body).street).value).toBe("Grand Place");
    });

    it("018_07_05 answers the plain string in the simplified representation", async () => {
      const response = await retrieve(await languageEntity(), "fr", "keyValues");
      expect(asObject(response.body).street).toBe("Grand Place");
    });

    it("018_07_06 answers some language for * in the simplified representation", async () => {
      const response = await retrieve(await languageEntity(), "*", "keyValues");
      expect(Object.values(streets)).toContain(asObject(response.body).street);
    });
  });

  describe("018_08 / 018_09 observationSpace and operationSpace", () => {
    const polygon = {
      type: "Polygon",
      coordinates: [
        [
          [2.29, 48.85],
          [2.3, 48.85],
          [2.3, 48.86],
          [2.29, 48.85],
        ],
      ],
    };
    for (const [caseId, member] of [
      ["018_08", "observationSpace"],
      ["018_09", "operationSpace"],
    ] as const) {
      it(`${caseId}_01 retrieves ${member} in the simplified representation`, async () => {
        const id = uniqueId("Building");
        await create({ id, type: uniqueType("Building"), [member]: { type: "GeoProperty", value: polygon } });
        const response = await broker.request("GET", entityPath(id), {
          headers: sdmLink,
          query: { options: "keyValues" },
        });
        expect(response.status).toBe(200);
        expect(asObject(response.body)[member]).toEqual(polygon);
      });

      it(`${caseId}_02 retrieves ${member} in the normalized representation`, async () => {
        const id = uniqueId("Building");
        await create({ id, type: uniqueType("Building"), [member]: { type: "GeoProperty", value: polygon } });
        const response = await broker.request("GET", entityPath(id), { headers: sdmLink });
        expect(asObject(response.body)[member]).toEqual({ type: "GeoProperty", value: polygon });
      });
    }
  });

  describe("018_15 format and options", () => {
    const fixture = sharedBuilding();
    const cases: [string, Record<string, string>, "simplified" | "normalized"][] = [
      ["018_15_01", { format: "keyValues" }, "simplified"],
      ["018_15_02", { format: "simplified" }, "simplified"],
      ["018_15_03", { format: "normalized" }, "normalized"],
      ["018_15_04", { options: "keyValues" }, "simplified"],
      ["018_15_05", { options: "simplified" }, "simplified"],
      ["018_15_06", { options: "normalized" }, "normalized"],
      ["018_15_07", { format: "keyValues", options: "normalized" }, "simplified"],
    ];
    for (const [caseId, query, expected] of cases) {
      it(`${caseId} ${JSON.stringify(query)} answers the ${expected} representation`, async () => {
        const id = await fixture();
        const response = await broker.request("GET", entityPath(id), {
          headers: { Accept: LD, ...sdmLink },
          query,
        });
        expect(response.status, response.text).toBe(200);
        expect(asObject(response.body).name).toEqual(
          expected === "simplified" ? "Eiffel Tower" : { type: "Property", value: "Eiffel Tower" },
        );
      });
    }
  });

  describe("018_16 faulty format or options", () => {
    const cases: [string, Record<string, string>][] = [
      ["018_16_01", { format: "invalidFormat" }],
      ["018_16_02", { options: "invalidOptions" }],
      ["018_16_03", { options: "keyValues,invalid" }],
      ["018_16_04", { format: "keyValues", options: "invalid" }],
    ];
    for (const [caseId, query] of cases) {
      it(`${caseId} ${JSON.stringify(query)} is 400 InvalidRequest`, async () => {
        const response = await broker.request("GET", entityPath(uniqueId("Building")), {
          headers: { Accept: LD },
          query,
        });
        expectProblem(response, 400, "InvalidRequest");
      });
    }
  });

  describe("018_17 pick and omit", () => {
    const fixture = sharedBuilding();
    const cases: [string, Record<string, string>, string[]][] = [
      ["018_17_01", { pick: "name" }, ["name"]],
      [
        "018_17_02",
        { omit: "name" },
        ["id", "type", "category", "airQualityLevel", "almostFull", "locatedIn"],
      ],
      ["018_17_03", { pick: "id" }, ["id"]],
      [
        "018_17_04",
        { omit: "id" },
        ["type", "name", "category", "airQualityLevel", "almostFull", "locatedIn"],
      ],
      ["018_17_05", { pick: "id,name" }, ["id", "name"]],
      ["018_17_06", { omit: "type,name" }, ["id", "category", "airQualityLevel", "almostFull", "locatedIn"]],
    ];
    for (const [caseId, query, members] of cases) {
      it(`${caseId} ${JSON.stringify(query)} keeps exactly ${members.join(", ")}`, async () => {
        const id = await fixture();
        const response = await broker.request("GET", entityPath(id), {
          headers: { Accept: "application/json", ...sdmLink },
          query,
        });
        expect(response.status, response.text).toBe(200);
        expect(Object.keys(asObject(response.body)).sort()).toEqual([...members].sort());
      });
    }
  });

  describe("018_18 invalid pick and omit", () => {
    const fixture = sharedBuilding();
    const cases: [string, Record<string, string>][] = [
      ["018_18_01", { pick: "name", omit: "name" }],
      ["018_18_02", { pick: "name", attrs: "category" }],
      ["018_18_03", { omit: "name", attrs: "category" }],
      ["018_18_04", { pick: "id;name" }],
      ["018_18_05", { pick: "id,locatedAt{name" }],
      ["018_18_06", { pick: "id,locatedAt{{name}" }],
      ["018_18_07", { pick: "id,,name" }],
      ["018_18_08", { pick: "id,locatedAt{,name}" }],
      ["018_18_09", { pick: "id,locatedAt{}" }],
    ];
    for (const [caseId, query] of cases) {
      it(`${caseId} ${JSON.stringify(query)} is 400 BadRequestData`, async () => {
        const id = await fixture();
        const response = await broker.request("GET", entityPath(id), { headers: sdmLink, query });
        expectProblem(response, 400, "BadRequestData");
      });
    }
  });

  describe("018_19 nothing left after pick or omit", () => {
    const fixture = sharedBuilding();
    it("018_19_01 a pick matching no member is 404 ResourceNotFound", async () => {
      const id = await fixture();
      const response = await broker.request("GET", entityPath(id), {
        headers: sdmLink,
        query: { pick: "unknown" },
      });
      expectProblem(response, 404, "ResourceNotFound");
    });

    it("018_19_02 an omit of every member is 404 ResourceNotFound", async () => {
      const id = await fixture();
      const response = await broker.request("GET", entityPath(id), {
        headers: sdmLink,
        query: { omit: "id,type,name,category,airQualityLevel,almostFull,locatedIn" },
      });
      expectProblem(response, 404, "ResourceNotFound");
    });
  });
});

describe("RetrieveEntity (extension cases valid for v1.8.1)", () => {
  it("421_01_01 a pipe separates pick members like a comma", async () => {
    const id = uniqueId("Building");
    await create(building(id, uniqueType("Building")));
    const [comma, pipe] = await Promise.all(
      ["name,airQualityLevel", "name|airQualityLevel"].map((pick) =>
        broker.request("GET", entityPath(id), { headers: sdmLink, query: { pick } }),
      ),
    );
    expect(pipe?.status, pipe?.text).toBe(200);
    expect(pipe?.body).toEqual(comma?.body);
    expect(Object.keys(asObject(pipe?.body)).sort()).toEqual(["airQualityLevel", "name"]);
  });

  it("421_01_02 an empty pick member is 400 BadRequestData", async () => {
    const id = uniqueId("Building");
    await create(building(id, uniqueType("Building")));
    const response = await broker.request("GET", entityPath(id), {
      headers: sdmLink,
      query: { pick: "name||airQualityLevel" },
    });
    expectProblem(response, 400, "BadRequestData");
  });

  it("5711_01_03 a linked-entity projection without join is 400 BadRequestData", async () => {
    const id = uniqueId("Building");
    await create(building(id, uniqueType("Building")));
    const response = await broker.request("GET", entityPath(id), {
      headers: { Accept: LD },
      query: { pick: "owner{name}" },
    });
    expectProblem(response, 400, "BadRequestData");
  });

  it("4516_01_01 a Feature takes the default location instance as geometry and keeps id out of properties", async () => {
    const id = uniqueId("Vehicle");
    const type = uniqueType("Vehicle");
    await create({
      id,
      type,
      location: [
        {
          type: "GeoProperty",
          value: { type: "Point", coordinates: [9, 9] },
          datasetId: "urn:ngsi-ld:Dataset:gps",
        },
        { type: "GeoProperty", value: { type: "Point", coordinates: [1, 2] } },
      ],
      speed: { type: "Property", value: 5 },
    });
    const response = await broker.request("GET", entityPath(id), { headers: { Accept: GEO, ...sdmLink } });
    expect(response.status).toBe(200);
    const feature = asObject(response.body);
    expect(feature).toMatchObject({ id, type: "Feature", geometry: { type: "Point", coordinates: [1, 2] } });
    const properties = asObject(feature.properties);
    expect(properties.type).toBe(type);
    expect(properties.id).toBeUndefined();
    expect(properties.speed).toEqual({ type: "Property", value: 5 });
  });

  it("4516_01_02 a geometryProperty that is no GeoProperty, or no location at all, gives a null geometry", async () => {
    const id = uniqueId("Vehicle");
    await create({ id, type: uniqueType("Vehicle"), speed: { type: "Property", value: 5 } });
    const bySpeed = await broker.request("GET", entityPath(id), {
      headers: { Accept: GEO, ...sdmLink },
      query: { geometryProperty: "speed" },
    });
    const byDefault = await broker.request("GET", entityPath(id), { headers: { Accept: GEO, ...sdmLink } });
    expect(bySpeed.status).toBe(200);
    expect(asObject(bySpeed.body).geometry).toBeNull();
    expect(asObject(byDefault.body).geometry).toBeNull();
  });

  it("4516_01_03 a query answers a FeatureCollection of Features without their own @context", async () => {
    const id = uniqueId("Vehicle");
    const type = uniqueType("Vehicle");
    await create({
      id,
      type,
      location: { type: "GeoProperty", value: { type: "Point", coordinates: [1, 2] } },
    });
    const response = await broker.request("GET", "/entities", {
      headers: { Accept: GEO, ...sdmLink },
      query: { type, id },
    });
    expect(response.status).toBe(200);
    const collection = asObject(response.body);
    expect(collection.type).toBe("FeatureCollection");
    const [feature, ...rest] = asArray(collection.features).map(asObject);
    expect(rest).toEqual([]);
    expect(feature?.type).toBe("Feature");
    expect(feature?.["@context"]).toBeUndefined();
  });
});

describe("QueryEntities", () => {
  /** Creates `count` minimal entities of one new type; answers the type and the ids. */
  async function minimalEntities(count: number, base = "Building"): Promise<{ type: string; ids: string[] }> {
    const type = uniqueType(base);
    const created: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = uniqueId(base);
      await create({ id, type });
      created.push(id);
    }
    return { type, ids: created };
  }

  it("019_01_01 queries entities by ids and type", async () => {
    const {
      type,
      ids: [first = "", second = ""],
    } = await minimalEntities(3);
    const response = await broker.request("GET", "/entities", { query: { id: `${first},${second}`, type } });
    expect(response.status).toBe(200);
    expect(ids(response).sort()).toEqual([first, second].sort());
  });

  it("019_01_02 queries entities of any of several types", async () => {
    const buildings = await minimalEntities(1, "Building");
    const vehicles = await minimalEntities(1, "Vehicle");
    const parkings = await minimalEntities(1, "Parking");
    const response = await broker.request("GET", "/entities", {
      headers: { Accept: LD },
      query: { type: `${vehicles.type},${parkings.type}` },
    });
    expect(response.status).toBe(200);
    expect(ids(response).sort()).toEqual([...vehicles.ids, ...parkings.ids].sort());
    expect(ids(response)).not.toContain(buildings.ids[0]);
  });

  it("019_01_03 queries entities by id pattern", async () => {
    const { type, ids: created } = await minimalEntities(2);
    const response = await broker.request("GET", "/entities", {
      query: { type, idPattern: "urn:ngsi-ld:Building:.*" },
    });
    expect(ids(response).sort()).toEqual([...created].sort());
  });

  it("019_01_04 queries the entities that have one of the attrs, answering only those attributes", async () => {
    const type = uniqueType("Building");
    const withAttrs = uniqueId("Building");
    await create(building(withAttrs, type));
    await create({ id: uniqueId("Building"), type });
    const response = await broker.request("GET", "/entities", {
      headers: sdmLink,
      query: { type, attrs: "airQualityLevel,category" },
    });
    expect(response.status).toBe(200);
    const [only, ...rest] = asArray(response.body).map(asObject);
    expect(rest).toEqual([]);
    expect(only?.id).toBe(withAttrs);
    expect(Object.keys(only ?? {}).sort()).toEqual(["airQualityLevel", "category", "id", "type"]);
  });

  it("019_01_05 queries entities by a geo-query (equals a point)", async () => {
    const type = uniqueType("Building");
    const here = [uniqueId("Building"), uniqueId("Building")];
    for (const id of here)
      await create({
        id,
        type,
        location: { type: "GeoProperty", value: { type: "Point", coordinates: [13.3986, 52.5547] } },
      });
    await create({
      id: uniqueId("Building"),
      type,
      location: { type: "GeoProperty", value: { type: "Point", coordinates: [13.5, 52.6] } },
    });
    const response = await broker.request("GET", "/entities", {
      headers: { Accept: LD },
      query: { type, georel: "equals", geometry: "Point", coordinates: "[13.3986, 52.5547]" },
    });
    expect(response.status).toBe(200);
    expect(ids(response).sort()).toEqual([...here].sort());
  });

  describe("019_02 query via POST", () => {
    const post = (body: Json, headers: Record<string, string> = {}) =>
      broker.request("POST", "/entityOperations/query", { body: { type: "Query", ...body }, headers });

    it("019_02_01 queries one entity by id and type", async () => {
      const {
        type,
        ids: [first = ""],
      } = await minimalEntities(3);
      const response = await post({ entities: [{ id: first, type }] });
      expect(response.status).toBe(200);
      expect(ids(response)).toEqual([first]);
    });

    it("019_02_02 queries the entities of a type", async () => {
      const vehicles = await minimalEntities(2, "Vehicle");
      await minimalEntities(1, "Building");
      const response = await post({ entities: [{ type: vehicles.type }] }, { Accept: LD });
      expect(response.status).toBe(200);
      expect(ids(response).sort()).toEqual([...vehicles.ids].sort());
    });

    it("019_02_03 queries entities by id pattern", async () => {
      const { type, ids: created } = await minimalEntities(2);
      const response = await post({ entities: [{ idPattern: "urn:ngsi-ld:Building:.*", type }] });
      expect(ids(response).sort()).toEqual([...created].sort());
    });

    it("019_02_04 queries by attrs and answers only those attributes", async () => {
      const type = uniqueType("Vehicle");
      const vehicle = uniqueId("Vehicle");
      await create({
        id: vehicle,
        type,
        brandName: { type: "Property", value: "Mercedes" },
        isParked: { type: "Relationship", object: "urn:ngsi-ld:OffStreetParking:Downtown1" },
        speed: { type: "Property", value: 80 },
      });
      const response = await post({
        entities: [{ type }],
        attrs: [`${DEFAULT_VOCAB}brandName`, `${DEFAULT_VOCAB}isParked`],
      });
      expect(response.status).toBe(200);
      const [only] = asArray(response.body).map(asObject);
      expect(only?.id).toBe(vehicle);
      expect(Object.keys(only ?? {}).sort()).toEqual(["brandName", "id", "isParked", "type"]);
    });

    it("019_02_05 answers a GeoJSON FeatureCollection", async () => {
      const vehicleType = uniqueType("Vehicle");
      const parkingType = uniqueType("OffStreetParking");
      const vehicle = uniqueId("Vehicle");
      const parking = uniqueId("OffStreetParking");
      await create({
        id: vehicle,
        type: vehicleType,
        location: { type: "GeoProperty", value: { type: "Point", coordinates: [-8.5, 41.2] } },
      });
      await create({ id: parking, type: parkingType, name: { type: "Property", value: "Downtown One" } });
      const response = await post(
        { entities: [{ type: `${vehicleType},${parkingType}` }] },
        { Accept: GEO, ...sdmLink },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain(GEO);
      const collection = asObject(response.body);
      expect(collection.type).toBe("FeatureCollection");
      const features = asArray(collection.features).map(asObject);
      expect(features.map((f) => f.id).sort()).toEqual([vehicle, parking].sort());
      const byId = new Map(features.map((f) => [f.id, f]));
      expect(byId.get(vehicle)?.geometry).toEqual({ type: "Point", coordinates: [-8.5, 41.2] });
      expect(byId.get(parking)?.geometry).toBeNull();
    });

    it("019_02_06 queries two entities by two selectors", async () => {
      const {
        type,
        ids: [first = "", second = ""],
      } = await minimalEntities(3);
      const response = await post({
        entities: [
          { id: first, type },
          { id: second, type },
        ],
      });
      expect(ids(response).sort()).toEqual([first, second].sort());
    });
  });

  describe("019_03 invalid queries", () => {
    it("019_03_01 refuses ids that are not URIs with 400 BadRequestData", async () => {
      const { type } = await minimalEntities(1);
      const response = await broker.request("GET", "/entities", {
        query: { id: "thisisaninvaliduri1,thisisaninvaliduri2", type },
      });
      expectProblem(response, 400, "BadRequestData");
    });

    it("019_03_02 refuses an invalid id pattern with 400 BadRequestData", async () => {
      const { type } = await minimalEntities(1);
      const response = await broker.request("GET", "/entities", {
        query: { idPattern: "invalid_entity_id_pattern**", type },
      });
      expectProblem(response, 400, "BadRequestData");
    });

    it("019_03_03 refuses id and type as attribute names with 400 BadRequestData", async () => {
      const response = await broker.request("GET", "/entities", { query: { attrs: "id,type" } });
      expectProblem(response, 400, "BadRequestData");
    });

    it("019_03_04 refuses an unknown georel with 400 BadRequestData", async () => {
      const response = await broker.request("GET", "/entities", {
        headers: sdmLink,
        query: {
          type: uniqueType("Building"),
          geoproperty: "location",
          georel: "invalid",
          geometry: "Point",
          coordinates: "[-8.503,41.202]",
        },
      });
      expectProblem(response, 400, "BadRequestData");
    });
  });

  it("019_04_01 queries entities in the simplified representation", async () => {
    const type = uniqueType("Building");
    const [first, second] = [uniqueId("Building"), uniqueId("Building")];
    await create(building(first, type));
    await create(building(second, type));
    const response = await broker.request("GET", "/entities", {
      headers: sdmLink,
      query: { id: `${first},${second}`, type, options: "keyValues" },
    });
    expect(response.status).toBe(200);
    for (const entity of asArray(response.body).map(asObject)) {
      expect(entity.name).toBe("Eiffel Tower");
      expect(entity.locatedIn).toBe("urn:ngsi-ld:City:Paris");
    }
    expect(ids(response).sort()).toEqual([first, second].sort());
  });

  it("019_05_01 queries entities by id as a GeoJSON FeatureCollection", async () => {
    const type = uniqueType("Building");
    const [first, second] = [uniqueId("Building"), uniqueId("Building")];
    for (const id of [first, second])
      await create({
        id,
        type,
        location: { type: "GeoProperty", value: { type: "Point", coordinates: [13.3986, 52.5547] } },
      });
    const response = await broker.request("GET", "/entities", {
      headers: { Accept: GEO, ...sdmLink },
      query: { id: `${first},${second}`, type },
    });
    expect(response.status).toBe(200);
    const collection = asObject(response.body);
    expect(collection.type).toBe("FeatureCollection");
    const features = asArray(collection.features).map(asObject);
    expect(features.map((f) => f.id).sort()).toEqual([first, second].sort());
    for (const feature of features) {
      expect(feature.type).toBe("Feature");
      expect(feature.geometry).toEqual({ type: "Point", coordinates: [13.3986, 52.5547] });
    }
  });

  it("019_06_01 answers at most limit entities", async () => {
    const { type, ids: created } = await minimalEntities(3);
    const response = await broker.request("GET", "/entities", {
      query: { id: created.join(","), type, limit: "2" },
    });
    expect(response.status).toBe(200);
    expect(asArray(response.body)).toHaveLength(2);
  });

  describe("019_07 count", () => {
    async function twoBuildings(): Promise<string> {
      const type = uniqueType("Building");
      await create(building(uniqueId("Building"), type));
      await create(
        building(uniqueId("Building"), type, {
          name: { type: "Property", value: "Pisa Tower" },
          airQualityLevel: { type: "Property", value: 6 },
        }),
      );
      return type;
    }

    it("019_07_01 answers the total in NGSILD-Results-Count for a type", async () => {
      const type = await twoBuildings();
      const response = await broker.request("GET", "/entities", {
        headers: sdmLink,
        query: { type, count: "true" },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("NGSILD-Results-Count")).toBe("2");
    });

    it("019_07_02 answers the total of the entities matching q", async () => {
      const type = await twoBuildings();
      const response = await broker.request("GET", "/entities", {
        headers: sdmLink,
        query: { type, q: "airQualityLevel==6", count: "true" },
      });
      expect(response.headers.get("NGSILD-Results-Count")).toBe("1");
    });
  });

  describe("019_08 type selection language", () => {
    const cases: [string, (t: { b: string; p: string; d: string }) => string, ("one" | "two" | "both")[]][] =
      [
        ["019_08_01", (t) => t.b, ["one", "both"]],
        ["019_08_02", (t) => `(${t.b};${t.d})`, ["both"]],
        ["019_08_03", (t) => `${t.b},${t.p}`, ["one", "two", "both"]],
        ["019_08_04", (t) => `${t.p},${t.d}`, ["two", "both"]],
        ["019_08_05", (t) => `(${t.b};${t.p}),${t.d}`, ["both"]],
      ];
    for (const [caseId, selection, expected] of cases) {
      it(`${caseId} selects ${expected.join(", ")}`, async () => {
        const types = {
          b: uniqueType("Building"),
          p: uniqueType("Parking"),
          d: uniqueType("TouristDestination"),
        };
        const entities = {
          one: uniqueId("MultiTypes"),
          two: uniqueId("MultiTypes"),
          both: uniqueId("MultiTypes"),
        };
        await create({ id: entities.one, type: types.b });
        await create({ id: entities.two, type: types.p });
        await create({ id: entities.both, type: [types.b, types.d] });
        const response = await broker.request("GET", "/entities", {
          headers: sdmLink,
          query: { type: selection(types) },
        });
        expect(response.status, response.text).toBe(200);
        expect(ids(response).sort()).toEqual(expected.map((k) => entities[k]).sort());
      });
    }
  });

  describe("019_09 q", () => {
    let type = "";
    async function threeBuildings(): Promise<string> {
      if (type) return type;
      type = uniqueType("Building");
      await create(building(uniqueId("Building"), type));
      await create(
        building(uniqueId("Building"), type, {
          name: { type: "Property", value: "Pisa Tower" },
          airQualityLevel: { type: "Property", value: 6 },
          locatedIn: { type: "Relationship", object: "urn:ngsi-ld:City:Pisa" },
        }),
      );
      await create(
        building(uniqueId("Building"), type, {
          name: { type: "Property", value: "Big Ben" },
          airQualityLevel: { type: "Property", value: 8 },
          locatedIn: { type: "Relationship", object: "urn:ngsi-ld:City:London" },
        }),
      );
      return type;
    }
    const cases: [string, string, number][] = [
      ["019_09_01", 'name=="Eiffel Tower"', 1],
      ["019_09_02", 'name=="Pisa Tower";almostFull==false', 1],
      ["019_09_04", 'name=="Pisa Tower"|almostFull==false', 3],
      ["019_09_05", '(name=="Pisa Tower"|name=="Eiffel Tower");almostFull==false', 2],
      ["019_09_06", "airQualityLevel==4", 1],
      ["019_09_07", "airQualityLevel>=4;airQualityLevel<7", 2],
      ["019_09_08", "locatedIn==urn:ngsi-ld:City:Pisa", 1],
      ["019_09_09", "locatedIn==urn:ngsi-ld:City:Rome", 0],
      ["019_09_10", "locatedIn==urn:ngsi-ld:City:Pisa|locatedIn==urn:ngsi-ld:City:Rome", 1],
    ];
    for (const [caseId, q, count] of cases) {
      it(`${caseId} q=${q} matches ${count}`, async () => {
        const t = await threeBuildings();
        const response = await broker.request("GET", "/entities", {
          headers: sdmLink,
          query: { type: t, q, count: "true" },
        });
        expect(response.status, response.text).toBe(200);
        expect(response.headers.get("NGSILD-Results-Count")).toBe(String(count));
      });
    }
  });

  describe("019_10 geo-queries with point geometries", () => {
    let type = "";
    async function berlinBuildings(): Promise<string> {
      if (type) return type;
      type = uniqueType("Building");
      const points = [
        [13.3986, 52.5547],
        [13.35, 52.45],
        [13.7, 52.4],
      ];
      for (const coordinates of points)
        await create({
          id: uniqueId("Building"),
          type,
          location: { type: "GeoProperty", value: { type: "Point", coordinates } },
        });
      return type;
    }
    const berlin =
      "[[[13.1616211,52.5438124],[13.597641,52.4840224],[13.5948944,52.3402782],[13.142395,52.386428],[13.1616211,52.5438124]]]";
    const cases: [string, string, string, string, number][] = [
      ["019_10_01", "equals", "Point", "[13.3986, 52.5547]", 1],
      ["019_10_02", "near;maxDistance==15000", "Point", "[13.388930, 52.534473]", 2],
      ["019_10_03", "near;minDistance==15000", "Point", "[13.388930, 52.534473]", 1],
      ["019_10_04", "within", "Polygon", berlin, 1],
      ["019_10_05", "disjoint", "Polygon", berlin, 2],
      ["019_10_06", "disjoint", "Point", "[13.3986, 52.5547]", 2],
      ["019_10_07", "contains", "Point", "[13.3986, 52.5547]", 1],
      ["019_10_08", "intersects", "Point", "[13.3986, 52.5547]", 1],
    ];
    for (const [caseId, georel, geometry, coordinates, count] of cases) {
      it(`${caseId} ${georel} ${geometry} matches ${count}`, async () => {
        const t = await berlinBuildings();
        const response = await broker.request("GET", "/entities", {
          query: { type: t, georel, geometry, coordinates, count: "true" },
        });
        expect(response.status, response.text).toBe(200);
        expect(response.headers.get("NGSILD-Results-Count")).toBe(String(count));
      });
    }
  });

  describe("019_11 geo-queries with polygon geometries", () => {
    let type = "";
    // Two buildings: a large polygon over central Berlin, and a small one inside Tempelhof.
    const large = [
      [
        [13.2865906, 52.5648645],
        [13.2879639, 52.5648645],
        [13.2797241, 52.4988679],
        [13.477478, 52.4712703],
        [13.5049438, 52.5373084],
        [13.2865906, 52.5648645],
      ],
    ];
    const small = [
      [
        [13.33, 52.46],
        [13.36, 52.46],
        [13.36, 52.47],
        [13.33, 52.47],
        [13.33, 52.46],
      ],
    ];
    async function polygonBuildings(): Promise<string> {
      if (type) return type;
      type = uniqueType("Building");
      for (const coordinates of [large, small])
        await create({
          id: uniqueId("Building"),
          type,
          location: { type: "GeoProperty", value: { type: "Polygon", coordinates } },
        });
      return type;
    }
    const cases: [string, string, string, string, number][] = [
      ["019_11_01", "equals", "Polygon", JSON.stringify(large), 1],
      [
        "019_11_02",
        "intersects",
        "Polygon",
        "[[[13.3456421,52.4794848],[13.3641815,52.4428773],[13.4177399,52.4730023],[13.3459854,52.479903],[13.3456421,52.4794848]]]",
        1,
      ],
      [
        "019_11_03",
        "contains",
        "Polygon",
        "[[[13.3844376,52.5356966],[13.381691,52.5123012],[13.4235764,52.5100027],[13.4331894,52.5273425],[13.3844376,52.5356966]]]",
        1,
      ],
      [
        "019_11_04",
        "contains",
        "Polygon",
        "[[[13.1369019,52.5198225],[13.131752,52.4980907],[13.1832504,52.5026887],[13.1369019,52.5198225]]]",
        0,
      ],
      [
        "019_11_05",
        "disjoint",
        "Polygon",
        "[[[13.1369019,52.5198225],[13.131752,52.4980907],[13.1832504,52.5026887],[13.1369019,52.5198225]]]",
        2,
      ],
      [
        "019_11_06",
        "within",
        "Polygon",
        "[[[13.30,52.44],[13.40,52.44],[13.40,52.49],[13.30,52.49],[13.30,52.44]]]",
        1,
      ],
      [
        "019_11_07",
        "overlaps",
        "Polygon",
        "[[[13.3456421,52.4794848],[13.3641815,52.4428773],[13.4177399,52.4730023],[13.3459854,52.479903],[13.3456421,52.4794848]]]",
        1,
      ],
      ["019_11_08", "contains", "Point", "[13.3442688,52.4650045]", 1],
    ];
    for (const [caseId, georel, geometry, coordinates, count] of cases) {
      it(`${caseId} ${georel} ${geometry} matches ${count}`, async () => {
        const t = await polygonBuildings();
        const response = await broker.request("GET", "/entities", {
          query: { type: t, georel, geometry, coordinates, count: "true" },
        });
        expect(response.status, response.text).toBe(200);
        expect(response.headers.get("NGSILD-Results-Count")).toBe(String(count));
      });
    }
  });

  describe("019_17 pick and omit", () => {
    let setup: { type: string; vehicleType: string } | undefined;
    async function entities() {
      if (setup) return setup;
      setup = { type: uniqueType("Building"), vehicleType: uniqueType("Vehicle") };
      await create(building(uniqueId("Building"), setup.type));
      await create(
        building(uniqueId("Building"), setup.type, { name: { type: "Property", value: "Pisa Tower" } }),
      );
      await create({
        id: uniqueId("Vehicle"),
        type: setup.vehicleType,
        name: { type: "Property", value: "Car" },
      });
      return setup;
    }
    const cases: [string, Record<string, string>, (keys: string[]) => boolean][] = [
      ["019_17_01", { pick: "name" }, (k) => k.join() === "name"],
      ["019_17_02", { omit: "name" }, (k) => k.includes("id") && !k.includes("name")],
      ["019_17_03", { pick: "id" }, (k) => k.join() === "id"],
      ["019_17_04", { omit: "id" }, (k) => k.includes("type") && !k.includes("id")],
      ["019_17_05", { pick: "id,name" }, (k) => k.sort().join() === "id,name"],
      [
        "019_17_06",
        { omit: "type,name" },
        (k) => k.includes("id") && !k.includes("type") && !k.includes("name"),
      ],
    ];
    for (const [caseId, query, holds] of cases) {
      it(`${caseId} ${JSON.stringify(query)} projects every entity`, async () => {
        const { type, vehicleType } = await entities();
        const response = await broker.request("GET", "/entities", {
          headers: sdmLink,
          query: { type: `${type},${vehicleType}`, ...query },
        });
        expect(response.status, response.text).toBe(200);
        const all = asArray(response.body).map(asObject);
        expect(all).toHaveLength(3);
        for (const entity of all) expect(holds(Object.keys(entity)), JSON.stringify(entity)).toBe(true);
      });
    }
  });

  describe("019_18 invalid pick and omit", () => {
    const cases: [string, Record<string, string>][] = [
      ["019_18_01", { pick: "name", omit: "name" }],
      ["019_18_02", { pick: "name", attrs: "category" }],
      ["019_18_03", { omit: "name", attrs: "category" }],
      ["019_18_04", { pick: "id;name" }],
      ["019_18_05", { pick: "id,locatedAt{name" }],
      ["019_18_06", { pick: "id,locatedAt{{name}" }],
      ["019_18_07", { pick: "id,,name" }],
      ["019_18_08", { pick: "id,locatedAt{,name}" }],
      ["019_18_09", { pick: "id,locatedAt{}" }],
    ];
    for (const [caseId, query] of cases) {
      it(`${caseId} ${JSON.stringify(query)} is 400 BadRequestData`, async () => {
        const response = await broker.request("GET", "/entities", {
          headers: sdmLink,
          query: { type: uniqueType("Building"), ...query },
        });
        expectProblem(response, 400, "BadRequestData");
      });
    }
  });

  it("019_25 with local=true and no other filter lists the entities", async () => {
    const { ids: created } = await minimalEntities(2);
    const response = await broker.request("GET", "/entities", { query: { local: "true", limit: "1000" } });
    expect(response.status, response.text).toBe(200);
    expect(ids(response)).toEqual(expect.arrayContaining(created));
  });

  it("019_27_02 accepts geometryProperty with a GeoJSON Accept header", async () => {
    const response = await broker.request("GET", "/entities", {
      headers: { Accept: GEO },
      query: { type: uniqueType("Building"), geometryProperty: "location" },
    });
    expect(response.status, response.text).toBe(200);
  });

  describe("019_31 pagination", () => {
    let setup: { type: string; ids: string[] } | undefined;
    async function threeEntities() {
      setup ??= await minimalEntities(3);
      return setup;
    }
    const page = async (limit: number, offset: number) => {
      const { type } = await threeEntities();
      return broker.request("GET", "/entities", {
        query: { type, limit: String(limit), offset: String(offset), count: "true" },
      });
    };
    const links = (response: BrokerResponse) => response.headers.get("link") ?? "";

    it("019_31_01 the first page links next only", async () => {
      const response = await page(1, 0);
      expect(response.headers.get("NGSILD-Results-Count")).toBe("3");
      expect(asArray(response.body)).toHaveLength(1);
      expect(links(response)).toMatch(/offset=1[^>]*>; rel="next"/);
      expect(links(response)).not.toContain('rel="prev"');
    });

    it("019_31_02 a middle page links prev and next", async () => {
      const response = await page(1, 1);
      expect(links(response)).toMatch(/offset=0[^>]*>; rel="prev"/);
      expect(links(response)).toMatch(/offset=2[^>]*>; rel="next"/);
    });

    it("019_31_03 the last page links prev only", async () => {
      const response = await page(1, 2);
      expect(links(response)).toMatch(/offset=1[^>]*>; rel="prev"/);
      expect(links(response)).not.toContain('rel="next"');
    });

    it("019_31_04 the page size bounds the page", async () => {
      const response = await page(2, 0);
      expect(asArray(response.body)).toHaveLength(2);
      expect(links(response)).toMatch(/offset=2[^>]*>; rel="next"/);
    });

    it("019_31_05 limit=0 with count answers the total and no entities", async () => {
      const response = await page(0, 0);
      expect(response.status).toBe(200);
      expect(response.headers.get("NGSILD-Results-Count")).toBe("3");
      expect(asArray(response.body)).toHaveLength(0);
    });
  });
});

describe("QueryEntities (extension cases valid for v1.8.1)", () => {
  describe("019_28 value lists, ranges and the not-pattern operator", () => {
    let type = "";
    async function twoBuildings(): Promise<string> {
      if (type) return type;
      type = uniqueType("Building");
      await create(building(uniqueId("Building"), type));
      await create(
        building(uniqueId("Building"), type, {
          name: { type: "Property", value: "Pisa Tower" },
          airQualityLevel: { type: "Property", value: 6 },
        }),
      );
      return type;
    }
    const cases: [string, string, number | undefined][] = [
      ["019_28_01", "airQualityLevel==4..5", 1],
      ["019_28_02", "airQualityLevel!=4..5", 1],
      ["019_28_03", 'name=="Eiffel Tower","Pisa Tower"', 2],
      ["019_28_04", 'name!="Eiffel Tower","Big Ben"', 1],
      ["019_28_05", 'name!~="^Eiffel"', 1],
      ["019_28_06", "airQualityLevel>4..5", undefined],
    ];
    for (const [caseId, q, count] of cases) {
      it(`${caseId} q=${q} ${count === undefined ? "is 400 BadRequestData" : `matches ${count}`}`, async () => {
        const t = await twoBuildings();
        const response = await broker.request("GET", "/entities", {
          headers: sdmLink,
          query: { type: t, q, count: "true" },
        });
        if (count === undefined) expectProblem(response, 400, "BadRequestData");
        else {
          expect(response.status, response.text).toBe(200);
          expect(response.headers.get("NGSILD-Results-Count")).toBe(String(count));
        }
      });
    }
  });

  describe("019_30 geo-query grammar and semantics", () => {
    let type = "";
    async function probes(): Promise<string> {
      if (type) return type;
      type = uniqueType("Building");
      // One point in the hole of the holed polygon below, carrying an observationSpace near [8,40];
      // one point in the polygon's shell.
      await create({
        id: uniqueId("Building"),
        type,
        location: { type: "GeoProperty", value: { type: "Point", coordinates: [5, 5] } },
        observationSpace: { type: "GeoProperty", value: { type: "Point", coordinates: [8.001, 40.001] } },
      });
      await create({
        id: uniqueId("Building"),
        type,
        location: { type: "GeoProperty", value: { type: "Point", coordinates: [2, 2] } },
      });
      return type;
    }
    const holed = "[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[6,4],[6,6],[4,6],[4,4]]]";
    const cases: [string, string, string, string, number | undefined, string?][] = [
      ["019_30_01", "near;maxDistance==0", "Point", "[8,40]", undefined],
      ["019_30_02", "near;maxDistance==-100", "Point", "[8,40]", undefined],
      ["019_30_04", "near", "Point", "[8,40]", undefined],
      ["019_30_05", "touches", "Point", "[8,40]", undefined],
      ["019_30_06", "within", "Polygon", holed, 1],
      ["019_30_07", "near;maxDistance==2000", "Point", "[8,40]", 1, "observationSpace"],
      ["019_30_08", "near;maxDistance==2000", "Point", "[8,40]", 0],
      ["019_30_13", "near;maxDistance==inf", "Point", "[8,40]", undefined],
      ["019_30_14", "near;maxDistance==1e400", "Point", "[8,40]", undefined],
    ];
    for (const [caseId, georel, geometry, coordinates, count, geoproperty] of cases) {
      it(`${caseId} ${georel} ${geometry}${geoproperty ? ` on ${geoproperty}` : ""} ${count === undefined ? "is 400 BadRequestData" : `matches ${count}`}`, async () => {
        const t = await probes();
        const response = await broker.request("GET", "/entities", {
          query: {
            type: t,
            georel,
            geometry,
            coordinates,
            count: "true",
            ...(geoproperty ? { geoproperty } : {}),
          },
        });
        if (count === undefined) expectProblem(response, 400, "BadRequestData");
        else {
          expect(response.status, response.text).toBe(200);
          expect(response.headers.get("NGSILD-Results-Count")).toBe(String(count));
        }
      });
    }
  });

  describe("019_32 the Query body", () => {
    let setup: { type: string; slow: string; fast: string } | undefined;
    async function vehicles() {
      if (setup) return setup;
      setup = { type: uniqueType("Vehicle"), slow: uniqueId("Vehicle"), fast: uniqueId("Vehicle") };
      for (const [id, speed] of [
        [setup.slow, 80],
        [setup.fast, 120],
      ] as const)
        await create({
          id,
          type: setup.type,
          speed: { type: "Property", value: speed },
          brand: { type: "Property", value: "Mercedes" },
        });
      return setup;
    }
    const post = (body: Json) =>
      broker.request("POST", "/entityOperations/query", { body, headers: { Link: linkTo(CORE_CONTEXT) } });

    it("019_32_01 q in the body filters like the parameter", async () => {
      const { type, fast } = await vehicles();
      const response = await post({ type: "Query", entities: [{ type }], q: "speed>100" });
      expect(response.status, response.text).toBe(200);
      expect(ids(response)).toEqual([fast]);
    });

    const refused: [string, (type: string) => Json][] = [
      ["019_32_04", () => ({ type: "Query", entities: [] })],
      ["019_32_05", (type) => ({ type: "Query", entities: [{ type }], attrs: [] })],
      ["019_32_06", (type) => ({ type: "Query", entities: [{ type }], q: 42 })],
      ["019_32_07", (type) => ({ type: "Query", entities: [{ type }], join: "inline", joinLevel: 0 })],
      [
        "019_32_08",
        (type) => ({
          type: "Query",
          entities: [{ type }],
          temporalQ: { timerel: "after", timeAt: "2020-01-01T00:00:00Z" },
        }),
      ],
      ["019_32_09", (type) => ({ type: "NotQuery", entities: [{ type }] })],
    ];
    for (const [caseId, body] of refused) {
      it(`${caseId} refuses ${JSON.stringify(body("T"))} with 400`, async () => {
        const { type } = await vehicles();
        const response = await post(body(type));
        expect(response.status, response.text).toBe(400);
      });
    }
  });

  describe("5233_01 entity selectors", () => {
    let setup: { type: string; a: string; b: string } | undefined;
    async function twoVehicles() {
      if (setup) return setup;
      setup = { type: uniqueType("Vehicle"), a: uniqueId("Vehicle"), b: uniqueId("Vehicle") };
      for (const id of [setup.a, setup.b]) await create({ id, type: setup.type });
      return setup;
    }
    const post = (selector: Json) =>
      broker.request("POST", "/entityOperations/query", { body: { type: "Query", entities: [selector] } });

    it("5233_01_02 id takes precedence over idPattern", async () => {
      const { type, a, b } = await twoVehicles();
      const response = await post({ type, id: a, idPattern: `^${b}$` });
      expect(response.status, response.text).toBe(200);
      expect(ids(response)).toEqual([a]);
    });

    it("5233_01_04 an id that is not a URI is 400", async () => {
      const { type } = await twoVehicles();
      expect((await post({ type, id: "not a uri" })).status).toBe(400);
    });

    it("5233_01_06 an idPattern alone filters", async () => {
      const { type, b } = await twoVehicles();
      const response = await post({ type, idPattern: `^${b}$` });
      expect(ids(response)).toEqual([b]);
    });
  });
});

describe("QueryEntities: 019_12 datasetId", () => {
  const FRENCH = "urn:ngsi-ld:Dataset:french-name";
  const GERMAN = "urn:ngsi-ld:Dataset:german-name";
  const SPANISH = "urn:ngsi-ld:Dataset:spanish-name";
  const nameDefault = { type: "Property", value: "Eiffel Tower" };
  const nameFrench = { type: "Property", value: "Tour Eiffel", datasetId: FRENCH };
  const nameGerman = { type: "Property", value: "Eiffelturm", datasetId: GERMAN };
  const cityDefault = { type: "Relationship", object: "urn:ngsi-ld:City:Paris" };
  const cityFrench = { type: "Relationship", object: "urn:ngsi-ld:Ville:Paris", datasetId: FRENCH };
  const citySpanish = { type: "Relationship", object: "urn:ngsi-ld:Ciudad:Paris", datasetId: SPANISH };

  /** A building with multi-instance attributes (the suite's Suite Setup), in the core context. */
  let setup: Promise<{ id: string; type: string }> | undefined;
  const multiInstanceBuilding = () => {
    setup ??= (async () => {
      const id = uniqueId("Building");
      const type = uniqueType("Building");
      await create(
        {
          id,
          type,
          name: [nameDefault, nameFrench, nameGerman],
          locatedAt: [cityDefault, cityFrench, citySpanish],
        },
        CORE_CONTEXT,
      );
      return { id, type };
    })();
    return setup;
  };

  const cases: [string, string, { attrs?: string; datasetId?: string }, Json][] = [
    ["019_12_01", "attrs only", { attrs: "name" }, { name: [nameDefault, nameFrench, nameGerman] }],
    ["019_12_02", "one datasetId", { datasetId: FRENCH }, { name: nameFrench, locatedAt: cityFrench }],
    [
      "019_12_03",
      "two datasetIds",
      { datasetId: `${FRENCH},${SPANISH}` },
      { name: nameFrench, locatedAt: [cityFrench, citySpanish] },
    ],
    [
      "019_12_04",
      "the default instance (@none)",
      { datasetId: "@none" },
      { name: nameDefault, locatedAt: cityDefault },
    ],
    [
      "019_12_05",
      "attrs and the default instance",
      { attrs: "name", datasetId: "@none" },
      { name: nameDefault },
    ],
    ["019_12_06", "attrs and a datasetId", { attrs: "name", datasetId: GERMAN }, { name: nameGerman }],
    ["019_12_07", "attrs and a datasetId no instance has", { attrs: "name", datasetId: SPANISH }, {}],
  ];
  for (const [caseId, what, parameters, attributes] of cases) {
    it(`${caseId} filters attribute instances by ${what}`, async () => {
      const { id, type } = await multiInstanceBuilding();
      const response = await broker.request("GET", "/entities", { query: { type, ...parameters } });
      expect(response.status, response.text).toBe(200);
      expect(asArray(response.body)).toEqual([{ id, type, ...attributes }]);
    });
  }

  it("019_12 datasetId selects the same instances on GET /entities/{id}", async () => {
    const { id, type } = await multiInstanceBuilding();
    const response = await broker.request("GET", entityPath(id), { query: { datasetId: `@none,${GERMAN}` } });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toEqual({ id, type, name: [nameDefault, nameGerman], locatedAt: cityDefault });
  });
});

describe("QueryEntities and RetrieveEntity (more extension cases valid for v1.8.1)", () => {
  describe("019_32 pick and omit in the Query body", () => {
    let setup: Promise<string> | undefined;
    const vehicles = () => {
      setup ??= (async () => {
        const type = uniqueType("Vehicle");
        for (const speed of [80, 120])
          await create({
            id: uniqueId("Vehicle"),
            type,
            speed: { type: "Property", value: speed },
            brand: { type: "Property", value: "Mercedes" },
          });
        return type;
      })();
      return setup;
    };
    const post = (body: Json) =>
      broker.request("POST", "/entityOperations/query", { body, headers: { Link: linkTo(CORE_CONTEXT) } });

    it("019_32_02 pick in the body keeps only the members it names", async () => {
      const type = await vehicles();
      const response = await post({ type: "Query", entities: [{ type }], pick: ["speed"] });
      expect(response.status, response.text).toBe(200);
      const entities = asArray(response.body).map(asObject);
      expect(entities).toHaveLength(2);
      for (const entity of entities) expect(Object.keys(entity)).toEqual(["speed"]);
    });

    it("019_32_03 omit in the body removes the members it names", async () => {
      const type = await vehicles();
      const response = await post({ type: "Query", entities: [{ type }], omit: ["speed"] });
      expect(response.status, response.text).toBe(200);
      const entities = asArray(response.body).map(asObject);
      expect(entities).toHaveLength(2);
      for (const entity of entities) expect(Object.keys(entity).sort()).toEqual(["brand", "id", "type"]);
    });
  });

  it("5233_01_03 an entity selector without type is 400 BadRequestData", async () => {
    const response = await broker.request("POST", "/entityOperations/query", {
      body: { type: "Query", entities: [{ id: uniqueId("Vehicle") }] },
    });
    expectProblem(response, 400, "BadRequestData");
  });

  it("4517_01 a simplified Feature carries simplified properties, a dataset map and the default geometry", async () => {
    const id = uniqueId("Vehicle");
    await create({
      id,
      type: uniqueType("Vehicle"),
      location: [
        {
          type: "GeoProperty",
          value: { type: "Point", coordinates: [9, 9] },
          datasetId: "urn:ngsi-ld:Dataset:gps",
        },
        { type: "GeoProperty", value: { type: "Point", coordinates: [3, 4] } },
      ],
      speed: { type: "Property", value: 5 },
    });
    const response = await broker.request("GET", entityPath(id), {
      headers: { Accept: GEO, ...sdmLink },
      query: { options: "keyValues" },
    });
    expect(response.status, response.text).toBe(200);
    const feature = asObject(response.body);
    expect(feature.type).toBe("Feature");
    expect(feature.geometry).toEqual({ type: "Point", coordinates: [3, 4] });
    const properties = asObject(feature.properties);
    expect(properties.speed).toBe(5);
    expect(properties.location).toEqual({
      dataset: {
        "@none": { type: "Point", coordinates: [3, 4] },
        "urn:ngsi-ld:Dataset:gps": { type: "Point", coordinates: [9, 9] },
      },
    });
  });

  describe("415_01 language filter matching", () => {
    const plain = { fr: "Grand Place", nl: "Grote Markt" };
    const regional = { de: "Marktplatz", "en-US": "Main Square" };
    const entities = new Map<string, Promise<string>>();
    const entityWith = (streets: Json) => {
      const key = JSON.stringify(streets);
      let created = entities.get(key);
      if (!created) {
        created = (async () => {
          const id = uniqueId("Building");
          await create({
            id,
            type: uniqueType("Building"),
            street: { type: "LanguageProperty", languageMap: streets },
          });
          return id;
        })();
        entities.set(key, created);
      }
      return created;
    };
    const street = async (streets: Json, lang: string) => {
      const response = await broker.request("GET", entityPath(await entityWith(streets)), {
        headers: { Accept: LD, ...sdmLink },
        query: { lang },
      });
      expect(response.status, response.text).toBe(200);
      return asObject(asObject(response.body).street);
    };

    const cases: [string, string, Json, string, string, string][] = [
      ["415_01_01", "quality values outrank list position", plain, "fr;q=0.2,nl;q=0.9", "nl", "Grote Markt"],
      ["415_01_02", "language tags compare case-insensitively", plain, "FR", "fr", "Grand Place"],
      ["415_01_03", "a longer range falls back to a shorter tag", plain, "nl-BE", "nl", "Grote Markt"],
      ["415_01_04", "a shorter range matches a longer tag", regional, "en", "en-US", "Main Square"],
    ];
    for (const [caseId, what, streets, lang, tag, value] of cases) {
      it(`${caseId} ${what}`, async () => {
        expect(await street(streets, lang)).toEqual({ type: "Property", value, lang: tag });
      });
    }

    it("415_01_05 with no matching language answers some language and names it in lang", async () => {
      const answered = await street(plain, "pt");
      expect(answered.type).toBe("Property");
      expect(answered.languageMap).toBeUndefined();
      const tag = String(answered.lang);
      expect(Object.keys(plain)).toContain(tag);
      expect(answered.value).toBe(plain[tag as keyof typeof plain]);
    });
  });
});
