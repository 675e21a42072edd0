import { describe, expect, it } from "vitest";
import {
  asArray,
  asObject,
  expectProblem,
  type Json,
  linkTo,
  SDM_CONTEXT,
  uniqueId,
  uniqueType,
  useBroker,
} from "./harness";

/**
 * ETSI NGSI-LD test suite, ContextInformation/Consumption/Discovery: entity types (022–024) and
 * attributes (025–027). The Smart Data Models PointOfInterest context stands in for the suite's test
 * context: `Museum`, `Beach`, `name` and `address` are its terms, so a reader without it sees their IRIs.
 */
const broker = useBroker();

const POI = "https://smartdatamodels.org/dataModel.PointOfInterest/";
const SDM = "https://smartdatamodels.org/";
const sdmLink = { Link: linkTo(SDM_CONTEXT) };

async function create(entity: Json): Promise<void> {
  const response = await broker.request("POST", "/entities", {
    body: { ...entity, "@context": SDM_CONTEXT },
    headers: { "content-type": "application/ld+json" },
  });
  expect(response.status, response.text).toBe(201);
}

/** A Museum and an entity of a type of its own, both with a `name` (and the museum an `address`). */
async function museumAndOther(): Promise<{ other: string }> {
  const other = uniqueType("Vehicle");
  await create({
    id: uniqueId("Museum"),
    type: "Museum",
    name: { type: "Property", value: "Prado" },
    address: { type: "Property", value: { addressLocality: "Madrid" } },
  });
  await create({ id: uniqueId("Vehicle"), type: other, name: { type: "Property", value: "Tram 4" } });
  return { other };
}

describe("RetrieveAvailableEntityTypes", () => {
  it("022_01_01 without a @context lists the types as IRIs where the core context has no term", async () => {
    const { other } = await museumAndOther();
    const response = await broker.request("GET", "/types");
    expect(response.status).toBe(200);
    const list = asObject(response.body);
    expect(list.type).toBe("EntityTypeList");
    expect(String(list.id)).toMatch(/^urn:/);
    expect(asArray(list.typeList)).toEqual(expect.arrayContaining([`${POI}Museum`, other]));
  });

  it("022_01_02 with the @context in a Link header lists the types by their terms", async () => {
    const { other } = await museumAndOther();
    const response = await broker.request("GET", "/types", { headers: sdmLink });
    expect(response.status).toBe(200);
    const typeList = asArray(asObject(response.body).typeList);
    expect(typeList).toEqual(expect.arrayContaining(["Museum", other]));
    expect(typeList).not.toContain(`${POI}Museum`);
  });
});

describe("RetrieveDetailsOfAvailableEntityTypes", () => {
  const typesInDetail = async (headers: Record<string, string>) => {
    const response = await broker.request("GET", "/types", { headers, query: { details: "true" } });
    expect(response.status).toBe(200);
    return new Map(asArray(response.body).map((t) => [String(asObject(t).id), asObject(t)]));
  };

  it("023_01_01 without a @context details each type with expanded names", async () => {
    await museumAndOther();
    const museum = (await typesInDetail({})).get(`${POI}Museum`);
    expect(museum).toMatchObject({ type: "EntityType", typeName: `${POI}Museum` });
    expect(asArray(museum?.attributeNames)).toEqual(expect.arrayContaining([`${SDM}name`, `${SDM}address`]));
  });

  it("023_01_02 with the @context details each type with its terms", async () => {
    await museumAndOther();
    const museum = (await typesInDetail(sdmLink)).get(`${POI}Museum`);
    expect(museum).toMatchObject({ type: "EntityType", typeName: "Museum" });
    expect(asArray(museum?.attributeNames)).toEqual(expect.arrayContaining(["name", "address"]));
  });
});

describe("RetrieveAvailableEntityTypeInformation", () => {
  let beaches: Promise<void> | undefined;
  /** Two beaches, the only entities of that type in this file. */
  const twoBeaches = () => {
    beaches ??= (async () => {
      for (const name of ["Malvarrosa", "Patacona"])
        await create({ id: uniqueId("Beach"), type: "Beach", name: { type: "Property", value: name } });
    })();
    return beaches;
  };

  it("024_01_01 without the @context the short type names another type: 404 ResourceNotFound", async () => {
    await twoBeaches();
    const response = await broker.request("GET", "/types/Beach");
    expectProblem(response, 404, "ResourceNotFound");
  });

  for (const [caseId, path] of [
    ["024_02_01", "/types/Beach"],
    ["024_02_02", `/types/${encodeURIComponent(`${POI}Beach`)}`],
  ] as const) {
    it(`${caseId} answers the EntityTypeInfo of ${path}`, async () => {
      await twoBeaches();
      const response = await broker.request("GET", path, { headers: sdmLink });
      expect(response.status, response.text).toBe(200);
      const info = asObject(response.body);
      expect(info).toMatchObject({
        id: `${POI}Beach`,
        type: "EntityTypeInfo",
        typeName: "Beach",
        entityCount: 2,
      });
      expect(asArray(info.attributeDetails)).toEqual([
        { id: `${SDM}name`, type: "Attribute", attributeName: "name", attributeTypes: ["Property"] },
      ]);
    });
  }

  it("577_01_01 a type no entity has is 404 ResourceNotFound", async () => {
    const response = await broker.request("GET", `/types/${uniqueType("NoSuchType")}`, { headers: sdmLink });
    expectProblem(response, 404, "ResourceNotFound");
  });
});

