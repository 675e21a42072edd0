import { type InvalidField, NgsiQuery } from "@sdp/contracts";
import { invalidData, ngsiError } from "./errors";
import {
  type BBox,
  bboxAround,
  bboxOf,
  contains,
  distanceMeters,
  equals,
  intersects,
  overlaps,
  parseGeometry,
  within,
} from "./geo";
import { type ActiveContext, expandTerm } from "./jsonld";
import { type Attribute, type Entity, type Geometry, LOCATION } from "./model";
import { checkName, isUri } from "./normalize";
import type { EntityStore, StoredEntity } from "./ports";
import {
  type AttributePath,
  evaluate,
  type Literal,
  type Operand,
  parseQuery,
  pathsOf,
  type QueryExpression,
  VocabTerm,
} from "./query-language";
import { matchesScopes, parseScopeQuery, type ScopeExpression } from "./scope";
import {
  candidateTypes,
  mapTypes,
  matchesTypes,
  parseTypeSelection,
  type TypeExpression,
} from "./type-selection";

/**
 * Query entities (clause 5.7.2): which entities match, read through the cheapest index that can
 * answer (ids, the geo index, the type index, and only as a last resort every entity), filtered
 * exactly in memory, in id order, paginated with limit and offset.
 */
export type Georel =
  | { kind: "near"; maxDistance?: number; minDistance?: number }
  | { kind: "within" | "contains" | "intersects" | "disjoint" | "equals" | "overlaps" };

export interface GeoQuery {
  readonly georel: Georel;
  readonly geometry: Geometry;
  /** Expanded name of the GeoProperty compared (default location). */
  readonly property: string;
}

export interface EntitySelector {
  readonly ids?: readonly string[];
  readonly idPattern?: RegExp;
  readonly types?: TypeExpression;
}

export interface EntityQuery {
  /** Entities matching any selector (an empty list selects every entity). */
  readonly selectors: readonly EntitySelector[];
  /** Expanded names: only entities with at least one of them match. */
  readonly attrs?: readonly string[];
  readonly q?: QueryExpression;
  /** The scope query (clause 4.19): only entities whose scopes match. */
  readonly scope?: ScopeExpression;
  readonly geo?: GeoQuery;
  readonly limit: number;
  readonly offset: number;
  readonly count: boolean;
}

export interface QueryResult {
  readonly entities: Entity[];
  readonly count?: number;
  /** Whether entities exist past this page. */
  readonly more: boolean;
}

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 1000;
const MAX_IDS = 100;
const META = new Set(["observedAt", "unitCode", "datasetId", "createdAt", "modifiedAt"]);

/** Raw NGSI-LD query parameters, as strings (GET) or as members of a Query body (POST). */
export interface QueryParameters {
  readonly type?: string;
  readonly id?: string;
  readonly idPattern?: string;
  readonly attrs?: string;
  readonly q?: string;
  readonly scopeQ?: string;
  readonly georel?: string;
  readonly geometry?: string;
  readonly coordinates?: string;
  readonly geoproperty?: string;
  readonly limit?: string;
  readonly offset?: string;
  readonly count?: string;
  readonly local?: string;
}

const invalid = (field: string, reason: string) => invalidData([{ field, reason }], "invalid query");

export function parseIdPattern(pattern: string, field: string): RegExp {
  if (pattern.length > 256) throw invalid(field, "must not be longer than 256 characters");
  try {
    return new RegExp(pattern, "u");
  } catch {
    throw invalid(field, "is not a valid regular expression");
  }
}

export function expandNames(ctx: ActiveContext, text: string, field: string): string[] {
  const names = text.split(",").map((n) => n.trim());
  const problems: InvalidField[] = [];
  for (const name of names) {
    const problem = checkName(name);
    if (problem) problems.push({ field, reason: `${JSON.stringify(name)}: ${problem}` });
  }
  if (problems.length > 0) throw invalidData(problems, "invalid query");
  return names.map((n) => expandTerm(ctx, n));
}

function expandPath(ctx: ActiveContext, path: AttributePath): AttributePath {
  const [first = "", ...rest] = path.names;
  const names = [
    expandTerm(ctx, first),
    ...rest.map((n, i) => (META.has(n) && i === rest.length - 1 ? `@${n}` : expandTerm(ctx, n))),
  ];
  return { ...path, names };
}

