import { describe, expect, it } from "vitest";
import { asObject, type Json, SDM_CONTEXT, uniqueId, uniqueType, useBroker } from "./harness";
import {
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
  ld,
  meterSpeed,
  NULLED,
  polygon,
  SPEEDOMETER,
  secondOf,
  vehicleWithDefaultInstance,
  vehicleWithTwoDatasets,
} from "./provision-attributes-support";

/**
 * ETSI NGSI-LD test suite, `TP/NGSI-LD/ContextInformation/Provision/EntityAttributes/**`, part 1:
 * append and update the attributes of an entity (clauses 5.6.2, 5.6.3; binding 6.6.3). Part 2 is
 * provision-attribute.test.ts.
 */
const broker = useBroker();
const { created, retrieve } = entityClient(broker);

describe.concurrent("EntityAttributes/AppendEntityAttributes", () => {
  const append = (id: string, fragment: Json, query: Record<string, string> = {}) =>
    broker.request("POST", attrsPath(id), { body: ld(fragment), headers: LD_HEADERS, query });

  it("010_01_01 appends a new attribute: 204, and the entity has it", async () => {
    const entity = vehicleWithTwoDatasets();
    const id = await created(entity);
    const added = { type: "Property", value: 23 };
    expectNoContent(await append(id, { attributeToBeAdded: added }));
    expect(await retrieve(id)).toEqual({ ...entity, attributeToBeAdded: added });
  });

  it("010_01_02 appends an instance with a new datasetId: the attribute has three instances", async () => {
    const entity = vehicleWithTwoDatasets();
    const id = await created(entity);
    const third = meterSpeed(56, "urn:ngsi-ld:Property:speedometerA4567-speed2");
    expectNoContent(await append(id, { speed: third }));
    const after = await retrieve(id);
    expect(after.speed).toEqual(expect.arrayContaining([meterSpeed(55, SPEEDOMETER), gpsSpeed, third]));
    expect(after.speed).toHaveLength(3);
  });

  it("010_02_01 refuses an append without an entity id", async () => {
    const response = await broker.request("POST", "/entities//attrs", {
      body: ld({ attributeToBeAdded: { type: "Property", value: 23 } }),
      headers: LD_HEADERS,
    });
    expect(response.status, response.text).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it("010_02_02 refuses an entity id that is not a URI with 400 BadRequestData", async () => {
    const response = await append("thisisaninvaliduri", {
      attributeToBeAdded: { type: "Property", value: 23 },
    });
    expectProblem(response, 400, "BadRequestData");
  });

  it("010_03_01 answers 404 ResourceNotFound for an unknown entity", async () => {
    const response = await append(uniqueId("Vehicle"), {
      attributeToBeAdded: { type: "Property", value: 23 },
    });
    expectProblem(response, 404, "ResourceNotFound");
  });

  it("010_04_01 noOverwrite: appends the new attribute, keeps the existing instance, answers 207", async () => {
    // Prepare
    const entity = vehicleWithTwoDatasets();
    const id = await created(entity);
    const added = { type: "Property", value: 23 };
    // Act
    const response = await append(
      id,
      { speed: meterSpeed(56, SPEEDOMETER), attributeToBeAdded: added },
      { options: "noOverwrite" },
    );
    // Assess
    expect(response.status, response.text).toBe(207);
    const result = asObject(response.body);
    expect(result.updated).toEqual(["attributeToBeAdded"]);
    expect(result.notUpdated).toEqual([expect.objectContaining({ attributeName: "speed" })]);
    expect(await retrieve(id)).toEqual({ ...entity, attributeToBeAdded: added });
  });

  it("010_04_02 noOverwrite: an instance with a new datasetId is appended (204)", async () => {
    const entity = vehicleWithTwoDatasets();
    const id = await created(entity);
    const third = meterSpeed(56, "urn:ngsi-ld:Property:speedometerA4567-speed2");
    expectNoContent(await append(id, { speed: third }, { options: "noOverwrite" }));
    expect((await retrieve(id)).speed).toHaveLength(3);
  });

  it("010_05_01 refuses a fragment that is not JSON with 400 InvalidRequest", async () => {
    const id = await created(vehicleWithTwoDatasets());
    const response = await broker.request("POST", attrsPath(id), {
      raw: `{"speed": {"type": "Property",, "value": 56}, "@context": ["${SDM_CONTEXT}"]}`,
      headers: LD_HEADERS,
    });
    expectProblem(response, 400, "InvalidRequest");
  });

  it("010_06_01 appends a LanguageProperty", async () => {
    const entity = vehicleWithTwoDatasets();
    const id = await created(entity);
    const description = { type: "LanguageProperty", languageMap: { fr: "Voiture", en: "Car" } };
    expectNoContent(await append(id, { description }));
    expect(await retrieve(id)).toEqual({ ...entity, description });
  });

  for (const [caseId, name, lon] of [
    ["010_08", "observationSpace", -8.5],
    ["010_09", "operationSpace", -8.6],
  ] as const) {
    it(`${caseId} appends an ${name} GeoProperty (application/json)`, async () => {
      const type = uniqueType("Building");
      const id = await created({ id: uniqueId(type), type });
      const space = { type: "GeoProperty", value: polygon(lon, 41.2) };
      expectNoContent(await broker.request("POST", attrsPath(id), { body: { [name]: space } }));
      expect(await retrieve(id)).toEqual({ id, type, [name]: space });
    });
  }

  it("010_10_01 appends a JsonProperty", async () => {
    const entity = vehicleWithTwoDatasets();
    const id = await created(entity);
    const settings = { type: "JsonProperty", json: { mode: "eco", limits: [30, 50] } };
    expectNoContent(await append(id, { settings }));
    expect(await retrieve(id)).toEqual({ ...entity, settings });
  });
});

describe.concurrent("EntityAttributes/UpdateEntityAttributes", () => {
  const update = (id: string, fragment: Json) =>
    broker.request("PATCH", attrsPath(id), { body: ld(fragment), headers: LD_HEADERS });

  it("011_01_01 updates the default instance when the fragment names no datasetId", async () => {
    const entity = vehicleWithDefaultInstance();
    const id = await created(entity);
    expectNoContent(await update(id, { speed: meterSpeed(99) }));
    expect(await retrieve(id)).toEqual({ ...entity, speed: [meterSpeed(99), gpsSpeed] });
  });

  it("011_01_02 updates the instances the fragment names by datasetId", async () => {
    const entity = vehicleWithDefaultInstance();
    const id = await created(entity);
    const parked = isParked("JohnDoe", "urn:ngsi-ld:Relationship:parked12345");
    expectNoContent(await update(id, { isParked: parked, speed: meterSpeed(99, GPS) }));
    expect(await retrieve(id)).toEqual({
      ...entity,
      isParked: parked,
      speed: [meterSpeed(55), meterSpeed(99, GPS)],
    });
  });

  // The suite expects 204 and the unknown attribute appended; clause 5.6.2.4 (V1.8.1) has the broker
  // ignore an attribute the entity lacks and report it in notUpdated, so the answer is 207.
  it("011_01_03 updates the existing attribute and reports the unknown one as not updated (207)", async () => {
    const entity = vehicleWithDefaultInstance();
    const id = await created(entity);
    const response = await update(id, {
      isParked2: isParked("JohnDoe"),
      speed: meterSpeed(99, GPS),
    });
    expect(response.status, response.text).toBe(207);
    const result = asObject(response.body);
    expect(result.updated).toEqual(["speed"]);
    expect(result.notUpdated).toEqual([expect.objectContaining({ attributeName: "isParked2" })]);
    expect(await retrieve(id)).toEqual({ ...entity, speed: [meterSpeed(55), meterSpeed(99, GPS)] });
  });

  it("011_01_04 changes the type of an existing attribute (Property → Relationship)", async () => {
    const entity = vehicleWithDefaultInstance();
    const id = await created(entity);
    const brandName = { type: "Relationship", object: "urn:ngsi-ld:Brand:01" };
    expectNoContent(await update(id, { brandName }));
    expect(await retrieve(id)).toEqual({ ...entity, brandName });
  });

  it("011_02_01 refuses an update without an entity id", async () => {
    const response = await broker.request("PATCH", "/entities//attrs", {
      body: ld({ speed: meterSpeed(99) }),
      headers: LD_HEADERS,
    });
    expect(response.status, response.text).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it("011_02_02 refuses an entity id that is not a URI with 400 BadRequestData", async () => {
    expectProblem(await update("thisisaninvaliduri", { speed: meterSpeed(99) }), 400, "BadRequestData");
  });

  it("011_03_01 answers 404 ResourceNotFound for an unknown entity", async () => {
    expectProblem(await update(uniqueId("Vehicle"), { speed: meterSpeed(99) }), 404, "ResourceNotFound");
  });

  it("011_04_01 refuses a fragment that is not JSON with 400 InvalidRequest", async () => {
    const id = await created(vehicleWithTwoDatasets());
    const response = await broker.request("PATCH", attrsPath(id), {
      raw: `{"brandName": {"type": "Property",, "value": "BMW"}, "@context": ["${SDM_CONTEXT}"]}`,
      headers: LD_HEADERS,
    });
    expectProblem(response, 400, "InvalidRequest");
  });

  describe("011_06 a fragment's type adds entity types", () => {
    const cases = [
      ["01", "one new type", (t: string) => [`${t}Vehicle`], (t: string) => [t, `${t}Vehicle`]],
      [
        "02",
        "two new types",
        (t: string) => [`${t}Vehicle`, `${t}Car`],
        (t: string) => [t, `${t}Vehicle`, `${t}Car`],
      ],
      ["03", "the type it has", (t: string) => [t], (t: string) => t],
      ["04", "one new and one it has", (t: string) => [`${t}Vehicle`, t], (t: string) => [t, `${t}Vehicle`]],
    ] as const;
    for (const [suffix, what, sent, expected] of cases) {
      it(`011_06_${suffix} adds ${what}`, async () => {
        const type = uniqueType("Building");
        const id = await created({ id: uniqueId(type), type });
        expectNoContent(await update(id, { type: sent(type) }));
        const after = await retrieve(id);
        const want = expected(type);
        expect(typeof want === "string" ? after.type : new Set([after.type].flat())).toEqual(
          typeof want === "string" ? want : new Set(want),
        );
      });
    }
  });

  describe("011_07 the NGSI-LD Null removes an attribute", () => {
    for (const [suffix, kind, name] of KINDS) {
      it(`011_07_${suffix} removes ${kind}`, async () => {
        const entity = buildingOfEveryKind();
        const id = await created(entity);
        expectNoContent(await update(id, { [name]: NULLED[name] }));
        const { [name]: _removed, ...rest } = entity;
        expect(await retrieve(id)).toEqual(rest);
      });
    }
  });

  describe("011_08 the NGSI-LD Null with a datasetId removes that instance", () => {
    for (const [suffix, kind, name] of KINDS) {
      it(`011_08_${suffix} removes one instance of ${kind}`, async () => {
        const entity = buildingOfEveryKindTwice(false);
        const id = await created(entity);
        expectNoContent(
          await update(id, { [name]: { ...NULLED[name], datasetId: "urn:ngsi-ld:Dataset:01" } }),
        );
        expect(await retrieve(id)).toEqual({ ...entity, [name]: secondOf(entity, name) });
      });
    }
  });

  describe("011_09 the NGSI-LD Null without datasetId removes the default instance", () => {
    for (const [suffix, kind, name] of KINDS) {
      it(`011_09_${suffix} removes the default instance of ${kind}`, async () => {
        const entity = buildingOfEveryKindTwice(true);
        const id = await created(entity);
        expectNoContent(await update(id, { [name]: NULLED[name] }));
        expect(await retrieve(id)).toEqual({ ...entity, [name]: firstOf(entity, name) });
      });
    }
  });
});
