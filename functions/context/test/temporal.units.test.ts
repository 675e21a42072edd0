import { describe, expect, it } from "vitest";
import { EMPTY_CONTEXT } from "../src/domain/jsonld";
import type { Attribute, Entity } from "../src/domain/model";
import { NGSI_LD_NULL } from "../src/domain/model";
import { aggregate, aggregateValues, periods } from "../src/temporal/domain/aggregate";
import { addDuration, parseDuration } from "../src/temporal/domain/duration";
import {
  diffEntity,
  instanceIdOf,
  normalizeTime,
  parseInstanceId,
  valueInstance,
} from "../src/temporal/domain/instances";
import type { HistoryInstance } from "../src/temporal/domain/model";
import { type Observations, planObservations } from "../src/temporal/domain/observations";
import { renderTemporalEntity } from "../src/temporal/domain/render";
import { parseTemporalQueryBody, parseTemporalRequest } from "../src/temporal/domain/request";
import { uniqueId } from "./support";

const TEMPERATURE = "https://example.org/temperature";
const NAME = "https://example.org/name";
const TYPE = "https://example.org/Sensor";

function entity(id: string, attrs: Entity["attrs"], modifiedAt = "2024-05-01T10:00:00.000Z"): Entity {
  return { id, types: [TYPE], createdAt: "2024-05-01T09:00:00.000Z", modifiedAt, attrs };
}

const reading = (value: number, observedAt: string, modifiedAt = observedAt): Attribute => ({
  type: "Property",
  value,
  observedAt,
  unitCode: "CEL",
  createdAt: "2024-05-01T09:00:00.000Z",
  modifiedAt,
});

const failure = (work: () => unknown) => {
  try {
    work();
    return undefined;
  } catch (error) {
    return error;
  }
};

describe("attribute instance ids", () => {
  it("derive from the series, the time and the content only, and carry their time", () => {
    // Prepare
    const series = { entityId: uniqueId("Sensor"), attr: TEMPERATURE };
    const attribute = reading(21.5, "2024-05-01T10:00:00Z");
    // Act
    const first = valueInstance(series, attribute, "2024-05-01T10:00:01.000Z");
    const again = valueInstance(
      series,
      { ...attribute, modifiedAt: "2030-01-01T00:00:00Z" },
      "2031-01-01T00:00:00.000Z",
    );
    const other = valueInstance(series, reading(22, "2024-05-01T10:00:00Z"), "2024-05-01T10:00:01.000Z");
    const parsed = parseInstanceId(first.instanceId);
    // Assess
    expect(again.instanceId).toBe(first.instanceId);
    expect(other.instanceId).not.toBe(first.instanceId);
    expect(first.time).toBe("2024-05-01T10:00:00.000Z");
    expect(parsed?.time).toBe("2024-05-01T10:00:00.000Z");
    expect(first.instanceId).toMatch(/^urn:ngsi-ld:AttributeInstance:20240501T100000000Z-[0-9a-f]{24}$/);
    expect(parseInstanceId("urn:ngsi-ld:AttributeInstance:nonsense")).toBeUndefined();
  });

  it("differ between datasets of the same attribute", () => {
    // Prepare
    const id = uniqueId("Sensor");
    const content = { kind: "value" as const, attribute: reading(1, "2024-05-01T10:00:00Z") };
    // Act
    const plain = instanceIdOf({ entityId: id, attr: TEMPERATURE }, "2024-05-01T10:00:00.000Z", content);
    const dataset = instanceIdOf(
      { entityId: id, attr: TEMPERATURE, datasetId: "urn:ngsi-ld:Dataset:a" },
      "2024-05-01T10:00:00.000Z",
      content,
    );
    // Assess
    expect(plain).not.toBe(dataset);
  });

  it("normalize times so that they sort as text", () => {
    // Act
    const times = ["2024-05-01T12:00:00+02:00", "2024-05-01T09:59:59.5Z", "not a time"].map(normalizeTime);
    // Assess
    expect(times).toEqual(["2024-05-01T10:00:00.000Z", "2024-05-01T09:59:59.500Z", undefined]);
  });
});

