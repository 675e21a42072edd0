import { describe, expect, it } from "vitest";
import {
  asArray,
  asObject,
  type BrokerResponse,
  CORE_CONTEXT,
  ERRORS,
  type Json,
  linkTo,
  SDM_CONTEXT,
  uniqueId,
  uniqueType,
  until,
  useBroker,
} from "./harness";

/**
 * The ETSI suite's temporal cases (`TP/NGSI-LD/TemporalContextInformation/**`): provision of temporal
 * entities (create, add attributes, delete attributes, modify and delete instances, delete) and their
 * consumption (retrieve, query). The suite's samples are observed in 2020; ours are observed yesterday,
 * at the same times of day, so they stay within the broker's history retention.
 */
const broker = useBroker();

const LD_JSON = { "content-type": "application/ld+json" };
const ACCESS_TYPE_IRI = "https://smartdatamodels.org/dataModel.PointOfInterest/accessType";

/** Yesterday at hh:mm UTC, as an ISO 8601 date-time without milliseconds. */
function at(hhmm: string): string {
  const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  return `${day}T${hhmm}:00Z`;
}

const property = (value: unknown, observedAt: string, extra: Json = {}) => ({
  type: "Property",
  value,
  observedAt,
  ...extra,
});

/** The suite's vehicle: three speeds within four minutes, three fuel levels an hour apart. */
function vehicle(type: string, id = uniqueId(type)): Json {
  return {
    id,
    type,
    speed: [property(120, at("12:03")), property(80, at("12:05")), property(100, at("12:07"))],
    fuelLevel: [property(67, at("12:03")), property(53, at("13:05")), property(40, at("14:07"))],
  };
}

function expectProblem(response: BrokerResponse, status: number, type: string) {
  expect(response.status, response.text).toBe(status);
  const body = asObject(response.body);
  expect(body.type).toBe(`${ERRORS}${type}`);
  expect(typeof body.title).toBe("string");
}

const path = (id: string) => `/temporal/entities/${encodeURIComponent(id)}`;

async function createTemporal(entity: Json, headers?: Record<string, string>): Promise<string> {
  const response = await broker.request("POST", "/temporal/entities", {
    body: entity,
    ...(headers ? { headers } : {}),
  });
  expect(response.status, response.text).toBe(201);
  return String(entity.id);
}

/**
 * Waits until the history recorder has caught up with an entity. The temporal POST also writes the
 * current state, whose change the recorder turns into instances asynchronously (from the entities
 * stream); a history deletion that ran before it would see those instances written again afterwards.
 * The recorder handles one entity's changes in order, so once a marker appended after the POST shows
 * in the history, the POST's own change has been recorded.
 */
async function recorded(id: string) {
  const marked = await broker.request("POST", `/entities/${encodeURIComponent(id)}/attrs`, {
    body: { recorderMark: { type: "Property", value: true } },
  });
  expect(marked.status, marked.text).toBe(204);
  await until("the history recorder to catch up", async () =>
    instancesOf(await retrieve(id), "recorderMark").length > 0 ? true : undefined,
  );
}

/** Removes the history and the current state the temporal POST wrote through. */
async function cleanUp(id: string) {
  await broker.request("DELETE", path(id));
  await broker.request("DELETE", `/entities/${encodeURIComponent(id)}`);
}

async function retrieve(id: string, query: Record<string, string> = {}, headers?: Record<string, string>) {
  const response = await broker.request("GET", path(id), { query, ...(headers ? { headers } : {}) });
  expect(response.status, response.text).toBe(200);
  return asObject(response.body);
}

/** An attribute of a temporal representation as a list of instances. */
const instancesOf = (entity: Json, name: string) => {
  const value = entity[name];
  return (value === undefined ? [] : Array.isArray(value) ? value : [value]).map((i) => asObject(i));
};

const valuesOf = (entity: Json, name: string) =>
  instancesOf(entity, name)
    .map((i) => [i.value, i.observedAt] as const)
    .sort((a, b) => String(a[1]).localeCompare(String(b[1])))
    .map(([value]) => value);

