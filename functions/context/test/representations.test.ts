import { describe, expect, it } from "vitest";
import { bundledContextLoader } from "../src/adapters/bundled-contexts";
import { contextCache } from "../src/domain/contexts";
import { type Entity, LOCATION } from "../src/domain/model";
import { parseAttribute, parseEntity } from "../src/domain/normalize";
import { renderEntity, renderFeature } from "../src/domain/render";

const cache = contextCache(bundledContextLoader);
const core = () => cache.resolve(`t${crypto.randomUUID().slice(0, 8)}`, undefined);
const DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/";

describe("reading NGSI-LD payloads", () => {
  it("reads the concise form: bare values, {value}, {object}, {languageMap}, GeoJSON values", async () => {
    // Prepare
    const ctx = await core();
    // Act
    const input = parseEntity(
      {
        id: "urn:ngsi-ld:Thing:1",
        type: ["Thing", "Other"],
        count: 3,
        tags: ["a", "b"],
        address: { street: "Mayor 1" },
        speed: { value: 5, unitCode: "KMH" },
        owner: { object: "urn:ngsi-ld:Person:1" },
        label: { languageMap: { es: "hola", en: "hello" } },
        location: { value: { type: "Point", coordinates: [1, 2] } },
        createdAt: "1999-01-01T00:00:00Z",
      },
      ctx,
      { whole: true, partial: false },
    );
    // Assess
    expect(input.types).toEqual([`${DEFAULT}Thing`, `${DEFAULT}Other`]);
    expect(input.attrs).toEqual({
      [`${DEFAULT}count`]: [{ kind: "set", instance: { type: "Property", value: 3 } }],
      [`${DEFAULT}tags`]: [{ kind: "set", instance: { type: "Property", value: ["a", "b"] } }],
      [`${DEFAULT}address`]: [{ kind: "set", instance: { type: "Property", value: { street: "Mayor 1" } } }],
      [`${DEFAULT}speed`]: [{ kind: "set", instance: { type: "Property", value: 5, unitCode: "KMH" } }],
      [`${DEFAULT}owner`]: [
        { kind: "set", instance: { type: "Relationship", object: "urn:ngsi-ld:Person:1" } },
      ],
      [`${DEFAULT}label`]: [
        { kind: "set", instance: { type: "LanguageProperty", languageMap: { es: "hola", en: "hello" } } },
      ],
      [LOCATION]: [
        { kind: "set", instance: { type: "GeoProperty", value: { type: "Point", coordinates: [1, 2] } } },
      ],
    });
  });

  it.each([
    [
      {
        a: [
          { type: "Property", value: 1 },
          { type: "Property", value: 2 },
        ],
      },
      "a",
      "two instances have no datasetId",
    ],
    [{ value: { type: "Property", value: 1 } }, "value", "reserved NGSI-LD member"],
    [{ a: { type: "Property", value: 1, unitCode: "" } }, "a.unitCode", "unit code"],
    [{ a: { type: "Property", value: 1, observedAt: "yesterday" } }, "a.observedAt", "ISO 8601"],
    [{ a: { type: "Relationship", object: "not a uri" } }, "a.object", "URI"],
    [
      { a: { type: "LanguageProperty", languageMap: { "not a tag": "x" } } },
      "a.languageMap.not a tag",
      "language tag",
    ],
    [{ a: { type: "ListProperty", value: [1] } }, "a.value", 'in "valueList"'],
    [{ "bad name": 1 }, "bad name", "whitespace"],
    [{ a: { type: "Property", value: 1, sub: { type: "Property" } } }, "a.sub", "has no value"],
  ])("refuses %j naming %s", async (attributes, field, reason) => {
    // Prepare
    const ctx = await core();
    // Act
    const attempt = () =>
      parseEntity({ id: "urn:ngsi-ld:T:1", type: "T", ...attributes }, ctx, { whole: true, partial: false });
    // Assess
    expect(attempt).toThrow(
      expect.objectContaining({
        errors: expect.arrayContaining([
          expect.objectContaining({ field, reason: expect.stringContaining(reason) }),
        ]),
      }),
    );
  });

  it("reads partial updates: members only, NGSI-LD Nulls remove", async () => {
    // Prepare
    const ctx = await core();
    // Act
    const patch = parseAttribute(
      { value: 7, observedAt: "urn:ngsi-ld:null", note: "urn:ngsi-ld:null" },
      `${DEFAULT}a`,
      ctx,
      true,
    );
    const removal = parseAttribute(
      { value: "urn:ngsi-ld:null", datasetId: "urn:ds:1" },
      `${DEFAULT}a`,
      ctx,
      true,
    );
    // Assess
    expect(patch).toEqual({
      kind: "patch",
      patch: { value: 7, observedAt: null, sub: { [`${DEFAULT}note`]: null } },
    });
    expect(removal).toEqual({ kind: "delete", datasetId: "urn:ds:1" });
  });
});

describe("writing NGSI-LD representations", () => {
  const entity: Entity = {
    id: "urn:ngsi-ld:Thing:1",
    types: [`${DEFAULT}Thing`],
    createdAt: "2024-01-01T00:00:00Z",
    modifiedAt: "2024-01-02T00:00:00Z",
    attrs: {
      [`${DEFAULT}count`]: [
        { type: "Property", value: 3, createdAt: "2024-01-01T00:00:00Z", modifiedAt: "2024-01-01T00:00:00Z" },
      ],
      [`${DEFAULT}address`]: [{ type: "Property", value: { street: "Mayor 1" } }],
      [`${DEFAULT}level`]: [
        { type: "Property", value: 1 },
        { type: "Property", value: 2, datasetId: "urn:ds:2" },
      ],
      [LOCATION]: [{ type: "GeoProperty", value: { type: "Point", coordinates: [1, 2] } }],
    },
  };

  it("writes concise without type members and bare values only where unambiguous", async () => {
    // Act
    const concise = renderEntity(entity, await core(), { format: "concise", sysAttrs: false });
    // Assess
    expect(concise).toEqual({
      id: "urn:ngsi-ld:Thing:1",
      type: "Thing",
      count: 3,
      address: { value: { street: "Mayor 1" } },
      level: [{ value: 1 }, { value: 2, datasetId: "urn:ds:2" }],
      location: { value: { type: "Point", coordinates: [1, 2] } },
    });
  });

  it("writes system attributes on request and GeoJSON features", async () => {
    // Prepare
    const ctx = await core();
    // Act
    const normalized = renderEntity(entity, ctx, {
      format: "normalized",
      sysAttrs: true,
      omit: new Set([`${DEFAULT}level`]),
    });
    const feature = renderFeature(entity, ctx, {
      format: "keyValues",
      sysAttrs: false,
      pick: new Set(["type", `${DEFAULT}count`]),
    });
    // Assess
    expect(normalized).toMatchObject({
      createdAt: "2024-01-01T00:00:00Z",
      modifiedAt: "2024-01-02T00:00:00Z",
      count: {
        type: "Property",
        value: 3,
        createdAt: "2024-01-01T00:00:00Z",
        modifiedAt: "2024-01-01T00:00:00Z",
      },
    });
    expect(normalized).not.toHaveProperty("level");
    expect(feature).toEqual({
      id: "urn:ngsi-ld:Thing:1",
      type: "Feature",
      geometry: { type: "Point", coordinates: [1, 2] },
      properties: { type: "Thing", count: 3 },
    });
  });
});