describe("diffing an entity's old and new image", () => {
  it("records new and changed attributes, registers new series, and ignores untouched ones", () => {
    // Prepare
    const id = uniqueId("Sensor");
    const name: Attribute = {
      type: "Property",
      value: "North",
      createdAt: "x",
      modifiedAt: "2024-05-01T09:00:00.000Z",
    };
    const before = entity(id, { [TEMPERATURE]: [reading(20, "2024-05-01T09:00:00Z")], [NAME]: [name] });
    const after = entity(id, {
      [TEMPERATURE]: [reading(21, "2024-05-01T10:00:00Z", "2024-05-01T10:00:02.000Z")],
      [NAME]: [name],
      "https://example.org/humidity": [
        {
          type: "Property",
          value: 40,
          observedAt: "2024-05-01T10:00:00Z",
          modifiedAt: "2024-05-01T10:00:02.000Z",
        },
      ],
    });
    // Act
    const changes = diffEntity(id, before, after, "2024-05-01T10:00:03.000Z");
    // Assess
    expect(changes.instances.map((i) => [i.attr, i.time, i.createdAt])).toEqual([
      [TEMPERATURE, "2024-05-01T10:00:00.000Z", "2024-05-01T10:00:02.000Z"],
      ["https://example.org/humidity", "2024-05-01T10:00:00.000Z", "2024-05-01T10:00:02.000Z"],
    ]);
    expect(changes.series).toEqual([{ entityId: id, attr: "https://example.org/humidity" }]);
    expect(changes.head).toMatchObject({ kind: "present", types: [TYPE] });
  });

  it("records a removed attribute as deleted at the entity's modification", () => {
    // Prepare
    const id = uniqueId("Sensor");
    const before = entity(id, { [TEMPERATURE]: [reading(20, "2024-05-01T09:00:00Z")] });
    const after = entity(id, {}, "2024-05-01T11:00:00.000Z");
    // Act
    const changes = diffEntity(id, before, after, "2024-05-01T11:00:01.000Z");
    // Assess
    expect(changes.instances).toHaveLength(1);
    expect(changes.instances[0]).toMatchObject({
      content: { kind: "deleted", type: "Property" },
      time: "2024-05-01T11:00:00.000Z",
      deletedAt: "2024-05-01T11:00:00.000Z",
    });
    expect(changes.head).toBeUndefined();
  });

  it("records the deletion of every attribute and of the entity when the entity is deleted", () => {
    // Prepare
    const id = uniqueId("Sensor");
    const before = entity(id, {
      [TEMPERATURE]: [reading(20, "2024-05-01T09:00:00Z")],
      [NAME]: [{ type: "Property", value: "North" }],
    });
    // Act
    const changes = diffEntity(id, before, undefined, "2024-05-01T12:00:00Z");
    // Assess
    expect(changes.instances.map((i) => i.content.kind)).toEqual(["deleted", "deleted"]);
    expect(changes.head).toEqual({ kind: "deleted", at: "2024-05-01T12:00:00.000Z" });
  });

  it("yields the same instances for the same change, so a redelivery rewrites the same items", () => {
    // Prepare
    const id = uniqueId("Sensor");
    const after = entity(id, { [TEMPERATURE]: [reading(21, "2024-05-01T10:00:00Z")] });
    // Act
    const first = diffEntity(id, undefined, after, "2024-05-01T10:00:01Z");
    const second = diffEntity(id, undefined, after, "2024-05-01T10:07:00Z");
    // Assess
    expect(second).toEqual(first);
  });
});

describe("ISO 8601 durations", () => {
  it("parse the forms aggrPeriodDuration takes and refuse others", () => {
    // Act
    const parsed = ["PT1H", "P1DT12H", "P1W", "PT0.5S", "P1Y2M", "PT0S"].map(parseDuration);
    const refused = ["", "P", "PT", "1H", "P1H", "PT1D", "P-1D"].map(parseDuration);
    // Assess
    expect(
      parsed.map((d) => d && [d.years, d.months, d.weeks, d.days, d.hours, d.minutes, d.seconds]),
    ).toEqual([
      [0, 0, 0, 0, 1, 0, 0],
      [0, 0, 0, 1, 12, 0, 0],
      [0, 0, 1, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0.5],
      [1, 2, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0],
    ]);
    expect(refused.every((d) => d === undefined)).toBe(true);
  });

  it("add calendar months to the last day of shorter months", () => {
    // Prepare
    const month = parseDuration("P1M");
    const hour = parseDuration("PT1H30M");
    // Act
    const february = month && addDuration(new Date("2024-01-31T10:00:00Z"), month);
    const later = hour && addDuration(new Date("2024-01-31T23:00:00Z"), hour, 2);
    // Assess
    expect(february?.toISOString()).toBe("2024-02-29T10:00:00.000Z");
    expect(later?.toISOString()).toBe("2024-02-01T02:00:00.000Z");
  });
});

