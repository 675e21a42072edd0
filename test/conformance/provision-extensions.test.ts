import { describe, expect, it } from "vitest";
import {
  asObject,
  type BrokerResponse,
  CORE_CONTEXT,
  ERRORS,
  entityPath,
  type Json,
  linkTo,
  SDM_CONTEXT,
  uniqueId,
  uniqueType,
  useBroker,
} from "./harness";

/**
 * The extension cases the suite's mirror adds under `TP/NGSI-LD/ContextInformation/Provision/Entities/
 * CreateEntity` (numbered after the clause they check, e.g. 402_01 for clause 4.2.2): what a broker
 * must refuse or keep verbatim when an entity is created. Only the ones that hold for V1.8.1 and this
 * broker's documented scope are here; the cases on date-times with offsets, `@id`/`@type`, ids with
 * invisible characters, reserved member names, type names, scalar `json` and the `type` selector
 * (408_01_02, 463_01_03, 404_01_01, 451_01_02, 451_02, 452_01_03–05, 453_01_04, 462_01_02, 4524_01_04,
 * 562_01 to 566_01) are in `payload-rules.test.ts`.
 */
const broker = useBroker();

const LD = "application/ld+json";

function create(entity: Json): Promise<BrokerResponse> {
  return broker.request("POST", "/entities", {
    body: { ...entity, "@context": [SDM_CONTEXT] },
    headers: { "content-type": LD },
  });
}

async function retrieve(id: string): Promise<BrokerResponse> {
  return broker.request("GET", entityPath(id), { headers: { link: linkTo(SDM_CONTEXT) } });
}

/** Creating a Vehicle with these members is refused with 400 BadRequestData, and nothing is created. */
async function refused(members: Json): Promise<void> {
  const type = uniqueType("Vehicle");
  const id = uniqueId(type);
  const response = await create({ id, type, ...members });
  expect(response.status, response.text).toBe(400);
  expect(asObject(response.body).type).toBe(`${ERRORS}BadRequestData`);
  expect((await retrieve(id)).status).toBe(404);
}

/** Creating a Vehicle with these members succeeds; answers what it reads back. */
async function accepted(members: Json): Promise<Json> {
  const type = uniqueType("Vehicle");
  const id = uniqueId(type);
  const response = await create({ id, type, ...members });
  expect(response.status, response.text).toBe(201);
  const read = await retrieve(id);
  expect(read.status, read.text).toBe(200);
  return asObject(read.body);
}

