import { canonicalJson } from "@sdp/contracts";
import { asNgsiError, EntityInternals } from "../../domain/entity";
import type { Attribute, Entity } from "../../domain/model";
import { EntityChangedError, EntityExistsError, type StoredEntity } from "../../domain/ports";
import { valueInstance, withoutSystemMembers } from "./instances";
import type { HistoryInstance, SeriesRef } from "./model";
import type { TemporalDeps } from "./ports";

/**
 * Observations of an entity's attributes — from devices through ingestion, or a client's temporal POST —
 * applied to its current state and history:
 * - the entity is created on its first observation;
 * - an attribute's current value changes only when an observation is newer (by `observedAt`) than the
 *   stored one: out-of-order delivery never lets an older value win;
 * - every observation lands in history: the one that becomes current through the entities stream, the
 *   others written directly, under the same deterministic instance ids (so nothing is recorded twice);
 * - a change carrying a `receipt` (a context update's id) is recorded with the entity in the same
 *   conditional write, and a change whose receipt the entity has is not applied again.
 */
export interface Observations {
  readonly entityId: string;
  /** Expanded type IRIs: the entity gets them if it lacks them. */
  readonly types: readonly string[];
  /** Instances by expanded attribute name, each with its observedAt. */
  readonly observed: Readonly<Record<string, readonly Attribute[]>>;
  /** Attributes of the current state only (no history of their own beyond the stream's). */
  readonly statics?: Readonly<Record<string, Attribute>>;
  readonly receipt?: string;
  /** When the observations reached the platform: the recorded time of instances written directly. */
  readonly receivedAt: string;
  /** Write every instance to history at once, also those becoming current (temporal POST). */
  readonly recordAll: boolean;
}

export type ApplyOutcome = "created" | "updated" | "unchanged" | "duplicate";

const MAX_ATTEMPTS = 5;

const isNewer = (candidate: string | undefined, stored: string | undefined) =>
  stored === undefined || (candidate !== undefined && Date.parse(candidate) > Date.parse(stored));

const sameContent = (a: Attribute, b: Attribute) =>
  canonicalJson(withoutSystemMembers(a)) === canonicalJson(withoutSystemMembers(b));

function stamp(attribute: Attribute, now: string, previous?: Attribute): Attribute {
  return { ...attribute, createdAt: previous?.createdAt ?? now, modifiedAt: now };
}

interface Plan {
  readonly entity: Entity;
  readonly changed: boolean;
  /** Instances for history that will not reach it through the entities stream. */
  readonly direct: HistoryInstance[];
}

/** What the observations change in the entity as stored (or in a new one), without writing. */
export function planObservations(o: Observations, stored: Entity | undefined, now: string): Plan {
  const entity: Entity = stored
    ? structuredClone(stored)
    : { id: o.entityId, types: [...o.types], createdAt: now, modifiedAt: now, attrs: {} };
  let changed = stored === undefined;
  let fresh = true;
  const direct: HistoryInstance[] = [];
  for (const [name, instances] of Object.entries(o.observed)) {
    const byDataset = new Map<string | undefined, Attribute[]>();
    for (const instance of instances) {
      byDataset.set(instance.datasetId, [...(byDataset.get(instance.datasetId) ?? []), instance]);
    }
    const list = entity.attrs[name] ?? [];
    for (const [datasetId, group] of byDataset) {
      const series: SeriesRef = {
        entityId: o.entityId,
        attr: name,
        ...(datasetId === undefined ? {} : { datasetId }),
      };
      const ordered = [...group].sort(
        (a, b) => Date.parse(b.observedAt ?? "") - Date.parse(a.observedAt ?? "") || 0,
      );
      const [newest, ...older] = ordered;
      if (!newest) continue;
      const at = list.findIndex((a) => a.datasetId === datasetId);
      const existing = at >= 0 ? list[at] : undefined;
      let rest = older;
      if (!existing || isNewer(newest.observedAt, existing.observedAt)) {
        if (existing) list[at] = stamp(newest, now, existing);
        else list.push(stamp(newest, now));
        changed = true;
        if (o.recordAll) direct.push(valueInstance(series, newest, o.receivedAt));
      } else {
        if (isNewer(existing.observedAt, newest.observedAt)) fresh = false;
        rest = ordered;
      }
      for (const instance of rest) {
        // The current value itself is already history (the stream recorded it).
        if (existing && existing.observedAt === instance.observedAt && sameContent(existing, instance))
          continue;
        direct.push(valueInstance(series, instance, o.receivedAt));
      }
    }
    if (list.length > 0) entity.attrs[name] = list;
  }
  for (const [name, attribute] of Object.entries(o.statics ?? {})) {
    const list = entity.attrs[name] ?? [];
    const at = list.findIndex((a) => a.datasetId === attribute.datasetId);
    const existing = at >= 0 ? list[at] : undefined;
    // A late update must not put back registry data that newer updates replaced.
    if (existing && (!fresh || sameContent(existing, attribute))) continue;
    if (existing) list[at] = stamp(attribute, now, existing);
    else list.push(stamp(attribute, now));
    entity.attrs[name] = list;
    changed = true;
  }
  const missing = o.types.filter((t) => !entity.types.includes(t));
  if (missing.length > 0) {
    entity.types = [...entity.types, ...missing];
    changed = true;
  }
  if (changed) entity.modifiedAt = now;
  return { entity, changed, direct };
}

/** Applies observations to the entity of the destination in scope (retrying concurrent changes). */
export async function applyObservations(deps: TemporalDeps, o: Observations): Promise<ApplyOutcome> {
  const store = deps.store();
  for (let attempt = 1; ; attempt++) {
    try {
      const stored: StoredEntity | undefined = await store.get(o.entityId);
      if (stored && o.receipt !== undefined && stored.revision.receipts?.includes(o.receipt)) {
        return "duplicate";
      }
      const plan = planObservations(o, stored?.entity, EntityInternals.timestamp(deps));
      // History first: if the entity write (with its receipt) succeeds, nothing is left to redo.
      if (plan.direct.length > 0) await deps.history().add(o.entityId, plan.entity.types, plan.direct);
      if (!plan.changed) return "unchanged";
      if (stored) await store.update(plan.entity, stored.revision, o.receipt);
      else await store.create(plan.entity, o.receipt);
      return stored ? "updated" : "created";
    } catch (error) {
      const retry = error instanceof EntityChangedError || error instanceof EntityExistsError;
      if (!retry || attempt >= MAX_ATTEMPTS) throw asNgsiError(error) ?? error;
    }
  }
}
