import { describe, expect, it } from "vitest";
import {
  asArray,
  asObject,
  type BrokerResponse,
  ERRORS,
  expectProblem,
  type Json,
  linkTo,
  SDM_CONTEXT,
  uniqueId,
  uniqueType,
  useBroker,
} from "./harness";

/**
 * ETSI NGSI-LD test suite, `TP/NGSI-LD/ContextInformation/Provision/BatchEntities/**`: batch create,
 * upsert, update, merge and delete (clauses 5.6.7–5.6.10, 5.6.20; binding 6.14–6.18, 6.31). The
 * bundled Smart Data Models PointOfInterest context stands in for the suite's test @context (see
 * provision-entities.test.ts): `category` is one of its terms.
 */
const broker = useBroker();

const LD = "application/ld+json";
const LD_HEADERS = { "content-type": LD };
const SDM_CATEGORY = "https://smartdatamodels.org/dataModel.PointOfInterest/category";

const ld = (entity: Json): Json => ({ ...entity, "@context": [SDM_CONTEXT] });
const batch = (operation: string, entities: unknown[], query: Record<string, string> = {}) =>
  broker.request("POST", `/entityOperations/${operation}`, { body: entities, headers: LD_HEADERS, query });

function expectNoContent(response: BrokerResponse): void {
  expect(response.status, response.text).toBe(204);
  expect(response.text).toBe("");
}

/** A 207 BatchOperationResult: the ids that succeeded, and the ids that failed with their error types. */
function expectBatchResult(response: BrokerResponse, success: string[], errors: [string, string][]): void {
  expect(response.status, response.text).toBe(207);
  const result = asObject(response.body);
  expect(asArray(result.success)).toEqual(success);
  expect(
    asArray(result.errors).map((entry) => {
      const { entityId, error } = asObject(entry);
      const problem = asObject(error);
      expect(typeof problem.title, JSON.stringify(problem)).toBe("string");
      return [entityId, problem.type];
    }),
  ).toEqual(errors.map(([id, type]) => [id, `${ERRORS}${type}`]));
}

/** The first error of a 207 answer, which must have the given type. */
function expectFirstError(response: BrokerResponse, type: string): void {
  expect(response.status, response.text).toBe(207);
  const [first] = asArray(asObject(response.body).errors);
  const problem = asObject(asObject(first).error);
  expect(problem.type).toBe(`${ERRORS}${type}`);
  expect(typeof problem.title).toBe("string");
}

/** The entities with these ids, read with the SDM context, in the order of `ids`. */
async function entities(type: string, ids: string[]): Promise<Json[]> {
  const response = await broker.request("GET", "/entities", {
    query: { id: ids.join(","), type },
    headers: { link: linkTo(SDM_CONTEXT) },
  });
  expect(response.status, response.text).toBe(200);
  const found = new Map(asArray(response.body).map((e) => [String(asObject(e).id), asObject(e)]));
  return ids.flatMap((id) => {
    const entity = found.get(id);
    return entity ? [entity] : [];
  });
}

async function created(...list: Json[]): Promise<void> {
  for (const entity of list) {
    const response = await broker.request("POST", "/entities", { body: ld(entity), headers: LD_HEADERS });
    expect(response.status, response.text).toBe(201);
  }
}

/** The suite's sample shapes: minimal, simple attributes, a Relationship, a Relationship with properties. */
const SHAPES: Record<string, (id: string, type: string) => Json> = {
  minimal: (id, type) => ({ id, type }),
  simple: (id, type) => ({
    id,
    type,
    name: { type: "Property", value: "Eiffel Tower" },
    subCategory: { type: "Property", value: "tourism" },
    airQualityLevel: { type: "Property", value: 4, unitCode: "C62", observedAt: "2020-09-09T16:40:00.000Z" },
    category: { type: "Property", value: false },
  }),
  relationship: (id, type) => ({
    id,
    type,
    name: { type: "Property", value: "Eiffel Tower" },
    locatedAt: { type: "Relationship", object: "urn:ngsi-ld:City:Paris" },
  }),
  relationshipOfProperty: (id, type) => ({
    id,
    type,
    name: { type: "Property", value: "Eiffel Tower" },
    airQualityLevel: {
      type: "Property",
      value: 4,
      unitCode: "C62",
      observedAt: "2020-09-09T16:40:00.000Z",
      providedBy: { type: "Relationship", object: "urn:ngsi-ld:Person:Bob" },
    },
  }),
};