/** String values also expanded as terms, for comparisons with VocabProperty terms. */
function expandLiteral(ctx: ActiveContext, literal: Literal): Literal {
  return (literal.kind === "string" || literal.kind === "token") && checkName(literal.value) === undefined
    ? { ...literal, iri: expandTerm(ctx, literal.value) }
    : literal;
}

function expandOperand(ctx: ActiveContext, operand: Operand): Operand {
  switch (operand.kind) {
    case "single":
      return { kind: "single", value: expandLiteral(ctx, operand.value) };
    case "list":
      return { kind: "list", values: operand.values.map((v) => expandLiteral(ctx, v)) };
    default:
      return operand;
  }
}

function expandQuery(ctx: ActiveContext, expression: QueryExpression): QueryExpression {
  switch (expression.kind) {
    case "and":
    case "or":
      return { kind: expression.kind, terms: expression.terms.map((t) => expandQuery(ctx, t)) };
    case "exists":
      return { ...expression, path: expandPath(ctx, expression.path) };
    case "compare":
      return {
        ...expression,
        path: expandPath(ctx, expression.path),
        operand: expandOperand(ctx, expression.operand),
      };
  }
}

export function parseQ(ctx: ActiveContext, text: string): QueryExpression {
  const parsed = parseQuery(text);
  for (const path of pathsOf(parsed)) {
    for (const name of path.names) {
      const problem = checkName(name);
      if (problem) throw invalid("q", `${JSON.stringify(name)}: ${problem}`);
    }
  }
  return expandQuery(ctx, parsed);
}

function number(text: string | undefined, field: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw invalid(field, "must be a non-negative integer");
  const value = Number(text);
  if (value < min) throw invalid(field, `must be at least ${min}`);
  return value;
}

function parseGeorel(text: string): Georel {
  const [relation = "", ...modifiers] = text.split(";");
  if (relation === "near") {
    const georel: { kind: "near"; maxDistance?: number; minDistance?: number } = { kind: "near" };
    for (const modifier of modifiers) {
      const match = /^(maxDistance|minDistance)==(\d+(\.\d+)?)$/.exec(modifier);
      if (!match?.[1] || match[2] === undefined) {
        throw invalid("georel", `${modifier} is not maxDistance==<metres> or minDistance==<metres>`);
      }
      const metres = Number(match[2]);
      // The geo-query grammar (clause 4.10) asks for a positive distance.
      if (metres <= 0)
        throw invalid("georel", `${modifier}: the distance must be a positive number of metres`);
      georel[match[1] === "maxDistance" ? "maxDistance" : "minDistance"] = metres;
    }
    if (georel.maxDistance === undefined && georel.minDistance === undefined) {
      throw invalid("georel", "near needs maxDistance==<metres> or minDistance==<metres>");
    }
    return georel;
  }
  if (modifiers.length > 0) throw invalid("georel", `${relation} takes no modifiers`);
  switch (relation) {
    case "within":
    case "contains":
    case "intersects":
    case "disjoint":
    case "equals":
    case "overlaps":
      return { kind: relation };
    default:
      throw invalid(
        "georel",
        `${relation} is not one of near, within, contains, intersects, disjoint, equals, overlaps`,
      );
  }
}

export function parseGeoQuery(
  ctx: ActiveContext,
  input: { georel?: string; geometry?: string; coordinates?: unknown; geoproperty?: string },
): GeoQuery | undefined {
  const given = [input.georel, input.geometry, input.coordinates].filter((v) => v !== undefined).length;
  if (given === 0) {
    if (input.geoproperty !== undefined)
      throw invalid("geoproperty", "needs georel, geometry and coordinates");
    return undefined;
  }
  if (input.georel === undefined || input.geometry === undefined || input.coordinates === undefined) {
    throw invalid(
      input.georel === undefined ? "georel" : input.geometry === undefined ? "geometry" : "coordinates",
      "a geo-query needs georel, geometry and coordinates together",
    );
  }
  const georel = parseGeorel(input.georel);
  let coordinates = input.coordinates;
  if (typeof coordinates === "string") {
    try {
      coordinates = JSON.parse(coordinates);
    } catch {
      throw invalid("coordinates", "must be a JSON array such as [-3.7,40.4]");
    }
  }
  const geometry = parseGeometry({ type: input.geometry, coordinates });
  if (!geometry.ok) throw invalid("coordinates", geometry.reason);
  if (georel.kind === "near" && geometry.geometry.type !== "Point")
    throw invalid("geometry", "near needs a Point");
  if (
    georel.kind === "within" &&
    geometry.geometry.type !== "Polygon" &&
    geometry.geometry.type !== "MultiPolygon"
  ) {
    throw invalid("geometry", "within needs a Polygon or a MultiPolygon");
  }
  let property = LOCATION;
  if (input.geoproperty !== undefined) {
    const problem = checkName(input.geoproperty);
    if (problem) throw invalid("geoproperty", problem);
    property = expandTerm(ctx, input.geoproperty);
  }
  return { georel, geometry: geometry.geometry, property };
}

