import { z } from "zod";

/**
 * The edges of the NGSI-LD context broker (ETSI GS CIM 009 V1.8.1) under `/ngsi-ld/v1/`: path and query
 * parameters, the shapes of bodies and answers. Entities and attributes are checked in depth by the
 * broker itself (their grammar depends on the @context); these schemas fix the envelope and feed the
 * OpenAPI document.
 */
export const NGSI_LD_ROOT = "/ngsi-ld/v1";

/** The `Link` relation that carries a JSON-LD @context (JSON-LD 1.1, clause 6.1). */
export const JSON_LD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context";

export const NGSI_LD_MEDIA_TYPES = {
  json: "application/json",
  jsonLd: "application/ld+json",
  geoJson: "application/geo+json",
  mergePatch: "application/merge-patch+json",
} as const;

/** The response header with the total number of matching entities when `count=true`. */
export const RESULTS_COUNT_HEADER = "NGSILD-Results-Count";

const text = (description: string) => z.string().max(4_000).optional().describe(description);

export const EntityIdParams = z.strictObject({
  entityId: z.string().min(1).max(1024).describe("The entity id, a URI (URL-encoded in the path)"),
});

export const EntityAttributeParams = z.strictObject({
  entityId: z.string().min(1).max(1024),
  attrId: z
    .string()
    .min(1)
    .max(1024)
    .describe("Attribute name, short (expanded with the @context) or a full IRI"),
});

export const EntityTypeParams = z.strictObject({ type: z.string().min(1).max(1024) });
export const AttributeParams = z.strictObject({ attrId: z.string().min(1).max(1024) });

const representation = {
  options: text(
    "Comma-separated: keyValues | concise | normalized | sysAttrs (and noOverwrite, update, replace where the operation takes them)",
  ),
  format: text("keyValues (or simplified) | concise | normalized"),
  lang: text("Language ranges to pick from LanguageProperties, e.g. `fr,en;q=0.8` or `*`"),
  local: text("Accepted and ignored: this broker holds no registrations, every answer is local"),
};

const projection = {
  attrs: text("Comma-separated attribute names"),
  pick: text("Comma-separated members to keep (attribute names, id, type, scope)"),
  omit: text("Comma-separated members to drop (attribute names, id, type, scope)"),
  datasetId: text(
    "Comma-separated datasetIds of the attribute instances to return; @none names the default instance",
  ),
};

export const RetrieveEntityQuery = z.strictObject({
  ...representation,
  ...projection,
  geometryProperty: text(
    "With Accept: application/geo+json, the GeoProperty used as geometry (default location)",
  ),
});

const paging = {
  limit: text("Page size (default 20, at most 1000; 0 with count=true counts only)"),
  offset: text("Entities to skip"),
  count: text("true to get the total in the NGSILD-Results-Count header"),
};

export const QueryEntitiesQuery = z.strictObject({
  ...representation,
  ...projection,
  ...paging,
  type: text("Entity type selection: `,` or `|` OR, `;` AND, parentheses"),
  id: text("Comma-separated entity ids"),
  idPattern: text("Regular expression over entity ids"),
  q: text('NGSI-LD query language, e.g. temperature>20;status=="open"'),
  scopeQ: text(
    "Scope query: /A/B exact, + any one level, a final # the scope and all below (/# any scope); `;` AND, `,` or `|` OR, parentheses",
  ),
  georel: text(
    "near;maxDistance==<m> | near;minDistance==<m> | within | contains | intersects | disjoint | equals | overlaps",
  ),
  geometry: text("Point | MultiPoint | LineString | MultiLineString | Polygon | MultiPolygon"),
  coordinates: text("GeoJSON coordinates as JSON, e.g. [-3.70,40.41]"),
  geoproperty: text("GeoProperty the geo-query applies to (default location)"),
  geometryProperty: text("With Accept: application/geo+json, the GeoProperty used as geometry"),
});

export const WriteOptionsQuery = z.strictObject({
  options: text("noOverwrite (append); update | replace (upsert)"),
});

