import type { NotificationTrigger } from "@sdp/contracts";
import type { ActiveContext } from "../domain/jsonld";
import type { Attribute, Entity } from "../domain/model";
import { type EntityQuery, type EntitySelector, matches, parseIdPattern, parseQ } from "../domain/query";
import type { QueryExpression } from "../domain/query-language";
import { parseScopeQuery } from "../domain/scope";
import { type Subscription, stateOf } from "./model";

/**
 * Which subscriptions a change of an entity concerns (clause 5.8.6 and 5.11): the change is described
 * by comparing the entity before and after; a subscription is notified when it is active, one of its
 * triggers fires for the changed attributes it watches, and the entity (after the change, before it
 * for a deletion) matches its entity selectors, q and geoQ — evaluated by the query engine itself.
 */
export interface AttributeChanges {
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly deleted: readonly string[];
}

export interface EntityChange {
  readonly kind: "created" | "updated" | "deleted";
  /** The entity after the change; before it for a deletion. */
  readonly entity: Entity;
  /** The entity before the change (updates and deletions). */
  readonly previous?: Entity;
  readonly attributes: AttributeChanges;
  /** Whether the entity's types changed. */
  readonly typesChanged: boolean;
  /** Whether the entity's scopes changed (an entity update too, though not an attribute change). */
  readonly scopeChanged: boolean;
  /** When the change happened (ISO 8601). */
  readonly at: string;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

const sameInstances = (a: readonly Attribute[], b: readonly Attribute[]) => canonical(a) === canonical(b);

/** What changed between two versions of an entity; undefined when neither exists. */
export function describeChange(
  before: Entity | undefined,
  after: Entity | undefined,
  at: string,
): EntityChange | undefined {
  if (!after) {
    if (!before) return undefined;
    return {
      kind: "deleted",
      entity: before,
      previous: before,
      attributes: { created: [], updated: [], deleted: Object.keys(before.attrs) },
      typesChanged: false,
      scopeChanged: false,
      at,
    };
  }
  if (!before) {
    return {
      kind: "created",
      entity: after,
      attributes: { created: Object.keys(after.attrs), updated: [], deleted: [] },
      typesChanged: false,
      scopeChanged: false,
      at,
    };
  }
  const created: string[] = [];
  const updated: string[] = [];
  const deleted: string[] = [];
  for (const name of new Set([...Object.keys(before.attrs), ...Object.keys(after.attrs)])) {
    const old = before.attrs[name] ?? [];
    const now = after.attrs[name] ?? [];
    if (old.length === 0 && now.length > 0) created.push(name);
    else if (old.length > 0 && now.length === 0) deleted.push(name);
    else if (!sameInstances(old, now)) {
      // Instances are told apart by datasetId: one that disappeared is a deletion of the attribute
      // (that dataset of it), the others changed are an update.
      const counterpart = (o: Attribute) => now.find((n) => n.datasetId === o.datasetId);
      const kept = old.filter((o) => counterpart(o) !== undefined);
      if (kept.length < old.length) deleted.push(name);
      const changed = kept.some((o) => canonical(o) !== canonical(counterpart(o)));
      if (now.length > kept.length || changed) updated.push(name);
    }
  }
  return {
    kind: "updated",
    entity: after,
    previous: before,
    attributes: { created, updated, deleted },
    typesChanged: canonical(before.types) !== canonical(after.types),
    scopeChanged: canonical(before.scope ?? []) !== canonical(after.scope ?? []),
    at,
  };
}

/** Whether one of the subscription's triggers fires for the change (clause 5.2.12, notificationTrigger). */
export function triggerFires(subscription: Subscription, change: EntityChange): boolean {
  const triggers = new Set<NotificationTrigger>(subscription.notificationTrigger);
  const watched = subscription.watchedAttributes;
  const hits = (names: readonly string[]) =>
    names.length > 0 && (watched === undefined || names.some((name) => watched.includes(name)));
  const { created, updated, deleted } = change.attributes;
  switch (change.kind) {
    case "created":
      if (triggers.has("entityCreated") && (watched === undefined || hits(created))) return true;
      return triggers.has("attributeCreated") && hits(created);
    case "updated": {
      if (triggers.has("entityUpdated")) {
        const all = [...created, ...updated, ...deleted];
        if (hits(all) || (watched === undefined && (change.typesChanged || change.scopeChanged))) return true;
      }
      if (triggers.has("attributeCreated") && hits(created)) return true;
      if (triggers.has("attributeUpdated") && hits(updated)) return true;
      return triggers.has("attributeDeleted") && hits(deleted);
    }
    case "deleted":
      // Deleting an entity deletes its attributes: attributeDeleted fires for the watched ones.
      return triggers.has("entityDeleted") || (triggers.has("attributeDeleted") && hits(deleted));
  }
}

/** A subscription ready to be evaluated: selectors and q parsed once per version. */
export interface CompiledSubscription {
  readonly subscription: Subscription;
  readonly query: EntityQuery;
}

/** Parses what the subscription stores as text; `qContext` is the active context q was written in. */
export function compile(subscription: Subscription, qContext: ActiveContext): CompiledSubscription {
  const selectors: EntitySelector[] = (subscription.entities ?? []).map((selector) => ({
    types: selector.type,
    ...(selector.id === undefined ? {} : { ids: [selector.id] }),
    ...(selector.idPattern === undefined
      ? {}
      : { idPattern: parseIdPattern(selector.idPattern, "idPattern") }),
  }));
  const q: QueryExpression | undefined =
    subscription.q === undefined ? undefined : parseQ(qContext, subscription.q);
  const scope = subscription.scopeQ === undefined ? undefined : parseScopeQuery(subscription.scopeQ);
  return {
    subscription,
    query: {
      selectors,
      ...(q ? { q } : {}),
      ...(scope ? { scope } : {}),
      ...(subscription.geoQ ? { geo: subscription.geoQ } : {}),
      limit: 1,
      offset: 0,
      count: false,
    },
  };
}

/** Whether the entity is one the subscription is about: selectors, q, scopeQ and geoQ (clause 5.11). */
export const selects = (compiled: CompiledSubscription, entity: Entity) => matches(entity, compiled.query);

export const isActive = (subscription: Subscription, now: string) => stateOf(subscription, now) === "active";

/** Whether a change concerns the subscription, all things considered except throttling. */
export function concerns(compiled: CompiledSubscription, change: EntityChange, now: string): boolean {
  return (
    isActive(compiled.subscription, now) &&
    compiled.subscription.timeInterval === undefined &&
    triggerFires(compiled.subscription, change) &&
    selects(compiled, change.entity)
  );
}

/** The earliest time a throttled subscription may be notified again, or undefined without throttling. */
export function throttledUntil(
  subscription: Subscription,
  lastNotification: string | undefined,
): number | undefined {
  if (subscription.throttling === undefined || lastNotification === undefined) return undefined;
  return Date.parse(lastNotification) + subscription.throttling * 1000;
}
