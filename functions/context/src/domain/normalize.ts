import type { InvalidField } from "@sdp/contracts";
import { parseDateTime } from "./datetime";
import { invalidData } from "./errors";
import { isGeometryLike, parseGeometry } from "./geo";
import { type ActiveContext, expandTerm } from "./jsonld";
import {
  ATTRIBUTE_TYPES,
  type Attribute,
  type AttributePatch,
  type AttributeType,
  type AttributeUpdate,
  type EntityInput,
  GEO_PROPERTY_NAMES,
  type Json,
  type LanguageMap,
  NGSI_LD,
  NGSI_LD_NULL,
  SCOPE,
} from "./model";
import { parseScopes } from "./scope";

/**
 * Reads NGSI-LD payloads (normalized or concise, clause 4.5) into the internal model, expanding every
 * attribute and type name with the request's @context. Every problem found is reported, each with the
 * member it concerns, so a client fixes a payload in one round.
 */
export interface ParseOptions {
  /** `id` and `type` must be present (creation); otherwise the payload is a fragment. */
  readonly whole: boolean;
  /** Members may be left out and the NGSI-LD Null removes them (merge, partial update). */
  readonly partial: boolean;
  /**
   * Whole attributes, but the NGSI-LD Null removes an attribute or one of its instances (Update Entity
   * Attributes, clause 5.6.2). Implied by `partial`.
   */
  readonly nulls?: boolean;
  /** The id the path names: a body id must match it. */
  readonly expectedId?: string;
}

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]+$/;
/**
 * Characters that show as nothing, or as something else, wherever an id is read (logs, consoles, UIs):
 * controls, format characters (bidi overrides, zero-width space, BOM), separators (no-break, line),
 * default-ignorable ones (variation selectors, Hangul fillers), the blank Braille pattern, lone
 * surrogates and noncharacters. RFC 3987 lets some into an IRI; an id carrying one cannot be told
 * apart from another id, so it identifies no entity (clause 4.5.1).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Z}\p{Cs}\p{Default_Ignorable_Code_Point}\u2800\uFDD0-\uFDEF]/u;
const isNoncharacter = (codePoint: number) => (codePoint & 0xfffe) === 0xfffe;
const NAME = /^[^\s<>"'=;()[\]\\]+$/;
/** Entity type names start with a letter (clause 4.6.2: `name = unicodeLetter *nameChar`); IRIs do too. */
const TYPE_NAME_START = /^\p{L}/u;
const MAX_NAME_LENGTH = 512;
const MAX_ID_LENGTH = 1024;
const MAX_DEPTH = 6;

/**
 * Members the broker maintains itself: accepted in attributes and ignored (clause 5.2.2), so a client
 * may send back what it read, temporal instances included.
 */
const SYSTEM_MEMBERS = new Set(["createdAt", "modifiedAt", "deletedAt", "instanceId"]);
const SYSTEM_IRIS = new Set([...SYSTEM_MEMBERS].map((m) => `${NGSI_LD}${m}`));
/** The same at the entity level, where `instanceId` means nothing and names no attribute (clause 4.5.1). */
const IGNORED_MEMBERS = new Set(["createdAt", "modifiedAt", "deletedAt"]);
const IGNORED_IRIS = new Set([...IGNORED_MEMBERS].map((m) => `${NGSI_LD}${m}`));
/** The members of an entity that are no attributes: its id and type (also as JSON-LD keywords), its @context. */
const ENTITY_KEYWORDS = new Set(["id", "type", "@id", "@type", "@context"]);
/**
 * Expanded names of the members NGSI-LD gives entities and attributes — the primary members, the
 * `previous…` members of notifications (clause 5.2.14), `entity`/`entityList` of linked-entity retrieval
 * — so they can never name an attribute or a sub-attribute (clauses 4.5.1, 4.5.2.2, 4.5.3.2).
 */
