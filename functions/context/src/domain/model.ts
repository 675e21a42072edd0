/**
 * The broker's internal model: entities as stored, with every attribute name and type already expanded
 * to a full IRI, so two requesters with different @contexts read and write the same data.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const NGSI_LD = "https://uri.etsi.org/ngsi-ld/";
/** The NGSI-LD Null (clause 4.5.0): removes the target member in partial updates and merges. */
export const NGSI_LD_NULL = "urn:ngsi-ld:null";
/** Expanded names of the GeoProperties NGSI-LD predefines. */
export const LOCATION = `${NGSI_LD}location`;
/** The expanded name of the entity member `scope` (clause 4.18): not an attribute. */
export const SCOPE = `${NGSI_LD}scope`;
export const GEO_PROPERTY_NAMES: ReadonlySet<string> = new Set([
  LOCATION,
  `${NGSI_LD}observationSpace`,
  `${NGSI_LD}operationSpace`,
]);

export type GeometryType =
  | "Point"
  | "MultiPoint"
  | "LineString"
  | "MultiLineString"
  | "Polygon"
  | "MultiPolygon";
export type Position = [number, number];

export type Geometry =
  | { type: "Point"; coordinates: Position }
  | { type: "MultiPoint"; coordinates: Position[] }
  | { type: "LineString"; coordinates: Position[] }
  | { type: "MultiLineString"; coordinates: Position[][] }
  | { type: "Polygon"; coordinates: Position[][] }
  | { type: "MultiPolygon"; coordinates: Position[][][] };

export type LanguageMap = Record<string, string | string[]>;

interface InstanceMembers {
  datasetId?: string;
  observedAt?: string;
  unitCode?: string;
  /** System attributes: set by the broker, never by the client. Sub-attributes carry none. */
  createdAt?: string;
  modifiedAt?: string;
  /** Sub-attributes (properties of properties), by expanded name. */
  sub?: Record<string, Attribute>;
}

export type Attribute =
  | (InstanceMembers & { type: "Property"; value: Json })
  | (InstanceMembers & { type: "GeoProperty"; value: Geometry })
  | (InstanceMembers & { type: "Relationship"; object: string | string[]; objectType?: string })
  | (InstanceMembers & { type: "LanguageProperty"; languageMap: LanguageMap })
  | (InstanceMembers & { type: "JsonProperty"; json: Json })
  /** Vocabulary terms (clause 4.5.20), stored expanded like entity types. */
  | (InstanceMembers & { type: "VocabProperty"; vocab: string | string[] })
  /** An ordered list of Property values (clause 4.5.21). */
  | (InstanceMembers & { type: "ListProperty"; valueList: Json[] })
  /** An ordered list of target entity ids (clause 4.5.22). */
  | (InstanceMembers & { type: "ListRelationship"; objectList: string[]; objectType?: string });

export type AttributeType = Attribute["type"];
export const ATTRIBUTE_TYPES: readonly AttributeType[] = [
  "Property",
  "GeoProperty",
  "Relationship",
  "LanguageProperty",
  "JsonProperty",
  "VocabProperty",
  "ListProperty",
  "ListRelationship",
];

export interface Entity {
  id: string;
  /** Expanded type IRIs; the first is the entity's primary type. */
  types: string[];
  createdAt: string;
  modifiedAt: string;
  /** Scopes (clause 4.18), such as `/Madrid/Gardens`: absent, or at least one, without repeats. */
  scope?: string[];
  /** Instances of each attribute by expanded name; at most one instance without datasetId. */
  attrs: Record<string, Attribute[]>;
}

/**
 * Some members of an attribute instance, for merges and partial updates: members left out are kept,
 * `null` members (sent as the NGSI-LD Null) are removed.
 */
export interface AttributePatch {
  type?: AttributeType;
  datasetId?: string;
  value?: Json;
  object?: string | string[];
  objectType?: string;
  languageMap?: LanguageMap;
  json?: Json;
  vocab?: string | string[];
  valueList?: Json[];
  objectList?: string[];
  observedAt?: string | null;
  unitCode?: string | null;
  sub: Record<string, AttributePatch | null>;
}

/** What a payload says about one attribute instance: a whole instance, some members, or its removal. */
export type AttributeUpdate =
  | { kind: "set"; instance: Attribute }
  | { kind: "patch"; patch: AttributePatch }
  | { kind: "delete"; datasetId?: string };

/** A parsed entity payload: whole (create, replace) or a fragment (append, update, merge). */
export interface EntityInput {
  id?: string;
  types?: string[];
  /** Scopes given; `null` (the NGSI-LD Null, in merges) removes the entity's scopes. */
  scope?: string[] | null;
  attrs: Record<string, AttributeUpdate[]>;
}

export const sameDataset = (a: { datasetId?: string }, b: { datasetId?: string }) =>
  a.datasetId === b.datasetId;
