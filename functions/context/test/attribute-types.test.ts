import { describe, expect, it } from "vitest";
import { bundledContextLoader } from "../src/adapters/bundled-contexts";
import { contextCache } from "../src/domain/contexts";
import type { Entity } from "../src/domain/model";
import { parseAttribute, parseEntity } from "../src/domain/normalize";
import { matches, parseQ } from "../src/domain/query";
import { renderEntity } from "../src/domain/render";
import { describeChange } from "../src/subscriptions/matching";
import { notificationEntry } from "../src/subscriptions/notification";
import { parseSubscription } from "../src/subscriptions/parse";

/**
 * VocabProperty, ListProperty and ListRelationship (clauses 4.5.20 to 4.5.22): how payloads are read,
 * how each representation writes them, and how `q` compares them.
 */
const cache = contextCache(bundledContextLoader);
const DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/";
const EX = "https://example.org/tourism#";
/** A requester's context naming a vocabulary: `Monument` and `ex:` are its terms. */
const LOCAL = { ex: EX, Monument: `${EX}Monument`, category: `${EX}category` };
const core = () => cache.resolve(`t${crypto.randomUUID().slice(0, 8)}`, undefined);
const local = () => cache.resolve(`t${crypto.randomUUID().slice(0, 8)}`, LOCAL);

const whole = { whole: true, partial: false } as const;