describe("aggregation", () => {
  it("computes every method over numbers", () => {
    // Prepare
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    // Act
    const results = Object.fromEntries(
      (["totalCount", "distinctCount", "sum", "avg", "min", "max", "stddev", "sumsq"] as const).map((m) => [
        m,
        aggregateValues(m, values),
      ]),
    );
    // Assess
    expect(results).toMatchObject({
      totalCount: 8,
      distinctCount: 5,
      sum: 40,
      avg: 5,
      min: 2,
      max: 9,
      sumsq: 232,
    });
    expect(results.stddev).toBeCloseTo(Math.sqrt(32 / 7), 10);
  });

  it("counts booleans as 1 and 0, compares strings, and has nothing to say about the average of text", () => {
    // Act
    const booleans = aggregateValues("sum", [true, false, true]);
    const words = [aggregateValues("min", ["b", "a", "c"]), aggregateValues("max", ["b", "a", "c"])];
    const average = aggregateValues("avg", ["b", "a"]);
    const single = aggregateValues("stddev", [3]);
    // Assess
    expect(booleans).toBe(2);
    expect(words).toEqual(["a", "c"]);
    expect(average).toBeUndefined();
    expect(single).toBe(0);
  });

  it("splits a window into periods and aggregates each, leaving out empty periods", () => {
    // Prepare
    const hour = parseDuration("PT1H");
    if (!hour) throw new Error("PT1H did not parse");
    const spans = periods("2024-05-01T10:00:00.000Z", "2024-05-01T12:30:00.000Z", hour, 100);
    const values = [
      { time: "2024-05-01T10:00:00.000Z", value: 10 },
      { time: "2024-05-01T10:59:59.999Z", value: 20 },
      { time: "2024-05-01T12:15:00.000Z", value: 40 },
    ];
    // Act
    const result = aggregate(values, ["avg", "totalCount"], spans);
    // Assess
    expect(spans).toHaveLength(3);
    expect(result.get("avg")).toEqual([
      [15, "2024-05-01T10:00:00.000Z", "2024-05-01T11:00:00.000Z"],
      [40, "2024-05-01T12:00:00.000Z", "2024-05-01T13:00:00.000Z"],
    ]);
    expect(result.get("totalCount")?.map((t) => t[0])).toEqual([2, 1]);
  });
});