/** The optional selector of entity types of the operations on one entity (clause 4.17). */
const typeSelector = {
  type: text(
    "Entity type selection (`,` or `|` OR, `;` AND, parentheses): the operation applies only if the entity matches it, else 404",
  ),
};

export const EntityTypeSelectorQuery = z.strictObject(typeSelector);

export const AppendAttributesQuery = z.strictObject({
  options: text("noOverwrite: keep existing attributes"),
  ...typeSelector,
});

export const DeleteAttributeQuery = z.strictObject({
  datasetId: text("Delete only the instance with this datasetId"),
  deleteAll: text("true to delete every instance"),
});

export const DeleteEntityAttributeQuery = z.strictObject({ ...DeleteAttributeQuery.shape, ...typeSelector });

export const BatchQueryQuery = z.strictObject({ ...representation, ...paging });

export const DiscoveryQuery = z.strictObject({
  details: text("true for the detailed form"),
  local: representation.local,
});

const ContextValue = z
  .union([
    z.string(),
    z.record(z.string(), z.unknown()),
    z.array(z.union([z.string(), z.record(z.string(), z.unknown())])),
  ])
  .describe("A JSON-LD @context: URL, object or array of them");

/** The scopes of an entity (clause 4.18); checked in depth by the broker. */
const EntityScope = z
  .union([z.string(), z.array(z.string())])
  .describe(
    "Scope such as /Madrid/Gardens/ParqueNorte, or an array of them; in a merge, urn:ngsi-ld:null removes them",
  );

const EntityTypes = z.union([z.string(), z.array(z.string()).min(1)]);

/**
 * An entity in normalized or concise form; attributes are further members. `id` and `type` may be given
 * as their JSON-LD keywords `@id` and `@type` (clause 4.4); one of each is required, answers use `id`/`type`.
 */
export const NgsiEntity = z
  .looseObject({
    id: z.string().optional().describe("URI, e.g. urn:ngsi-ld:Beach:villamar-norte (required, or as @id)"),
    type: EntityTypes.optional().describe(
      "Entity type name(s), each starting with a letter (required, or as @type)",
    ),
    "@id": z.string().optional().describe("The id, as its JSON-LD keyword"),
    "@type": EntityTypes.optional().describe("The type, as its JSON-LD keyword"),
    scope: EntityScope.optional(),
    "@context": ContextValue.optional(),
  })
  .describe("NGSI-LD Entity");

export const NgsiEntityFragment = z
  .looseObject({
    id: z.string().optional(),
    type: EntityTypes.optional(),
    "@id": z.string().optional(),
    "@type": EntityTypes.optional(),
    scope: EntityScope.optional(),
    "@context": ContextValue.optional(),
  })
  .describe("NGSI-LD Entity fragment (attributes to add, update or merge)");

export const NgsiAttributeFragment = z
  .looseObject({ type: z.string().optional(), "@context": ContextValue.optional() })
  .describe("NGSI-LD Attribute (or the members of one, for a partial update)");

export const MAX_BATCH_ENTITIES = 1000;

export const BatchEntities = z.array(NgsiEntity).min(1).max(MAX_BATCH_ENTITIES);
export const BatchEntityFragments = z.array(NgsiEntityFragment).min(1).max(MAX_BATCH_ENTITIES);
export const BatchEntityIds = z.array(z.string().min(1).max(1024)).min(1).max(MAX_BATCH_ENTITIES);

export const NgsiGeoQuery = z.strictObject({
  geometry: z.string(),
  coordinates: z.union([z.string(), z.array(z.unknown())]),
  georel: z.string(),
  geoproperty: z.string().optional(),
});

export const NgsiEntitySelector = z.strictObject({
  id: z.string().optional(),
  idPattern: z.string().optional(),
  type: z.string(),
});

