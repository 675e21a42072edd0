import { describe, expect, it } from "vitest";
import { asArray, asObject, entityPath, type Json, uniqueId, uniqueType, useBroker } from "./harness";

/**
 * Scopes (clause 4.18) and the scope query language (clause 4.19), as the suite's scope cases check them:
 * create with one or several scopes (001_11), query by scopeQ (019_01_06), append with and without
 * overwrite (010_07), update (011_05) and replace (054_03).
 */
const broker = useBroker();

const ONE = "/Madrid/Gardens/ParqueNorte";
const OTHER = "/CompanyA/OrganizationB/UnitC";

const building = (id: string, type: string, scope?: string | string[]): Json => ({
  id,
  type,
  name: { type: "Property", value: "Edificio" },
  ...(scope === undefined ? {} : { scope }),
});

async function create(entity: Json) {
  const response = await broker.request("POST", "/entities", { body: entity });
  expect(response.status, response.text).toBe(201);
}

async function retrieve(id: string): Promise<Json> {
  const response = await broker.request("GET", entityPath(id));
  expect(response.status, response.text).toBe(200);
  return asObject(response.body);
}

describe("Provision/Entities/CreateEntity", () => {
  it("001_11 creates entities with one scope and with several, and returns them as given", async () => {
    // Prepare
    const type = uniqueType("Building");
    const single = uniqueId("Building");
    const several = uniqueId("Building");
    // Act
    await create(building(single, type, ONE));
    await create(building(several, type, [ONE, OTHER]));
    // Assess
    expect((await retrieve(single)).scope).toBe(ONE);
    expect((await retrieve(several)).scope).toEqual([ONE, OTHER]);
  });

  it("001_11 refuses a scope that is not a path with 400 BadRequestData naming scope", async () => {
    // Act
    const response = await broker.request("POST", "/entities", {
      body: building(uniqueId("Building"), uniqueType("Building"), "Madrid"),
    });
    // Assess
    expect(response.status).toBe(400);
    expect(asObject(response.body).type).toBe("https://uri.etsi.org/ngsi-ld/errors/BadRequestData");
    expect(response.text).toContain("scope");
  });
});

describe("Consumption/Entity/QueryEntities", () => {
  const cases: Array<[string, string, number]> = [
    ["QueryWithFullScope", ONE, 2],
    ["QueryWithPlusMatching", "/Madrid/+/ParqueNorte", 2],
    ["QueryWithHashMatching", "/CompanyA/#", 1],
    ["QueryNonEmptyScope", "/#", 2],
    ["QueryWithAndScope", `${ONE};${OTHER}`, 1],
    ["QueryWithOrScope", `${ONE},${OTHER}`, 2],
  ];
  for (const [name, scopeQ, expected] of cases) {
    it(`019_01_06 ${name}: scopeQ=${scopeQ} finds ${expected}`, async () => {
      // Prepare: one entity with one scope, one with two, one without
      const type = uniqueType("Building");
      await create(building(uniqueId("Building"), type, ONE));
      await create(building(uniqueId("Building"), type, [ONE, OTHER]));
      await create(building(uniqueId("Building"), type));
      // Act
      const response = await broker.request("GET", "/entities", { query: { type, scopeQ } });
      // Assess
      expect(response.status, response.text).toBe(200);
      expect(asArray(response.body)).toHaveLength(expected);
    });
  }

  it("019_01_06 refuses a malformed scopeQ with 400 naming scopeQ", async () => {
    // Act
    const response = await broker.request("GET", "/entities", {
      query: { type: uniqueType("Building"), scopeQ: "Madrid//" },
    });
    // Assess
    expect(response.status).toBe(400);
    expect(response.text).toContain("scopeQ");
  });
});

describe("Provision/EntityAttributes/AppendEntityAttributes", () => {
  it("010_07_01 replaces the scope when overwriting", async () => {
    // Prepare
    const id = uniqueId("Vehicle");
    await create(building(id, uniqueType("Building"), ONE));
    // Act
    const response = await broker.request("POST", `${entityPath(id)}/attrs`, { body: { scope: OTHER } });
    // Assess
    expect(response.status, response.text).toBe(204);
    expect((await retrieve(id)).scope).toBe(OTHER);
  });

  it("010_07_02 adds the scope with noOverwrite", async () => {
    // Prepare
    const id = uniqueId("Vehicle");
    await create(building(id, uniqueType("Building"), ONE));
    // Act
    const response = await broker.request("POST", `${entityPath(id)}/attrs`, {
      body: { scope: OTHER },
      query: { options: "noOverwrite" },
    });
    // Assess
    expect(response.status, response.text).toBe(204);
    expect((await retrieve(id)).scope).toEqual([ONE, OTHER]);
  });
});

describe("Provision/EntityAttributes/UpdateEntityAttributes", () => {
  it("011_05 replaces an existing scope", async () => {
    // Prepare
    const id = uniqueId("Building");
    await create(building(id, uniqueType("Building"), ONE));
    // Act
    const response = await broker.request("PATCH", `${entityPath(id)}/attrs`, { body: { scope: OTHER } });
    // Assess
    expect(response.status, response.text).toBe(204);
    expect((await retrieve(id)).scope).toBe(OTHER);
  });
});

describe("Provision/Entities/ReplaceEntity", () => {
  it("054_03 replaces an entity together with its scope", async () => {
    // Prepare
    const id = uniqueId("Building");
    const type = uniqueType("Building");
    await create(building(id, type, ONE));
    // Act
    const response = await broker.request("PUT", entityPath(id), { body: building(id, type, [OTHER]) });
    // Assess
    expect(response.status, response.text).toBe(204);
    const replaced = await retrieve(id);
    expect(replaced.scope).toBe(OTHER);
  });
});