/** Two ids of a fresh type. */
function pair(): { type: string; first: string; second: string } {
  const type = uniqueType("Building");
  return { type, first: uniqueId(type), second: uniqueId(type) };
}

describe.concurrent("BatchEntities/CreateBatchOfEntities", () => {
  const shapes = [
    ["01", "minimal entities", "minimal"],
    ["02", "entities with simple Properties", "simple"],
    ["03", "entities with a Relationship", "relationship"],
    ["04", "entities with a Relationship of a Property", "relationshipOfProperty"],
  ] as const;
  for (const [suffix, what, shape] of shapes) {
    it(`003_01_${suffix} creates a batch of ${what}: 201 with the ids, and they read back as sent`, async () => {
      // Prepare
      const { type, first, second } = pair();
      const make = SHAPES[shape];
      if (!make) throw new Error(shape);
      // Act
      const response = await batch("create", [ld(make(first, type)), ld(make(second, type))]);
      // Assess
      expect(response.status, response.text).toBe(201);
      expect(response.body).toEqual([first, second]);
      expect(await entities(type, [first, second])).toEqual([make(first, type), make(second, type)]);
    });
  }

  it("003_02_01 creates the new entities of a batch and reports the existing one: 207", async () => {
    const { type, first, second } = pair();
    const existing = uniqueId(type);
    await created({ id: existing, type });
    const response = await batch("create", [
      ld({ id: first, type }),
      ld({ id: second, type }),
      ld({ id: existing, type }),
    ]);
    expectBatchResult(response, [first, second], [[existing, "AlreadyExists"]]);
    expect(await entities(type, [first, second])).toEqual([
      { id: first, type },
      { id: second, type },
    ]);
  });

  it("003_03_01 refuses a body that is not JSON with 400 InvalidRequest", async () => {
    const response = await broker.request("POST", "/entityOperations/create", {
      raw: '[{"id": "urn:ngsi-ld:Building:1",, "type": "Building"}]',
      headers: LD_HEADERS,
    });
    expectProblem(response, 400, "InvalidRequest");
  });

  it("003_03_02 refuses an empty body with 400 BadRequestData", async () => {
    const response = await broker.request("POST", "/entityOperations/create", {
      raw: "",
      headers: LD_HEADERS,
    });
    expectProblem(response, 400, "BadRequestData");
  });

  describe("an application/json batch takes its @context from the Link header", () => {
    async function createdWithLink(): Promise<string> {
      const type = uniqueType("Building");
      const id = uniqueId(type);
      const response = await broker.request("POST", "/entityOperations/create", {
        body: [{ id, type, category: { type: "Property", value: true } }],
        headers: { link: linkTo(SDM_CONTEXT) },
      });
      expect(response.status, response.text).toBe(201);
      return id;
    }

    it("003_04_01 reads back with the same Link: the term is compacted", async () => {
      const id = await createdWithLink();
      const read = await broker.request("GET", `/entities/${encodeURIComponent(id)}`, {
        headers: { link: linkTo(SDM_CONTEXT) },
      });
      expect(asObject(read.body).category).toEqual({ type: "Property", value: true });
    });

    it("003_04_02 reads back without a Link: the term is the IRI the Link gave it", async () => {
      const id = await createdWithLink();
      const read = await broker.request("GET", `/entities/${encodeURIComponent(id)}`);
      expect(asObject(read.body)[SDM_CATEGORY]).toEqual({ type: "Property", value: true });
    });
  });

  describe("without a Link, an application/json batch is read with the core @context", () => {
    async function createdWithoutLink(): Promise<string> {
      const type = uniqueType("Building");
      const id = uniqueId(type);
      const response = await broker.request("POST", "/entityOperations/create", {
        body: [{ id, type, category: { type: "Property", value: false } }],
      });
      expect(response.status, response.text).toBe(201);
      return id;
    }

    it("003_05_01 reads back without a Link: the term is compacted", async () => {
      const id = await createdWithoutLink();
      const read = await broker.request("GET", `/entities/${encodeURIComponent(id)}`);
      expect(asObject(read.body).category).toEqual({ type: "Property", value: false });
    });

    it("003_05_02 reads back with a Link defining the term otherwise: the default-vocabulary IRI", async () => {
      const id = await createdWithoutLink();
      const read = await broker.request("GET", `/entities/${encodeURIComponent(id)}`, {
        headers: { link: linkTo(SDM_CONTEXT) },
      });
      expect(asObject(read.body)["ngsi-ld:default-context/category"], read.text).toEqual({
        type: "Property",
        value: false,
      });
    });
  });

  it("003_06_01 reports an application/json entity carrying @context as BadRequestData (207)", async () => {
    const type = uniqueType("Building");
    const response = await broker.request("POST", "/entityOperations/create", {
      body: [ld({ id: uniqueId(type), type })],
    });
    expectFirstError(response, "BadRequestData");
  });

  describe("an application/ld+json batch entity carries its own @context", () => {
    async function createdInline(): Promise<string> {
      const type = uniqueType("Building");
      const id = uniqueId(type);
      const response = await batch("create", [ld({ id, type, category: { type: "Property", value: true } })]);
      expect(response.status, response.text).toBe(201);
      return id;
    }

    it("003_07_01 reads back with that @context as Link: the term is compacted", async () => {
      const id = await createdInline();
      const read = await broker.request("GET", `/entities/${encodeURIComponent(id)}`, {
        headers: { link: linkTo(SDM_CONTEXT) },
      });
      expect(asObject(read.body).category).toEqual({ type: "Property", value: true });
    });

    it("003_07_02 reads back without a Link: the term is the IRI", async () => {
      const id = await createdInline();
      const read = await broker.request("GET", `/entities/${encodeURIComponent(id)}`);
      expect(asObject(read.body)[SDM_CATEGORY]).toEqual({ type: "Property", value: true });
    });
  });

  it("003_08_01 reports an application/ld+json entity without @context as BadRequestData (207)", async () => {
    const type = uniqueType("Building");
    const response = await batch("create", [{ id: uniqueId(type), type }]);
    expectFirstError(response, "BadRequestData");
  });

  it("003_09_01 refuses application/ld+json together with a JSON-LD Link header with 400 BadRequestData", async () => {
    const type = uniqueType("Building");
    const response = await broker.request("POST", "/entityOperations/create", {
      body: [ld({ id: uniqueId(type), type })],
      headers: { ...LD_HEADERS, link: linkTo(SDM_CONTEXT) },
    });
    expectProblem(response, 400, "BadRequestData");
  });

  it("003_10_01 creates a batch naming one id twice: the second is AlreadyExists (207)", async () => {
    const { type, first, second } = pair();
    const response = await batch("create", [
      ld({ id: first, type }),
      ld({ id: second, type }),
      ld({ id: first, type }),
    ]);
    expectBatchResult(response, [first, second], [[first, "AlreadyExists"]]);
  });

  it("567_01_01 (extension) refuses a batch with a null item or no item as a whole: 400 BadRequestData", async () => {
    const type = uniqueType("Building");
    const id = uniqueId(type);
    expectProblem(await batch("create", [ld({ id, type }), null]), 400, "BadRequestData");
    const read = await broker.request("GET", `/entities/${encodeURIComponent(id)}`);
    expect(read.status).toBe(404);
    expectProblem(await batch("create", []), 400, "BadRequestData");
  });
});