/** Body of `POST /entityOperations/query` (the Query data type, clause 5.2.23). */
export const NgsiQuery = z.strictObject({
  type: z.literal("Query"),
  entities: z.array(NgsiEntitySelector).min(1).max(100).optional(),
  attrs: z.array(z.string()).max(100).optional(),
  pick: z.array(z.string()).max(100).optional(),
  omit: z.array(z.string()).max(100).optional(),
  q: z.string().max(4_000).optional(),
  scopeQ: z.string().max(2_000).optional(),
  geoQ: NgsiGeoQuery.optional(),
  lang: z.string().optional(),
  datasetId: z.array(z.string()).max(100).optional(),
  "@context": ContextValue.optional(),
});
export type NgsiQuery = z.infer<typeof NgsiQuery>;

export const NgsiProblemDetails = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int().optional(),
  detail: z.string().optional(),
  instance: z.string().optional(),
});

export const BatchOperationResult = z.object({
  success: z.array(z.string()),
  errors: z.array(z.object({ entityId: z.string(), error: NgsiProblemDetails })),
});
export type BatchOperationResult = z.infer<typeof BatchOperationResult>;

export const UpdateResult = z.object({
  updated: z.array(z.string()),
  notUpdated: z.array(z.object({ attributeName: z.string(), reason: z.string() })),
});

export const EntityTypeList = z.object({
  id: z.string(),
  type: z.literal("EntityTypeList"),
  typeList: z.array(z.string()),
});
export const EntityTypeDetails = z.object({
  id: z.string(),
  type: z.literal("EntityType"),
  typeName: z.string(),
  attributeNames: z.array(z.string()),
});
export const EntityTypeInfo = z.object({
  id: z.string(),
  type: z.literal("EntityTypeInfo"),
  typeName: z.string(),
  entityCount: z.number().int(),
  attributeDetails: z.array(
    z.object({
      id: z.string(),
      type: z.literal("Attribute"),
      attributeName: z.string(),
      attributeTypes: z.array(z.string()),
    }),
  ),
});
export const AttributeList = z.object({
  id: z.string(),
  type: z.literal("AttributeList"),
  attributeList: z.array(z.string()),
});
export const AttributeDetails = z.object({
  id: z.string(),
  type: z.literal("Attribute"),
  attributeName: z.string(),
  attributeCount: z.number().int(),
  attributeTypes: z.array(z.string()),
  typeNames: z.array(z.string()),
});

// ---- Subscriptions and notifications (clauses 5.2.12, 5.2.14, 5.2.15, 5.3.1, 5.8, 5.11) ------------

export const SubscriptionIdParams = z.strictObject({
  subscriptionId: z
    .string()
    .min(1)
    .max(1024)
    .describe("The subscription id, a URI (URL-encoded in the path)"),
});

export const QuerySubscriptionsQuery = z.strictObject({
  ...paging,
  options: text("sysAttrs: include createdAt and modifiedAt"),
});

export const RetrieveSubscriptionQuery = z.strictObject({
  options: text("sysAttrs: include createdAt and modifiedAt"),
});

/** What changes a subscription is notified of (clause 5.2.12); the default is attributeCreated, attributeUpdated. */
export const NOTIFICATION_TRIGGERS = [
  "entityCreated",
  "entityUpdated",
  "entityDeleted",
  "attributeCreated",
  "attributeUpdated",
  "attributeDeleted",
] as const;
export const NotificationTrigger = z.enum(NOTIFICATION_TRIGGERS);
export type NotificationTrigger = z.infer<typeof NotificationTrigger>;

/** The media types a notification endpoint may ask for. */
export const NOTIFICATION_MEDIA_TYPES = ["application/json", "application/ld+json"] as const;

export const KeyValuePair = z.strictObject({
  key: z.string().min(1).max(256),
  value: z.string().max(4_096),
});

