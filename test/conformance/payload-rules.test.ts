import { describe, expect, it } from "vitest";
import {
  asObject,
  type BrokerResponse,
  ERRORS,
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
 * Cases of the suite's mirror (`marek-mraz/ngsi-ld-test-suite`, `TP/NGSI-LD/ContextInformation/Provision/**`)
 * on the rules an NGSI-LD payload must follow — date-times in UTC (clause 4.6.3), `@id`/`@type` (4.4),
 * entity ids and reserved member names (4.5.1, 4.5.2.2, 4.5.3.2), type names (4.6.2), JsonProperty
 * content (4.5.24) — and on the `type` selector of the operations on one entity (4.17, 5.6.2 to 5.6.6).
 * Every refusal is a 400 BadRequestData naming the member, and nothing of the request is written.
 */
const broker = useBroker();

const LD = "application/ld+json";
/** The suite's 408_01 data names an older core context; the broker reads every core context URL. */
const CORE_V16 = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld";

function createLd(entity: Json, context: string = SDM_CONTEXT): Promise<BrokerResponse> {
  return broker.request("POST", "/entities", {
    body: { ...entity, "@context": [context] },
    headers: { "content-type": LD },
  });
}

const retrieve = (id: string, link = SDM_CONTEXT) =>
  broker.request("GET", entityPath(id), { headers: { link: linkTo(link) } });

/** The fields a 400 BadRequestData names. */
function refusedFields(response: BrokerResponse): unknown[] {
  expectProblem(response, 400, "BadRequestData");
  const errors = asObject(response.body).errors;
  return Array.isArray(errors) ? errors.map((e) => asObject(e).field) : [];
}

/** Creating a Vehicle with these members is refused naming `field`, and the entity does not exist. */
async function refusedCreate(members: Json, field: string): Promise<void> {
  const type = uniqueType("Vehicle");
  const id = uniqueId(type);
  const response = await createLd({ id, type, ...members });
  expect(refusedFields(response)).toContain(field);
  expect((await retrieve(id)).status).toBe(404);
}

describe.concurrent("date-times with a UTC offset (clause 4.6.3)", () => {
  it("408_01_02 an observedAt with an offset instead of Z is refused with BadRequestData", async () => {
    const id = uniqueId("Building");
    const response = await createLd(
      {
        id,
        type: "Building",
        name: { type: "Property", value: "x", observedAt: "2026-08-10T12:00:00+02:00" },
      },
      CORE_V16,
    );
    expect(refusedFields(response)).toEqual(["name.observedAt"]);
    expect((await retrieve(id, CORE_V16)).status).toBe(404);
  });

  it("463_01_03 an observedAt with a UTC offset is refused with BadRequestData", async () => {
    await refusedCreate(
      { speed: { type: "Property", value: 3, observedAt: "2026-08-10T12:00:00+02:00" } },
      "speed.observedAt",
    );
  });

  it("(beyond the suite) an offset in a partial update is refused too and changes nothing", async () => {
    const type = uniqueType("Vehicle");
    const id = uniqueId(type);
    const observedAt = "2026-08-10T10:00:00Z";
    expect((await createLd({ id, type, speed: { type: "Property", value: 3, observedAt } })).status).toBe(
      201,
    );
    const response = await broker.request("PATCH", `${entityPath(id)}/attrs/speed`, {
      body: { value: 4, observedAt: "2026-08-10T12:00:00+02:00" },
      headers: { link: linkTo(SDM_CONTEXT) },
    });
    expect(refusedFields(response)).toEqual(["body.observedAt"]);
    expect(asObject((await retrieve(id)).body).speed).toEqual({ type: "Property", value: 3, observedAt });
  });
});

describe.concurrent("@id and @type (clause 4.4)", () => {
  it("404_01_01 @id and @type are accepted on input, and answers use id and type", async () => {
    const type = uniqueType("Vehicle");
    const id = uniqueId(type);
    const created = await createLd({ "@id": id, "@type": type, speed: { type: "Property", value: 42 } });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get("location")).toBe(`/ngsi-ld/v1/entities/${id}`);
    const body = asObject((await retrieve(id)).body);
    expect(body.id).toBe(id);
    expect(body.type).toBe(type);
    expect(body).not.toHaveProperty("@id");
    expect(body).not.toHaveProperty("@type");
  });
});