/** Parses the query parameters of `GET /entities`. */
export function parseQueryParameters(ctx: ActiveContext, p: QueryParameters): EntityQuery {
  const ids = p.id === undefined ? undefined : p.id.split(",").map((id) => id.trim());
  if (ids) {
    if (ids.length > MAX_IDS) throw invalid("id", `must not list more than ${MAX_IDS} ids`);
    const bad = ids.find((id) => !isUri(id));
    if (bad !== undefined) throw invalid("id", `${JSON.stringify(bad)} is not a URI`);
  }
  const types =
    p.type === undefined ? undefined : mapTypes(parseTypeSelection(p.type), (n) => expandTerm(ctx, n));
  const idPattern = p.idPattern === undefined ? undefined : parseIdPattern(p.idPattern, "idPattern");
  const attrs = p.attrs === undefined ? undefined : expandNames(ctx, p.attrs, "attrs");
  const q = p.q === undefined ? undefined : parseQ(ctx, p.q);
  const scope = p.scopeQ === undefined ? undefined : parseScopeQuery(p.scopeQ, "scopeQ");
  const geo = parseGeoQuery(ctx, p);
  // local=true asks for every entity this broker holds (clause 5.7.2.4); without it a filter is needed.
  if (!types && !ids && !idPattern && !attrs && !q && !scope && !geo && p.local !== "true") {
    throw ngsiError(
      "BadRequestData",
      "a query needs at least one of type, id, idPattern, attrs, q, scopeQ, a geo-query (georel, geometry, coordinates) or local=true",
    );
  }
  const selector: EntitySelector = {
    ...(ids ? { ids } : {}),
    ...(idPattern ? { idPattern } : {}),
    ...(types ? { types } : {}),
  };
  return {
    selectors: Object.keys(selector).length > 0 ? [selector] : [],
    ...(attrs ? { attrs } : {}),
    ...(q ? { q } : {}),
    ...(scope ? { scope } : {}),
    ...(geo ? { geo } : {}),
    ...paging(p),
  };
}

export function paging(p: { limit?: string; offset?: string; count?: string }) {
  const limit = number(p.limit, "limit", 0) ?? DEFAULT_LIMIT;
  if (limit > MAX_LIMIT) {
    throw ngsiError(
      "TooManyResults",
      `limit ${limit} is more than the maximum of ${MAX_LIMIT} entities per page`,
    );
  }
  const count =
    p.count === undefined ? false : p.count === "true" ? true : p.count === "false" ? false : undefined;
  if (count === undefined) throw invalid("count", "must be true or false");
  if (limit === 0 && !count) throw invalid("limit", "may only be 0 together with count=true");
  return { limit, offset: number(p.offset, "offset", 0) ?? 0, count };
}

// ---- evaluation ---------------------------------------------------------------------------------

function valuesOf(attribute: Attribute): unknown[] {
  switch (attribute.type) {
    case "Property":
    case "GeoProperty":
      return [attribute.value];
    case "Relationship":
      return [attribute.object];
    case "JsonProperty":
      return [attribute.json];
    case "LanguageProperty":
      return Object.values(attribute.languageMap);
    case "VocabProperty":
      return (typeof attribute.vocab === "string" ? [attribute.vocab] : attribute.vocab).map(
        (iri) => new VocabTerm(iri),
      );
    // An array matches when one of its elements does: membership in the list.
    case "ListProperty":
      return [attribute.valueList];
    case "ListRelationship":
      return [attribute.objectList];
  }
}

