import { type ActiveContext, compactTerm } from "./jsonld";
import { type Attribute, type Entity, type Json, type JsonObject, type LanguageMap, LOCATION } from "./model";

/**
 * Writes entities out in the representation a requester asks for (clause 4.5): normalized, concise
 * or simplified (keyValues), or as GeoJSON, with names compacted by the requester's @context.
 */
export type Format = "normalized" | "concise" | "keyValues";

export interface LanguagePreference {
  /** Language ranges in order of preference; `*` accepts any language. */
  readonly ranges: readonly string[];
}

export interface View {
  readonly format: Format;
  readonly sysAttrs: boolean;
  readonly lang?: LanguagePreference;
  /** Expanded attribute names to include (`attrs`, `pick`); `id`, `type` and `scope` for those members. */
  readonly pick?: ReadonlySet<string>;
  readonly omit?: ReadonlySet<string>;
  /** The datasetIds of the attribute instances to keep (`datasetId`); `@none` is the default instance. */
  readonly datasets?: ReadonlySet<string>;
}

export const DEFAULT_VIEW: View = { format: "normalized", sysAttrs: false };

/** Parses `lang=fr,en;q=0.8,*;q=0.1` into ranges by descending quality. */
export function parseLanguagePreference(text: string): LanguagePreference | undefined {
  const ranges = text
    .split(",")
    .map((part, index) => {
      const [range = "", ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([01](\.\d{1,3})?)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { range: range.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.range !== "" && /^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$/.test(r.range) && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((r) => r.range);
  return ranges.length > 0 ? { ranges } : undefined;
}

/** The best entry of a language map for a preference: exact tag, then primary subtag, then @none, then any. */
export function chooseLanguage(
  map: LanguageMap,
  preference: LanguagePreference,
): { tag: string; value: string | string[] } {
  const entries = Object.entries(map);
  for (const range of preference.ranges) {
    if (range === "*") break;
    const lower = range.toLowerCase();
    const exact = entries.find(([tag]) => tag.toLowerCase() === lower);
    if (exact) return { tag: exact[0], value: exact[1] };
    const partial = entries.find(([tag]) => tag.toLowerCase().split("-")[0] === lower.split("-")[0]);
    if (partial) return { tag: partial[0], value: partial[1] };
  }
  const none = map["@none"];
  if (none !== undefined) return { tag: "@none", value: none };
  const [first] = entries;
  return first ? { tag: first[0], value: first[1] } : { tag: "@none", value: "" };
}

/** Whether a projection (`pick`, `omit`, or `attrs` as a pick) keeps an entity member. */
export const keepsMember = (view: Pick<View, "pick" | "omit">, member: string) =>
  (view.pick === undefined || view.pick.has(member)) && !(view.omit?.has(member) ?? false);

/** The instances of an attribute the view keeps: all of them, or those of the datasets it names. */
const selectedInstances = (view: View, instances: readonly Attribute[]): readonly Attribute[] =>
  view.datasets === undefined
    ? instances
    : instances.filter((attribute) => view.datasets?.has(attribute.datasetId ?? "@none"));

function compactTypes(ctx: ActiveContext, types: readonly string[]): Json {
  const compacted = types.map((t) => compactTerm(ctx, t));
  return compacted.length === 1 ? (compacted[0] ?? "") : compacted;
}

const compactVocab = (ctx: ActiveContext, vocab: string | string[]): Json =>
  typeof vocab === "string" ? compactTerm(ctx, vocab) : vocab.map((term) => compactTerm(ctx, term));

/**
 * The content of an attribute's primary member as the normalized form writes it: vocabulary terms
 * compacted, a ListRelationship's targets as `{"object": URI}` entries (clause 4.5.22).
 */
export function primaryValue(ctx: ActiveContext, attribute: Attribute): Json {
  switch (attribute.type) {
    case "Property":
    case "GeoProperty":
      return attribute.value;
    case "Relationship":
      return attribute.object;
    case "LanguageProperty":
      return attribute.languageMap;
    case "JsonProperty":
      return attribute.json;
    case "VocabProperty":
      return compactVocab(ctx, attribute.vocab);
    case "ListProperty":
      return attribute.valueList;
    case "ListRelationship":
      return attribute.objectList.map((object) => ({ object }));
  }
}

/**
 * An attribute instance in simplified form (clause 4.5.3): the bare value, except that a
 * LanguageProperty, JsonProperty and VocabProperty keep their primary member as a one-member object
 * (`{"languageMap": …}`, `{"json": …}`, `{"vocab": …}`) so they stay distinguishable from a Property;
 * a LanguageProperty narrowed by `lang` is the chosen string.
 */
export function simplified(ctx: ActiveContext, attribute: Attribute, view: Pick<View, "lang">): Json {
  switch (attribute.type) {
    case "Property":
      return attribute.value;
    case "GeoProperty":
      return attribute.value;
    case "Relationship":
      return attribute.object;
    case "JsonProperty":
      return { json: attribute.json };
    case "LanguageProperty":
      return view.lang
        ? chooseLanguage(attribute.languageMap, view.lang).value
        : { languageMap: attribute.languageMap };
    case "VocabProperty":
      return { vocab: compactVocab(ctx, attribute.vocab) };
    case "ListProperty":
      return attribute.valueList;
    case "ListRelationship":
      return attribute.objectList;
  }
}

function instance(ctx: ActiveContext, attribute: Attribute, view: View, top: boolean): Json {
  if (view.format === "keyValues") return simplified(ctx, attribute, view);
  const out: JsonObject = {};
  const concise = view.format === "concise";
  const languageChosen = attribute.type === "LanguageProperty" && view.lang !== undefined;
  if (!concise) out.type = languageChosen ? "Property" : attribute.type;
  switch (attribute.type) {
    case "Property":
    case "GeoProperty":
      out.value = attribute.value;
      break;
    case "Relationship":
      out.object = attribute.object;
      if (attribute.objectType !== undefined) out.objectType = compactTerm(ctx, attribute.objectType);
      break;
    case "JsonProperty":
      out.json = attribute.json;
      break;
    case "LanguageProperty":
      if (view.lang) {
        const chosen = chooseLanguage(attribute.languageMap, view.lang);
        out.value = chosen.value;
        out.lang = chosen.tag;
      } else out.languageMap = attribute.languageMap;
      break;
    case "VocabProperty":
      out.vocab = primaryValue(ctx, attribute);
      break;
    case "ListProperty":
      out.valueList = attribute.valueList;
      break;
    case "ListRelationship":
      out.objectList = primaryValue(ctx, attribute);
      if (attribute.objectType !== undefined) out.objectType = compactTerm(ctx, attribute.objectType);
      break;
  }
  if (attribute.observedAt !== undefined) out.observedAt = attribute.observedAt;
  if (
    (attribute.type === "Property" || attribute.type === "ListProperty") &&
    attribute.unitCode !== undefined
  )
    out.unitCode = attribute.unitCode;
  if (attribute.datasetId !== undefined) out.datasetId = attribute.datasetId;
  if (view.sysAttrs && top) {
    if (attribute.createdAt !== undefined) out.createdAt = attribute.createdAt;
    if (attribute.modifiedAt !== undefined) out.modifiedAt = attribute.modifiedAt;
  }
  for (const [name, sub] of Object.entries(attribute.sub ?? {})) {
    out[compactTerm(ctx, name)] = instance(ctx, sub, view, false);
  }
  // Concise drops the wrapper of a plain Property value when nothing else needs the object.
  if (
    concise &&
    attribute.type === "Property" &&
    Object.keys(out).length === 1 &&
    (typeof attribute.value !== "object" || attribute.value === null || Array.isArray(attribute.value))
  ) {
    return attribute.value;
  }
  return out;
}

function renderAttribute(ctx: ActiveContext, instances: readonly Attribute[], view: View): Json {
  if (view.format === "keyValues") {
    const first = instances[0];
    if (instances.length === 1 && first && first.datasetId === undefined) return simplified(ctx, first, view);
    const dataset: JsonObject = {};
    for (const attribute of instances)
      dataset[attribute.datasetId ?? "@none"] = simplified(ctx, attribute, view);
    return { dataset };
  }
  const rendered = instances.map((attribute) => {
    const json = instance(ctx, attribute, view, true);
    // Inside an array a bare value would read as an array-valued Property: keep the object.
    return instances.length > 1 && (typeof json !== "object" || json === null || Array.isArray(json))
      ? { value: json }
      : json;
  });
  return rendered.length === 1 ? (rendered[0] ?? null) : rendered;
}

/**
 * Whether a projection leaves anything of the entity to answer (clause 5.7.1.4 answers ResourceNotFound
 * otherwise). With `attrs`, only the attributes count: `id` and `type` are always kept.
 */
export function projectsAnything(entity: Entity, view: View, byAttrs: boolean): boolean {
  const names = Object.entries(entity.attrs).flatMap(([name, instances]) =>
    instances.length > 0 ? [name] : [],
  );
  return projectsAnyMember(names, view, byAttrs);
}

/** `projectsAnything` for an entity known by the (expanded) names of its attributes. */
export function projectsAnyMember(
  attributes: Iterable<string>,
  view: Pick<View, "pick" | "omit">,
  byAttrs: boolean,
): boolean {
  for (const name of attributes) if (keepsMember(view, name)) return true;
  return !byAttrs && (keepsMember(view, "id") || keepsMember(view, "type"));
}

export function renderEntity(entity: Entity, ctx: ActiveContext, view: View): JsonObject {
  const out: JsonObject = {};
  if (keepsMember(view, "id")) out.id = entity.id;
  if (keepsMember(view, "type")) out.type = compactTypes(ctx, entity.types);
  // The scope is an entity member, not an attribute: the same in every representation (clause 4.18).
  if (entity.scope && entity.scope.length > 0 && keepsMember(view, "scope"))
    out.scope = entity.scope.length === 1 ? (entity.scope[0] ?? "") : [...entity.scope];
  if (view.sysAttrs && view.format !== "keyValues" && view.pick === undefined) {
    out.createdAt = entity.createdAt;
    out.modifiedAt = entity.modifiedAt;
  }
  for (const [name, all] of Object.entries(entity.attrs)) {
    const instances = selectedInstances(view, all);
    if (!keepsMember(view, name) || instances.length === 0) continue;
    out[compactTerm(ctx, name)] = renderAttribute(ctx, instances, view);
  }
  return out;
}

/** The entity as a GeoJSON Feature (clause 4.5.16): geometry from `geometryProperty` (default location). */
export function renderFeature(
  entity: Entity,
  ctx: ActiveContext,
  view: View,
  geometryProperty: string = LOCATION,
): JsonObject {
  const { id: _id, ...properties } = renderEntity(entity, ctx, view);
  const instances = entity.attrs[geometryProperty] ?? [];
  const geo =
    instances.find((a) => a.type === "GeoProperty" && a.datasetId === undefined) ??
    instances.find((a) => a.type === "GeoProperty");
  return {
    id: entity.id,
    type: "Feature",
    geometry: geo?.type === "GeoProperty" ? geo.value : null,
    properties,
  };
}
