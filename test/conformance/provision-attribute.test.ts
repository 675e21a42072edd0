import { describe, expect, it } from "vitest";
import { asObject, type Json, uniqueId, uniqueType, useBroker } from "./harness";
import {
  attrPath,
  attrsPath,
  buildingOfEveryKind,
  buildingOfEveryKindTwice,
  entityClient,
  expectNoContent,
  expectProblem,
  firstOf,
  GPS,
  gpsSpeed,
  isParked,
  KINDS,
  LD_HEADERS,
  LINK_HEADERS,
  ld,
  meterSpeed,
  NULLED,
  polygon,
  SPEEDOMETER,
  secondOf,
  vehicleWithDefaultInstance,
  vehicleWithTwoDatasets,
  withoutSystemMembers,
} from "./provision-attributes-support";

/**
 * ETSI NGSI-LD test suite, `TP/NGSI-LD/ContextInformation/Provision/EntityAttributes/**`, part 2:
 * partially update, replace and delete one attribute of an entity (clauses 5.6.4, 5.6.5, 5.6.19;
 * binding 6.7.3). Part 1 is provision-attributes.test.ts.
 */
const broker = useBroker();
const { created, retrieve } = entityClient(broker);

describe.concurrent("EntityAttributes/PartialAttributeUpdate", () => {
  const patch = (id: string, attr: string, fragment: Json) =>
    broker.request("PATCH", attrPath(id, attr), { body: ld(fragment), headers: LD_HEADERS });

  it("012_01_01 partially updates an attribute: the members sent change, the others stay", async () => {
    const entity = vehicleWithTwoDatasets();
    const id = await created(entity);
    expectNoContent(
      await patch(id, "isParked", {
        type: "Relationship",
        object: "urn:ngsi-ld:OffStreetParking:Downtown2",
        observedAt: "2018-07-29T12:00:04Z",
      }),
    );
    expect((await retrieve(id)).isParked).toEqual({
      ...isParked("Bob"),
      object: "urn:ngsi-ld:OffStreetParking:Downtown2",
      observedAt: "2018-07-29T12:00:04Z",
    });
  });

  it("012_01_02 partially updates the instance a datasetId names", async () => {
    const entity = vehicleWithTwoDatasets();
    const id = await created(entity);
    expectNoContent(await patch(id, "speed", { type: "Property", value: 20, datasetId: GPS }));
    expect((await retrieve(id)).speed).toEqual([meterSpeed(55, SPEEDOMETER), { ...gpsSpeed, value: 20 }]);
  });

  it("012_02_01 refuses a partial update without an entity id", async () => {
    const response = await broker.request("PATCH", "/entities//attrs/speed", {
      body: ld({ value: 20, datasetId: GPS }),
      headers: LD_HEADERS,
    });
    expect(response.status, response.text).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it("012_02_02 refuses an entity id that is not a URI with 400 BadRequestData", async () => {
    expectProblem(
      await patch("thisisaninvaliduri", "speed", { value: 20, datasetId: GPS }),
      400,
      "BadRequestData",
    );
  });

  it("012_02_03 refuses a fragment of another attribute type with 400 BadRequestData", async () => {
    const id = await created(vehicleWithDefaultInstance());
    const response = await patch(id, "speed", { type: "Relationship", object: "urn:ngsi-ld:Entity:01" });
    expectProblem(response, 400, "BadRequestData");
  });

  it("012_02_04 refuses an empty fragment with 400 BadRequestData", async () => {
    const id = await created(vehicleWithDefaultInstance());
    const response = await broker.request("PATCH", attrPath(id, "speed"), {
      body: {},
      headers: LINK_HEADERS,
    });
    expectProblem(response, 400, "BadRequestData");
  });

  it("012_03_01 answers 404 ResourceNotFound for an unknown entity", async () => {
    const response = await patch(uniqueId("Vehicle"), "isParked", {
      object: "urn:ngsi-ld:OffStreetParking:2",
    });
    expectProblem(response, 404, "ResourceNotFound");
  });

  it("012_03_02 answers 404 when no datasetId is given and there is no default instance", async () => {
    const id = await created(vehicleWithTwoDatasets());
    expectProblem(await patch(id, "speed", { type: "Property", value: 20 }), 404, "ResourceNotFound");
  });

  it("012_03_03 answers 404 when no instance has the datasetId given", async () => {
    const id = await created(vehicleWithTwoDatasets());
    const response = await patch(id, "speed", {
      type: "Property",
      value: 20,
      datasetId: "urn:ngsi-ld:Property:unknown",
    });
    expectProblem(response, 404, "ResourceNotFound");
  });

  it("012_03_04 answers 404 when the entity has no such attribute", async () => {
    const id = await created(vehicleWithTwoDatasets());
    const response = await patch(id, "isParked2", { object: "urn:ngsi-ld:OffStreetParking:2" });
    expectProblem(response, 404, "ResourceNotFound");
  });

  it("012_04_01 partially updates a LanguageProperty: the languageMap is replaced, sub-attributes merged", async () => {
    const type = uniqueType("Building");
    const id = await created({
      id: uniqueId(type),
      type,
      street: {
        type: "LanguageProperty",
        languageMap: { fr: "Grand Place", nl: "Grote Markt" },
        source: { type: "Property", value: "survey" },
      },
    });
    expectNoContent(
      await patch(id, "street", {
        languageMap: { fr: "Grand Place", es: "Gran Lugar" },
        providedBy: { type: "Relationship", object: "urn:ngsi-ld:Person:JohnDoe" },
      }),
    );
    expect((await retrieve(id)).street).toEqual({
      type: "LanguageProperty",
      languageMap: { fr: "Grand Place", es: "Gran Lugar" },
      source: { type: "Property", value: "survey" },
      providedBy: { type: "Relationship", object: "urn:ngsi-ld:Person:JohnDoe" },
    });
  });

  describe("012_05 the NGSI-LD Null removes the attribute", () => {
    for (const [suffix, kind, name] of KINDS) {
      it(`012_05_${suffix} removes ${kind}`, async () => {
        const entity = buildingOfEveryKind();
        const id = await created(entity);
        expectNoContent(await patch(id, name, NULLED[name] ?? {}));
        const { [name]: _removed, ...rest } = entity;
        expect(await retrieve(id)).toEqual(rest);
      });
    }
  });

  describe("012_06 the NGSI-LD Null with a datasetId removes that instance", () => {
    for (const [suffix, kind, name] of KINDS) {
      it(`012_06_${suffix} removes one instance of ${kind}`, async () => {
        const entity = buildingOfEveryKindTwice(false);
        const id = await created(entity);
        expectNoContent(await patch(id, name, { ...NULLED[name], datasetId: "urn:ngsi-ld:Dataset:01" }));
        expect(await retrieve(id)).toEqual({ ...entity, [name]: secondOf(entity, name) });
      });
    }
  });

  describe("012_07 the NGSI-LD Null without datasetId removes the default instance", () => {
    for (const [suffix, kind, name] of KINDS) {
      it(`012_07_${suffix} removes the default instance of ${kind}`, async () => {
        const entity = buildingOfEveryKindTwice(true);
        const id = await created(entity);
        expectNoContent(await patch(id, name, NULLED[name] ?? {}));
        expect(await retrieve(id)).toEqual({ ...entity, [name]: firstOf(entity, name) });
      });
    }
  });

  it("012_08_01 partially updates a JsonProperty: the json is replaced, sub-attributes kept", async () => {
    const type = uniqueType("Building");
    const id = await created({
      id: uniqueId(type),
      type,
      jsonProperty: {
        type: "JsonProperty",
        json: { color: "blue", floors: [1, 2] },
        source: { type: "Property", value: "survey" },
      },
    });
    expectNoContent(await patch(id, "jsonProperty", { json: { color: "red" } }));
    expect((await retrieve(id)).jsonProperty).toEqual({
      type: "JsonProperty",
      json: { color: "red" },
      source: { type: "Property", value: "survey" },
    });
  });
});

describe.concurrent("EntityAttributes/ReplaceEntityAttribute", () => {
  const replace = (id: string, attr: string, attribute: Json) =>
    broker.request("PUT", attrPath(id, attr), { body: attribute, headers: LINK_HEADERS });

  /** A Vehicle whose speed has a default and a datasetId instance, and whose isParked is a default one. */
  const vehicle = (): Json => ({ ...vehicleWithDefaultInstance(), isParked: isParked("Bob") });

  it("055_01_01 replaces an attribute (JSON + Link): 204, its createdAt kept", async () => {
    // Prepare
    const entity = vehicle();
    const id = await created(entity);
    const before = await retrieve(id, { options: "sysAttrs" });
    const replacement = { type: "Relationship", object: "urn:ngsi-ld:OffStreetParking:Downtown9" };
    // Act
    const response = await replace(id, "isParked", replacement);
    // Assess
    expectNoContent(response);
    const after = await retrieve(id, { options: "sysAttrs" });
    expect(asObject(after.isParked).createdAt).toBe(asObject(before.isParked).createdAt);
    expect(withoutSystemMembers(after)).toEqual({ ...entity, isParked: replacement });
  });

  it("055_01_02 replaces an attribute with one of another type", async () => {
    const entity = vehicle();
    const id = await created(entity);
    const replacement = { type: "Property", value: true, observedAt: "2024-01-01T00:00:00Z" };
    expectNoContent(await replace(id, "isParked", replacement));
    expect(await retrieve(id)).toEqual({ ...entity, isParked: replacement });
  });

  it("055_02_01 replaces the default instance when no datasetId is given, keeping its createdAt", async () => {
    const entity = vehicle();
    const id = await created(entity);
    const before = await retrieve(id, { options: "sysAttrs" });
    const replacement = { type: "Property", value: 80 };
    expectNoContent(await replace(id, "speed", replacement));
    const after = await retrieve(id, { options: "sysAttrs" });
    const createdAtOf = (e: Json) => {
      const speed = e.speed;
      if (!Array.isArray(speed)) throw new Error("speed should have two instances");
      return asObject(speed.find((instance) => asObject(instance).datasetId === undefined)).createdAt;
    };
    expect(createdAtOf(after)).toBe(createdAtOf(before));
    expect(withoutSystemMembers(after)).toEqual({ ...entity, speed: [replacement, gpsSpeed] });
  });

  it("055_02_02 replaces the instance a datasetId names", async () => {
    const entity = vehicle();
    const id = await created(entity);
    const replacement = { type: "Property", value: 81, datasetId: GPS };
    expectNoContent(await replace(id, "speed", replacement));
    expect(await retrieve(id)).toEqual({ ...entity, speed: [meterSpeed(55), replacement] });
  });

  it("055_03_01 refuses an entity id that is not a URI with 400", async () => {
    const response = await replace("invalidUri", "isParked", { type: "Property", value: true });
    expectProblem(response, 400, "BadRequestData");
  });

  it("055_03_02 answers 404 for an unknown entity", async () => {
    const response = await replace(uniqueId("Vehicle"), "isParked", { type: "Property", value: true });
    expectProblem(response, 404, "ResourceNotFound");
  });

  it("055_03_03 refuses an attribute name that is no valid name with 400", async () => {
    const id = await created(vehicle());
    const response = await replace(id, "@invalid", { type: "Property", value: true });
    expectProblem(response, 400, "BadRequestData");
  });

  it("055_03_04 answers 404 for an attribute the entity does not have", async () => {
    const entity = vehicle();
    const { brandName: _brandName, ...withoutBrand } = entity;
    const id = await created(withoutBrand);
    const response = await replace(id, "brandName", { type: "Property", value: "BMW" });
    expectProblem(response, 404, "ResourceNotFound");
  });
});

describe.concurrent("EntityAttributes/DeleteEntityAttribute", () => {
  const remove = (id: string, attr: string, query: Record<string, string> = {}) =>
    broker.request("DELETE", attrPath(id, attr), { headers: LINK_HEADERS, query });

  const DATASET_GPS = "urn:ngsi-ld:Dataset:gps";
  /** A Vehicle with only a speed, in a default, a GPS and a radar instance. */
  function speedOnly(): Json {
    const type = uniqueType("Vehicle");
    return {
      id: uniqueId(type),
      type,
      speed: [
        { type: "Property", value: 55 },
        { type: "Property", value: 54.5, datasetId: DATASET_GPS },
        { type: "Property", value: 56, datasetId: "urn:ngsi-ld:Dataset:radar" },
      ],
    };
  }

  it("013_01_01 deletes the default instance of an attribute", async () => {
    const entity = speedOnly();
    const id = await created(entity);
    expectNoContent(await remove(id, "speed"));
    const speed = entity.speed;
    if (!Array.isArray(speed)) throw new Error("three instances expected");
    expect(await retrieve(id)).toEqual({ ...entity, speed: speed.slice(1) });
  });

  it("013_01_02 deletes the instance a datasetId names", async () => {
    const entity = speedOnly();
    const id = await created(entity);
    expectNoContent(await remove(id, "speed", { datasetId: DATASET_GPS }));
    const speed = entity.speed;
    if (!Array.isArray(speed)) throw new Error("three instances expected");
    expect(await retrieve(id)).toEqual({ ...entity, speed: [speed[0], speed[2]] });
  });

  it("013_01_03 deletes every instance with deleteAll=true", async () => {
    const entity = speedOnly();
    const id = await created(entity);
    expectNoContent(await remove(id, "speed", { deleteAll: "true" }));
    expect(await retrieve(id)).toEqual({ id, type: entity.type });
  });

  it("013_02_01 refuses a delete without an entity id", async () => {
    const response = await broker.request("DELETE", "/entities//attrs/speed");
    expect(response.status, response.text).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it("013_02_02 refuses an entity id that is not a URI with 400 BadRequestData", async () => {
    expectProblem(await remove("thisIsAnInvalidURI", "speed"), 400, "BadRequestData");
  });

  it("013_02_03 answers 405 without an attribute name", async () => {
    const id = await created(speedOnly());
    const response = await broker.request("DELETE", `${attrsPath(id)}/`);
    expect(response.status, response.text).toBe(405);
  });

  it("013_03_01 answers 404 for an unknown entity", async () => {
    expectProblem(
      await remove(uniqueId("Vehicle"), "speed", { datasetId: DATASET_GPS }),
      404,
      "ResourceNotFound",
    );
  });

  it("013_03_02 answers 404 for an attribute the entity does not have", async () => {
    const id = await created(speedOnly());
    expectProblem(await remove(id, "notFound"), 404, "ResourceNotFound");
  });

  it("013_03_03 answers 404 when no instance has the datasetId given", async () => {
    const id = await created(speedOnly());
    expectProblem(
      await remove(id, "speed", { datasetId: "urn:ngsi-ld:Property:notFound" }),
      404,
      "ResourceNotFound",
    );
  });

  for (const [caseId, name, lon] of [
    ["013_05", "observationSpace", -8.5],
    ["013_06", "operationSpace", -8.6],
  ] as const) {
    it(`${caseId} deletes an ${name} GeoProperty`, async () => {
      const type = uniqueType("Building");
      const id = await created({
        id: uniqueId(type),
        type,
        [name]: { type: "GeoProperty", value: polygon(lon, 41.2) },
      });
      expectNoContent(await remove(id, name));
      expect(await retrieve(id)).toEqual({ id, type });
    });
  }
});