const RESERVED_IRIS = new Set(
  [
    "hasValue",
    "hasObject",
    "hasObjectType",
    "hasLanguageMap",
    "hasJSON",
    "hasVocab",
    "hasValueList",
    "hasObjectList",
    "hasPreviousValue",
    "hasPreviousObject",
    "hasPreviousLanguageMap",
    "hasPreviousJson",
    "hasPreviousVocab",
    "hasPreviousValueList",
    "hasPreviousObjectList",
    "entity",
    "entityList",
    "datasetId",
    "instanceId",
    "observedAt",
    "unitCode",
    "scope",
    "lang",
  ].map((m) => `${NGSI_LD}${m}`),
);
/**
 * Member names that later core contexts define (the sealing members of ngsildproof) but the V1.8 core
 * context does not, so they are recognised as written: a client's @context cannot make them attributes
 * either, as the core context, processed last, would win once it defines them.
 */
const RESERVED_KEYS = new Set(["entityIdSealed", "entityTypeSealed"]);

/** Why a member (`key`, expanded to `name`) cannot be an attribute, or undefined when it can. */
function reservedName(key: string, name: string): string | undefined {
  if (name.startsWith("@")) return `${key} names a JSON-LD keyword`;
  if (RESERVED_IRIS.has(name) || SYSTEM_IRIS.has(name) || RESERVED_KEYS.has(key))
    return `${key} is a reserved NGSI-LD member name`;
  return undefined;
}

const PRIMARY: Record<AttributeType, string> = {
  Property: "value",
  GeoProperty: "value",
  Relationship: "object",
  LanguageProperty: "languageMap",
  JsonProperty: "json",
  VocabProperty: "vocab",
  ListProperty: "valueList",
  ListRelationship: "objectList",
};
const INSTANCE_KEYS = [
  "type",
  "value",
  "object",
  "languageMap",
  "json",
  "vocab",
  "valueList",
  "objectList",
  "datasetId",
];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const typeName = (value: unknown) =>
  value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;

/** Why a value cannot identify an entity (or a dataset), or undefined when it is a URI that can. */
export function uriProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `must be a URI, not ${typeName(value)}`;
  if (value.length > MAX_ID_LENGTH) return `must not be longer than ${MAX_ID_LENGTH} characters`;
  const hidden = [...value].find((c) => INVISIBLE.test(c) || isNoncharacter(c.codePointAt(0) ?? 0));
  if (hidden !== undefined) {
    const code = (hidden.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
    return `contains the invisible character U+${code}, which would make it look like another id`;
  }
  if (!URI.test(value))
    return `must be a URI (such as urn:ngsi-ld:Type:local-id), not ${JSON.stringify(value)}`;
  return undefined;
}

export const isUri = (value: unknown): value is string => uriProblem(value) === undefined;

export function checkName(name: string): string | undefined {
  if (name === "") return "an attribute name must not be empty";
  if (name.length > MAX_NAME_LENGTH)
    return `an attribute name must not be longer than ${MAX_NAME_LENGTH} characters`;
  if (!NAME.test(name))
    return "an attribute name must not contain whitespace or any of < > \" ' = ; ( ) [ ] \\";
  return undefined;
}

class Collector {
  readonly errors: InvalidField[] = [];
  add(field: string, reason: string): undefined {
    this.errors.push({ field, reason });
    return undefined;
  }
}

/** The attribute type a payload names, accepting `Property`, `ngsi-ld:Property` or the full IRI. */
function attributeType(ctx: ActiveContext, raw: string): AttributeType | undefined {
  const expanded = expandTerm(ctx, raw);
  for (const type of ATTRIBUTE_TYPES) if (expanded === `${NGSI_LD}${type}`) return type;
  return undefined;
}

