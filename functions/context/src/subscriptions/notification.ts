import { type ActiveContext, compactTerm } from "../domain/jsonld";
import { type Attribute, type Entity, type Json, type JsonObject, NGSI_LD_NULL } from "../domain/model";
import {
  keepsMember,
  parseLanguagePreference,
  primaryValue,
  renderEntity,
  type View,
} from "../domain/render";
import type { EntityChange } from "./matching";
import { notificationUrn, type Subscription } from "./model";

/**
 * Builds notifications (clause 5.3.1): each changed entity rendered in the subscription's format with
 * its @context, only the attributes it asks for (`attributes`) or the members its projection keeps
 * (`pick`, `omit`, clause 4.21); with showChanges, updated attributes carry their previous value
 * (previousValue, previousObject, previousLanguageMap, previousJson); deleted attributes (and every
 * attribute of a deleted entity) appear with the NGSI-LD Null.
 */
const PRIMARY: Record<Attribute["type"], string> = {
  Property: "value",
  GeoProperty: "value",
  Relationship: "object",
  LanguageProperty: "languageMap",
  JsonProperty: "json",
  VocabProperty: "vocab",
  ListProperty: "valueList",
  ListRelationship: "objectList",
};
const PREVIOUS: Record<Attribute["type"], string> = {
  Property: "previousValue",
  GeoProperty: "previousValue",
  Relationship: "previousObject",
  LanguageProperty: "previousLanguageMap",
  JsonProperty: "previousJson",
  VocabProperty: "previousVocab",
  ListProperty: "previousValueList",
  ListRelationship: "previousObjectList",
};

function viewOf(subscription: Subscription): View {
  const n = subscription.notification;
  const lang = subscription.lang === undefined ? undefined : parseLanguagePreference(subscription.lang);
  return {
    format: n.format,
    sysAttrs: n.sysAttrs,
    ...(lang ? { lang } : {}),
    // attributes selects attributes (id, type and scope stay); pick and omit project any member.
    ...(n.attributes ? { pick: new Set(["id", "type", "scope", ...n.attributes]) } : {}),
    ...(n.pick ? { pick: new Set(n.pick) } : {}),
    ...(n.omit ? { omit: new Set(n.omit) } : {}),
  };
}

/** The NGSI-LD Null in the shape of an attribute type's primary member (lists: a list of it). */
function nullOf(type: Attribute["type"]): Json {
  if (type === "ListProperty") return [NGSI_LD_NULL];
  if (type === "ListRelationship") return [{ object: NGSI_LD_NULL }];
  return NGSI_LD_NULL;
}

/**
 * An attribute instance that no longer exists: its type (when the format keeps types), the NGSI-LD
 * Null, and with sysAttrs when it was deleted.
 */
function removed(attribute: Attribute, subscription: Subscription, at: string, ctx: ActiveContext): Json {
  const { format, showChanges, sysAttrs } = subscription.notification;
  if (format === "keyValues") return NGSI_LD_NULL;
  return {
    ...(format === "normalized" ? { type: attribute.type } : {}),
    [PRIMARY[attribute.type]]: nullOf(attribute.type),
    ...(attribute.datasetId === undefined ? {} : { datasetId: attribute.datasetId }),
    ...(showChanges ? { [PREVIOUS[attribute.type]]: primaryValue(ctx, attribute) } : {}),
    ...(sysAttrs
      ? {
          ...(attribute.createdAt === undefined ? {} : { createdAt: attribute.createdAt }),
          ...(attribute.modifiedAt === undefined ? {} : { modifiedAt: attribute.modifiedAt }),
          deletedAt: at,
        }
      : {}),
  };
}

function removedAll(
  instances: readonly Attribute[],
  subscription: Subscription,
  at: string,
  ctx: ActiveContext,
): Json {
  const rendered = instances.map((a) => removed(a, subscription, at, ctx));
  return rendered.length === 1 ? (rendered[0] ?? null) : rendered;
}

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * An attribute some of whose datasets were deleted while others remain: the remaining instances as
 * rendered, followed by the deleted ones with the NGSI-LD Null (in keyValues, one `dataset` map).
 */
function withRemoved(
  rendered: Json,
  remaining: readonly Attribute[],
  gone: readonly Attribute[],
  subscription: Subscription,
  at: string,
  ctx: ActiveContext,
): Json {
  if (subscription.notification.format === "keyValues") {
    const single = remaining.length === 1 && remaining[0]?.datasetId === undefined;
    const dataset: JsonObject = single
      ? { "@none": rendered }
      : isObject(rendered) && isObject(rendered.dataset)
        ? { ...rendered.dataset }
        : {};
    for (const instance of gone) dataset[instance.datasetId ?? "@none"] = NGSI_LD_NULL;
    return { dataset };
  }
  const current = Array.isArray(rendered) ? rendered : [rendered];
  return [...current, ...gone.map((a) => removed(a, subscription, at, ctx))];
}