describe.concurrent("entity ids and reserved names (clause 4.5.1)", () => {
  it("451_01_02 instanceId as an attribute name is refused with BadRequestData", async () => {
    await refusedCreate({ instanceId: { type: "Property", value: 1 } }, "instanceId");
  });

  it.each([
    ["451_02_01", "a right-to-left override", 0x202e],
    ["451_02_02", "a zero width space", 0x200b],
    ["451_02_03", "a byte order mark", 0xfeff],
    ["451_02_04", "a line separator", 0x2028],
    ["451_02_05", "a no-break space", 0x00a0],
    ["451_02_06", "a markup delimiter", 0x003c],
    ["451_02_08", "a variation selector", 0xfe0f],
    ["451_02_09", "a supplementary variation selector", 0xe0100],
    ["451_02_10", "a noncharacter", 0xfdd0],
    ["451_02_11", "a plane-trailing noncharacter", 0xfffe],
    ["451_02_12", "a Hangul choseong filler", 0x115f],
    ["451_02_13", "a Hangul filler", 0x3164],
    ["451_02_14", "a halfwidth Hangul filler", 0xffa0],
    ["451_02_15", "a blank Braille pattern", 0x2800],
  ] as const)(
    "%s an entity id carrying %s is refused with BadRequestData",
    async (_case, _what, codePoint) => {
      const id = `urn:ngsi-ld:Vehicle:A${String.fromCodePoint(codePoint)}B${crypto.randomUUID()}`;
      const response = await createLd({ id, type: "Vehicle" });
      expect(refusedFields(response)).toEqual(["id"]);
    },
  );

  it("451_02_07 an IRI relationship object with non-ASCII letters is still accepted", async () => {
    const type = uniqueType("Vehicle");
    const id = uniqueId(type);
    const object = "urn:ngsi-ld:Ciudad:París";
    const response = await createLd({ id, type, isParked: { type: "Relationship", object } });
    expect(response.status, response.text).toBe(201);
    expect(asObject(asObject((await retrieve(id)).body).isParked).object).toBe(object);
  });
});

describe.concurrent("members an attribute shall never include (clauses 4.5.2.2, 4.5.3.2)", () => {
  it.each([
    [
      "452_01_03",
      "a Property with a valueList",
      "speed",
      { type: "Property", value: 1, valueList: [1, 2] },
      "speed.valueList",
    ],
    [
      "452_01_04",
      "a Property with the output-only previousValue",
      "speed",
      { type: "Property", value: 1, previousValue: 0 },
      "speed.previousValue",
    ],
    [
      "452_01_05",
      "a Property with entityIdSealed outside ngsildproof",
      "speed",
      { type: "Property", value: 1, entityIdSealed: true },
      "speed.entityIdSealed",
    ],
    [
      "453_01_04",
      "a Relationship with the output-only previousObject",
      "isParked",
      {
        type: "Relationship",
        object: "urn:ngsi-ld:OffStreetParking:1",
        previousObject: "urn:ngsi-ld:Other:0",
      },
      "isParked.previousObject",
    ],
  ] as const)("%s %s is refused with BadRequestData", async (_case, _what, name, attribute, field) => {
    await refusedCreate({ [name]: attribute }, field);
  });
});

describe.concurrent("names and JsonProperty content (clauses 4.6.2, 4.5.24)", () => {
  it("462_01_02 an entity type starting with a digit is refused with BadRequestData", async () => {
    const id = uniqueId("Vehicle");
    const response = await createLd({ id, type: "9Vehicle", speed: { type: "Property", value: 1 } });
    expect(refusedFields(response)).toEqual(["type"]);
    expect((await retrieve(id)).status).toBe(404);
  });

  it("4524_01_04 a scalar json member is refused with BadRequestData", async () => {
    await refusedCreate({ tickets: { type: "JsonProperty", json: 5 } }, "tickets.json");
  });
});

/** The suite's type-selector cases: a Building, created with the core context as application/json. */
async function building(members: Json = {}): Promise<string> {
  const id = uniqueId("Vehicle");
  const response = await broker.request("POST", "/entities", {
    body: { id, type: "Building", name: { type: "Property", value: "x" }, ...members },
  });
  expect(response.status, response.text).toBe(201);
  return id;
}

async function nameOf(id: string): Promise<unknown> {
  const response = await broker.request("GET", entityPath(id));
  expect(response.status, response.text).toBe(200);
  return asObject(asObject(response.body).name).value;
}