describe.concurrent("BatchEntities/UpsertBatchOfEntities", () => {
  const shapes = [
    ["01", "simple Properties", "simple"],
    ["02", "a Relationship", "relationship"],
    ["03", "a Relationship of a Property", "relationshipOfProperty"],
  ] as const;

  for (const [suffix, what, shape] of shapes) {
    const make = SHAPES[shape];
    if (!make) throw new Error(shape);

    it(`004_01_${suffix} upserts new entities with ${what}: 201 with the ids`, async () => {
      const { type, first, second } = pair();
      const response = await batch("upsert", [ld(make(first, type)), ld(make(second, type))]);
      expect(response.status, response.text).toBe(201);
      expect(response.body).toEqual([first, second]);
      expect(await entities(type, [first, second])).toEqual([make(first, type), make(second, type)]);
    });

    it(`004_02_${suffix} upserts a new and two existing entities with ${what}: 201 with the new id, the others replaced`, async () => {
      const { type, first, second } = pair();
      const fresh = uniqueId(type);
      await created({ id: first, type }, { id: second, type });
      const response = await batch("upsert", [
        ld(make(fresh, type)),
        ld(make(first, type)),
        ld(make(second, type)),
      ]);
      expect(response.status, response.text).toBe(201);
      expect(response.body).toEqual([fresh]);
      expect(await entities(type, [fresh, first, second])).toEqual([
        make(fresh, type),
        make(first, type),
        make(second, type),
      ]);
    });

    it(`004_03_${suffix} upserts existing entities with ${what}: 204, and they are replaced`, async () => {
      const { type, first, second } = pair();
      await created(
        { id: first, type, gone: { type: "Property", value: 1 } },
        { id: second, type, gone: { type: "Property", value: 2 } },
      );
      expectNoContent(await batch("upsert", [ld(make(first, type)), ld(make(second, type))]));
      expect(await entities(type, [first, second])).toEqual([make(first, type), make(second, type)]);
    });
  }

  it("004_03_05 upserts existing entities with two types: they get both", async () => {
    const { type, first, second } = pair();
    await created({ id: first, type }, { id: second, type });
    const types = [type, `${type}Landmark`];
    expectNoContent(await batch("upsert", [ld({ id: first, type: types }), ld({ id: second, type: types })]));
    for (const entity of await entities(type, [first, second]))
      expect(new Set([entity.type].flat())).toEqual(new Set(types));
  });

  const updates = [
    ["01", "simple Properties", "simple", { name: { type: "Property", value: "Pisa Tower" } }],
    [
      "02",
      "a Relationship",
      "relationship",
      { locatedAt: { type: "Relationship", object: "urn:ngsi-ld:City:Pisa" } },
    ],
    [
      "03",
      "a Relationship of a Property",
      "relationshipOfProperty",
      {
        airQualityLevel: {
          type: "Property",
          value: 2,
          providedBy: { type: "Relationship", object: "urn:ngsi-ld:Person:Alice" },
        },
      },
    ],
  ] as const;
  for (const [suffix, what, shape, fragment] of updates) {
    it(`004_04_${suffix} upserts with options=update (${what}): the new entity is created, the existing one gets the attributes`, async () => {
      const { type, first: fresh, second: existing } = pair();
      const make = SHAPES[shape];
      if (!make) throw new Error(shape);
      const kept = { type: "Property", value: "kept" };
      await created({ id: existing, type, kept });
      const response = await batch(
        "upsert",
        [ld(make(fresh, type)), ld({ id: existing, type, ...fragment })],
        {
          options: "update",
        },
      );
      expect(response.status, response.text).toBe(201);
      expect(response.body).toEqual([fresh]);
      expect(await entities(type, [fresh, existing])).toEqual([
        make(fresh, type),
        { id: existing, type, kept, ...fragment },
      ]);
    });
  }

  it("004_05_01 upserts two valid entities and reports the one without a type: 207", async () => {
    const { type, first, second } = pair();
    const invalid = uniqueId(type);
    const response = await batch("upsert", [
      ld({ id: first, type }),
      ld({ id: second, type }),
      ld({ id: invalid }),
    ]);
    expectBatchResult(response, [first, second], [[invalid, "BadRequestData"]]);
    expect(await entities(type, [first, second])).toEqual([
      { id: first, type },
      { id: second, type },
    ]);
  });

  it("004_06_01 refuses a body that is not JSON with 400 InvalidRequest", async () => {
    const response = await broker.request("POST", "/entityOperations/upsert", {
      raw: '[{"id": "urn:ngsi-ld:Building:1", "type": "Building"',
      headers: LD_HEADERS,
    });
    expectProblem(response, 400, "InvalidRequest");
  });

  it("004_06_02 reports an entity whose Property value is JSON null as BadRequestData (207)", async () => {
    const type = uniqueType("Building");
    const response = await batch("upsert", [
      ld({ id: uniqueId(type), type, name: { type: "Property", value: null } }),
    ]);
    expectFirstError(response, "BadRequestData");
  });

  it("004_07_01 upserts a batch naming one id twice: 201 with each created id", async () => {
    const { type, first, second } = pair();
    const response = await batch("upsert", [
      ld({ id: first, type }),
      ld({ id: second, type }),
      ld({ id: first, type }),
    ]);
    expect(response.status, response.text).toBe(201);
    expect(new Set(asArray(response.body))).toEqual(new Set([first, second]));
  });

  it("004_08_01 upserts existing entities with new types: 204, the types are replaced", async () => {
    const { type, first, second } = pair();
    await created({ id: first, type }, { id: second, type });
    const types = [`${type}Vehicle`, `${type}Car`];
    expectNoContent(await batch("upsert", [ld({ id: first, type: types }), ld({ id: second, type: types })]));
    const read = await broker.request("GET", "/entities", {
      query: { id: [first, second].join(","), type: types[0] ?? "" },
    });
    expect(read.status, read.text).toBe(200);
    for (const entity of asArray(read.body))
      expect(new Set([asObject(entity).type].flat())).toEqual(new Set(types));
    expect(asArray(read.body)).toHaveLength(2);
  });

  it("466_01_01 (extension) the later of two instances of one entity in an upsert decides its state", async () => {
    const type = uniqueType("Vehicle");
    const id = uniqueId(type);
    const response = await batch("upsert", [
      ld({ id, type, speed: { type: "Property", value: 1 }, old: { type: "Property", value: true } }),
      ld({ id, type, speed: { type: "Property", value: 2 } }),
    ]);
    expect([201, 204]).toContain(response.status);
    expect(await entities(type, [id])).toEqual([{ id, type, speed: { type: "Property", value: 2 } }]);
  });
});