describe("temporal query parameters", () => {
  const normalized = { format: "normalized" as const, sysAttrs: false };

  it("turn timerel into a window: before and after exclude timeAt, between includes its start", () => {
    // Act
    const before = parseTemporalRequest({ timerel: "before", timeAt: "2024-05-01T10:00:00Z" }, normalized);
    const after = parseTemporalRequest({ timerel: "after", timeAt: "2024-05-01T12:00:00+02:00" }, normalized);
    const between = parseTemporalRequest(
      { timerel: "between", timeAt: "2024-05-01T10:00:00Z", endTimeAt: "2024-05-01T11:00:00Z", lastN: "3" },
      normalized,
    );
    // Assess
    expect(before.window).toEqual({ before: "2024-05-01T10:00:00.000Z" });
    expect(after.window).toEqual({ from: { time: "2024-05-01T10:00:00.000Z", inclusive: false } });
    expect(between.window).toEqual({
      from: { time: "2024-05-01T10:00:00.000Z", inclusive: true },
      before: "2024-05-01T11:00:00.000Z",
    });
    expect(between.lastN).toBe(3);
  });

  it("refuse incomplete or contradictory windows, naming every problem", () => {
    // Act
    const error = failure(() =>
      parseTemporalRequest(
        { timerel: "between", timeAt: "yesterday", timeproperty: "updatedAt", lastN: "0" },
        normalized,
      ),
    );
    const reversed = failure(() =>
      parseTemporalRequest(
        { timerel: "between", timeAt: "2024-05-02T00:00:00Z", endTimeAt: "2024-05-01T00:00:00Z" },
        normalized,
      ),
    );
    const dangling = failure(() => parseTemporalRequest({ timeAt: "2024-05-01T00:00:00Z" }, normalized));
    // Assess
    expect(error).toMatchObject({
      status: 400,
      code: "BadRequestData",
      errors: [
        { field: "query.timeAt" },
        { field: "query.endTimeAt" },
        { field: "query.timeproperty" },
        { field: "query.lastN" },
      ],
    });
    expect(reversed).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/endTimeAt: must be after timeAt/),
    });
    expect(dangling).toMatchObject({ status: 400, detail: expect.stringMatching(/timeAt: needs timerel/) });
  });

  it("require aggregation methods with aggregatedValues, and a valid duration", () => {
    // Prepare
    const aggregated = { format: "aggregatedValues" as const, sysAttrs: false };
    // Act
    const missing = failure(() => parseTemporalRequest({}, aggregated));
    const unknown = failure(() =>
      parseTemporalRequest({ aggrMethods: "avg,median", aggrPeriodDuration: "1h" }, aggregated),
    );
    const stray = failure(() => parseTemporalRequest({ aggrMethods: "avg" }, normalized));
    const good = parseTemporalRequest({ aggrMethods: "avg,max,avg", aggrPeriodDuration: "PT1H" }, aggregated);
    // Assess
    expect(missing).toMatchObject({ detail: expect.stringMatching(/aggrMethods: is required/) });
    expect(unknown).toMatchObject({ detail: expect.stringMatching(/median: not one of/) });
    expect(unknown).toMatchObject({
      detail: expect.stringMatching(/aggrPeriodDuration: must be an ISO 8601 duration/),
    });
    expect(stray).toMatchObject({ detail: expect.stringMatching(/only allowed with aggregatedValues/) });
    expect(good.aggregation?.methods).toEqual(["avg", "max"]);
  });

  it("read pick and omit from a Query body, naming the body member when they conflict", () => {
    // Prepare
    const query = { type: "Query", entities: [{ type: "Sensor" }] };
    // Act
    const picked = parseTemporalQueryBody(
      EMPTY_CONTEXT,
      { ...query, pick: ["id", TEMPERATURE] },
      {},
      normalized,
    );
    const withAttrs = failure(() =>
      parseTemporalQueryBody(EMPTY_CONTEXT, { ...query, attrs: [TEMPERATURE], omit: ["id"] }, {}, normalized),
    );
    const empty = failure(() =>
      parseTemporalQueryBody(EMPTY_CONTEXT, { ...query, pick: [] }, {}, normalized),
    );
    // Assess
    expect(picked.temporal.pick).toEqual(new Set(["id", TEMPERATURE]));
    expect(picked.temporal.omit).toBeUndefined();
    expect(withAttrs).toMatchObject({
      status: 400,
      code: "BadRequestData",
      errors: [{ field: "body.omit" }],
    });
    expect(empty).toMatchObject({ status: 400, code: "BadRequestData", errors: [{ field: "body.pick" }] });
  });
});

