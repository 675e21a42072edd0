import { type ActiveContext, compactTerm } from "../../domain/jsonld";
import {
  type Attribute,
  type AttributeType,
  type Json,
  type JsonObject,
  NGSI_LD_NULL,
} from "../../domain/model";
import { keepsMember, primaryValue, renderEntity, simplified } from "../../domain/render";
import { aggregatable, aggregate, periods, type TimedValue } from "./aggregate";
import { type HistoryInstance, type SeriesRef, type TimeProperty, timeOf } from "./model";
import { MAX_PERIODS, type TemporalRequest } from "./request";

/**
 * The temporal representations of an entity (clause 4.5.7, 4.5.9, 4.5.19): normalized (every instance
 * with its instanceId), simplified (`temporalValues`: `[value, time]` pairs) and aggregated
 * (`[result, periodStart, periodEnd]` per method), with names compacted by the requester's @context.
 */
export interface TemporalEntityData {
  readonly id: string;
  readonly types: readonly string[];
  readonly createdAt?: string;
  readonly modifiedAt?: string;
  readonly deletedAt?: string;
  readonly series: ReadonlyArray<{ readonly ref: SeriesRef; readonly instances: readonly HistoryInstance[] }>;
}

const VALUES_MEMBER: Record<AttributeType, string> = {
  Property: "values",
  GeoProperty: "values",
  Relationship: "objects",
  LanguageProperty: "languageMaps",
  JsonProperty: "jsons",
  VocabProperty: "vocabs",
  ListProperty: "valueLists",
  ListRelationship: "objectLists",
};

const typeOf = (instance: HistoryInstance): AttributeType =>
  instance.content.kind === "value" ? instance.content.attribute.type : instance.content.type;

/** The NGSI-LD Null in the shape of an attribute type's primary member. */
function nullMember(type: AttributeType): JsonObject {
  switch (type) {
    case "Property":
    case "GeoProperty":
      return { value: NGSI_LD_NULL };
    case "Relationship":
      return { object: NGSI_LD_NULL };
    case "LanguageProperty":
      return { languageMap: { "@none": NGSI_LD_NULL } };
    case "JsonProperty":
      return { json: NGSI_LD_NULL };
    case "VocabProperty":
      return { vocab: NGSI_LD_NULL };
    case "ListProperty":
      return { valueList: [NGSI_LD_NULL] };
    case "ListRelationship":
      return { objectList: [{ object: NGSI_LD_NULL }] };
  }
}

/** One attribute instance in normalized form, as the entity API writes attributes. */
function renderAttribute(ctx: ActiveContext, name: string, attribute: Attribute): JsonObject {
  const rendered = renderEntity(
    { id: "", types: [], createdAt: "", modifiedAt: "", attrs: { [name]: [attribute] } },
    ctx,
    { format: "normalized", sysAttrs: false },
  )[compactTerm(ctx, name)];
  return typeof rendered === "object" && rendered !== null && !Array.isArray(rendered) ? rendered : {};
}

function normalizedInstance(ctx: ActiveContext, instance: HistoryInstance, sysAttrs: boolean): JsonObject {
  const out: JsonObject =
    instance.content.kind === "value"
      ? renderAttribute(ctx, instance.attr, instance.content.attribute)
      : {
          type: instance.content.type,
          ...nullMember(instance.content.type),
          ...(instance.datasetId === undefined ? {} : { datasetId: instance.datasetId }),
        };
  out.instanceId = instance.instanceId;
  if (sysAttrs) {
    out.createdAt = instance.createdAt;
    out.modifiedAt = instance.modifiedAt;
  }
  if (instance.deletedAt !== undefined) out.deletedAt = instance.deletedAt;
  return out;
}

/**
 * The value of a temporalValues pair: the instance in simplified form, as the entity API's keyValues
 * writes it (a LanguageProperty, JsonProperty or VocabProperty as `{"languageMap"|"json"|"vocab": …}`);
 * a deleted instance is the NGSI-LD Null in that same shape.
 */
function pairValue(ctx: ActiveContext, instance: HistoryInstance): Json {
  if (instance.content.kind === "value") return simplified(ctx, instance.content.attribute, {});
  switch (instance.content.type) {
    case "LanguageProperty":
    case "JsonProperty":
    case "VocabProperty":
      return nullMember(instance.content.type);
    default:
      return NGSI_LD_NULL;
  }
}

/** The value an instance contributes to an aggregation: bare, vocabulary terms compacted. */
function simpleValue(ctx: ActiveContext, instance: HistoryInstance): Json {
  if (instance.content.kind === "deleted") return NGSI_LD_NULL;
  const attribute = instance.content.attribute;
  // Vocabulary terms are stored expanded; the requester reads them compacted, as in the entity API.
  return attribute.type === "VocabProperty" ? primaryValue(ctx, attribute) : aggregatable(attribute);
}

function perDataset(ref: SeriesRef, body: JsonObject): JsonObject {
  return ref.datasetId === undefined ? body : { ...body, datasetId: ref.datasetId };
}