function languageMap(value: unknown, field: string, out: Collector): LanguageMap | undefined {
  if (!isObject(value) || Object.keys(value).length === 0)
    return out.add(field, "must be a non-empty object of language tags");
  const map: LanguageMap = {};
  for (const [tag, text] of Object.entries(value)) {
    if (tag !== "@none" && !/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag)) {
      out.add(`${field}.${tag}`, "is not a BCP 47 language tag");
    } else if (typeof text === "string") {
      map[tag] = text;
    } else if (Array.isArray(text) && text.length > 0 && text.every((t) => typeof t === "string")) {
      map[tag] = text;
    } else {
      out.add(`${field}.${tag}`, "must be a string or an array of strings");
    }
  }
  return map;
}

function relationshipObject(value: unknown, field: string, out: Collector): string | string[] | undefined {
  if (isUri(value)) return value;
  if (Array.isArray(value) && value.length > 0 && value.every(isUri)) return value;
  return out.add(field, `must be a URI or a non-empty array of URIs, not ${typeName(value)}`);
}

/** VocabProperty terms (clause 4.5.20), expanded with the @context like entity types. */
function vocabTerms(ctx: ActiveContext, value: unknown, field: string, out: Collector) {
  const valid = (term: unknown): term is string => typeof term === "string" && checkName(term) === undefined;
  if (valid(value)) return expandTerm(ctx, value);
  if (Array.isArray(value) && value.length > 0 && value.every(valid))
    return value.map((term) => expandTerm(ctx, term));
  return out.add(field, "must be a vocabulary term or a non-empty array of them");
}

/** A JsonProperty's content (clause 4.5.24): a JSON object, or an array of JSON objects, kept verbatim. */
function jsonContent(value: unknown, field: string, out: Collector): Json | undefined {
  if (isObject(value) || (Array.isArray(value) && value.every(isObject))) return value as Json;
  const given = Array.isArray(value) ? "an array holding other values" : typeName(value);
  return out.add(field, `must be a JSON object or an array of JSON objects, not ${given}`);
}

/** A ListProperty's values (clause 4.5.21): an ordered array of Property values. */
function valueList(value: unknown, field: string, out: Collector): Json[] | undefined {
  if (!Array.isArray(value)) return out.add(field, `must be an array, not ${typeName(value)}`);
  const problem = value.findIndex((item) => item === null || item === NGSI_LD_NULL);
  if (problem >= 0) return out.add(`${field}[${problem}]`, "must be a value, not null");
  return value as Json[];
}

/** A ListRelationship's targets (clause 4.5.22): URIs, each bare or as `{"object": URI}`. */
function objectList(value: unknown, field: string, out: Collector): string[] | undefined {
  if (!Array.isArray(value)) return out.add(field, `must be an array, not ${typeName(value)}`);
  const targets: string[] = [];
  value.forEach((item, index) => {
    const target = isObject(item) && Object.keys(item).length === 1 ? item.object : item;
    if (isUri(target)) targets.push(target);
    else out.add(`${field}[${index}]`, 'must be a URI or {"object": URI}');
  });
  return targets.length === value.length ? targets : undefined;
}

/** The NGSI-LD Null in the shape of a primary member (clause 4.5.0), which removes the attribute. */
function isNullMember(key: string, value: unknown): boolean {
  if (value === NGSI_LD_NULL) return true;
  if (key === "languageMap") return isObject(value) && value["@none"] === NGSI_LD_NULL;
  if (key !== "valueList" && key !== "objectList" && key !== "vocab") return false;
  if (!Array.isArray(value) || value.length !== 1) return false;
  const [only] = value;
  return only === NGSI_LD_NULL || (key === "objectList" && isObject(only) && only.object === NGSI_LD_NULL);
}

interface Where {
  readonly ctx: ActiveContext;
  readonly out: Collector;
  readonly partial: boolean;
  /** The NGSI-LD Null may remove a top-level attribute (instance). */
  readonly nulls: boolean;
  readonly depth: number;
}

/** Merges and partial updates remove anything with the NGSI-LD Null; attribute updates whole attributes. */
const nullRemoves = (where: Where) => where.partial || (where.nulls && where.depth === 0);