describe.concurrent("CreateTemporalEntity", () => {
  it("007_01_01 creates a temporal entity with an inline @context (JSON-LD)", async () => {
    // Prepare
    const type = uniqueType("Vehicle");
    const entity = vehicle(type);
    // Act
    const response = await broker.request("POST", "/temporal/entities", {
      headers: LD_JSON,
      body: { ...entity, "@context": [CORE_CONTEXT] },
    });
    // Assess
    expect(response.status, response.text).toBe(201);
    expect(decodeURIComponent(response.headers.get("location") ?? "")).toBe(
      `/ngsi-ld/v1/temporal/entities/${entity.id}`,
    );
    const retrieved = await retrieve(String(entity.id));
    expect(retrieved).toMatchObject({ id: entity.id, type });
    expect(valuesOf(retrieved, "speed")).toEqual([120, 80, 100]);
    expect(valuesOf(retrieved, "fuelLevel")).toEqual([67, 53, 40]);
    await cleanUp(String(entity.id));
  });

  it("007_01_02 creates a temporal entity without @context (JSON, core context)", async () => {
    const type = uniqueType("Vehicle");
    const id = await createTemporal(vehicle(type));
    expect(valuesOf(await retrieve(id), "speed")).toEqual([120, 80, 100]);
    await cleanUp(id);
  });

  it("007_02_01 refuses a body that is not JSON with 400 InvalidRequest", async () => {
    const response = await broker.request("POST", "/temporal/entities", {
      headers: LD_JSON,
      raw: '{"id": "urn:ngsi-ld:Vehicle:broken", "type": "Vehicle", "speed": [',
    });
    expectProblem(response, 400, "InvalidRequest");
  });

  it.each([
    ["007_03_01", "without an id", undefined],
    ["007_03_02", "with an id that is not a URI", "invalidId"],
  ])("%s refuses a temporal entity %s with 400 BadRequestData", async (_case, _what, id) => {
    const { id: _ignored, ...entity } = vehicle(uniqueType("Vehicle"));
    const response = await broker.request("POST", "/temporal/entities", {
      body: { ...entity, ...(id === undefined ? {} : { id }) },
    });
    expectProblem(response, 400, "BadRequestData");
  });
});

describe.concurrent("DeleteTemporalEntity", () => {
  it("009_01_01 deletes the temporal representation of an entity", async () => {
    // Prepare: the history recorder writes the entity's changes asynchronously; once it has recorded the
    // deletion of the current state, nothing more will be written into the history of this entity
    const id = await createTemporal(vehicle(uniqueType("Vehicle")));
    await broker.request("DELETE", `/entities/${encodeURIComponent(id)}`);
    await until("the recorder to record the deletion", async () =>
      (await retrieve(id, { options: "sysAttrs" })).deletedAt === undefined ? undefined : true,
    );
    // Act
    const response = await broker.request("DELETE", path(id));
    // Assess
    expect(response.status, response.text).toBe(204);
    expect(response.text).toBe("");
    expectProblem(await broker.request("GET", path(id)), 404, "ResourceNotFound");
  });

  it("009_02_01 answers 405 to a DELETE without an entity id", async () => {
    expect((await broker.request("DELETE", "/temporal/entities/")).status).toBe(405);
  });

  it("009_02_02 refuses an entity id that is not a URI with 400 BadRequestData", async () => {
    expectProblem(await broker.request("DELETE", "/temporal/entities/invalidId"), 400, "BadRequestData");
  });

  it("009_03_01 answers 404 ResourceNotFound for an unknown entity", async () => {
    expectProblem(await broker.request("DELETE", path(uniqueId("Vehicle"))), 404, "ResourceNotFound");
  });
});