describe.concurrent("BatchEntities/UpdateBatchOfEntities", () => {
  const base = SHAPES.simple;
  if (!base) throw new Error("simple");
  const fragments = [
    ["01", "existing simple Properties", { name: { type: "Property", value: "Pisa Tower" } }],
    ["02", "a new Relationship", { locatedAt: { type: "Relationship", object: "urn:ngsi-ld:City:Paris" } }],
    [
      "03",
      "a Property with a Relationship",
      {
        airQualityLevel: {
          type: "Property",
          value: 2,
          providedBy: { type: "Relationship", object: "urn:ngsi-ld:Person:Alice" },
        },
      },
    ],
  ] as const;
  for (const [suffix, what, fragment] of fragments) {
    it(`005_01_${suffix} updates a batch with ${what}: 204, the attributes are set`, async () => {
      const { type, first, second } = pair();
      await created(base(first, type), base(second, type));
      expectNoContent(
        await batch("update", [ld({ id: first, type, ...fragment }), ld({ id: second, type, ...fragment })]),
      );
      expect(await entities(type, [first, second])).toEqual([
        { ...base(first, type), ...fragment },
        { ...base(second, type), ...fragment },
      ]);
    });
  }

  const noOverwrite = [
    [
      "01",
      "existing attributes only: 207, nothing changes",
      { name: { type: "Property", value: "Pisa Tower" } },
      {},
      207,
    ],
    [
      "02",
      "a new attribute: 204, it is added",
      { locatedAt: { type: "Relationship", object: "urn:ngsi-ld:City:Paris" } },
      { locatedAt: { type: "Relationship", object: "urn:ngsi-ld:City:Paris" } },
      204,
    ],
    [
      "03",
      "a new and an existing attribute: 207, the new one is added",
      {
        name: { type: "Property", value: "Pisa Tower" },
        location: { type: "GeoProperty", value: { type: "Point", coordinates: [10.3966, 43.723] } },
      },
      { location: { type: "GeoProperty", value: { type: "Point", coordinates: [10.3966, 43.723] } } },
      207,
    ],
  ] as const;
  for (const [suffix, what, fragment, added, status] of noOverwrite) {
    it(`005_02_${suffix} updates with noOverwrite ${what}`, async () => {
      const { type, first, second } = pair();
      await created(base(first, type), base(second, type));
      const response = await batch(
        "update",
        [ld({ id: first, type, ...fragment }), ld({ id: second, type, ...fragment })],
        {
          options: "noOverwrite",
        },
      );
      expect(response.status, response.text).toBe(status);
      expect(await entities(type, [first, second])).toEqual([
        { ...base(first, type), ...added },
        { ...base(second, type), ...added },
      ]);
    });
  }

  it("005_03_01 updates the existing entities of a batch and reports the unknown one: 207", async () => {
    const { type, first, second } = pair();
    const unknown = uniqueId(type);
    await created(base(first, type), base(second, type));
    const fragment = { name: { type: "Property", value: "Pisa Tower" } };
    const response = await batch("update", [
      ld({ id: first, type, ...fragment }),
      ld({ id: second, type, ...fragment }),
      ld({ id: unknown, type, ...fragment }),
    ]);
    expectBatchResult(response, [first, second], [[unknown, "ResourceNotFound"]]);
    expect(await entities(type, [first, second])).toEqual([
      { ...base(first, type), ...fragment },
      { ...base(second, type), ...fragment },
    ]);
  });

  it("005_04_01 refuses a body that is not JSON with 400 InvalidRequest", async () => {
    const response = await broker.request("POST", "/entityOperations/update", {
      raw: "[{,}]",
      headers: LD_HEADERS,
    });
    expectProblem(response, 400, "InvalidRequest");
  });

  it("005_04_02 reports an entity whose Property value is JSON null as BadRequestData (207)", async () => {
    const type = uniqueType("Building");
    const id = uniqueId(type);
    await created({ id, type, name: { type: "Property", value: "x" } });
    const response = await batch("update", [ld({ id, type, name: { type: "Property", value: null } })]);
    expectFirstError(response, "BadRequestData");
  });

  it("005_05_01 updates a batch with a new type: 204, the types are added", async () => {
    const { type, first, second } = pair();
    await created({ id: first, type }, { id: second, type });
    const types = [type, `${type}Landmark`];
    expectNoContent(await batch("update", [ld({ id: first, type: types }), ld({ id: second, type: types })]));
    for (const entity of await entities(type, [first, second]))
      expect(new Set([entity.type].flat())).toEqual(new Set(types));
  });
});