/** Reads one attribute instance, in normalized or concise form. */
function instance(given: unknown, name: string, field: string, where: Where): AttributeUpdate | undefined {
  const { ctx, out, partial } = where;
  const raw = isObject(given) ? withTypeKeyword(given, ctx, field, out) : given;
  if (raw === undefined) return undefined;
  if (raw === NGSI_LD_NULL) {
    return nullRemoves(where)
      ? { kind: "delete" }
      : out.add(field, `the NGSI-LD Null (${NGSI_LD_NULL}) is only allowed in merges and partial updates`);
  }
  if (raw === null) return out.add(field, `must not be null (to remove it in a merge, use ${NGSI_LD_NULL})`);
  if (!isObject(raw)) {
    if (GEO_PROPERTY_NAMES.has(name))
      return out.add(field, "must be a GeoProperty with a GeoJSON geometry value");
    return { kind: "set", instance: { type: "Property", value: raw as Json } };
  }
  let type: AttributeType | undefined;
  if ("type" in raw) {
    const given = raw.type;
    if (typeof given !== "string")
      return out.add(`${field}.type`, `must be a string, not ${typeName(given)}`);
    const known = attributeType(ctx, given);
    if (known === undefined) {
      // A bare GeoJSON geometry (a common concise shortcut) rather than an attribute object.
      if (isGeometryLike(raw) && !("value" in raw)) return geoShortcut(raw, field, where);
      return out.add(
        `${field}.type`,
        `${JSON.stringify(given)} is not an NGSI-LD attribute type (${ATTRIBUTE_TYPES.join(", ")})`,
      );
    }
    type = known;
  } else if ("object" in raw) type = "Relationship";
  else if ("languageMap" in raw) type = "LanguageProperty";
  else if ("json" in raw) type = "JsonProperty";
  else if ("vocab" in raw) type = "VocabProperty";
  else if ("valueList" in raw) type = "ListProperty";
  else if ("objectList" in raw) type = "ListRelationship";
  else if ("value" in raw && !partial) type = geometryValued(raw.value) ? "GeoProperty" : "Property";
  else if (
    !partial &&
    !Object.keys(raw).some((k) => INSTANCE_KEYS.includes(k) || k === "observedAt" || k === "unitCode")
  ) {
    // A concise Property whose value is a JSON object.
    if (GEO_PROPERTY_NAMES.has(name))
      return out.add(field, "must be a GeoProperty with a GeoJSON geometry value");
    return { kind: "set", instance: { type: "Property", value: raw as Json } };
  }
  if (type !== undefined && type !== "GeoProperty" && GEO_PROPERTY_NAMES.has(name)) {
    return out.add(
      `${field}.type`,
      `the NGSI-LD ${field.split(".").at(-1)} attribute must be a GeoProperty, not a ${type}`,
    );
  }
  const patch = members(raw, type, field, where);
  if (patch === undefined) return undefined;
  if (patch === "delete")
    return { kind: "delete", ...(typeof raw.datasetId === "string" ? { datasetId: raw.datasetId } : {}) };
  if (partial) return { kind: "patch", patch };
  const complete = toAttribute(patch);
  if (!complete) return out.add(field, `has no ${PRIMARY[patch.type ?? "Property"]}`);
  return { kind: "set", instance: complete };
}

/**
 * An attribute may name its type as `@type` (clause 4.4). Only when that names an NGSI-LD attribute type:
 * `{"@type": "DateTime", "@value": …}` is a JSON-LD typed value, the content of a concise Property.
 */
function withTypeKeyword(
  raw: Record<string, unknown>,
  ctx: ActiveContext,
  field: string,
  out: Collector,
): Record<string, unknown> | undefined {
  const { "@type": keyword, ...rest } = raw;
  if (typeof keyword !== "string" || attributeType(ctx, keyword) === undefined) return raw;
  if ("type" in raw) return out.add(`${field}.@type`, "give type or @type, not both");
  return { type: keyword, ...rest };
}