describe("reading VocabProperty, ListProperty and ListRelationship", () => {
  it("reads the normalized forms, expanding vocabulary terms and objectType with the @context", async () => {
    // Prepare
    const ctx = await local();
    // Act
    const input = parseEntity(
      {
        id: "urn:ngsi-ld:Place:1",
        type: "Place",
        category: { type: "VocabProperty", vocab: ["Monument", "ex:Museum", "sightseeing"] },
        kind: { type: "VocabProperty", vocab: "Monument", observedAt: "2024-05-01T10:00:00Z" },
        depths: { type: "ListProperty", valueList: [300, "x", { a: 1 }, [1, 2]], unitCode: "MMT" },
        route: {
          type: "ListRelationship",
          objectList: ["urn:ngsi-ld:City:1", { object: "urn:ngsi-ld:City:2" }],
          objectType: "City",
          datasetId: "urn:ngsi-ld:Dataset:a",
          note: { type: "Property", value: "by road" },
        },
      },
      ctx,
      whole,
    );
    // Assess
    expect(input.attrs).toEqual({
      [`${EX}category`]: [
        {
          kind: "set",
          instance: {
            type: "VocabProperty",
            vocab: [`${EX}Monument`, `${EX}Museum`, `${DEFAULT}sightseeing`],
          },
        },
      ],
      [`${DEFAULT}kind`]: [
        {
          kind: "set",
          instance: { type: "VocabProperty", vocab: `${EX}Monument`, observedAt: "2024-05-01T10:00:00Z" },
        },
      ],
      [`${DEFAULT}depths`]: [
        {
          kind: "set",
          instance: { type: "ListProperty", valueList: [300, "x", { a: 1 }, [1, 2]], unitCode: "MMT" },
        },
      ],
      [`${DEFAULT}route`]: [
        {
          kind: "set",
          instance: {
            type: "ListRelationship",
            objectList: ["urn:ngsi-ld:City:1", "urn:ngsi-ld:City:2"],
            objectType: `${DEFAULT}City`,
            datasetId: "urn:ngsi-ld:Dataset:a",
            sub: { [`${DEFAULT}note`]: { type: "Property", value: "by road" } },
          },
        },
      ],
    });
  });

  it("infers the types from the concise forms {vocab}, {valueList}, {objectList}", async () => {
    // Prepare
    const ctx = await core();
    // Act
    const input = parseEntity(
      {
        id: "urn:ngsi-ld:Place:1",
        type: "Place",
        category: { vocab: "monument" },
        depths: { valueList: [1, 2] },
        route: { objectList: [{ object: "urn:ngsi-ld:City:1" }] },
      },
      ctx,
      whole,
    );
    // Assess
    expect(input.attrs).toEqual({
      [`${DEFAULT}category`]: [
        { kind: "set", instance: { type: "VocabProperty", vocab: `${DEFAULT}monument` } },
      ],
      [`${DEFAULT}depths`]: [{ kind: "set", instance: { type: "ListProperty", valueList: [1, 2] } }],
      [`${DEFAULT}route`]: [
        { kind: "set", instance: { type: "ListRelationship", objectList: ["urn:ngsi-ld:City:1"] } },
      ],
    });
  });

  it.each([
    [{ a: { type: "ListProperty", valueList: [1], value: 3 } }, "a.value", 'in "valueList"'],
    [{ a: { type: "ListProperty", value: [1] } }, "a.value", 'in "valueList"'],
    [{ a: { type: "ListProperty", valueList: 3 } }, "a.valueList", "must be an array"],
    [{ a: { type: "ListProperty", valueList: [1, null] } }, "a.valueList[1]", "not null"],
    [{ a: { type: "VocabProperty", vocab: 3 } }, "a.vocab", "vocabulary term"],
    [{ a: { type: "VocabProperty", vocab: ["ok", "not ok"] } }, "a.vocab", "vocabulary term"],
    [{ a: { type: "VocabProperty", value: "x" } }, "a.value", 'in "vocab"'],
    [{ a: { type: "VocabProperty", vocab: "x", unitCode: "MTR" } }, "a.unitCode", "unitCode"],
    [{ a: { type: "ListRelationship", objectList: ["urn:a:1", "no uri"] } }, "a.objectList[1]", "URI"],
    [{ a: { type: "ListRelationship", object: "urn:a:1" } }, "a.object", 'in "objectList"'],
    [{ a: { type: "Property", value: 1, objectType: "City" } }, "a.objectType", "objectType"],
    [{ a: { type: "ListProperty", valueList: ["urn:ngsi-ld:null"] } }, "a.valueList", "NGSI-LD Null"],
  ])("refuses %j naming %s", async (attributes, field, reason) => {
    // Prepare
    const ctx = await core();
    // Act
    const attempt = () => parseEntity({ id: "urn:ngsi-ld:T:1", type: "T", ...attributes }, ctx, whole);
    // Assess
    expect(attempt).toThrow(
      expect.objectContaining({
        errors: expect.arrayContaining([
          expect.objectContaining({ field, reason: expect.stringContaining(reason) }),
        ]),
      }),
    );
  });

  it("reads partial updates, where each type's NGSI-LD Null removes the instance", async () => {
    // Prepare
    const ctx = await core();
    const name = `${DEFAULT}a`;
    // Act
    const patch = parseAttribute({ valueList: [3, 4], unitCode: "urn:ngsi-ld:null" }, name, ctx, true);
    const removals = [
      { vocab: "urn:ngsi-ld:null" },
      { type: "ListProperty", valueList: ["urn:ngsi-ld:null"] },
      { objectList: [{ object: "urn:ngsi-ld:null" }], datasetId: "urn:ds:1" },
      { objectList: "urn:ngsi-ld:null" },
    ].map((body) => parseAttribute(body, name, ctx, true));
    // Assess
    expect(patch).toEqual({
      kind: "patch",
      patch: { type: "ListProperty", valueList: [3, 4], unitCode: null, sub: {} },
    });
    expect(removals).toEqual([
      { kind: "delete" },
      { kind: "delete" },
      { kind: "delete", datasetId: "urn:ds:1" },
      { kind: "delete" },
    ]);
  });
});

