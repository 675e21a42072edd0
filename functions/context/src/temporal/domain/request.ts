import {
  type InvalidField,
  NgsiTemporalQuery,
  TEMPORAL_AGGREGATION_METHODS,
  TEMPORAL_TIME_PROPERTIES,
} from "@sdp/contracts";
import { invalidData } from "../../domain/errors";
import type { ActiveContext } from "../../domain/jsonld";
import { type Projection, parseProjection } from "../../domain/projection";
import { type EntityQuery, parseQueryBody } from "../../domain/query";
import type { AggregationMethod } from "./aggregate";
import { type Duration, parseDuration } from "./duration";
import { normalizeTime } from "./instances";
import type { TimeProperty, TimeWindow } from "./model";

/**
 * The temporal part of a request (clause 4.11 and 5.2.21): which instances (`timerel`, `timeAt`,
 * `endTimeAt` on `timeproperty`, `lastN`) and how they are represented (normalized, `temporalValues`,
 * `aggregatedValues` with `aggrMethods` over periods of `aggrPeriodDuration`).
 *
 * - `before`: time < timeAt; `after`: time > timeAt; `between`: timeAt <= time < endTimeAt.
 * - Without `timerel`, every retained instance.
 */
export type TemporalFormat = "normalized" | "temporalValues" | "aggregatedValues";

export interface Aggregation {
  readonly methods: readonly AggregationMethod[];
  readonly duration: Duration;
  /** As given (default `PT0S`): one period over the whole window. */
  readonly durationText: string;
}

/**
 * `pick` and `omit` (clause 4.21) project the temporal representation as they do an entity: only the
 * histories of the attributes they keep are read, and `id`/`type` are kept or dropped like members.
 */
export interface TemporalRequest extends Projection {
  readonly property: TimeProperty;
  readonly window: TimeWindow;
  /** The window's ends as given (normalized), to bound aggregation periods. */
  readonly timeAt?: string;
  readonly endTimeAt?: string;
  readonly lastN?: number;
  readonly format: TemporalFormat;
  readonly sysAttrs: boolean;
  readonly aggregation?: Aggregation;
}

export interface TemporalParameters {
  readonly timerel?: string;
  readonly timeAt?: string;
  readonly endTimeAt?: string;
  readonly timeproperty?: string;
  readonly lastN?: string | number;
  readonly aggrMethods?: string;
  readonly aggrPeriodDuration?: string;
}

/** Most aggregation periods one attribute is split into. */
export const MAX_PERIODS = 10_000;

const isTimeProperty = (text: string): text is TimeProperty =>
  (TEMPORAL_TIME_PROPERTIES as readonly string[]).includes(text);
const isMethod = (text: string): text is AggregationMethod =>
  (TEMPORAL_AGGREGATION_METHODS as readonly string[]).includes(text);

/** How instances are represented: the format, system attributes and the projection of members. */
export interface TemporalRepresentation extends Projection {
  readonly format: TemporalFormat;
  readonly sysAttrs: boolean;
}