function geoShortcut(raw: Record<string, unknown>, field: string, where: Where): AttributeUpdate | undefined {
  const geometry = parseGeometry(raw);
  if (!geometry.ok) return where.out.add(field, geometry.reason);
  const patch: AttributePatch = { type: "GeoProperty", value: geometry.geometry, sub: {} };
  return where.partial
    ? { kind: "patch", patch }
    : { kind: "set", instance: { type: "GeoProperty", value: geometry.geometry } };
}

/** Reads the members of an attribute object; "delete" when its primary member is the NGSI-LD Null. */
function members(
  raw: Record<string, unknown>,
  type: AttributeType | undefined,
  field: string,
  where: Where,
): AttributePatch | "delete" | undefined {
  const { ctx, out, partial } = where;
  const before = out.errors.length;
  const patch: AttributePatch = { ...(type ? { type } : {}), sub: {} };
  for (const [key, value] of Object.entries(raw)) {
    const at = `${field}.${key}`;
    if (key === "type" || SYSTEM_MEMBERS.has(key)) continue;
    switch (key) {
      case "value":
      case "object":
      case "languageMap":
      case "json":
      case "vocab":
      case "valueList":
      case "objectList": {
        const expected = type ? PRIMARY[type] : undefined;
        if (expected !== undefined && expected !== key) {
          const what =
            type === "Relationship" ? "target" : type === "ListRelationship" ? "targets" : "content";
          out.add(at, `a ${type} carries its ${what} in "${expected}", not "${key}"`);
          break;
        }
        if (isNullMember(key, value)) {
          if (!nullRemoves(where))
            out.add(at, `the NGSI-LD Null is only allowed in merges and partial updates`);
          else return out.errors.length === before ? "delete" : undefined;
          break;
        }
        if (key === "value") {
          if (value === null) out.add(at, "must not be null");
          else if (type === "GeoProperty") {
            const geometry = parseGeometry(value);
            if (geometry.ok) patch.value = geometry.geometry;
            else out.add(at, geometry.reason);
          } else patch.value = value as Json;
        } else if (key === "object") {
          const object = relationshipObject(value, at, out);
          if (object !== undefined) patch.object = object;
        } else if (key === "languageMap") {
          const map = languageMap(value, at, out);
          if (map) patch.languageMap = map;
        } else if (key === "vocab") {
          const vocab = vocabTerms(ctx, value, at, out);
          if (vocab !== undefined) patch.vocab = vocab;
        } else if (key === "valueList") {
          const list = valueList(value, at, out);
          if (list) patch.valueList = list;
        } else if (key === "objectList") {
          const targets = objectList(value, at, out);
          if (targets) patch.objectList = targets;
        } else {
          const json = jsonContent(value, at, out);
          if (json !== undefined) patch.json = json;
        }
        break;
      }
      case "objectType":
        if (type !== undefined && type !== "Relationship" && type !== "ListRelationship")
          out.add(at, "only a Relationship or a ListRelationship has an objectType");
        else if (typeof value !== "string") out.add(at, "must be an entity type name");
        else {
          const problem = typeNameProblem(value);
          if (problem !== undefined) out.add(at, problem);
          else patch.objectType = expandTerm(ctx, value);
        }
        break;
      case "datasetId":
        if (!isUri(value)) out.add(at, "must be a URI");
        else patch.datasetId = value;
        break;
      case "observedAt": {
        if (partial && value === NGSI_LD_NULL) {
          patch.observedAt = null;
          break;
        }
        const time = parseDateTime(value);
        if (time.ok) patch.observedAt = time.value;
        else out.add(at, time.reason);
        break;
      }
      case "unitCode":
        if (partial && value === NGSI_LD_NULL) patch.unitCode = null;
        else if (typeof value !== "string" || value === "") out.add(at, "must be a UN/CEFACT unit code");
        else if (type !== undefined && type !== "Property" && type !== "ListProperty")
          out.add(at, "only a Property or a ListProperty has a unitCode");
        else patch.unitCode = value;
        break;
      case "@context":
        out.add(at, "an attribute cannot carry its own @context");
        break;
      default: {
        const problem = checkName(key);
        if (problem) {
          out.add(at, problem);
          break;
        }
        if (where.depth >= MAX_DEPTH) {
          out.add(at, `sub-attributes are nested deeper than ${MAX_DEPTH} levels`);
          break;
        }
        const subName = expandTerm(ctx, key);
        const reserved = reservedName(key, subName);
        if (reserved !== undefined) {
          out.add(at, `${reserved} and cannot name a sub-attribute`);
          break;
        }
        if (isInstanceList(ctx, value)) {
          out.add(at, "a sub-attribute cannot have several instances");
          break;
        }
        const parsed = instance(value, subName, at, { ...where, depth: where.depth + 1 });
        if (!parsed) break;
        if (parsed.kind === "delete") patch.sub[subName] = null;
        else if (parsed.kind === "patch") patch.sub[subName] = parsed.patch;
        else patch.sub[subName] = fromAttribute(parsed.instance);
      }
    }
  }
  return out.errors.length === before ? patch : undefined;
}