const single = (items: JsonObject[]): Json => (items.length === 1 && items[0] ? items[0] : items);

function aggregatedSeries(
  ctx: ActiveContext,
  ref: SeriesRef,
  instances: readonly HistoryInstance[],
  request: TemporalRequest,
): JsonObject | undefined {
  const aggregation = request.aggregation;
  const last = instances.at(-1);
  if (!aggregation || !last) return undefined;
  const values: TimedValue[] = instances.flatMap((instance) => {
    const time = timeOf(instance, request.property);
    return instance.content.kind === "value" && time !== undefined
      ? [{ time, value: simpleValue(ctx, instance) }]
      : [];
  });
  const times = values.map((v) => v.time).sort();
  const first = times[0];
  const latest = times.at(-1);
  if (first === undefined || latest === undefined) return undefined;
  const start = request.window.from?.time ?? first;
  const end = request.window.before ?? latest;
  let spans = periods(start, end, aggregation.duration, MAX_PERIODS);
  if (request.lastN !== undefined) {
    // The last N periods that hold a value.
    const used = spans.filter((s) => values.some((v) => v.time >= s.start && v.time < s.end));
    spans = spans.length === 1 ? spans : used.slice(-request.lastN);
  }
  const results = aggregate(values, aggregation.methods, spans);
  const body: JsonObject = { type: typeOf(last) };
  for (const [method, triples] of results) body[method] = triples;
  return perDataset(ref, body);
}

/** Orders instances by the time property the request uses (instances lacking it are left out). */
export function orderByProperty(
  instances: readonly HistoryInstance[],
  request: Pick<TemporalRequest, "property">,
): HistoryInstance[] {
  return instances
    .filter((i) => timeOf(i, request.property) !== undefined)
    .sort((a, b) => {
      const ta = timeOf(a, request.property) ?? "";
      const tb = timeOf(b, request.property) ?? "";
      return ta < tb ? -1 : ta > tb ? 1 : a.instanceId < b.instanceId ? -1 : 1;
    });
}

/**
 * The time of a temporalValues pair: an instance's observedAt as it was written, like the normalized
 * representation answers it (the series keeps it normalized to UTC milliseconds only to order and
 * select); instances without one, and the other time properties, give the broker's time.
 */
function pairTime(instance: HistoryInstance, property: TimeProperty): string {
  if (property === "observedAt" && instance.content.kind === "value") {
    const written = instance.content.attribute.observedAt;
    if (written !== undefined) return written;
  }
  return timeOf(instance, property) ?? "";
}

export function renderTemporalEntity(
  ctx: ActiveContext,
  data: TemporalEntityData,
  request: TemporalRequest,
): JsonObject {
  const types = data.types.map((t) => compactTerm(ctx, t));
  const out: JsonObject = {};
  if (keepsMember(request, "id")) out.id = data.id;
  if (keepsMember(request, "type")) out.type = types.length === 1 ? (types[0] ?? "") : types;
  // The entity's system members go with the whole entity, not with a pick (as renderEntity does).
  if (request.sysAttrs && request.pick === undefined) {
    if (data.createdAt !== undefined) out.createdAt = data.createdAt;
    if (data.modifiedAt !== undefined) out.modifiedAt = data.modifiedAt;
    if (data.deletedAt !== undefined) out.deletedAt = data.deletedAt;
  }
  const byName = new Map<string, Array<{ ref: SeriesRef; instances: HistoryInstance[] }>>();
  for (const { ref, instances } of data.series) {
    if (!keepsMember(request, ref.attr)) continue;
    const ordered = orderByProperty(instances, request);
    if (ordered.length === 0) continue;
    byName.set(ref.attr, [...(byName.get(ref.attr) ?? []), { ref, instances: ordered }]);
  }
  for (const [name, series] of byName) {
    const key = compactTerm(ctx, name);
    switch (request.format) {
      case "normalized":
        out[key] = series
          .flatMap((s) => s.instances)
          .sort((a, b) => {
            const ta = timeOf(a, request.property) ?? "";
            const tb = timeOf(b, request.property) ?? "";
            return ta < tb ? -1 : ta > tb ? 1 : 0;
          })
          .map((instance) => normalizedInstance(ctx, instance, request.sysAttrs));
        break;
      case "temporalValues":
        out[key] = single(
          series.flatMap(({ ref, instances }) => {
            const last = instances.at(-1);
            if (!last) return [];
            const type = typeOf(last);
            const pairs: Json[] = instances.map((i) => [pairValue(ctx, i), pairTime(i, request.property)]);
            return [perDataset(ref, { type, [VALUES_MEMBER[type]]: pairs })];
          }),
        );
        break;
      case "aggregatedValues":
        out[key] = single(
          series.flatMap(({ ref, instances }) => {
            const body = aggregatedSeries(ctx, ref, instances, request);
            return body ? [body] : [];
          }),
        );
        break;
    }
  }
  return out;
}