describe("writing VocabProperty, ListProperty and ListRelationship", () => {
  const entity: Entity = {
    id: "urn:ngsi-ld:Place:1",
    types: [`${DEFAULT}Place`],
    createdAt: "2024-01-01T00:00:00Z",
    modifiedAt: "2024-01-02T00:00:00Z",
    attrs: {
      [`${EX}category`]: [{ type: "VocabProperty", vocab: [`${EX}Monument`, `${DEFAULT}sightseeing`] }],
      [`${DEFAULT}depths`]: [{ type: "ListProperty", valueList: [300, 120], unitCode: "MMT" }],
      [`${DEFAULT}route`]: [
        {
          type: "ListRelationship",
          objectList: ["urn:ngsi-ld:City:1", "urn:ngsi-ld:City:2"],
          objectType: `${DEFAULT}City`,
        },
        { type: "ListRelationship", objectList: ["urn:ngsi-ld:City:3"], datasetId: "urn:ds:2" },
      ],
    },
  };

  it("writes normalized with vocabulary terms compacted and targets as {object} entries", async () => {
    // Act
    const normalized = renderEntity(entity, await local(), { format: "normalized", sysAttrs: false });
    // Assess
    expect(normalized).toEqual({
      id: "urn:ngsi-ld:Place:1",
      type: "Place",
      category: { type: "VocabProperty", vocab: ["Monument", "sightseeing"] },
      depths: { type: "ListProperty", valueList: [300, 120], unitCode: "MMT" },
      route: [
        {
          type: "ListRelationship",
          objectList: [{ object: "urn:ngsi-ld:City:1" }, { object: "urn:ngsi-ld:City:2" }],
          objectType: "City",
        },
        { type: "ListRelationship", objectList: [{ object: "urn:ngsi-ld:City:3" }], datasetId: "urn:ds:2" },
      ],
    });
  });

  it("writes concise as {vocab}, {valueList}, {objectList} and keyValues as {vocab} and plain lists", async () => {
    // Prepare
    const ctx = await core();
    // Act
    const concise = renderEntity(entity, ctx, { format: "concise", sysAttrs: false });
    const keyValues = renderEntity(entity, ctx, { format: "keyValues", sysAttrs: false });
    // Assess
    expect(concise).toEqual({
      id: "urn:ngsi-ld:Place:1",
      type: "Place",
      [`${EX}category`]: { vocab: [`${EX}Monument`, "sightseeing"] },
      depths: { valueList: [300, 120], unitCode: "MMT" },
      route: [
        {
          objectList: [{ object: "urn:ngsi-ld:City:1" }, { object: "urn:ngsi-ld:City:2" }],
          objectType: "City",
        },
        { objectList: [{ object: "urn:ngsi-ld:City:3" }], datasetId: "urn:ds:2" },
      ],
    });
    expect(keyValues).toEqual({
      id: "urn:ngsi-ld:Place:1",
      type: "Place",
      [`${EX}category`]: { vocab: [`${EX}Monument`, "sightseeing"] },
      depths: [300, 120],
      route: {
        dataset: {
          "@none": ["urn:ngsi-ld:City:1", "urn:ngsi-ld:City:2"],
          "urn:ds:2": ["urn:ngsi-ld:City:3"],
        },
      },
    });
  });

  it("reads back what it writes, in normalized and concise form", async () => {
    // Prepare
    const ctx = await local();
    const written = [
      renderEntity(entity, ctx, { format: "normalized", sysAttrs: false }),
      renderEntity(entity, ctx, { format: "concise", sysAttrs: false }),
    ];
    // Act
    const read = written.map((body) => parseEntity(body, ctx, whole));
    // Assess
    for (const input of read) {
      expect(input.attrs[`${EX}category`]).toEqual([
        { kind: "set", instance: entity.attrs[`${EX}category`]?.[0] },
      ]);
      expect(input.attrs[`${DEFAULT}route`]).toEqual(
        entity.attrs[`${DEFAULT}route`]?.map((instance) => ({ kind: "set", instance })),
      );
    }
  });
});

