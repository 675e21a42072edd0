import type { Attribute, AttributeType } from "../../domain/model";

/**
 * The temporal evolution of entities (clause 4.5.7): every change of an attribute is an attribute
 * instance with its own id, kept in a series per entity, attribute and datasetId.
 */
export interface SeriesRef {
  readonly entityId: string;
  /** Expanded attribute name. */
  readonly attr: string;
  readonly datasetId?: string;
}

/** What an instance holds: the attribute as it was, or the mark of its deletion. */
export type InstanceContent =
  | { readonly kind: "value"; readonly attribute: Attribute }
  | { readonly kind: "deleted"; readonly type: AttributeType };

export interface HistoryInstance extends SeriesRef {
  /** `urn:ngsi-ld:AttributeInstance:<time>-<hash>`: derived from the series, time and content. */
  readonly instanceId: string;
  /** The instance's place in its series: observedAt, else when the broker changed the attribute (UTC). */
  readonly time: string;
  readonly content: InstanceContent;
  /** When the broker recorded the instance, and last changed it. */
  readonly createdAt: string;
  readonly modifiedAt: string;
  readonly deletedAt?: string;
}

/** What the history knows of an entity: its types, when it appeared and vanished, its series. */
export interface EntityHead {
  readonly entityId: string;
  readonly types: readonly string[];
  readonly createdAt?: string;
  readonly modifiedAt?: string;
  readonly deletedAt?: string;
  readonly series: readonly SeriesRef[];
}

/** A change to the head of an entity's history. */
export type HeadChange =
  | {
      readonly kind: "present";
      readonly types: readonly string[];
      readonly createdAt: string;
      readonly at: string;
    }
  | { readonly kind: "deleted"; readonly at: string };

/** What one change of an entity adds to its history. */
export interface HistoryChanges {
  readonly entityId: string;
  readonly instances: readonly HistoryInstance[];
  /** Series seen for the first time (registered in the entity's catalog). */
  readonly series: readonly SeriesRef[];
  readonly head?: HeadChange;
}

export type TimeProperty = "observedAt" | "createdAt" | "modifiedAt" | "deletedAt";

/** A time window, bounds in normalized UTC ISO form. */
export interface TimeWindow {
  /** Instances at or after (`inclusive`) or strictly after this time. */
  readonly from?: { readonly time: string; readonly inclusive: boolean };
  /** Instances strictly before this time. */
  readonly before?: string;
}

export interface SeriesRead {
  readonly property: TimeProperty;
  readonly window: TimeWindow;
  /** Only the newest N instances (still returned oldest first). */
  readonly lastN?: number;
  /** Most instances read; more are reported as `truncated`. */
  readonly limit: number;
}

export interface SeriesPage {
  readonly instances: HistoryInstance[];
  readonly truncated: boolean;
}

export const sameSeries = (a: SeriesRef, b: SeriesRef) =>
  a.entityId === b.entityId && a.attr === b.attr && a.datasetId === b.datasetId;

/** The time an instance has for a time property (observedAt falls back to its place in the series). */
export function timeOf(instance: HistoryInstance, property: TimeProperty): string | undefined {
  switch (property) {
    case "observedAt":
      return instance.time;
    case "createdAt":
      return instance.createdAt;
    case "modifiedAt":
      return instance.modifiedAt;
    case "deletedAt":
      return instance.deletedAt;
  }
}

/** Whether a normalized time lies in the window. */
export function inWindow(time: string, window: TimeWindow): boolean {
  if (window.from) {
    if (window.from.inclusive ? time < window.from.time : time <= window.from.time) return false;
  }
  return window.before === undefined || time < window.before;
}