function fromAttribute(attribute: Attribute): AttributePatch {
  const { sub, ...rest } = attribute;
  const patch: AttributePatch = { ...rest, sub: {} };
  for (const [name, value] of Object.entries(sub ?? {})) patch.sub[name] = fromAttribute(value);
  return patch;
}

/** A whole attribute from a patch, or undefined when the patch lacks its primary member. */
export function toAttribute(patch: AttributePatch): Attribute | undefined {
  const common = {
    ...(patch.datasetId === undefined ? {} : { datasetId: patch.datasetId }),
    ...(typeof patch.observedAt === "string" ? { observedAt: patch.observedAt } : {}),
  };
  const sub: Record<string, Attribute> = {};
  for (const [name, value] of Object.entries(patch.sub)) {
    if (value === null) continue;
    const attribute = toAttribute(value);
    if (!attribute) return undefined;
    sub[name] = attribute;
  }
  const withSub = Object.keys(sub).length > 0 ? { ...common, sub } : common;
  const type = patch.type ?? inferType(patch);
  switch (type) {
    case "Property":
      if (patch.value === undefined) return undefined;
      return {
        type,
        value: patch.value,
        ...withSub,
        ...(typeof patch.unitCode === "string" ? { unitCode: patch.unitCode } : {}),
      };
    case "GeoProperty": {
      const geometry = parseGeometry(patch.value);
      return geometry.ok ? { type, value: geometry.geometry, ...withSub } : undefined;
    }
    case "Relationship":
      if (patch.object === undefined) return undefined;
      return {
        type,
        object: patch.object,
        ...withSub,
        ...(patch.objectType === undefined ? {} : { objectType: patch.objectType }),
      };
    case "LanguageProperty":
      return patch.languageMap === undefined
        ? undefined
        : { type, languageMap: patch.languageMap, ...withSub };
    case "JsonProperty":
      return patch.json === undefined ? undefined : { type, json: patch.json, ...withSub };
    case "VocabProperty":
      return patch.vocab === undefined ? undefined : { type, vocab: patch.vocab, ...withSub };
    case "ListProperty":
      if (patch.valueList === undefined) return undefined;
      return {
        type,
        valueList: patch.valueList,
        ...withSub,
        ...(typeof patch.unitCode === "string" ? { unitCode: patch.unitCode } : {}),
      };
    case "ListRelationship":
      if (patch.objectList === undefined) return undefined;
      return {
        type,
        objectList: patch.objectList,
        ...withSub,
        ...(patch.objectType === undefined ? {} : { objectType: patch.objectType }),
      };
    case undefined:
      return undefined;
  }
}

