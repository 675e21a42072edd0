import { canonicalJson, type TEMPORAL_AGGREGATION_METHODS } from "@sdp/contracts";
import type { Attribute, Json } from "../../domain/model";
import { addDuration, type Duration, isZero } from "./duration";

/**
 * Aggregated temporal representation (clause 4.5.19): per attribute and aggregation period, each
 * requested method's result as `[value, periodStart, periodEnd]`.
 *
 * - `totalCount`: instances in the period; `distinctCount`: distinct values.
 * - `sum`, `avg`, `sumsq`, `stddev`: over numbers (booleans count as 1 and 0; other values are left out);
 *   `stddev` is the sample standard deviation (n - 1; 0 for a single value).
 * - `min`, `max`: over numbers, else over strings (date-times compare as text, ISO 8601 sorts so).
 * A method with nothing to work on in a period (e.g. `avg` of strings) gives no triple for it.
 */
export type AggregationMethod = (typeof TEMPORAL_AGGREGATION_METHODS)[number];

export interface TimedValue {
  readonly time: string;
  readonly value: Json;
}

export type Triple = [Json, string, string];

export interface Period {
  readonly start: string;
  readonly end: string;
}

/** The value an instance contributes to aggregations: its value, object, language map or JSON. */
export function aggregatable(attribute: Attribute): Json {
  switch (attribute.type) {
    case "Property":
      return attribute.value;
    case "GeoProperty":
      return attribute.value;
    case "Relationship":
      return attribute.object;
    case "LanguageProperty":
      return attribute.languageMap;
    case "JsonProperty":
      return attribute.json;
    case "VocabProperty":
      return attribute.vocab;
    case "ListProperty":
      return attribute.valueList;
    case "ListRelationship":
      return attribute.objectList;
  }
}

const numeric = (value: Json): number | undefined =>
  typeof value === "number" && Number.isFinite(value)
    ? value
    : typeof value === "boolean"
      ? value
        ? 1
        : 0
      : undefined;

/** One method over the values of one period; undefined when it has nothing to work on. */
export function aggregateValues(method: AggregationMethod, values: readonly Json[]): Json | undefined {
  if (method === "totalCount") return values.length;
  if (method === "distinctCount") return new Set(values.map((v) => canonicalJson(v))).size;
  const numbers = values.flatMap((v) => {
    const n = numeric(v);
    return n === undefined ? [] : [n];
  });
  switch (method) {
    case "sum":
      return numbers.length === 0 ? undefined : numbers.reduce((a, b) => a + b, 0);
    case "sumsq":
      return numbers.length === 0 ? undefined : numbers.reduce((a, b) => a + b * b, 0);
    case "avg":
      return numbers.length === 0 ? undefined : numbers.reduce((a, b) => a + b, 0) / numbers.length;
    case "stddev": {
      if (numbers.length === 0) return undefined;
      if (numbers.length === 1) return 0;
      const mean = numbers.reduce((a, b) => a + b, 0) / numbers.length;
      const squares = numbers.reduce((a, b) => a + (b - mean) ** 2, 0);
      return Math.sqrt(squares / (numbers.length - 1));
    }
    case "min":
    case "max": {
      const pick = (a: number, b: number) => (method === "min" ? Math.min(a, b) : Math.max(a, b));
      if (numbers.length > 0) return numbers.reduce(pick);
      const strings = values.filter((v): v is string => typeof v === "string");
      if (strings.length === 0) return undefined;
      return strings.reduce((a, b) => ((method === "min" ? b < a : b > a) ? b : a));
    }
  }
}

/**
 * The aggregation periods over `[start, end]`: one period when the duration is zero, else consecutive
 * periods of the duration from `start`, the last one reaching past `end` if need be.
 */
export function periods(start: string, end: string, duration: Duration, maxPeriods: number): Period[] {
  if (isZero(duration) || end < start) return [{ start, end }];
  const out: Period[] = [];
  const from = new Date(start);
  for (let i = 0; out.length < maxPeriods; i++) {
    const periodStart = addDuration(from, duration, i);
    const periodEnd = addDuration(from, duration, i + 1);
    if (periodEnd.getTime() <= periodStart.getTime()) break;
    out.push({ start: periodStart.toISOString(), end: periodEnd.toISOString() });
    if (periodEnd.toISOString() > end) break;
  }
  return out;
}

/**
 * Aggregates timed values (sorted by time) over the periods: for each method, the triples of the
 * periods that have a result. A value belongs to the period whose `[start, end)` holds its time (the
 * single period of a zero duration holds both its ends).
 */
export function aggregate(
  values: readonly TimedValue[],
  methods: readonly AggregationMethod[],
  spans: readonly Period[],
): Map<AggregationMethod, Triple[]> {
  const result = new Map<AggregationMethod, Triple[]>(methods.map((m) => [m, []]));
  const single = spans.length === 1;
  for (const span of spans) {
    const inside = values
      .filter((v) => v.time >= span.start && (v.time < span.end || (single && v.time === span.end)))
      .map((v) => v.value);
    if (inside.length === 0) continue;
    for (const method of methods) {
      const value = aggregateValues(method, inside);
      if (value !== undefined) result.get(method)?.push([value, span.start, span.end]);
    }
  }
  return result;
}