describe.concurrent("AppendTemporalAttributes", () => {
  const fragment = () => ({
    fuelLevel: [property(30, at("15:07")), property(20, at("16:07"))],
    mileage: property(1_000, at("15:07")),
  });

  it("014_01_01 adds attribute instances to a temporal entity", async () => {
    // Prepare
    const id = await createTemporal(vehicle(uniqueType("Vehicle")));
    // Act
    const response = await broker.request("POST", `${path(id)}/attrs`, { body: fragment() });
    // Assess
    expect(response.status, response.text).toBe(204);
    expect(response.text).toBe("");
    const retrieved = await retrieve(id);
    expect(valuesOf(retrieved, "fuelLevel")).toEqual([67, 53, 40, 30, 20]);
    expect(valuesOf(retrieved, "mileage")).toEqual([1_000]);
    await cleanUp(id);
  });

  it("014_02_02 refuses an entity id that is not a URI with 400 BadRequestData", async () => {
    const response = await broker.request("POST", "/temporal/entities/thisIsAninvalidId/attrs", {
      body: fragment(),
    });
    expectProblem(response, 400, "BadRequestData");
  });

  it("014_03_01 answers 404 for an unknown entity", async () => {
    const response = await broker.request("POST", `${path(uniqueId("Vehicle"))}/attrs`, { body: fragment() });
    expectProblem(response, 404, "ResourceNotFound");
  });

  it("014_04_01 refuses a body that is not JSON with 400 InvalidRequest", async () => {
    const id = await createTemporal(vehicle(uniqueType("Vehicle")));
    const response = await broker.request("POST", `${path(id)}/attrs`, {
      headers: LD_JSON,
      raw: '{"fuelLevel": [',
    });
    expectProblem(response, 400, "InvalidRequest");
    await cleanUp(id);
  });
});

describe.concurrent("DeleteTemporalAttribute", () => {
  /** The suite's vehicle with a second fuelLevel series in a dataset of its own. */
  const vehicleWithDataset = (type: string): Json => ({
    ...vehicle(type),
    fuelLevel: [
      property(67, at("12:03")),
      property(53, at("13:05")),
      property(60, at("12:03"), { datasetId: "urn:ngsi-ld:Vehicle:12345-fuel" }),
      property(50, at("13:05"), { datasetId: "urn:ngsi-ld:Vehicle:12345-fuel" }),
    ],
  });

  it.each([
    ["015_01_01", {}, [[60, 50]]],
    ["015_01_02", { datasetId: "urn:ngsi-ld:Vehicle:12345-fuel" }, [[67, 53]]],
    ["015_01_03", { deleteAll: "true" }, []],
  ])("%s deletes the history of an attribute (%j)", async (_case, query, remaining) => {
    // Prepare
    const id = await createTemporal(vehicleWithDataset(uniqueType("Vehicle")));
    await recorded(id);
    // Act
    const response = await broker.request("DELETE", `${path(id)}/attrs/fuelLevel`, { query });
    // Assess
    expect(response.status, response.text).toBe(204);
    expect(response.text).toBe("");
    const retrieved = await retrieve(id);
    const series = instancesOf(retrieved, "fuelLevel");
    const byDataset = [...new Set(series.map((i) => String(i.datasetId ?? "@none")))].map((dataset) =>
      series
        .filter((i) => String(i.datasetId ?? "@none") === dataset)
        .sort((a, b) => String(a.observedAt).localeCompare(String(b.observedAt)))
        .map((i) => i.value),
    );
    expect(byDataset).toEqual(remaining);
    expect(valuesOf(retrieved, "speed")).toEqual([120, 80, 100]);
    await cleanUp(id);
  });

  it.each([
    ["015_02_02", "an entity id that is not a URI", "/temporal/entities/invalidId/attrs/fuelLevel"],
    ["015_02_03", "an attribute name that is not a valid name", "ENTITY/attrs/invalid(Name"],
  ])("%s refuses %s with 400 BadRequestData", async (_case, _what, target) => {
    const id = await createTemporal(vehicle(uniqueType("Vehicle")));
    const response = await broker.request("DELETE", target.replace("ENTITY", path(id)));
    expectProblem(response, 400, "BadRequestData");
    await cleanUp(id);
  });

  it.each([
    ["015_03_01", "an unknown entity", "unknown", "fuelLevel"],
    ["015_03_02", "an attribute the entity does not have", "known", "notExistingAttribute"],
  ])("%s answers 404 ResourceNotFound for %s", async (_case, _what, which, attr) => {
    const id = await createTemporal(vehicle(uniqueType("Vehicle")));
    const target = which === "known" ? id : uniqueId("Vehicle");
    expectProblem(await broker.request("DELETE", `${path(target)}/attrs/${attr}`), 404, "ResourceNotFound");
    await cleanUp(id);
  });
});