function inferType(patch: AttributePatch): AttributeType | undefined {
  if (patch.object !== undefined) return "Relationship";
  if (patch.languageMap !== undefined) return "LanguageProperty";
  if (patch.json !== undefined) return "JsonProperty";
  if (patch.vocab !== undefined) return "VocabProperty";
  if (patch.valueList !== undefined) return "ListProperty";
  if (patch.objectList !== undefined) return "ListRelationship";
  if (patch.value !== undefined) return geometryValued(patch.value) ? "GeoProperty" : "Property";
  return undefined;
}

/** A concise `{"value": <GeoJSON geometry>}` is a GeoProperty. */
const geometryValued = (value: unknown) => isGeometryLike(value) && parseGeometry(value).ok;

/**
 * An array that lists instances of one attribute rather than being a concise Property's array value:
 * every item names an attribute type or carries an attribute member.
 */
function isInstanceList(ctx: ActiveContext, value: unknown): value is unknown[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (item) =>
        isObject(item) &&
        ([item.type, item["@type"]].some(
          (type) => typeof type === "string" && attributeType(ctx, type) !== undefined,
        ) ||
          INSTANCE_KEYS.some((key) => key !== "type" && key in item)),
    )
  );
}

function attributeInstances(raw: unknown, name: string, field: string, where: Where): AttributeUpdate[] {
  const list = isInstanceList(where.ctx, raw) ? raw : [raw];
  const updates: AttributeUpdate[] = [];
  list.forEach((item, index) => {
    const parsed = instance(item, name, list.length > 1 ? `${field}[${index}]` : field, where);
    if (parsed) updates.push(parsed);
  });
  const seen = new Set<string>();
  for (const update of updates) {
    const datasetId =
      update.kind === "set"
        ? update.instance.datasetId
        : update.kind === "patch"
          ? update.patch.datasetId
          : update.datasetId;
    const key = datasetId ?? "@default";
    if (seen.has(key)) {
      where.out.add(
        field,
        datasetId ? `two instances have the datasetId ${datasetId}` : "two instances have no datasetId",
      );
    }
    seen.add(key);
  }
  return updates;
}

/** The entity member `scope` (clause 4.18): scopes, or in a merge the NGSI-LD Null that removes them. */
function scope(value: unknown, field: string, partial: boolean, input: EntityInput, out: Collector): void {
  if (value === NGSI_LD_NULL) {
    if (partial) input.scope = null;
    else out.add(field, `the NGSI-LD Null (${NGSI_LD_NULL}) is only allowed in merges and partial updates`);
    return;
  }
  const parsed = parseScopes(value);
  if (parsed.ok) input.scope = parsed.scopes;
  else out.add(field, parsed.reason);
}

/**
 * The member a payload gives as `name` or as its JSON-LD keyword `@name` (clause 4.4: the core context
 * maps `id` to `@id` and `type` to `@type`, and requests may use either). Giving both is ambiguous.
 */
function aliased(
  raw: Record<string, unknown>,
  name: "id" | "type",
  out: Collector,
  prefix = "",
): { field: string; value: unknown } | undefined {
  const keyword = `@${name}`;
  if (!(keyword in raw)) return name in raw ? { field: `${prefix}${name}`, value: raw[name] } : undefined;
  if (name in raw) return out.add(`${prefix}${keyword}`, `give ${name} or ${keyword}, not both`);
  return { field: `${prefix}${keyword}`, value: raw[keyword] };
}

/** Why a string cannot name an entity type, or undefined. */
function typeNameProblem(name: string): string | undefined {
  const problem = checkName(name);
  if (problem !== undefined) return problem.replace("an attribute name", "a type name");
  if (!TYPE_NAME_START.test(name))
    return `${JSON.stringify(name)} does not start with a letter (clause 4.6.2)`;
  return undefined;
}