/** Where notifications go (clause 5.2.15): `http(s)://…` or `mqtt(s)://host:port/<topic>`. */
export const NgsiEndpoint = z.strictObject({
  uri: z.string().min(1).max(2_048).describe("http(s)://… or mqtt(s)://host:port/notifications/<tenant>/…"),
  accept: z.enum(NOTIFICATION_MEDIA_TYPES).optional(),
  timeout: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .optional()
    .describe("Milliseconds per delivery attempt (default 5000)"),
  receiverInfo: z
    .array(KeyValuePair)
    .max(20)
    .optional()
    .describe("HTTP headers (MQTT: metadata) for the receiver"),
  notifierInfo: z
    .array(KeyValuePair)
    .max(20)
    .optional()
    .describe("MQTT-QoS (0 or 1) and MQTT-Version (mqtt3.1.1)"),
});

const readOnlyDate = z.string().optional().describe("Read-only: set by the broker, ignored in requests");
const readOnlyCount = z.number().optional().describe("Read-only: set by the broker, ignored in requests");
const notificationStatus = {
  status: z.string().optional().describe("Read-only: ok | failed"),
  timesSent: readOnlyCount,
  timesFailed: readOnlyCount,
  lastNotification: readOnlyDate,
  lastFailure: readOnlyDate,
  lastSuccess: readOnlyDate,
};

/** Entity members to keep (`pick`) or drop (`omit`) in notified entities (clause 4.21). */
const notifiedMembers = z
  .array(z.string().min(1).max(1_024))
  .min(1)
  .max(100)
  .describe("Entity members: id, type, scope or attribute names");

const notificationMembers = {
  attributes: z.array(z.string().min(1).max(1_024)).min(1).max(100).optional(),
  pick: notifiedMembers.optional(),
  omit: notifiedMembers.optional(),
  format: z.enum(["normalized", "keyValues", "simplified", "concise"]).optional(),
  sysAttrs: z.boolean().optional(),
  showChanges: z.boolean().optional(),
};

/** NotificationParams (clause 5.2.14), with the delivery status the broker keeps. */
export const NgsiNotificationParams = z.strictObject({
  ...notificationMembers,
  endpoint: NgsiEndpoint,
  ...notificationStatus,
});

const subscriptionMembers = {
  subscriptionName: z.string().max(256),
  description: z.string().max(4_000),
  entities: z.array(NgsiEntitySelector).min(1).max(100),
  watchedAttributes: z.array(z.string().min(1).max(1_024)).min(1).max(100),
  notificationTrigger: z.array(NotificationTrigger).min(1).max(NOTIFICATION_TRIGGERS.length),
  timeInterval: z.number().positive().max(31_536_000).describe("Seconds between periodic notifications"),
  q: z.string().max(4_000),
  scopeQ: z.string().max(2_000),
  geoQ: NgsiGeoQuery,
  isActive: z.boolean(),
  expiresAt: z.iso.datetime({ offset: true }),
  throttling: z.number().positive().max(86_400).describe("Least seconds between two notifications"),
  lang: z.string().max(256),
  jsonldContext: z.string().max(2_048).describe("The @context URL notifications are compacted with"),
};

/** A Subscription (clause 5.2.12) as created; read-only members are accepted and ignored. */
export const NgsiSubscription = z
  .strictObject({
    id: z.string().min(1).max(1_024).optional().describe("URI; generated when absent"),
    type: z.literal("Subscription"),
    subscriptionName: subscriptionMembers.subscriptionName.optional(),
    description: subscriptionMembers.description.optional(),
    entities: subscriptionMembers.entities.optional(),
    watchedAttributes: subscriptionMembers.watchedAttributes.optional(),
    notificationTrigger: subscriptionMembers.notificationTrigger.optional(),
    timeInterval: subscriptionMembers.timeInterval.optional(),
    q: subscriptionMembers.q.optional(),
    scopeQ: subscriptionMembers.scopeQ.optional(),
    geoQ: subscriptionMembers.geoQ.optional(),
    isActive: subscriptionMembers.isActive.optional(),
    expiresAt: subscriptionMembers.expiresAt.optional(),
    throttling: subscriptionMembers.throttling.optional(),
    lang: subscriptionMembers.lang.optional(),
    jsonldContext: subscriptionMembers.jsonldContext.optional(),
    notification: NgsiNotificationParams,
    status: z.string().optional().describe("Read-only: active | paused | expired"),
    createdAt: readOnlyDate,
    modifiedAt: readOnlyDate,
    "@context": ContextValue.optional(),
  })
  .describe("NGSI-LD Subscription");