describe.concurrent("Entities/CreateEntity (extension cases)", () => {
  it.each([
    ["402_01_01", "a Property without value", { speed: { type: "Property" } }],
    ["402_01_02", "a Relationship without object", { isParked: { type: "Relationship" } }],
    ["402_01_03", "a Property whose value is JSON null", { speed: { type: "Property", value: null } }],
    ["402_01_04", "a LanguageProperty without languageMap", { street: { type: "LanguageProperty" } }],
    [
      "408_01_01",
      "an observedAt that is no date-time",
      { speed: { type: "Property", value: 1, observedAt: "yesterday" } },
    ],
    [
      "408_01_03",
      "a reified observedAt",
      {
        speed: {
          type: "Property",
          value: 1,
          observedAt: { type: "Property", value: "2026-01-01T00:00:00Z" },
        },
      },
    ],
    ["451_01_01", "datasetId as an attribute name", { datasetId: { type: "Property", value: 1 } }],
    [
      "451_01_03",
      "observedAt as an attribute name",
      { observedAt: { type: "Property", value: "2026-01-01T00:00:00Z" } },
    ],
    [
      "451_01_04",
      "an @context inside an attribute",
      { speed: { type: "Property", value: 1, "@context": { speed: "https://example.org/speed" } } },
    ],
    [
      "452_01_01",
      "a Property carrying an object",
      { speed: { type: "Property", value: 1, object: "urn:ngsi-ld:Other:1" } },
    ],
    [
      "452_01_02",
      "a Property carrying a languageMap",
      { speed: { type: "Property", value: 1, languageMap: { en: "x" } } },
    ],
    [
      "453_01_01",
      "a Relationship with a unitCode",
      { isParked: { type: "Relationship", object: "urn:ngsi-ld:OffStreetParking:1", unitCode: "MTR" } },
    ],
    [
      "453_01_02",
      "a Relationship with a value",
      { isParked: { type: "Relationship", object: "urn:ngsi-ld:OffStreetParking:1", value: 42 } },
    ],
    [
      "453_01_03",
      "a Relationship with a languageMap",
      {
        isParked: {
          type: "Relationship",
          object: "urn:ngsi-ld:OffStreetParking:1",
          languageMap: { en: "x" },
        },
      },
    ],
    ["462_01_01", "an attribute name with a space", { "my attr": { type: "Property", value: 1 } }],
    [
      "463_01_01",
      "a GeometryCollection value",
      {
        location: {
          type: "GeoProperty",
          value: { type: "GeometryCollection", geometries: [{ type: "Point", coordinates: [17.1, 48.7] }] },
        },
      },
    ],
    [
      "465_01_02",
      "the languageMap NGSI-LD Null encoding",
      { brandName: { type: "LanguageProperty", languageMap: { "@none": "urn:ngsi-ld:null" } } },
    ],
    [
      "465_01_03",
      "a languageMap value that is no string",
      { brandName: { type: "LanguageProperty", languageMap: { en: 5 } } },
    ],
    [
      "4524_01_02",
      "a JsonProperty with a unitCode",
      { tickets: { type: "JsonProperty", json: { a: 1 }, unitCode: "MTR" } },
    ],
    [
      "4524_01_03",
      "a JsonProperty with a value",
      { tickets: { type: "JsonProperty", json: { a: 1 }, value: 1 } },
    ],
  ] as const)("%s refuses %s with 400 BadRequestData", async (_id, _what, members) => {
    await refused(members);
  });

  it("404_01_02 a user @context cannot redefine a core term (Property stays Property)", async () => {
    const type = uniqueType("Vehicle");
    const id = uniqueId(type);
    const response = await broker.request("POST", "/entities", {
      body: {
        id,
        type,
        speed: { type: "Property", value: 42 },
        "@context": [{ Property: "https://example.org/Property" }, CORE_CONTEXT],
      },
      headers: { "content-type": LD },
    });
    expect(response.status, response.text).toBe(201);
    expect(asObject((await retrieve(id)).body).speed).toEqual({ type: "Property", value: 42 });
  });

  it("452_01_06 accepts a Property with a legal valueType", async () => {
    const body = await accepted({ speed: { type: "Property", value: 1, valueType: "xsd:double" } });
    expect(asObject(body.speed).value).toBe(1);
  });

  it("452_02 concise attributes read back as normalized Property, GeoProperty and Relationship", async () => {
    const body = await accepted({
      speed: 55,
      location: { type: "Point", coordinates: [8.0, 49.0] },
      area: { value: { type: "Point", coordinates: [1.0, 2.0] } },
      brandName: { value: "Volvo", observedAt: "2026-01-01T00:00:00Z" },
      isParked: { object: "urn:ngsi-ld:OffStreetParking:1" },
    });
    expect(body.speed).toEqual({ type: "Property", value: 55 });
    expect(asObject(body.location).type).toBe("GeoProperty");
    expect(asObject(body.area).type).toBe("GeoProperty");
    expect(body.brandName).toEqual({ type: "Property", value: "Volvo", observedAt: "2026-01-01T00:00:00Z" });
    expect(body.isParked).toEqual({ type: "Relationship", object: "urn:ngsi-ld:OffStreetParking:1" });
  });

  it("453_01_05 accepts a Relationship with a legal objectType", async () => {
    const body = await accepted({
      isParked: {
        type: "Relationship",
        object: "urn:ngsi-ld:OffStreetParking:1",
        objectType: "OffStreetParking",
      },
    });
    expect(asObject(body.isParked).objectType).toBe("OffStreetParking");
  });

  it("461_01_01 UTF-8 content round-trips exactly", async () => {
    const body = await accepted({ brandName: { type: "Property", value: "žltý kôň — 100 €" } });
    expect(asObject(body.brandName).value).toBe("žltý kôň — 100 €");
  });

  it("462_01_03 accepts Unicode letters in names", async () => {
    const body = await accepted({ výška_1: { type: "Property", value: 7 } });
    expect(asObject(body.výška_1).value).toBe(7);
  });

  it("463_01_02 a Point value round-trips", async () => {
    const body = await accepted({
      location: { type: "GeoProperty", value: { type: "Point", coordinates: [17.1, 48.7] } },
    });
    expect(asObject(body.location).value).toEqual({ type: "Point", coordinates: [17.1, 48.7] });
  });

  it("464_01_01 markup and quote characters in a value round-trip verbatim", async () => {
    const text = `<script>alert('x')</script> "q" = ; ( )`;
    const body = await accepted({ note: { type: "Property", value: text } });
    expect(asObject(body.note).value).toBe(text);
  });

  it("465_01_01 languageMap strings, arrays of strings and @none round-trip", async () => {
    const languageMap = { sk: "škola", en: ["school", "academy"], "@none": "default" };
    const body = await accepted({ brandName: { type: "LanguageProperty", languageMap } });
    expect(asObject(body.brandName).languageMap).toEqual(languageMap);
  });

  it("4524_01_01 a concise JsonProperty is inferred and its json kept verbatim", async () => {
    const json = { speed: 3, brandName: "x", type: "raw" };
    const body = await accepted({ tickets: { json } });
    expect(body.tickets).toEqual({ type: "JsonProperty", json });
  });
});