/** The entity's types: a name or a non-empty array of names, expanded with the @context. */
function entityTypes(
  value: unknown,
  field: string,
  ctx: ActiveContext,
  out: Collector,
): string[] | undefined {
  const types = typeof value === "string" ? [value] : value;
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === "string")) {
    return out.add(
      field,
      `must be an entity type name or a non-empty array of them, not ${typeName(value) === "object" ? JSON.stringify(value) : typeName(value)}`,
    );
  }
  const before = out.errors.length;
  types.forEach((t, index) => {
    const problem = typeNameProblem(t);
    if (problem !== undefined) out.add(types.length > 1 ? `${field}[${index}]` : field, problem);
  });
  if (out.errors.length > before) return undefined;
  const expanded = types.map((t) => expandTerm(ctx, t));
  // A name the @context maps to a JSON-LD keyword (the core context's "type" is "@type") is no type.
  const keyword = types.find((_, i) => expanded[i]?.startsWith("@"));
  if (keyword !== undefined)
    return out.add(field, `${JSON.stringify(keyword)} names a JSON-LD keyword, not an entity type`);
  return [...new Set(expanded)];
}

/** The id an entity payload gives, as `id` or `@id`; "" when it gives none that is a string. */
export function payloadId(body: unknown): string {
  if (!isObject(body)) return "";
  const id = "@id" in body && !("id" in body) ? body["@id"] : body.id;
  return typeof id === "string" ? id : "";
}

/** Reads an entity (or entity fragment) payload. Throws BadRequestData listing every problem. */
export function parseEntity(raw: unknown, ctx: ActiveContext, options: ParseOptions): EntityInput {
  const out = new Collector();
  if (!isObject(raw))
    throw invalidData([{ field: "body", reason: `an entity must be a JSON object, not ${typeName(raw)}` }]);
  const input: EntityInput = { attrs: {} };
  const id = aliased(raw, "id", out);
  if (id !== undefined) {
    const problem = uriProblem(id.value);
    if (problem !== undefined || typeof id.value !== "string") out.add(id.field, problem ?? "must be a URI");
    else if (options.expectedId !== undefined && id.value !== options.expectedId) {
      out.add(id.field, `${id.value} does not match the entity ${options.expectedId} of the request path`);
    } else input.id = id.value;
  } else if (options.whole && !("@id" in raw)) out.add("id", "is required");
  const type = aliased(raw, "type", out);
  if (type !== undefined) {
    const types = entityTypes(type.value, type.field, ctx, out);
    if (types) input.types = types;
  } else if (options.whole && !("@type" in raw)) out.add("type", "is required");
  const where: Where = {
    ctx,
    out,
    partial: options.partial,
    nulls: options.partial || options.nulls === true,
    depth: 0,
  };
  for (const [key, value] of Object.entries(raw)) {
    if (ENTITY_KEYWORDS.has(key) || IGNORED_MEMBERS.has(key)) continue;
    const problem = checkName(key);
    if (problem) {
      out.add(key, problem);
      continue;
    }
    const name = expandTerm(ctx, key);
    if (IGNORED_IRIS.has(name)) continue;
    if (name === SCOPE) {
      scope(value, key, options.partial, input, out);
      continue;
    }
    const reserved = reservedName(key, name);
    if (reserved !== undefined) {
      out.add(key, `${reserved} and cannot name an attribute`);
      continue;
    }
    const updates = attributeInstances(value, name, key, where);
    if (updates.length > 0) input.attrs[name] = [...(input.attrs[name] ?? []), ...updates];
  }
  if (out.errors.length > 0) throw invalidData(out.errors);
  return input;
}

/** Reads the body of an attribute-level request (PUT or PATCH `/entities/{id}/attrs/{attrId}`). */
export function parseAttribute(
  raw: unknown,
  name: string,
  ctx: ActiveContext,
  partial: boolean,
): AttributeUpdate {
  const out = new Collector();
  if (!isObject(raw))
    throw invalidData([
      { field: "body", reason: `an attribute must be a JSON object, not ${typeName(raw)}` },
    ]);
  const { "@context": _context, ...attribute } = raw;
  const parsed = instance(attribute, name, "body", { ctx, out, partial, nulls: partial, depth: 0 });
  if (out.errors.length > 0 || !parsed) throw invalidData(out.errors);
  return parsed;
}