export type NgsiSubscription = z.infer<typeof NgsiSubscription>;

/** A Subscription fragment for PATCH (clause 5.8.2): given members replace, `null` removes optional ones. */
export const NgsiSubscriptionFragment = z
  .strictObject({
    id: z.string().min(1).max(1_024).optional(),
    type: z.literal("Subscription").optional(),
    subscriptionName: subscriptionMembers.subscriptionName.nullable().optional(),
    description: subscriptionMembers.description.nullable().optional(),
    entities: subscriptionMembers.entities.nullable().optional(),
    watchedAttributes: subscriptionMembers.watchedAttributes.nullable().optional(),
    notificationTrigger: subscriptionMembers.notificationTrigger.nullable().optional(),
    timeInterval: subscriptionMembers.timeInterval.nullable().optional(),
    q: subscriptionMembers.q.nullable().optional(),
    scopeQ: subscriptionMembers.scopeQ.nullable().optional(),
    geoQ: subscriptionMembers.geoQ.nullable().optional(),
    isActive: subscriptionMembers.isActive.optional(),
    expiresAt: subscriptionMembers.expiresAt.nullable().optional(),
    throttling: subscriptionMembers.throttling.nullable().optional(),
    lang: subscriptionMembers.lang.nullable().optional(),
    jsonldContext: subscriptionMembers.jsonldContext.nullable().optional(),
    notification: z
      .strictObject({
        attributes: notificationMembers.attributes.nullable(),
        pick: notifiedMembers.nullable(),
        omit: notifiedMembers.nullable(),
        format: notificationMembers.format,
        sysAttrs: notificationMembers.sysAttrs,
        showChanges: notificationMembers.showChanges,
        endpoint: NgsiEndpoint,
        ...notificationStatus,
      })
      .partial()
      .optional(),
    status: z.string().optional(),
    createdAt: readOnlyDate,
    modifiedAt: readOnlyDate,
    "@context": ContextValue.optional(),
  })
  .describe("NGSI-LD Subscription fragment");
export type NgsiSubscriptionFragment = z.infer<typeof NgsiSubscriptionFragment>;

/** What an endpoint receives (clause 5.3.1); over MQTT wrapped as `{ metadata, body }`. */
export const NgsiNotification = z
  .object({
    id: z.string(),
    type: z.literal("Notification"),
    subscriptionId: z.string(),
    notifiedAt: z.string(),
    data: z.array(z.record(z.string(), z.unknown())),
  })
  .describe("NGSI-LD Notification");

// ---------------------------------------------------------------------------------------------------
// Temporal API (clause 5.6.11 to 5.6.16, 5.7.3, 5.7.4; binding 6.18 to 6.24)
// ---------------------------------------------------------------------------------------------------

export const TEMPORAL_TIME_PROPERTIES = ["observedAt", "createdAt", "modifiedAt", "deletedAt"] as const;
export const TEMPORAL_AGGREGATION_METHODS = [
  "totalCount",
  "distinctCount",
  "sum",
  "avg",
  "min",
  "max",
  "stddev",
  "sumsq",
] as const;

const temporalWindow = {
  timerel: text("before | after | between: which instances, by the time property"),
  timeAt: text("ISO 8601 date-time the relation refers to"),
  endTimeAt: text("With timerel=between: the end of the interval (excluded)"),
  timeproperty: text("observedAt (default) | createdAt | modifiedAt | deletedAt"),
  lastN: text("Only the last N instances of each attribute (or N aggregation periods)"),
};