describe.concurrent("BatchEntities/MergeBatchOfEntities", () => {
  const base = SHAPES.simple;
  if (!base) throw new Error("simple");
  const merges = [
    ["01", "an empty fragment: nothing changes", {}, {}],
    [
      "02",
      "simple Properties: their values change",
      { name: { type: "Property", value: "Pisa Tower" }, category: { type: "Property", value: true } },
      { name: { type: "Property", value: "Pisa Tower" }, category: { type: "Property", value: true } },
    ],
    [
      "03",
      "a Relationship: it is added",
      { locatedAt: { type: "Relationship", object: "urn:ngsi-ld:City:Paris" } },
      { locatedAt: { type: "Relationship", object: "urn:ngsi-ld:City:Paris" } },
    ],
    [
      "04",
      "part of a Property: the rest is kept",
      { airQualityLevel: { type: "Property", value: 1, observedAt: "2024-01-01T00:00:00.000Z" } },
      {
        airQualityLevel: {
          type: "Property",
          value: 1,
          unitCode: "C62",
          observedAt: "2024-01-01T00:00:00.000Z",
        },
      },
    ],
  ] as const;
  for (const [suffix, what, fragment, changed] of merges) {
    it(`057_01_${suffix} merges a batch with ${what}`, async () => {
      const { type, first, second } = pair();
      await created(base(first, type), base(second, type));
      expectNoContent(
        await batch("merge", [ld({ id: first, type, ...fragment }), ld({ id: second, type, ...fragment })]),
      );
      expect(await entities(type, [first, second])).toEqual([
        { ...base(first, type), ...changed },
        { ...base(second, type), ...changed },
      ]);
    });
  }

  it("057_02_01 merges the existing entities of a batch and reports the unknown one: 207", async () => {
    const { type, first, second } = pair();
    const unknown = uniqueId(type);
    await created(base(first, type), base(second, type));
    const fragment = { locatedAt: { type: "Relationship", object: "urn:ngsi-ld:City:Paris" } };
    const response = await batch("merge", [
      ld({ id: first, type, ...fragment }),
      ld({ id: second, type, ...fragment }),
      ld({ id: unknown, type, ...fragment }),
    ]);
    expectBatchResult(response, [first, second], [[unknown, "ResourceNotFound"]]);
    expect(await entities(type, [first, second])).toEqual([
      { ...base(first, type), ...fragment },
      { ...base(second, type), ...fragment },
    ]);
  });

  it("057_03_01 refuses a body that is not JSON with 400 InvalidRequest", async () => {
    const response = await broker.request("POST", "/entityOperations/merge", {
      raw: "[{]",
      headers: LD_HEADERS,
    });
    expectProblem(response, 400, "InvalidRequest");
  });

  it("057_03_02 reports an entity whose Property value is JSON null as BadRequestData (207)", async () => {
    const type = uniqueType("Building");
    const id = uniqueId(type);
    await created({ id, type, name: { type: "Property", value: "x" } });
    const response = await batch("merge", [ld({ id, type, name: { type: "Property", value: null } })]);
    expectFirstError(response, "BadRequestData");
  });

  it("5620_01_01 (extension) refuses a merge batch with a null item as a whole: 400 BadRequestData", async () => {
    const type = uniqueType("Building");
    expectProblem(await batch("merge", [ld({ id: uniqueId(type), type }), null]), 400, "BadRequestData");
  });

  it("5620_01_02 (extension) refuses an empty merge batch with 400 BadRequestData", async () => {
    expectProblem(await batch("merge", []), 400, "BadRequestData");
  });

  it("5620_01_03 (extension) a concise NGSI-LD Null in a merge batch removes the attribute: 204", async () => {
    const { type, first } = pair();
    await created(base(first, type));
    expectNoContent(await batch("merge", [ld({ id: first, type, subCategory: "urn:ngsi-ld:null" })]));
    const { subCategory: _removed, ...rest } = base(first, type);
    expect(await entities(type, [first])).toEqual([rest]);
  });
});