describe.concurrent("the type selector of the operations on one entity (clause 4.17)", () => {
  it("562_01_01 the type selector gates Update Entity Attributes", async () => {
    const id = await building();
    const fragment = { name: { type: "Property", value: "y" } };
    const other = await broker.request("PATCH", `${entityPath(id)}/attrs`, {
      body: fragment,
      query: { type: "Vehicle" },
    });
    expectProblem(other, 404, "ResourceNotFound");
    expect(await nameOf(id)).toBe("x");
    const match = await broker.request("PATCH", `${entityPath(id)}/attrs`, {
      body: fragment,
      query: { type: "Building" },
    });
    expect(match.status, match.text).toBe(204);
    expect(await nameOf(id)).toBe("y");
  });

  it("563_01_01 the type selector gates Append Entity Attributes", async () => {
    const id = await building();
    const fragment = { name: { type: "Property", value: "y" } };
    const other = await broker.request("POST", `${entityPath(id)}/attrs`, {
      body: fragment,
      query: { type: "Vehicle" },
    });
    expectProblem(other, 404, "ResourceNotFound");
    expect(await nameOf(id)).toBe("x");
    const match = await broker.request("POST", `${entityPath(id)}/attrs`, {
      body: fragment,
      query: { type: "Building" },
    });
    expect(match.status, match.text).toBe(204);
    expect(await nameOf(id)).toBe("y");
  });

  it("564_01_01 scope cannot be partially updated: 400 BadRequestData, the scope stays", async () => {
    const id = await building({ scope: "/Madrid" });
    const response = await broker.request("PATCH", `${entityPath(id)}/attrs/scope`, {
      body: { value: "/Barcelona" },
    });
    expect(refusedFields(response)).toEqual(["params.attrId"]);
    expect(asObject((await broker.request("GET", entityPath(id))).body).scope).toBe("/Madrid");
  });

  it("564_01_02 the type selector gates Partial Attribute Update", async () => {
    const id = await building();
    const other = await broker.request("PATCH", `${entityPath(id)}/attrs/name`, {
      body: { value: "y" },
      query: { type: "Vehicle" },
    });
    expectProblem(other, 404, "ResourceNotFound");
    expect(await nameOf(id)).toBe("x");
    const match = await broker.request("PATCH", `${entityPath(id)}/attrs/name`, {
      body: { value: "y" },
      query: { type: "Building" },
    });
    expect(match.status, match.text).toBe(204);
    expect(await nameOf(id)).toBe("y");
  });

  it("565_01_01 the type selector gates Delete Attribute, and scope can be deleted", async () => {
    const id = await building({ scope: "/Madrid" });
    const other = await broker.request("DELETE", `${entityPath(id)}/attrs/name`, {
      query: { type: "Vehicle" },
    });
    expectProblem(other, 404, "ResourceNotFound");
    expect(await nameOf(id)).toBe("x");
    const match = await broker.request("DELETE", `${entityPath(id)}/attrs/name`, {
      query: { type: "Building" },
    });
    expect(match.status, match.text).toBe(204);
    const scope = await broker.request("DELETE", `${entityPath(id)}/attrs/scope`);
    expect(scope.status, scope.text).toBe(204);
    const body = asObject((await broker.request("GET", entityPath(id))).body);
    expect(body).not.toHaveProperty("scope");
    expect(body).not.toHaveProperty("name");
  });

  it("566_01_01 the type selector gates Delete Entity", async () => {
    const id = await building();
    const other = await broker.request("DELETE", entityPath(id), { query: { type: "Vehicle" } });
    expectProblem(other, 404, "ResourceNotFound");
    expect((await broker.request("GET", entityPath(id))).status).toBe(200);
    const match = await broker.request("DELETE", entityPath(id), { query: { type: "Building" } });
    expect(match.status, match.text).toBe(204);
    expect((await broker.request("GET", entityPath(id))).status).toBe(404);
  });

  it("a malformed selector is 400 BadRequestData naming query.type, never a lookup", async () => {
    const id = await building();
    const response = await broker.request("DELETE", entityPath(id), { query: { type: "Building;(" } });
    expect(refusedFields(response)).toEqual(["query.type"]);
    expect(asObject(response.body).type).toBe(`${ERRORS}BadRequestData`);
    expect((await broker.request("GET", entityPath(id))).status).toBe(200);
  });
});