const temporalRepresentation = {
  options: text("Comma-separated: temporalValues | aggregatedValues | sysAttrs"),
  format: text("temporalValues | aggregatedValues | normalized"),
  aggrMethods: text(
    "With aggregatedValues, comma-separated: totalCount, distinctCount, sum, avg, min, max, stddev, sumsq",
  ),
  aggrPeriodDuration: text(
    "ISO 8601 duration of each aggregation period, e.g. PT1H (default PT0S: one period)",
  ),
  local: representation.local,
};

export const TemporalInstanceParams = z.strictObject({
  entityId: z.string().min(1).max(1024),
  attrId: z.string().min(1).max(1024),
  instanceId: z.string().min(1).max(1024).describe("The instanceId of an attribute instance"),
});

export const RetrieveTemporalEntityQuery = z.strictObject({
  ...temporalRepresentation,
  ...temporalWindow,
  attrs: projection.attrs,
  pick: projection.pick,
  omit: projection.omit,
});

export const QueryTemporalEntitiesQuery = z.strictObject({
  ...temporalRepresentation,
  ...temporalWindow,
  ...paging,
  attrs: projection.attrs,
  pick: projection.pick,
  omit: projection.omit,
  type: QueryEntitiesQuery.shape.type,
  id: QueryEntitiesQuery.shape.id,
  idPattern: QueryEntitiesQuery.shape.idPattern,
  q: text("NGSI-LD query language, evaluated on the entities' current state"),
  scopeQ: text("Scope query, evaluated on the entities' current scopes"),
  georel: QueryEntitiesQuery.shape.georel,
  geometry: QueryEntitiesQuery.shape.geometry,
  coordinates: QueryEntitiesQuery.shape.coordinates,
  geoproperty: QueryEntitiesQuery.shape.geoproperty,
});

export const QueryTemporalEntitiesPostQuery = z.strictObject({ ...temporalRepresentation, ...paging });

/** The TemporalQuery data type (clause 5.2.21). */
export const NgsiTemporalQ = z.strictObject({
  timerel: z.enum(["before", "after", "between"]).optional(),
  timeAt: z.string().max(64).optional(),
  endTimeAt: z.string().max(64).optional(),
  timeproperty: z.enum(TEMPORAL_TIME_PROPERTIES).optional(),
  lastN: z.number().int().min(1).optional(),
});

/** Body of `POST /temporal/entityOperations/query`: a Query with its `temporalQ`. */
export const NgsiTemporalQuery = NgsiQuery.extend({ temporalQ: NgsiTemporalQ.optional() });
export type NgsiTemporalQuery = z.infer<typeof NgsiTemporalQuery>;

/** An entity in temporal representation: each attribute one instance or an array of instances. */
export const NgsiTemporalEntity = z
  .looseObject({
    id: z.string().describe("URI, e.g. urn:ngsi-ld:CrowdFlowObserved:plaza-mayor"),
    type: z.union([z.string(), z.array(z.string()).min(1)]),
    "@context": ContextValue.optional(),
  })
  .describe("NGSI-LD EntityTemporal: attributes are arrays of instances, each with observedAt");

export const NgsiTemporalFragment = z
  .looseObject({
    id: z.string().optional(),
    type: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    "@context": ContextValue.optional(),
  })
  .describe("NGSI-LD EntityTemporal fragment: attributes to add, as arrays of instances");

/**
 * What the context broker's stream consumers could never process, with the reason, on its dead-letter
 * queue: a context update from ingestion, or a change of an entity the history could not record.
 */
export const ContextDeadLetter = z.object({
  kind: z.enum(["context-update", "entity-change"]),
  reason: z.enum(["invalid-update", "unknown-destination", "entity-too-large", "invalid-change"]),
  detail: z.string(),
  source: z.string(),
  sequenceNumber: z.string(),
  partitionKey: z.string().optional(),
  approximateArrivalTimestamp: z.iso.datetime(),
  /** The record's data: base64 for a Kinesis record, the keys as JSON for a table change. */
  data: z.string(),
  tenant: z.string().optional(),
  deadLetteredAt: z.iso.datetime(),
});
export type ContextDeadLetter = z.infer<typeof ContextDeadLetter>;