describe("planning observations against the stored entity", () => {
  const observations = (
    id: string,
    observed: Observations["observed"],
    extra: Partial<Observations> = {},
  ) => ({
    entityId: id,
    types: [TYPE],
    observed,
    receivedAt: "2024-05-01T10:05:00.000Z",
    recordAll: false,
    ...extra,
  });

  it("replaces the current value with a newer observation and leaves history to the stream", () => {
    // Prepare
    const id = uniqueId("Sensor");
    const stored = entity(id, { [TEMPERATURE]: [reading(20, "2024-05-01T09:00:00Z")] });
    // Act
    const plan = planObservations(
      observations(id, {
        [TEMPERATURE]: [{ type: "Property", value: 22, observedAt: "2024-05-01T10:00:00Z" }],
      }),
      stored,
      "2024-05-01T10:05:01.000Z",
    );
    // Assess
    expect(plan.changed).toBe(true);
    expect(plan.direct).toEqual([]);
    expect(plan.entity.attrs[TEMPERATURE]?.[0]).toMatchObject({
      value: 22,
      createdAt: "2024-05-01T09:00:00.000Z",
    });
  });

  it("keeps the current value against an older observation, which goes straight to history", () => {
    // Prepare
    const id = uniqueId("Sensor");
    const stored = entity(id, {
      [TEMPERATURE]: [reading(20, "2024-05-01T09:00:00Z")],
      [NAME]: [{ type: "Property", value: "North" }],
    });
    // Act
    const plan = planObservations(
      observations(
        id,
        { [TEMPERATURE]: [{ type: "Property", value: 18, observedAt: "2024-05-01T08:00:00Z" }] },
        { statics: { [NAME]: { type: "Property", value: "Old name" } } },
      ),
      stored,
      "2024-05-01T10:05:01.000Z",
    );
    // Assess
    expect(plan.changed).toBe(false);
    expect(plan.entity.attrs[TEMPERATURE]?.[0]).toMatchObject({ value: 20 });
    expect(plan.entity.attrs[NAME]?.[0]).toMatchObject({ value: "North" });
    expect(plan.direct.map((i) => [i.time, i.createdAt])).toEqual([
      ["2024-05-01T08:00:00.000Z", "2024-05-01T10:05:00.000Z"],
    ]);
  });

  it("creates the entity from its first observation, with its static attributes", () => {
    // Prepare
    const id = uniqueId("Sensor");
    // Act
    const plan = planObservations(
      observations(
        id,
        { [TEMPERATURE]: [{ type: "Property", value: 22, observedAt: "2024-05-01T10:00:00Z" }] },
        { statics: { [NAME]: { type: "Property", value: "North" } } },
      ),
      undefined,
      "2024-05-01T10:05:01.000Z",
    );
    // Assess
    expect(plan.changed).toBe(true);
    expect(plan.entity).toMatchObject({ id, types: [TYPE], createdAt: "2024-05-01T10:05:01.000Z" });
    expect(Object.keys(plan.entity.attrs).sort()).toEqual([NAME, TEMPERATURE].sort());
  });
});