describe.concurrent("AttributeInstances", () => {
  /** A temporal vehicle and the instanceId of its first speed instance. */
  async function vehicleWithInstance() {
    const id = await createTemporal(vehicle(uniqueType("Vehicle")));
    const first = instancesOf(await retrieve(id), "speed").sort((a, b) =>
      String(a.observedAt).localeCompare(String(b.observedAt)),
    )[0];
    const instanceId = String(first?.instanceId);
    expect(instanceId).toMatch(/^urn:/);
    return { id, instanceId };
  }

  const modification = () => ({ type: "Property", value: 125, observedAt: at("12:03") });

  it("016_01_01 modifies an attribute instance", async () => {
    // Prepare
    const { id, instanceId } = await vehicleWithInstance();
    // Act
    const response = await broker.request(
      "PATCH",
      `${path(id)}/attrs/speed/${encodeURIComponent(instanceId)}`,
      {
        body: modification(),
      },
    );
    // Assess
    expect(response.status, response.text).toBe(204);
    expect(response.text).toBe("");
    const instance = instancesOf(await retrieve(id), "speed").find((i) => i.instanceId === instanceId);
    expect(instance?.value).toBe(125);
    await cleanUp(id);
  });

  const invalidTargets: Array<[string, string, (id: string, instanceId: string) => string, number]> = [
    [
      "016_02_01",
      "the entity id is not a URI",
      (_id, i) => `/temporal/entities/invalidId/attrs/speed/${i}`,
      400,
    ],
    ["016_02_03", "the instance id is not a URI", (id) => `${path(id)}/attrs/speed/invalidId`, 400],
    ["016_02_04", "the instance id is missing", (id) => `${path(id)}/attrs/speed/`, 405],
    ["016_02_05", "the attribute name is not valid", (id, i) => `${path(id)}/attrs/invalid(Id/${i}`, 400],
  ];

  it.each(invalidTargets)("%s refuses a modification when %s", async (_case, _what, target, status) => {
    const { id, instanceId } = await vehicleWithInstance();
    const response = await broker.request("PATCH", target(id, encodeURIComponent(instanceId)), {
      body: modification(),
    });
    expect(response.status, response.text).toBe(status);
    if (status === 400) expectProblem(response, 400, "BadRequestData");
    await cleanUp(id);
  });

  const unknownTargets: Array<[string, string, (id: string, instanceId: string) => string]> = [
    ["016_03_01", "the entity is unknown", (_id, i) => `${path(uniqueId("Vehicle"))}/attrs/speed/${i}`],
    ["016_03_02", "the attribute is unknown", (id, i) => `${path(id)}/attrs/speed2/${i}`],
    [
      "016_03_03",
      "the instance is unknown",
      (id) => `${path(id)}/attrs/speed/urn:ngsi-ld:01234567890123456789`,
    ],
  ];

  it.each(unknownTargets)("%s answers 404 when %s", async (_case, _what, target) => {
    const { id, instanceId } = await vehicleWithInstance();
    const response = await broker.request("PATCH", target(id, encodeURIComponent(instanceId)), {
      body: modification(),
    });
    expectProblem(response, 404, "ResourceNotFound");
    await cleanUp(id);
  });

  it("017_01_01 deletes an attribute instance", async () => {
    // Prepare
    const { id, instanceId } = await vehicleWithInstance();
    // Act
    const response = await broker.request(
      "DELETE",
      `${path(id)}/attrs/speed/${encodeURIComponent(instanceId)}`,
    );
    // Assess
    expect(response.status, response.text).toBe(204);
    expect(response.text).toBe("");
    const retrieved = await retrieve(id);
    expect(instancesOf(retrieved, "speed").some((i) => i.instanceId === instanceId)).toBe(false);
    expect(valuesOf(retrieved, "speed")).toEqual([80, 100]);
    await cleanUp(id);
  });

  const invalidDeletions: Array<[string, string, (id: string, instanceId: string) => string]> = [
    ["017_02_01", "the entity id is not a URI", (_id, i) => `/temporal/entities/invalidId/attrs/speed/${i}`],
    ["017_02_03", "the instance id is not a URI", (id) => `${path(id)}/attrs/speed/invalidId`],
    ["017_02_04", "the attribute name is not valid", (id, i) => `${path(id)}/attrs/invalid(Name/${i}`],
  ];

  it.each(invalidDeletions.map(([c, w, t]) => [c, w, t, 400] as const))(
    "%s refuses a deletion when %s",
    async (_case, _what, target, status) => {
      const { id, instanceId } = await vehicleWithInstance();
      const response = await broker.request("DELETE", target(id, encodeURIComponent(instanceId)));
      expect(response.status, response.text).toBe(status);
      if (status === 400) expectProblem(response, 400, "BadRequestData");
      await cleanUp(id);
    },
  );

  it.each(unknownTargets.map(([c, w, t]) => [c.replace("016", "017"), w, t] as const))(
    "%s answers 404 to a deletion when %s",
    async (_case, _what, target) => {
      const { id, instanceId } = await vehicleWithInstance();
      expectProblem(
        await broker.request("DELETE", target(id, encodeURIComponent(instanceId))),
        404,
        "ResourceNotFound",
      );
      await cleanUp(id);
    },
  );
});