describe.concurrent("BatchEntities/DeleteBatchOfEntities", () => {
  it("006_01_01 deletes a batch of entities: 204, and they are gone", async () => {
    const { type, first, second } = pair();
    await created({ id: first, type }, { id: second, type });
    expectNoContent(await batch("delete", [first, second]));
    expect(await entities(type, [first, second])).toEqual([]);
  });

  it("006_02_01 deletes the existing entity and reports the unknown one: 207", async () => {
    const { type, first: existing, second: unknown } = pair();
    await created({ id: existing, type });
    expectBatchResult(
      await batch("delete", [existing, unknown]),
      [existing],
      [[unknown, "ResourceNotFound"]],
    );
    expect(await entities(type, [existing])).toEqual([]);
  });

  it("006_03_01 refuses a body that is not JSON with 400 InvalidRequest", async () => {
    const response = await broker.request("POST", "/entityOperations/delete", {
      raw: '["urn:ngsi-ld:Building:1",]',
      headers: LD_HEADERS,
    });
    expectProblem(response, 400, "InvalidRequest");
  });

  it("006_03_02 refuses an empty body with 400 BadRequestData", async () => {
    const response = await broker.request("POST", "/entityOperations/delete", {
      raw: "",
      headers: LD_HEADERS,
    });
    expectProblem(response, 400, "BadRequestData");
  });

  it("006_04_01 deletes a batch naming one id twice: the second is ResourceNotFound (207)", async () => {
    const { type, first } = pair();
    await created({ id: first, type });
    expectBatchResult(await batch("delete", [first, first]), [first], [[first, "ResourceNotFound"]]);
  });
});
