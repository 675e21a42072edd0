import type { ContextDeps } from "../../domain/ports";
import type { EntityHead, HistoryChanges, HistoryInstance, SeriesPage, SeriesRead, SeriesRef } from "./model";

/**
 * The attribute instances of the destination in scope. Owned by the domain; the DynamoDB adapter
 * implements it (docs/context-broker.md, "Temporal API"). Instances expire after the destination's
 * retention (the one in force when they were written, or the current one if shorter); expired ones
 * are never returned, even before DynamoDB's TTL removes them.
 */
export interface HistoryStore {
  /** What the history knows of an entity (undefined: nothing at all). */
  head(entityId: string): Promise<EntityHead | undefined>;
  /** The series of one entity, oldest first within the window, as `read` asks. */
  read(series: SeriesRef, read: SeriesRead): Promise<SeriesPage>;
  /**
   * Records a change seen on the entities stream: instances are put as they are (the same change
   * always yields the same items, so a redelivery rewrites them unchanged), series are registered, the
   * head is brought up to date.
   */
  record(changes: HistoryChanges): Promise<void>;
  /**
   * Adds instances that never were current state (late observations, temporal POSTs): each only if no
   * instance with its id exists, so writing one again changes nothing. Registers their series and
   * makes sure the entity has a head with these types.
   */
  add(entityId: string, types: readonly string[], instances: readonly HistoryInstance[]): Promise<void>;
  /** One instance of an entity's attribute, in whichever of its datasets it is. */
  instance(entityId: string, attr: string, instanceId: string): Promise<HistoryInstance | undefined>;
  /** Replaces an instance in place (same series and id). */
  replace(instance: HistoryInstance): Promise<void>;
  /** Removes one instance. */
  removeInstance(instance: HistoryInstance): Promise<void>;
  /** Removes a series with its instances. */
  removeSeries(series: SeriesRef): Promise<void>;
  /** Removes everything the history holds of an entity; false when it held nothing. */
  removeEntity(entityId: string): Promise<boolean>;
}

/** A destination's own history retention, as its settings hold it (undefined: it has none). */
export interface RetentionSettings {
  historyRetentionDays(tenant: string): Promise<number | undefined>;
}

/** The retention that applies to a destination: its own, else the deployment's default. */
export interface RetentionPolicy {
  days(tenant: string): Promise<number>;
}

export interface TemporalDeps extends ContextDeps {
  /** The history of the destination in the request scope. */
  readonly history: () => HistoryStore;
}