describe.concurrent("RetrieveTemporalEntity", () => {
  it("020_01_01 retrieves the temporal evolution of an entity", async () => {
    const type = uniqueType("Vehicle");
    const id = await createTemporal(vehicle(type));
    const retrieved = await retrieve(id);
    expect(retrieved).toMatchObject({ id, type });
    for (const instance of instancesOf(retrieved, "speed")) {
      expect(instance.type).toBe("Property");
      expect(String(instance.instanceId)).toMatch(/^urn:/);
    }
    expect(valuesOf(retrieved, "speed")).toEqual([120, 80, 100]);
    expect(
      instancesOf(retrieved, "speed")
        .map((i) => i.observedAt)
        .sort(),
    ).toEqual([at("12:03"), at("12:05"), at("12:07")]);
    await cleanUp(id);
  });

  it("020_02_01 compacts the temporal evolution with the requester's @context", async () => {
    // Prepare: an attribute of the PointOfInterest context
    const type = uniqueType("Vehicle");
    const id = uniqueId(type);
    await createTemporal(
      { id, type, accessType: [property("free", at("12:03")), property("paid", at("12:05"))] },
      { link: linkTo(SDM_CONTEXT) },
    );
    // Act
    const withContext = await retrieve(id, {}, { link: linkTo(SDM_CONTEXT) });
    const withoutContext = await retrieve(id);
    // Assess
    expect(valuesOf(withContext, "accessType")).toEqual(["free", "paid"]);
    expect(valuesOf(withoutContext, ACCESS_TYPE_IRI)).toEqual(["free", "paid"]);
    await cleanUp(id);
  });

  it.each([
    ["020_03_01", "fuelLevel", ["fuelLevel"]],
    ["020_03_02", "fuelLevel,speed", ["fuelLevel", "speed"]],
  ])("%s retrieves only the attributes named in attrs (%s)", async (_case, attrs, names) => {
    const id = await createTemporal(vehicle(uniqueType("Vehicle")));
    const retrieved = await retrieve(id, { attrs });
    expect(
      Object.keys(retrieved)
        .filter((k) => !["id", "type", "@context"].includes(k))
        .sort(),
    ).toEqual(names);
    expect(valuesOf(retrieved, "fuelLevel")).toEqual([67, 53, 40]);
    await cleanUp(id);
  });

  it.each([
    ["020_04_01", { timerel: "after", timeAt: at("13:03") }, [], [53, 40]],
    ["020_04_02", { timerel: "before", timeAt: at("12:05") }, [120], [67]],
    ["020_04_03", { timerel: "between", timeAt: at("12:00"), endTimeAt: at("13:00") }, [120, 80, 100], [67]],
  ])("%s selects instances by time (%j)", async (_case, query, speeds, fuelLevels) => {
    const id = await createTemporal(vehicle(uniqueType("Vehicle")));
    const retrieved = await retrieve(id, query);
    expect(valuesOf(retrieved, "speed")).toEqual(speeds);
    expect(valuesOf(retrieved, "fuelLevel")).toEqual(fuelLevels);
    await cleanUp(id);
  });

  it.each([
    ["020_05_01", 2, [80, 100], [53, 40]],
    ["020_05_02", 7, [120, 80, 100], [67, 53, 40]],
  ])(
    "%s keeps the last %i instances of each attribute with lastN",
    async (_case, lastN, speeds, fuelLevels) => {
      const id = await createTemporal(vehicle(uniqueType("Vehicle")));
      const retrieved = await retrieve(id, { lastN: String(lastN) });
      expect(valuesOf(retrieved, "speed")).toEqual(speeds);
      expect(valuesOf(retrieved, "fuelLevel")).toEqual(fuelLevels);
      await cleanUp(id);
    },
  );

  it("020_06_01 refuses an entity id that is not a URI with 400 BadRequestData", async () => {
    expectProblem(await broker.request("GET", "/temporal/entities/invalidId"), 400, "BadRequestData");
  });

  it("020_07_01 answers 404 ResourceNotFound for an unknown entity", async () => {
    expectProblem(await broker.request("GET", path(uniqueId("Vehicle"))), 404, "ResourceNotFound");
  });

  it.each([
    ["020_12_01", "normalized"],
    ["020_12_02", "temporalValues"],
  ])("%s retrieves a LanguageProperty's history (%s)", async (_case, representation) => {
    // Prepare
    const type = uniqueType("Vehicle");
    const id = uniqueId(type);
    const name = (languageMap: Json, observedAt: string) => ({
      type: "LanguageProperty",
      languageMap,
      observedAt,
    });
    await createTemporal({
      id,
      type,
      name: [name({ fr: "Voiture", en: "Car" }, at("12:03")), name({ fr: "Auto" }, at("12:05"))],
    });
    // Act
    const retrieved = await retrieve(
      id,
      representation === "normalized" ? {} : { options: "temporalValues" },
    );
    // Assess
    if (representation === "normalized") {
      const instances = instancesOf(retrieved, "name").sort((a, b) =>
        String(a.observedAt).localeCompare(String(b.observedAt)),
      );
      expect(instances.map((i) => [i.type, i.languageMap])).toEqual([
        ["LanguageProperty", { fr: "Voiture", en: "Car" }],
        ["LanguageProperty", { fr: "Auto" }],
      ]);
    } else {
      const simplified = asObject(retrieved.name);
      expect(simplified.type).toBe("LanguageProperty");
      expect(asArray(simplified.languageMaps).map((pair) => asArray(pair)[0])).toEqual([
        { languageMap: { fr: "Voiture", en: "Car" } },
        { languageMap: { fr: "Auto" } },
      ]);
    }
    await cleanUp(id);
  });

  it.each([
    ["020_11_01", undefined],
    ["020_11_02", "fuelLevel"],
  ])("%s aggregates by the hour with avg (attrs %s)", async (_case, attrs) => {
    // Prepare
    const id = await createTemporal(vehicle(uniqueType("Vehicle")));
    // Act
    const retrieved = await retrieve(id, {
      options: "aggregatedValues",
      aggrMethods: "avg",
      aggrPeriodDuration: "PT1H",
      ...(attrs ? { attrs } : {}),
    });
    // Assess: periods start at the first instance (12:03) and last an hour
    const periods = (triples: unknown) =>
      asArray(triples).map((t) => {
        const [result, start, end] = asArray(t);
        return [result, String(start).slice(11, 16), String(end).slice(11, 16)];
      });
    expect(periods(asObject(retrieved.fuelLevel).avg)).toEqual([
      [67, "12:03", "13:03"],
      [53, "13:03", "14:03"],
      [40, "14:03", "15:03"],
    ]);
    if (attrs) expect(retrieved).not.toHaveProperty("speed");
    else expect(periods(asObject(retrieved.speed).avg)).toEqual([[100, "12:03", "13:03"]]);
    await cleanUp(id);
  });
});