describe("q on VocabProperty, ListProperty and ListRelationship", () => {
  const entity: Entity = {
    id: "urn:ngsi-ld:Place:1",
    types: [`${DEFAULT}Place`],
    createdAt: "2024-01-01T00:00:00Z",
    modifiedAt: "2024-01-02T00:00:00Z",
    attrs: {
      [`${EX}category`]: [{ type: "VocabProperty", vocab: [`${EX}Monument`, `${DEFAULT}sightseeing`] }],
      [`${DEFAULT}depths`]: [{ type: "ListProperty", valueList: [300, 120] }],
      [`${DEFAULT}route`]: [{ type: "ListRelationship", objectList: ["urn:ngsi-ld:City:1"] }],
    },
  };

  it.each([
    ['category=="Monument"', true],
    ["category==ex:Monument", true],
    [`category=="${EX}Monument"`, true],
    ['category=="sightseeing"', true],
    [`category=="${DEFAULT}sightseeing"`, true],
    ['category=="Museum"', false],
    ['category!="Museum"', true],
    ['category=="Museum","Monument"', true],
    ["category~=Monu", true],
    ["depths==120", true],
    ["depths>250", true],
    ["depths==7", false],
    ["route==urn:ngsi-ld:City:1", true],
    ["route==urn:ngsi-ld:City:2", false],
  ])("evaluates %s as %s", async (text, expected) => {
    // Prepare: `category` and `Monument` are terms of the requester's context; `sightseeing` expands
    // with the core @vocab.
    const ctx = await local();
    // Act
    const matched = matches(entity, {
      selectors: [],
      q: parseQ(ctx, text),
      limit: 20,
      offset: 0,
      count: false,
    });
    // Assess
    expect(matched).toBe(expected);
  });
});

describe("notifications about VocabProperty, ListProperty and ListRelationship", () => {
  const NOW = "2025-06-01T10:00:00.000Z";
  const LATER = "2025-06-01T10:00:05.000Z";
  const before: Entity = {
    id: "urn:ngsi-ld:Place:1",
    types: [`${DEFAULT}Place`],
    createdAt: NOW,
    modifiedAt: NOW,
    attrs: {
      [`${DEFAULT}category`]: [{ type: "VocabProperty", vocab: `${DEFAULT}monument`, modifiedAt: NOW }],
      [`${DEFAULT}depths`]: [{ type: "ListProperty", valueList: [1, 2], modifiedAt: NOW }],
      [`${DEFAULT}route`]: [
        { type: "ListRelationship", objectList: ["urn:ngsi-ld:City:1"], modifiedAt: NOW },
      ],
    },
  };

  it("carries compacted previous terms and lists, and deleted lists as a list of the NGSI-LD Null", async () => {
    // Prepare
    const ctx = await core();
    const subscription = parseSubscription(
      {
        type: "Subscription",
        entities: [{ type: "Place" }],
        notification: { endpoint: { uri: "http://127.0.0.1:4100/n" }, showChanges: true },
      },
      { ctx, contextRef: undefined, tenant: "villamar", network: "private-allowed", now: NOW },
      () => crypto.randomUUID(),
    );
    const change = describeChange(
      before,
      {
        ...before,
        modifiedAt: LATER,
        attrs: {
          [`${DEFAULT}category`]: [{ type: "VocabProperty", vocab: `${DEFAULT}museum`, modifiedAt: LATER }],
          [`${DEFAULT}route`]: [
            { type: "ListRelationship", objectList: ["urn:ngsi-ld:City:2"], modifiedAt: LATER },
          ],
        },
      },
      LATER,
    );
    if (!change) throw new Error("no change");
    // Act
    const entry = notificationEntry(subscription, ctx, change);
    // Assess
    expect(entry).toEqual({
      id: "urn:ngsi-ld:Place:1",
      type: "Place",
      category: { type: "VocabProperty", vocab: "museum", previousVocab: "monument" },
      route: {
        type: "ListRelationship",
        objectList: [{ object: "urn:ngsi-ld:City:2" }],
        previousObjectList: [{ object: "urn:ngsi-ld:City:1" }],
      },
      depths: { type: "ListProperty", valueList: ["urn:ngsi-ld:null"], previousValueList: [1, 2] },
    });
  });
});