describe("RetrieveAvailableAttributes", () => {
  it("025_01_01 without a @context lists the attributes as IRIs", async () => {
    await museumAndOther();
    const response = await broker.request("GET", "/attributes");
    expect(response.status).toBe(200);
    const list = asObject(response.body);
    expect(list.type).toBe("AttributeList");
    expect(String(list.id)).toMatch(/^urn:/);
    expect(asArray(list.attributeList)).toEqual(expect.arrayContaining([`${SDM}name`, `${SDM}address`]));
  });

  it("025_01_02 with the @context lists the attributes by their terms", async () => {
    await museumAndOther();
    const response = await broker.request("GET", "/attributes", { headers: sdmLink });
    expect(asArray(asObject(response.body).attributeList)).toEqual(
      expect.arrayContaining(["name", "address"]),
    );
  });
});

describe("RetrieveDetailsOfAvailableAttributes", () => {
  const attributesInDetail = async (headers: Record<string, string>) => {
    const response = await broker.request("GET", "/attributes", { headers, query: { details: "true" } });
    expect(response.status).toBe(200);
    return new Map(asArray(response.body).map((a) => [String(asObject(a).id), asObject(a)]));
  };

  it("026_01_01 without a @context details each attribute with expanded names", async () => {
    const { other } = await museumAndOther();
    const name = (await attributesInDetail({})).get(`${SDM}name`);
    expect(name).toMatchObject({
      type: "Attribute",
      attributeName: `${SDM}name`,
      attributeTypes: ["Property"],
    });
    expect(asArray(name?.typeNames)).toEqual(expect.arrayContaining([`${POI}Museum`, other]));
  });

  it("026_01_02 with the @context details each attribute with its terms", async () => {
    const { other } = await museumAndOther();
    const name = (await attributesInDetail(sdmLink)).get(`${SDM}name`);
    expect(name).toMatchObject({ type: "Attribute", attributeName: "name", attributeTypes: ["Property"] });
    expect(asArray(name?.typeNames)).toEqual(expect.arrayContaining(["Museum", other]));
  });
});

describe("RetrieveAvailableAttributeInformation", () => {
  it("027_01_01 without the @context the short name names another attribute: 404 ResourceNotFound", async () => {
    await museumAndOther();
    const response = await broker.request("GET", "/attributes/address");
    expectProblem(response, 404, "ResourceNotFound");
  });

  for (const [caseId, path] of [
    ["027_02_01", "/attributes/address"],
    ["027_02_02", `/attributes/${encodeURIComponent(`${SDM}address`)}`],
  ] as const) {
    it(`${caseId} answers the Attribute of ${path}`, async () => {
      await museumAndOther();
      const response = await broker.request("GET", path, { headers: sdmLink });
      expect(response.status, response.text).toBe(200);
      const attribute = asObject(response.body);
      expect(attribute).toMatchObject({
        id: `${SDM}address`,
        type: "Attribute",
        attributeName: "address",
        attributeTypes: ["Property"],
        typeNames: ["Museum"],
      });
      expect(attribute.attributeCount).toBeGreaterThanOrEqual(1);
    });
  }

  it("5710_01_01 an attribute no entity has is 404 ResourceNotFound", async () => {
    const response = await broker.request("GET", `/attributes/${uniqueType("noSuchAttribute")}`, {
      headers: sdmLink,
    });
    expectProblem(response, 404, "ResourceNotFound");
  });

  it("5710_01_02 entity members are not attributes: neither listed nor described", async () => {
    await museumAndOther();
    const list = await broker.request("GET", "/attributes", { headers: sdmLink });
    const attributes = asArray(asObject(list.body).attributeList);
    for (const member of ["id", "type", "createdAt", "modifiedAt"]) {
      expect(attributes).not.toContain(member);
      const response = await broker.request("GET", `/attributes/${member}`, { headers: sdmLink });
      expect(response.status, `${member}: ${response.text}`).toBe(404);
    }
  });
});
