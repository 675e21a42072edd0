import { isDomainError } from "@sdp/contracts";
import { describe, expect, it } from "vitest";
import { bundledContextLoader } from "../src/adapters/bundled-contexts";
import { contextCache } from "../src/domain/contexts";
import { parseDateTime } from "../src/domain/datetime";
import type { EntityInput } from "../src/domain/model";
import { isUri, parseAttribute, parseEntity, payloadId } from "../src/domain/normalize";
import { parseTemporalEntity } from "../src/temporal/domain/parse";

/**
 * The payload rules of clauses 4.4, 4.5.1, 4.5.2.2, 4.5.3.2, 4.5.24, 4.6.2 and 4.6.3 as the broker reads
 * entities: what is refused (each problem naming its member), and what is accepted or normalized.
 */
const cache = contextCache(bundledContextLoader);
const DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/";
const core = () => cache.resolve(`t${crypto.randomUUID().slice(0, 8)}`, undefined);
const whole = { whole: true, partial: false } as const;
const uniqueId = () => `urn:ngsi-ld:Vehicle:${crypto.randomUUID()}`;

/** The fields and reasons a payload is refused with; fails the test when it is accepted. */
async function refusal(body: unknown, options = whole): Promise<Array<{ field: string; reason: string }>> {
  const ctx = await core();
  try {
    parseEntity(body, ctx, options);
  } catch (error) {
    if (!isDomainError(error)) throw error;
    expect(error.code).toBe("BadRequestData");
    return error.errors ?? [];
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

async function accepted(body: unknown): Promise<EntityInput> {
  return parseEntity(body, await core(), whole);
}

describe("date-times (clause 4.6.3)", () => {
  it("refuses a UTC offset, naming the member, rather than converting it", async () => {
    // Prepare
    const speed = { type: "Property", value: 3, observedAt: "2026-08-10T12:00:00+02:00" };
    // Act
    const errors = await refusal({ id: uniqueId(), type: "Vehicle", speed });
    // Assess
    expect(errors).toEqual([{ field: "speed.observedAt", reason: expect.stringContaining("+02:00") }]);
  });

  it("refuses every form that is not YYYY-MM-DDThh:mm:ss[.ffffff]Z, and impossible dates", () => {
    // Prepare
    const wrong = [
      "2026-08-10T12:00:00-05:00",
      "2026-08-10T12:00:00+0200",
      "2026-08-10T12:00:00",
      "2026-08-10T12:00Z",
      "2026-08-10",
      "2026-08-10T12:00:00z",
      "2026-02-30T12:00:00Z",
      "2026-13-01T12:00:00Z",
      "2026-08-10T24:00:00Z",
      "2026-08-10T12:00:00.1234567Z",
      "yesterday",
      1_754_827_200_000,
    ];
    // Act
    const results = wrong.map(parseDateTime);
    // Assess
    expect(results.filter((r) => r.ok)).toEqual([]);
  });

  it("accepts Z with up to six fractional digits, and a comma separator stored as a point", async () => {
    // Prepare
    const times = ["2024-02-29T23:59:59Z", "2024-05-01T10:00:00.123456Z", "2024-05-01T10:00:00,5Z"];
    // Act
    const results = times.map(parseDateTime);
    const input = await accepted({
      id: uniqueId(),
      type: "Vehicle",
      speed: { type: "Property", value: 3, observedAt: "2024-05-01T10:00:00,25Z" },
    });
    // Assess
    expect(results).toEqual([
      { ok: true, value: "2024-02-29T23:59:59Z" },
      { ok: true, value: "2024-05-01T10:00:00.123456Z" },
      { ok: true, value: "2024-05-01T10:00:00.5Z" },
    ]);
    expect(input.attrs[`${DEFAULT}speed`]).toEqual([
      { kind: "set", instance: { type: "Property", value: 3, observedAt: "2024-05-01T10:00:00.25Z" } },
    ]);
  });

  it("applies the same rule to partial updates and to temporal instances", async () => {
    // Prepare
    const ctx = await core();
    // Act
    const partial = () =>
      parseAttribute({ value: 1, observedAt: "2024-05-01T12:00:00+02:00" }, `${DEFAULT}speed`, ctx, true);
    const temporal = () =>
      parseTemporalEntity(
        {
          id: uniqueId(),
          type: "Vehicle",
          speed: [{ type: "Property", value: 1, observedAt: "2024-05-01T12:00:00+01:00" }],
        },
        ctx,
        { whole: true },
      );
    // Assess
    expect(partial).toThrow(/body\.observedAt: is given with the UTC offset \+02:00/);
    expect(temporal).toThrow(/speed\[0\]\.observedAt: is given with the UTC offset \+01:00/);
  });
});

describe("@id and @type (clause 4.4)", () => {
  it("reads @id and @type as the entity's id and type, and @type of an attribute as its type", async () => {
    // Prepare
    const id = uniqueId();
    // Act
    const input = await accepted({
      "@id": id,
      "@type": "Vehicle",
      speed: { "@type": "Property", value: 42 },
    });
    // Assess
    expect(input).toEqual({
      id,
      types: [`${DEFAULT}Vehicle`],
      attrs: { [`${DEFAULT}speed`]: [{ kind: "set", instance: { type: "Property", value: 42 } }] },
    });
  });

  it("refuses both forms at once, naming the keyword", async () => {
    // Prepare
    const id = uniqueId();
    // Act
    const entity = await refusal({ id, "@id": id, type: "Vehicle", "@type": "Vehicle" });
    const attribute = await refusal({
      id,
      type: "Vehicle",
      speed: { type: "Property", "@type": "Property", value: 1 },
    });
    // Assess
    expect(entity.map((e) => e.field)).toEqual(["@id", "@type"]);
    expect(attribute.map((e) => e.field)).toEqual(["speed.@type"]);
  });

  it("keeps a JSON-LD typed value as a concise Property's content, and refuses other keywords in attributes", async () => {
    // Prepare
    const typed = { "@type": "DateTime", "@value": "2024-05-01T10:00:00Z" };
    // Act
    const input = await accepted({ id: uniqueId(), type: "Vehicle", dateObserved: typed });
    const errors = await refusal({
      id: uniqueId(),
      type: "Vehicle",
      speed: { type: "Property", value: 1, "@id": "urn:x:1", id: "urn:x:2" },
    });
    // Assess
    expect(input.attrs[`${DEFAULT}dateObserved`]).toEqual([
      { kind: "set", instance: { type: "Property", value: typed } },
    ]);
    expect(errors.map((e) => e.field)).toEqual(["speed.@id", "speed.id"]);
  });

  it("names a batch entity by @id", () => {
    // Prepare
    const id = uniqueId();
    // Act
    const named = [{ "@id": id }, { id }, { id: 5 }, "x"].map(payloadId);
    // Assess
    expect(named).toEqual([id, id, "", ""]);
  });
});

describe("entity ids (clause 4.5.1)", () => {
  it("refuses ids carrying invisible characters, naming the character", async () => {
    // Prepare: the code points of suite case 451_02, plus a tag character and a lone surrogate.
    const codePoints = [
      0x202e, 0x200b, 0xfeff, 0x2028, 0x00a0, 0x003c, 0xfe0f, 0xe0100, 0xfdd0, 0xfffe, 0x115f, 0x3164, 0xffa0,
      0x2800, 0xe0041,
    ];
    const ids = [
      ...codePoints.map((c) => `urn:ngsi-ld:Vehicle:A${String.fromCodePoint(c)}B`),
      "urn:x:A\ud800B",
    ];
    // Act
    const accepted = ids.filter(isUri);
    const errors = await refusal({ id: ids[0], type: "Vehicle" });
    // Assess
    expect(accepted).toEqual([]);
    expect(errors).toEqual([{ field: "id", reason: expect.stringContaining("U+202E") }]);
  });

  it("accepts the non-ASCII characters of an IRI, in ids and relationship objects", async () => {
    // Prepare
    const id = `urn:ngsi-ld:Ciudad:París-${crypto.randomUUID()}`;
    // Act
    const input = await accepted({
      id,
      type: "Ciudad",
      twin: { type: "Relationship", object: "urn:ngsi-ld:Ciudad:Zürich" },
    });
    // Assess
    expect(input.id).toBe(id);
    expect(isUri("urn:ngsi-ld:Museo:博物館")).toBe(true);
  });

  it("refuses invisible characters in relationship objects and datasetIds too", async () => {
    // Prepare
    const hidden = "urn:ngsi-ld:Parking:A\u200bB";
    // Act
    const errors = await refusal({
      id: uniqueId(),
      type: "Vehicle",
      isParked: { type: "Relationship", object: hidden },
      speed: { type: "Property", value: 1, datasetId: hidden },
    });
    // Assess
    expect(errors.map((e) => e.field)).toEqual(["isParked.object", "speed.datasetId"]);
  });
});

describe("reserved member names (clauses 4.5.1, 4.5.2.2, 4.5.3.2)", () => {
  it("refuses the output-only and sealing members as sub-attributes", async () => {
    // Prepare
    const id = uniqueId();
    // Act
    const errors = await refusal({
      id,
      type: "Vehicle",
      speed: { type: "Property", value: 1, previousValue: 0, entityIdSealed: true, entityTypeSealed: true },
      isParked: {
        type: "Relationship",
        object: "urn:ngsi-ld:Parking:1",
        previousObject: "urn:ngsi-ld:Parking:0",
      },
      name: { type: "Property", value: "x", valueList: [1, 2] },
    });
    // Assess
    expect(errors.map((e) => e.field)).toEqual([
      "speed.previousValue",
      "speed.entityIdSealed",
      "speed.entityTypeSealed",
      "isParked.previousObject",
      "name.valueList",
    ]);
  });

  it("refuses instanceId as an attribute name, and still ignores the system members the broker sets", async () => {
    // Prepare
    const id = uniqueId();
    // Act
    const errors = await refusal({ id, type: "Vehicle", instanceId: { type: "Property", value: 1 } });
    const input = await accepted({
      id,
      type: "Vehicle",
      createdAt: "2024-05-01T10:00:00Z",
      modifiedAt: "2024-05-01T10:00:00Z",
      speed: {
        type: "Property",
        value: 1,
        instanceId: "urn:ngsi-ld:Instance:1",
        createdAt: "2024-05-01T10:00:00Z",
      },
    });
    // Assess
    expect(errors).toEqual([{ field: "instanceId", reason: expect.stringContaining("reserved") }]);
    expect(input.attrs).toEqual({
      [`${DEFAULT}speed`]: [{ kind: "set", instance: { type: "Property", value: 1 } }],
    });
  });

  it("accepts the legal optional members valueType and objectType", async () => {
    // Prepare
    const id = uniqueId();
    // Act
    const input = await accepted({
      id,
      type: "Vehicle",
      speed: { type: "Property", value: 1, valueType: "xsd:double" },
      isParked: { type: "Relationship", object: "urn:ngsi-ld:Parking:1", objectType: "OffStreetParking" },
    });
    // Assess
    expect(Object.keys(input.attrs)).toEqual([`${DEFAULT}speed`, `${DEFAULT}isParked`]);
  });
});

describe("type names (clause 4.6.2)", () => {
  it("refuses entity types and objectTypes that do not start with a letter", async () => {
    // Prepare
    const id = uniqueId();
    // Act
    const single = await refusal({ id, type: "9Vehicle" });
    const many = await refusal({
      id,
      type: ["Vehicle", "_Car"],
      isParked: { type: "Relationship", object: "urn:ngsi-ld:Parking:1", objectType: "1Parking" },
    });
    // Assess
    expect(single).toEqual([{ field: "type", reason: expect.stringContaining("start with a letter") }]);
    expect(many.map((e) => e.field)).toEqual(["type[1]", "isParked.objectType"]);
  });

  it("accepts Unicode letters, digits after the first letter, compact IRIs and full IRIs", async () => {
    // Prepare
    const types = ["Škola", "Vehicle2", "ngsi-ld:Thing", "https://example.org/types#Beach"];
    // Act
    const input = await accepted({ id: uniqueId(), type: types });
    // Assess
    expect(input.types).toEqual([
      `${DEFAULT}Škola`,
      `${DEFAULT}Vehicle2`,
      "https://uri.etsi.org/ngsi-ld/Thing",
      "https://example.org/types#Beach",
    ]);
  });
});

describe("JsonProperty content (clause 4.5.24)", () => {
  it("refuses a json that is no object nor array of objects, in normalized and concise form", async () => {
    // Prepare
    const id = uniqueId();
    // Act
    const errors = await refusal({
      id,
      type: "Vehicle",
      tickets: { type: "JsonProperty", json: 5 },
      codes: { json: ["a", "b"] },
      empty: { type: "JsonProperty", json: null },
    });
    // Assess
    expect(errors.map((e) => e.field)).toEqual(["tickets.json", "codes.json", "empty.json"]);
  });

  it("keeps an object or an array of objects verbatim", async () => {
    // Prepare
    const list = [{ id: "some-id-1", speed: 3 }, { id: "some-id-2" }];
    // Act
    const input = await accepted({
      id: uniqueId(),
      type: "Vehicle",
      tickets: { type: "JsonProperty", json: list },
    });
    // Assess
    expect(input.attrs[`${DEFAULT}tickets`]).toEqual([
      { kind: "set", instance: { type: "JsonProperty", json: list } },
    ]);
  });
});