function metaOf(attribute: Attribute, member: string): string | undefined {
  switch (member) {
    case "observedAt":
      return attribute.observedAt;
    case "unitCode":
      return attribute.type === "Property" || attribute.type === "ListProperty"
        ? attribute.unitCode
        : undefined;
    case "datasetId":
      return attribute.datasetId;
    case "createdAt":
      return attribute.createdAt;
    case "modifiedAt":
      return attribute.modifiedAt;
    default:
      return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function descend(values: unknown[], key: string): unknown[] {
  return values.flatMap((value) => {
    if (Array.isArray(value)) return descend(value, key);
    return isRecord(value) && key in value ? [value[key]] : [];
  });
}

function resolvePath(entity: Entity, path: AttributePath): { exists: boolean; values: unknown[] } {
  const [first = "", ...rest] = path.names;
  let exists = false;
  const values: unknown[] = [];
  for (const top of entity.attrs[first] ?? []) {
    let current: Attribute | undefined = top;
    let found: unknown[] | undefined;
    for (const name of rest) {
      if (!current) break;
      if (name.startsWith("@")) {
        const member = metaOf(current, name.slice(1));
        found = member === undefined ? [] : [member];
        current = undefined;
        break;
      }
      current = current.sub?.[name];
    }
    if (found === undefined) {
      if (!current) continue;
      // Brackets on a LanguageProperty select a language: name[fr].
      found =
        current.type === "LanguageProperty" && path.keys.length > 0
          ? [current.languageMap]
          : valuesOf(current);
    }
    for (const key of path.keys) found = descend(found, key);
    if (found.length > 0) {
      exists = true;
      values.push(...found);
    }
  }
  return { exists, values };
}

function relationHolds(g: Geometry, geo: GeoQuery): boolean {
  switch (geo.georel.kind) {
    case "near": {
      if (geo.geometry.type !== "Point") return false;
      const distance = distanceMeters(g, geo.geometry.coordinates);
      const { maxDistance, minDistance } = geo.georel;
      return (
        (maxDistance === undefined || distance <= maxDistance) &&
        (minDistance === undefined || distance >= minDistance)
      );
    }
    case "within":
      return within(g, geo.geometry);
    case "contains":
      return contains(g, geo.geometry);
    case "intersects":
      return intersects(g, geo.geometry);
    case "disjoint":
      return !intersects(g, geo.geometry);
    case "equals":
      return equals(g, geo.geometry);
    case "overlaps":
      return overlaps(g, geo.geometry);
  }
}

function matchesGeo(entity: Entity, geo: GeoQuery): boolean {
  return (entity.attrs[geo.property] ?? []).some(
    (a) => a.type === "GeoProperty" && relationHolds(a.value, geo),
  );
}

function matchesSelector(entity: Entity, selector: EntitySelector): boolean {
  if (selector.ids && !selector.ids.includes(entity.id)) return false;
  if (selector.idPattern && !selector.idPattern.test(entity.id)) return false;
  if (selector.types && !matchesTypes(selector.types, entity.types)) return false;
  return true;
}

export function matches(entity: Entity, query: EntityQuery): boolean {
  if (query.selectors.length > 0 && !query.selectors.some((s) => matchesSelector(entity, s))) return false;
  if (query.attrs && !query.attrs.some((name) => (entity.attrs[name]?.length ?? 0) > 0)) return false;
  if (query.q && !evaluate(query.q, (path) => resolvePath(entity, path))) return false;
  if (query.scope && !matchesScopes(query.scope, entity.scope ?? [])) return false;
  if (query.geo && !matchesGeo(entity, query.geo)) return false;
  return true;
}

/** The box the geo index can narrow a query to, when the relation and property allow it. */
function indexableArea(geo: GeoQuery | undefined): BBox | undefined {
  if (!geo || geo.property !== LOCATION) return undefined;
  switch (geo.georel.kind) {
    case "near":
      return geo.georel.maxDistance === undefined || geo.geometry.type !== "Point"
        ? undefined
        : bboxAround(geo.geometry.coordinates, geo.georel.maxDistance);
    case "disjoint":
      return undefined;
    default:
      return bboxOf(geo.geometry);
  }
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

async function* sorted(entities: Promise<StoredEntity[]>): AsyncIterable<StoredEntity> {
  yield* (await entities).sort((a, b) => byteOrder(a.entity.id, b.entity.id));
}

function candidates(store: EntityStore, query: EntityQuery): AsyncIterable<StoredEntity> {
  const { selectors } = query;
  if (selectors.length > 0 && selectors.every((s) => s.ids !== undefined)) {
    return sorted(store.getMany([...new Set(selectors.flatMap((s) => s.ids ?? []))]));
  }
  const area = indexableArea(query.geo);
  const byArea = area ? store.byArea(area) : undefined;
  if (byArea) return byArea;
  if (selectors.length > 0 && selectors.every((s) => s.types !== undefined)) {
    return store.byTypes([...new Set(selectors.flatMap((s) => (s.types ? candidateTypes(s.types) : [])))]);
  }
  return store.all();
}

export async function runQuery(store: EntityStore, query: EntityQuery): Promise<QueryResult> {
  const entities: Entity[] = [];
  const wanted = query.offset + query.limit;
  let count = 0;
  for await (const { entity } of candidates(store, query)) {
    if (!matches(entity, query)) continue;
    count++;
    if (count > query.offset && entities.length < query.limit) entities.push(entity);
    // Without a total, one match past the page is enough to know another page exists.
    if (!query.count && count > wanted) break;
  }
  return { entities, ...(query.count ? { count } : {}), more: count > wanted };
}

/** A path segment naming an attribute or type: a short name, a compact IRI or a full IRI. */
export function expandAttributeId(ctx: ActiveContext, text: string): string {
  if (/^https?:\/\//i.test(text)) return text;
  const problem = checkName(text);
  if (problem) throw invalidData([{ field: "params", reason: problem }], "invalid request");
  return expandTerm(ctx, text);
}

export function parseDeleteAttribute(p: { datasetId?: string; deleteAll?: string }): {
  datasetId?: string;
  deleteAll: boolean;
} {
  if (p.deleteAll !== undefined && p.deleteAll !== "true" && p.deleteAll !== "false") {
    throw invalid("deleteAll", "must be true or false");
  }
  if (p.datasetId !== undefined && !isUri(p.datasetId)) throw invalid("datasetId", "must be a URI");
  const deleteAll = p.deleteAll === "true";
  if (deleteAll && p.datasetId !== undefined) throw invalid("deleteAll", "cannot be combined with datasetId");
  return { ...(p.datasetId === undefined ? {} : { datasetId: p.datasetId }), deleteAll };
}

/** The body of a batch delete: entity ids. */
export function parseIdList(items: readonly unknown[]): string[] {
  const problems: InvalidField[] = [];
  const ids = items.flatMap((item, index) => {
    if (typeof item === "string") return [item];
    problems.push({ field: `body[${index}]`, reason: "must be an entity id" });
    return [];
  });
  if (problems.length > 0) throw invalidData(problems);
  return ids;
}

/** The Query body of `POST /entityOperations/query`, and the projection it asks for. */
export function parseQueryBody(
  ctx: ActiveContext,
  body: unknown,
  p: { limit?: string; offset?: string; count?: string },
): {
  request: EntityQuery;
  projection: { attrs?: string; pick?: string; omit?: string; lang?: string; datasetId?: string };
} {
  const parsed = NgsiQuery.safeParse(body);
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
  const query = parsed.data;
  const selectors: EntitySelector[] = (query.entities ?? []).map((selector, index) => {
    if (selector.id !== undefined && !isUri(selector.id))
      throw invalid(`entities[${index}].id`, "must be a URI");
    return {
      types: mapTypes(parseTypeSelection(selector.type), (n) => expandTerm(ctx, n)),
      ...(selector.id === undefined ? {} : { ids: [selector.id] }),
      // An id takes precedence over idPattern, which is then ignored (clause 5.2.8).
      ...(selector.idPattern === undefined || selector.id !== undefined
        ? {}
        : { idPattern: parseIdPattern(selector.idPattern, `entities[${index}].idPattern`) }),
    };
  });
  const attrs = query.attrs === undefined ? undefined : expandNames(ctx, query.attrs.join(","), "attrs");
  const q = query.q === undefined ? undefined : parseQ(ctx, query.q);
  const scope = query.scopeQ === undefined ? undefined : parseScopeQuery(query.scopeQ, "scopeQ");
  const geo = query.geoQ ? parseGeoQuery(ctx, query.geoQ) : undefined;
  if (selectors.length === 0 && !attrs && !q && !scope && !geo) {
    throw ngsiError("BadRequestData", "a query needs at least one of entities, attrs, q, scopeQ or geoQ");
  }
  return {
    request: {
      selectors,
      ...(attrs ? { attrs } : {}),
      ...(q ? { q } : {}),
      ...(scope ? { scope } : {}),
      ...(geo ? { geo } : {}),
      ...paging(p),
    },
    projection: {
      ...(query.attrs ? { attrs: query.attrs.join(",") } : {}),
      ...(query.pick ? { pick: query.pick.join(",") } : {}),
      ...(query.omit ? { omit: query.omit.join(",") } : {}),
      ...(query.lang ? { lang: query.lang } : {}),
      ...(query.datasetId ? { datasetId: query.datasetId.join(",") } : {}),
    },
  };
}