export function parseTemporalRequest(
  p: TemporalParameters,
  representation: TemporalRepresentation,
  where = "query",
): TemporalRequest {
  const problems: InvalidField[] = [];
  const bad = (field: string, reason: string) => {
    problems.push({ field: `${where}.${field}`, reason });
    return undefined;
  };
  const time = (field: "timeAt" | "endTimeAt", text: string | undefined) => {
    if (text === undefined) return undefined;
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text))
      return bad(field, "must be an ISO 8601 date-time such as 2024-05-01T10:00:00Z");
    return normalizeTime(text) ?? bad(field, "is not a date-time between the years 0 and 9999");
  };
  const timeAt = time("timeAt", p.timeAt);
  const endTimeAt = time("endTimeAt", p.endTimeAt);
  let window: TimeWindow = {};
  switch (p.timerel) {
    case undefined:
      if (p.timeAt !== undefined) bad("timeAt", "needs timerel (before, after or between)");
      if (p.endTimeAt !== undefined) bad("endTimeAt", "needs timerel=between");
      break;
    case "before":
    case "after":
      if (p.timeAt === undefined) bad("timeAt", `is required with timerel=${p.timerel}`);
      if (p.endTimeAt !== undefined) bad("endTimeAt", "is only allowed with timerel=between");
      if (timeAt !== undefined)
        window = p.timerel === "before" ? { before: timeAt } : { from: { time: timeAt, inclusive: false } };
      break;
    case "between":
      if (p.timeAt === undefined) bad("timeAt", "is required with timerel=between");
      if (p.endTimeAt === undefined) bad("endTimeAt", "is required with timerel=between");
      if (timeAt !== undefined && endTimeAt !== undefined) {
        if (endTimeAt <= timeAt) bad("endTimeAt", "must be after timeAt");
        window = { from: { time: timeAt, inclusive: true }, before: endTimeAt };
      }
      break;
    default:
      bad("timerel", `${JSON.stringify(p.timerel)} is not one of before, after, between`);
  }
  let property: TimeProperty = "observedAt";
  if (p.timeproperty !== undefined) {
    if (isTimeProperty(p.timeproperty)) property = p.timeproperty;
    else bad("timeproperty", `must be one of ${TEMPORAL_TIME_PROPERTIES.join(", ")}`);
  }
  let lastN: number | undefined;
  if (p.lastN !== undefined) {
    const text = String(p.lastN);
    if (!/^[1-9]\d{0,5}$/.test(text)) bad("lastN", "must be a positive integer (at most 999999)");
    else lastN = Number(text);
  }
  let aggregation: Aggregation | undefined;
  if (representation.format === "aggregatedValues") {
    const methods = (p.aggrMethods ?? "")
      .split(",")
      .map((m) => m.trim())
      .filter((m) => m !== "");
    if (methods.length === 0) bad("aggrMethods", "is required with aggregatedValues");
    const unknown = methods.filter((m) => !isMethod(m));
    if (unknown.length > 0)
      bad("aggrMethods", `${unknown.join(", ")}: not one of ${TEMPORAL_AGGREGATION_METHODS.join(", ")}`);
    const durationText = p.aggrPeriodDuration ?? "PT0S";
    const duration = parseDuration(durationText);
    if (!duration) bad("aggrPeriodDuration", "must be an ISO 8601 duration such as PT1H, P1D or P1M");
    if (duration && methods.length > 0 && unknown.length === 0) {
      aggregation = { methods: [...new Set(methods.filter(isMethod))], duration, durationText };
    }
  } else {
    if (p.aggrMethods !== undefined) bad("aggrMethods", "is only allowed with aggregatedValues");
    if (p.aggrPeriodDuration !== undefined)
      bad("aggrPeriodDuration", "is only allowed with aggregatedValues");
  }
  if (problems.length > 0) throw invalidData(problems, "invalid temporal query");
  return {
    property,
    window,
    ...(timeAt === undefined ? {} : { timeAt }),
    ...(endTimeAt === undefined ? {} : { endTimeAt }),
    ...(lastN === undefined ? {} : { lastN }),
    format: representation.format,
    sysAttrs: representation.sysAttrs,
    ...(aggregation ? { aggregation } : {}),
    ...(representation.pick ? { pick: representation.pick } : {}),
    ...(representation.omit ? { omit: representation.omit } : {}),
  };
}

/**
 * The body of `POST /temporal/entityOperations/query`: a Query (entities, attrs, pick, omit, q, geoQ)
 * with its `temporalQ`; the representation and aggregation come from the query string, as with GET.
 */
export function parseTemporalQueryBody(
  ctx: ActiveContext,
  body: unknown,
  p: { limit?: string; offset?: string; count?: string; aggrMethods?: string; aggrPeriodDuration?: string },
  representation: Omit<TemporalRepresentation, "pick" | "omit">,
): { selection: EntityQuery; temporal: TemporalRequest; attrs?: string } {
  const parsed = NgsiTemporalQuery.safeParse(body);
  if (!parsed.success) {
    throw invalidData(
      parsed.error.issues.map((issue) => ({
        field: ["body", ...issue.path.map(String)].join("."),
        reason:
          issue.code === "unrecognized_keys" ? `unknown members ${issue.keys.join(", ")}` : issue.message,
      })),
      "invalid query",
    );
  }
  const { temporalQ, ...query } = parsed.data;
  const { request, projection } = parseQueryBody(ctx, query, p);
  // pick and omit are members of the Query (clause 5.2.23), so their problems name the body.
  const members = parseProjection(ctx, projection, "body");
  const temporal = parseTemporalRequest(
    {
      ...(temporalQ ?? {}),
      ...(p.aggrMethods === undefined ? {} : { aggrMethods: p.aggrMethods }),
      ...(p.aggrPeriodDuration === undefined ? {} : { aggrPeriodDuration: p.aggrPeriodDuration }),
    },
    { ...representation, ...members },
    "body.temporalQ",
  );
  return {
    selection: request,
    temporal,
    ...(projection.attrs === undefined ? {} : { attrs: projection.attrs }),
  };
}