describe("temporal representations", () => {
  const id = "urn:ngsi-ld:Sensor:render";
  const series = { entityId: id, attr: TEMPERATURE };
  const instances: HistoryInstance[] = [
    valueInstance(series, reading(20, "2024-05-01T10:00:00Z"), "2024-05-01T10:00:01.000Z"),
    valueInstance(series, reading(24, "2024-05-01T11:00:00Z"), "2024-05-01T11:00:01.000Z"),
  ];
  const data = { id, types: [TYPE], series: [{ ref: series, instances: [...instances].reverse() }] };

  it("render every instance with its instanceId, oldest first", () => {
    // Act
    const body = renderTemporalEntity(
      EMPTY_CONTEXT,
      data,
      parseTemporalRequest({}, { format: "normalized", sysAttrs: false }),
    );
    // Assess
    expect(body).toEqual({
      id,
      type: TYPE,
      [TEMPERATURE]: instances.map((i) => ({
        type: "Property",
        value:
          i.content.kind === "value" && i.content.attribute.type === "Property"
            ? i.content.attribute.value
            : null,
        observedAt: i.content.kind === "value" ? i.content.attribute.observedAt : "",
        unitCode: "CEL",
        instanceId: i.instanceId,
      })),
    });
  });

  it("render temporalValues as [value, observedAt as written] pairs and deletions as the NGSI-LD Null", () => {
    // Prepare
    const deleted: HistoryInstance = {
      ...series,
      instanceId: "urn:ngsi-ld:AttributeInstance:20240501T120000000Z-000000000000000000000000",
      time: "2024-05-01T12:00:00.000Z",
      content: { kind: "deleted", type: "Property" },
      createdAt: "2024-05-01T12:00:00.000Z",
      modifiedAt: "2024-05-01T12:00:00.000Z",
      deletedAt: "2024-05-01T12:00:00.000Z",
    };
    // Act
    const body = renderTemporalEntity(
      EMPTY_CONTEXT,
      { ...data, series: [{ ref: series, instances: [...instances, deleted] }] },
      parseTemporalRequest({}, { format: "temporalValues", sysAttrs: false }),
    );
    // Assess
    expect(body[TEMPERATURE]).toEqual({
      type: "Property",
      values: [
        // The normalized representation answers these observedAt as written; the pairs do too.
        [20, "2024-05-01T10:00:00Z"],
        [24, "2024-05-01T11:00:00Z"],
        // A deletion has no observedAt of its own: the time the broker placed it at.
        [NGSI_LD_NULL, "2024-05-01T12:00:00.000Z"],
      ],
    });
  });

  it("render temporalValues of a LanguageProperty and a JsonProperty as keyValues does: {languageMap}, {json}", () => {
    // Prepare
    const labels = { entityId: id, attr: "https://example.org/label" };
    const settings = { entityId: id, attr: "https://example.org/settings" };
    const label = valueInstance(
      labels,
      {
        type: "LanguageProperty",
        languageMap: { fr: "Capteur", en: "Sensor" },
        observedAt: "2024-05-01T10:00:00Z",
      },
      "2024-05-01T10:00:01.000Z",
    );
    const labelDeleted: HistoryInstance = {
      ...labels,
      instanceId: "urn:ngsi-ld:AttributeInstance:20240501T120000000Z-000000000000000000000001",
      time: "2024-05-01T12:00:00.000Z",
      content: { kind: "deleted", type: "LanguageProperty" },
      createdAt: "2024-05-01T12:00:00.000Z",
      modifiedAt: "2024-05-01T12:00:00.000Z",
      deletedAt: "2024-05-01T12:00:00.000Z",
    };
    const setting = valueInstance(
      settings,
      { type: "JsonProperty", json: { mode: "eco", limits: [30, 50] }, observedAt: "2024-05-01T10:00:00Z" },
      "2024-05-01T10:00:01.000Z",
    );
    // Act
    const body = renderTemporalEntity(
      EMPTY_CONTEXT,
      {
        id,
        types: [TYPE],
        series: [
          { ref: labels, instances: [label, labelDeleted] },
          { ref: settings, instances: [setting] },
        ],
      },
      parseTemporalRequest({}, { format: "temporalValues", sysAttrs: false }),
    );
    // Assess
    expect(body[labels.attr]).toEqual({
      type: "LanguageProperty",
      languageMaps: [
        [{ languageMap: { fr: "Capteur", en: "Sensor" } }, "2024-05-01T10:00:00Z"],
        [{ languageMap: { "@none": NGSI_LD_NULL } }, "2024-05-01T12:00:00.000Z"],
      ],
    });
    expect(body[settings.attr]).toEqual({
      type: "JsonProperty",
      jsons: [[{ json: { mode: "eco", limits: [30, 50] } }, "2024-05-01T10:00:00Z"]],
    });
  });

  it("render only the members pick keeps, without the entity's system members", () => {
    // Prepare
    const names = { entityId: id, attr: NAME };
    const name = valueInstance(names, { type: "Property", value: "Harbour" }, "2024-05-01T10:00:01.000Z");
    const both = {
      ...data,
      createdAt: "2024-05-01T09:00:00.000Z",
      series: [...data.series, { ref: names, instances: [name] }],
    };
    const pick = { format: "normalized" as const, sysAttrs: true, pick: new Set(["id", NAME]) };
    const omit = { format: "temporalValues" as const, sysAttrs: true, omit: new Set(["id", NAME]) };
    // Act
    const picked = renderTemporalEntity(EMPTY_CONTEXT, both, parseTemporalRequest({}, pick));
    const omitted = renderTemporalEntity(EMPTY_CONTEXT, both, parseTemporalRequest({}, omit));
    // Assess
    expect(Object.keys(picked).sort()).toEqual([NAME, "id"].sort());
    expect(Object.keys(omitted).sort()).toEqual([TEMPERATURE, "createdAt", "type"].sort());
    expect(omitted[TEMPERATURE]).toMatchObject({
      type: "Property",
      values: [
        [20, "2024-05-01T10:00:00Z"],
        [24, "2024-05-01T11:00:00Z"],
      ],
    });
  });

  it("render aggregatedValues as [result, start, end] triples over the window", () => {
    // Act
    const body = renderTemporalEntity(
      EMPTY_CONTEXT,
      data,
      parseTemporalRequest(
        {
          timerel: "between",
          timeAt: "2024-05-01T10:00:00Z",
          endTimeAt: "2024-05-01T12:00:00Z",
          aggrMethods: "avg,max",
          aggrPeriodDuration: "PT0S",
        },
        { format: "aggregatedValues", sysAttrs: false },
      ),
    );
    // Assess
    expect(body[TEMPERATURE]).toEqual({
      type: "Property",
      avg: [[22, "2024-05-01T10:00:00.000Z", "2024-05-01T12:00:00.000Z"]],
      max: [[24, "2024-05-01T10:00:00.000Z", "2024-05-01T12:00:00.000Z"]],
    });
  });
});