describe.concurrent("RetrieveTemporalEntity with pick and omit", () => {
  /** The members of a temporal representation, in a stable order. */
  const members = (entity: Json) => Object.keys(entity).sort();

  it.each([
    ["020_21_01", { pick: "speed" }, ["speed"]],
    ["020_21_02", { omit: "speed" }, ["fuelLevel", "id", "type"]],
    ["020_21_03", { pick: "id,speed" }, ["id", "speed"]],
    ["020_21_04", { omit: "type,speed" }, ["fuelLevel", "id"]],
  ])("%s projects the temporal evolution with %j", async (_case, query, expected) => {
    // Prepare
    const id = await createTemporal(vehicle(uniqueType("Vehicle")));
    // Act
    const retrieved = await retrieve(id, query);
    // Assess
    expect(members(retrieved)).toEqual(expected);
    if (expected.includes("id")) expect(retrieved.id).toBe(id);
    if (expected.includes("speed")) expect(valuesOf(retrieved, "speed")).toEqual([120, 80, 100]);
    if (expected.includes("fuelLevel")) expect(valuesOf(retrieved, "fuelLevel")).toEqual([67, 53, 40]);
    await cleanUp(id);
  });

  it.each([
    ["020_22_01", "the same member in pick and omit", { pick: "speed", omit: "speed" }],
    ["020_22_02", "pick with attrs", { pick: "speed", attrs: "fuelLevel" }],
    ["020_22_03", "omit with attrs", { omit: "speed", attrs: "fuelLevel" }],
  ])("%s refuses %s with 400 BadRequestData", async (_case, _what, query) => {
    // Prepare
    const id = await createTemporal(vehicle(uniqueType("Vehicle")));
    // Act
    const response = await broker.request("GET", path(id), { query });
    // Assess
    expectProblem(response, 400, "BadRequestData");
    await cleanUp(id);
  });
});