/** Adds the previous value of each instance (matched by datasetId) to a rendered attribute. */
function withPrevious(
  ctx: ActiveContext,
  rendered: Json,
  previous: readonly Attribute[],
  current: readonly Attribute[],
): Json {
  const before = (datasetId: string | undefined) => previous.find((a) => a.datasetId === datasetId);
  const annotate = (json: Json, instance: Attribute | undefined): Json => {
    const old = instance ? before(instance.datasetId) : undefined;
    if (!old || !instance) return json;
    const member = { [PREVIOUS[old.type]]: primaryValue(ctx, old) };
    // A concise plain value becomes an object to carry its previous value.
    return isObject(json) ? { ...json, ...member } : { value: json, ...member };
  };
  if (Array.isArray(rendered) && current.length > 1)
    return rendered.map((json, index) => annotate(json, current[index]));
  return annotate(rendered, current[0]);
}

/** One entry of a notification's data for a change. */
export function notificationEntry(
  subscription: Subscription,
  ctx: ActiveContext,
  change: EntityChange,
): JsonObject {
  const { format, showChanges, sysAttrs } = subscription.notification;
  const view = viewOf(subscription);
  if (change.kind === "deleted") {
    // A deleted entity is its id, type and deletedAt; its attributes appear (as the NGSI-LD Null) to
    // show their last values, or as the deleted attributes an attributeDeleted subscription watches.
    const out: JsonObject = {
      ...(keepsMember(view, "id") ? { id: change.entity.id } : {}),
      ...(keepsMember(view, "type") ? { type: compactTypes(ctx, change.entity.types) } : {}),
      ...(sysAttrs ? { createdAt: change.entity.createdAt, modifiedAt: change.entity.modifiedAt } : {}),
      deletedAt: change.at,
    };
    const { watchedAttributes, notificationTrigger } = subscription;
    const asDeletedAttributes = notificationTrigger.includes("attributeDeleted");
    if (!showChanges && !asDeletedAttributes) return out;
    for (const [name, instances] of Object.entries(change.entity.attrs)) {
      const shown = showChanges || watchedAttributes === undefined || watchedAttributes.includes(name);
      if (shown && keepsMember(view, name) && instances.length > 0)
        out[compactTerm(ctx, name)] = removedAll(instances, subscription, change.at, ctx);
    }
    return out;
  }
  const out = renderEntity(change.entity, ctx, view);
  if (showChanges && format !== "keyValues" && change.previous) {
    for (const name of change.attributes.updated) {
      const key = compactTerm(ctx, name);
      const rendered = out[key];
      if (rendered === undefined) continue;
      out[key] = withPrevious(
        ctx,
        rendered,
        change.previous.attrs[name] ?? [],
        change.entity.attrs[name] ?? [],
      );
    }
  }
  for (const name of change.attributes.deleted) {
    if (!keepsMember(view, name)) continue;
    const remaining = change.entity.attrs[name] ?? [];
    const gone = (change.previous?.attrs[name] ?? []).filter(
      (old) => !remaining.some((now) => now.datasetId === old.datasetId),
    );
    const key = compactTerm(ctx, name);
    const rendered = out[key];
    if (gone.length === 0) continue;
    out[key] =
      rendered === undefined || remaining.length === 0
        ? removedAll(gone, subscription, change.at, ctx)
        : withRemoved(rendered, remaining, gone, subscription, change.at, ctx);
  }
  return out;
}

/** The current state of an entity, for periodic notifications. */
export function currentEntry(subscription: Subscription, ctx: ActiveContext, entity: Entity): JsonObject {
  return renderEntity(entity, ctx, viewOf(subscription));
}

function compactTypes(ctx: ActiveContext, types: readonly string[]): Json {
  const compacted = types.map((t) => compactTerm(ctx, t));
  return compacted.length === 1 ? (compacted[0] ?? "") : compacted;
}

export interface Notification {
  readonly id: string;
  readonly type: "Notification";
  readonly subscriptionId: string;
  readonly notifiedAt: string;
  readonly data: JsonObject[];
}

export function buildNotification(
  subscription: Subscription,
  data: JsonObject[],
  notifiedAt: string,
  unique: string,
): Notification {
  return {
    id: notificationUrn(unique),
    type: "Notification",
    subscriptionId: subscription.id,
    notifiedAt,
    data,
  };
}

/** Most bytes of entity data one notification carries; more are split over several notifications. */
export const MAX_NOTIFICATION_DATA_BYTES = 96 * 1024;

/** Splits entries into notification-sized groups, each with at least one entry, order kept. */
export function chunkData(
  entries: readonly JsonObject[],
  limit = MAX_NOTIFICATION_DATA_BYTES,
): JsonObject[][] {
  const chunks: JsonObject[][] = [];
  let current: JsonObject[] = [];
  let size = 0;
  for (const entry of entries) {
    const bytes = Buffer.byteLength(JSON.stringify(entry));
    if (current.length > 0 && size + bytes > limit) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
