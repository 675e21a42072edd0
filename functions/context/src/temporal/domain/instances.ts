import { createHash } from "node:crypto";
import { canonicalJson } from "@sdp/contracts";
import type { Attribute, Entity } from "../../domain/model";
import type { HeadChange, HistoryChanges, HistoryInstance, InstanceContent, SeriesRef } from "./model";

/**
 * Attribute instances and their identity. An instance id is derived from what the instance is — its
 * series, its time and its content — never from when or how often it was written, so the stream
 * consumer, the ingest applier and a client's temporal POST write the same item for the same
 * observation, however often each of them is run again.
 */
const INSTANCE_PREFIX = "urn:ngsi-ld:AttributeInstance:";
const INSTANCE_ID = /^urn:ngsi-ld:AttributeInstance:(\d{8}T\d{9}Z)-([0-9a-f]{24})$/;

/** A date-time in the one form that sorts as text: `YYYY-MM-DDTHH:mm:ss.sssZ` (UTC). */
export function normalizeTime(text: string): string | undefined {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  return year < 0 || year > 9999 ? undefined : date.toISOString();
}

const compact = (time: string) => time.replace(/[-:.]/g, "");

function expand(compactTime: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(compactTime);
  if (!m) return "";
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`;
}

/** The instance id: readable time first (so it locates the instance), then a hash of what it is. */
export function instanceIdOf(series: SeriesRef, time: string, content: InstanceContent): string {
  const hash = createHash("sha256")
    .update(
      canonicalJson({
        e: series.entityId,
        a: series.attr,
        d: series.datasetId ?? null,
        t: time,
        c: content.kind === "deleted" ? { deleted: content.type } : withoutSystemMembers(content.attribute),
      }),
    )
    .digest("hex")
    .slice(0, 24);
  return `${INSTANCE_PREFIX}${compact(time)}-${hash}`;
}

/** The time and hash an instance id carries, or undefined when it is not one of ours. */
export function parseInstanceId(id: string): { time: string; hash: string } | undefined {
  const m = INSTANCE_ID.exec(id);
  if (!m?.[1] || !m[2]) return undefined;
  const time = expand(m[1]);
  return time === "" || normalizeTime(time) !== time ? undefined : { time, hash: m[2] };
}

/** The attribute without the members the broker stamps (they say when it was written, not what it is). */
export function withoutSystemMembers(attribute: Attribute): Attribute {
  const { createdAt: _created, modifiedAt: _modified, ...rest } = attribute;
  return rest;
}

/** An instance of an attribute as it is now. `recordedAt` is when the broker made the change. */
export function valueInstance(series: SeriesRef, attribute: Attribute, recordedAt: string): HistoryInstance {
  const time = normalizeTime(attribute.observedAt ?? attribute.modifiedAt ?? recordedAt) ?? recordedAt;
  const content: InstanceContent = { kind: "value", attribute: withoutSystemMembers(attribute) };
  return {
    ...seriesOf(series),
    instanceId: instanceIdOf(series, time, content),
    time,
    content,
    createdAt: recordedAt,
    modifiedAt: recordedAt,
  };
}

/** The instance recording that an attribute was deleted (clause 4.5.7: NGSI-LD Null with deletedAt). */
export function deletionInstance(
  series: SeriesRef,
  attribute: Attribute,
  deletedAt: string,
): HistoryInstance {
  const time = normalizeTime(deletedAt) ?? deletedAt;
  const content: InstanceContent = { kind: "deleted", type: attribute.type };
  return {
    ...seriesOf(series),
    instanceId: instanceIdOf(series, time, content),
    time,
    content,
    createdAt: time,
    modifiedAt: time,
    deletedAt: time,
  };
}

const seriesOf = (series: SeriesRef): SeriesRef => ({
  entityId: series.entityId,
  attr: series.attr,
  ...(series.datasetId === undefined ? {} : { datasetId: series.datasetId }),
});

function instancesOf(entity: Entity | undefined): Map<string, { name: string; attribute: Attribute }> {
  const out = new Map<string, { name: string; attribute: Attribute }>();
  for (const [name, list] of Object.entries(entity?.attrs ?? {})) {
    for (const attribute of list) out.set(`${attribute.datasetId ?? "@none"}|${name}`, { name, attribute });
  }
  return out;
}

const sameTypes = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((t, i) => t === b[i]);

/**
 * What one change of an entity item adds to the history (the diff of its old and new image):
 * - an attribute instance new or different in the new image is a new instance (at its observedAt, else
 *   at the time the broker changed it);
 * - an attribute instance gone from the new image is recorded as deleted at the entity's modification;
 * - a deleted entity records the deletion of every attribute it had, at `changedAt` (when the stream
 *   saw the change) or its last modification, whichever is later.
 * Untouched attributes record nothing. The result depends only on the images, so a redelivered change
 * yields the same instances.
 */
export function diffEntity(
  entityId: string,
  before: Entity | undefined,
  after: Entity | undefined,
  changedAt: string,
): HistoryChanges {
  const instances: HistoryInstance[] = [];
  const series: SeriesRef[] = [];
  const old = instancesOf(before);
  const now = instancesOf(after);
  const ref = (name: string, attribute: Attribute): SeriesRef => ({
    entityId,
    attr: name,
    ...(attribute.datasetId === undefined ? {} : { datasetId: attribute.datasetId }),
  });
  if (after) {
    for (const [key, { name, attribute }] of now) {
      const previous = old.get(key);
      if (previous && canonicalJson(previous.attribute) === canonicalJson(attribute)) continue;
      if (!previous) series.push(ref(name, attribute));
      instances.push(
        valueInstance(ref(name, attribute), attribute, attribute.modifiedAt ?? after.modifiedAt),
      );
    }
    for (const [key, { name, attribute }] of old) {
      if (!now.has(key)) instances.push(deletionInstance(ref(name, attribute), attribute, after.modifiedAt));
    }
  }
  let head: HeadChange | undefined;
  if (after && (!before || !sameTypes(before.types, after.types) || series.length > 0)) {
    head = { kind: "present", types: after.types, createdAt: after.createdAt, at: after.modifiedAt };
  } else if (!after && before) {
    const normalized = normalizeTime(changedAt) ?? changedAt;
    const deletedAt = [normalized, before.modifiedAt].sort().at(-1) ?? normalized;
    for (const { name, attribute } of old.values()) {
      instances.push(deletionInstance(ref(name, attribute), attribute, deletedAt));
    }
    head = { kind: "deleted", at: deletedAt };
  }
  return { entityId, instances, series, ...(head ? { head } : {}) };
}