describe("QueryTemporalEntities", () => {
  it.each([
    ["021_01_01", "after", "12:04", [80, 100]],
    ["021_01_02", "before", "12:06", [120, 80]],
  ])(
    "%s queries the temporal evolution of the entities of a type (timerel %s)",
    async (_c, timerel, time, speeds) => {
      // Prepare: two vehicles and a bus, which the query by type leaves out
      const type = uniqueType("Vehicle");
      const busType = uniqueType("Bus");
      const ids = [await createTemporal(vehicle(type)), await createTemporal(vehicle(type))];
      const bus = await createTemporal(vehicle(busType));
      // Act
      const response = await broker.request("GET", "/temporal/entities", {
        query: { type, timerel, timeAt: at(time) },
      });
      // Assess
      expect(response.status, response.text).toBe(200);
      const entities = asArray(response.body).map((e) => asObject(e));
      expect(entities.map((e) => e.id).sort()).toEqual([...ids].sort());
      for (const entity of entities) expect(valuesOf(entity, "speed")).toEqual(speeds);
      for (const id of [...ids, bus]) await cleanUp(id);
    },
  );

  it("021_08_01 queries the temporal evolution of the entities matching q", async () => {
    // Prepare: only the second vehicle's current speed (its newest instance) is over 90
    const type = uniqueType("Vehicle");
    const slow = await createTemporal({
      ...vehicle(type),
      speed: [property(60, at("12:03")), property(80, at("12:05"))],
    });
    const fast = await createTemporal({
      ...vehicle(type),
      speed: [property(95, at("12:03")), property(110, at("12:09"))],
    });
    // Act
    const response = await broker.request("GET", "/temporal/entities", {
      query: { type, q: "speed>90", timerel: "after", timeAt: at("12:00") },
    });
    // Assess
    expect(response.status, response.text).toBe(200);
    const entities = asArray(response.body).map((e) => asObject(e));
    expect(entities.map((e) => e.id)).toEqual([fast]);
    expect(valuesOf(entities[0] ?? {}, "speed")).toEqual([95, 110]);
    for (const id of [slow, fast]) await cleanUp(id);
  });

  it.each([
    ["021_21_01", { pick: "speed" }, ["speed"]],
    ["021_21_02", { omit: "speed" }, ["fuelLevel", "id", "type"]],
    ["021_21_03", { pick: "id" }, ["id"]],
    ["021_21_04", { omit: "type" }, ["fuelLevel", "id", "speed"]],
    ["021_21_05", { pick: "id,speed" }, ["id", "speed"]],
    ["021_21_06", { omit: "type,speed" }, ["fuelLevel", "id"]],
  ])("%s queries the temporal evolution of entities with %j", async (_case, projection, expected) => {
    // Prepare: two vehicles and a bus, all of the types queried
    const type = uniqueType("Vehicle");
    const busType = uniqueType("Bus");
    const ids = [
      await createTemporal(vehicle(type)),
      await createTemporal(vehicle(type)),
      await createTemporal({
        ...vehicle(busType),
        speed: [property(45, at("12:03")), property(25, at("12:05")), property(67, at("12:07"))],
      }),
    ];
    // Act
    const response = await broker.request("GET", "/temporal/entities", {
      query: { type: `${type},${busType}`, timerel: "after", timeAt: "1970-01-01T00:00:00Z", ...projection },
    });
    // Assess
    expect(response.status, response.text).toBe(200);
    const entities = asArray(response.body).map((e) => asObject(e));
    expect(entities).toHaveLength(3);
    for (const entity of entities) expect(Object.keys(entity).sort()).toEqual(expected);
    if (expected.includes("id")) expect(entities.map((e) => e.id).sort()).toEqual([...ids].sort());
    if (expected.includes("speed")) {
      expect(entities.map((e) => valuesOf(e, "speed").join()).sort()).toEqual(
        ["120,80,100", "120,80,100", "45,25,67"].sort(),
      );
    }
    for (const id of ids) await cleanUp(id);
  });

  it.each([
    ["021_13_01", "after", "12:04", [80, 100]],
    ["021_13_02", "before", "12:06", [120, 80]],
  ])("%s queries with the POST binding and a temporalQ (%s)", async (_case, timerel, time, speeds) => {
    const type = uniqueType("Vehicle");
    const id = await createTemporal(vehicle(type));
    const response = await broker.request("POST", "/temporal/entityOperations/query", {
      body: {
        type: "Query",
        entities: [{ type }],
        attrs: ["speed"],
        temporalQ: { timerel, timeAt: at(time) },
      },
    });
    expect(response.status, response.text).toBe(200);
    const [entity] = asArray(response.body).map((e) => asObject(e));
    expect(entity?.id).toBe(id);
    expect(valuesOf(entity ?? {}, "speed")).toEqual(speeds);
    expect(entity).not.toHaveProperty("fuelLevel");
    await cleanUp(id);
  });
});
