import type { NotificationTrigger } from "@sdp/contracts";
import type { Json } from "../domain/model";
import type { GeoQuery } from "../domain/query";
import type { TypeExpression } from "../domain/type-selection";

/**
 * NGSI-LD subscriptions (ETSI GS CIM 009 V1.8.1, clauses 5.2.12 and 5.8) as the broker keeps them:
 * entity types and attribute names expanded to IRIs, so requesters with different @contexts share
 * them. `q` is the one exception: it is kept as written, with the @context it was written in, and
 * read again with that context when it is evaluated (names inside q cannot be written back as IRIs).
 */
export type NotificationFormat = "normalized" | "keyValues" | "concise";
export type NotificationMediaType = "application/json" | "application/ld+json";

export const DEFAULT_TRIGGERS: readonly NotificationTrigger[] = ["attributeCreated", "attributeUpdated"];

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

export interface Endpoint {
  readonly uri: string;
  readonly accept: NotificationMediaType;
  /** Milliseconds per delivery attempt. */
  readonly timeout?: number;
  readonly receiverInfo?: KeyValue[];
  readonly notifierInfo?: KeyValue[];
}

export interface NotificationSpec {
  /** Expanded names of the attributes notifications carry (all when absent). */
  readonly attributes?: string[];
  /**
   * The projection of notified entities (clause 4.21): the members kept (`pick`) or dropped (`omit`),
   * `id`, `type`, `scope` or expanded attribute names. Neither goes with `attributes` or the other.
   */
  readonly pick?: string[];
  readonly omit?: string[];
  readonly format: NotificationFormat;
  readonly sysAttrs: boolean;
  readonly showChanges: boolean;
  readonly endpoint: Endpoint;
}

export interface SelectorSpec {
  readonly id?: string;
  readonly idPattern?: string;
  /** The type selection with expanded type names. */
  readonly type: TypeExpression;
}

export interface Subscription {
  readonly id: string;
  readonly subscriptionName?: string;
  readonly description?: string;
  readonly entities?: SelectorSpec[];
  /** Expanded names. */
  readonly watchedAttributes?: string[];
  readonly notificationTrigger: NotificationTrigger[];
  /** Seconds between periodic notifications. */
  readonly timeInterval?: number;
  /** The query as written, read with `qContext`. */
  readonly q?: string;
  readonly qContext?: Json;
  /** The scope query as written (clause 4.19); it names no terms, so no @context is needed. */
  readonly scopeQ?: string;
  readonly geoQ?: GeoQuery;
  readonly isActive: boolean;
  readonly expiresAt?: string;
  /** Least seconds between two notifications. */
  readonly throttling?: number;
  readonly lang?: string;
  readonly jsonldContext?: string;
  /** The @context the subscription was created with: notifications are compacted with it by default. */
  readonly context?: Json;
  readonly notification: NotificationSpec;
  readonly createdAt: string;
  readonly modifiedAt: string;
}

/** What the broker records about deliveries (clause 5.2.14), updated atomically after each one. */
export interface DeliveryStatus {
  readonly timesSent: number;
  readonly timesFailed: number;
  readonly lastNotification?: string;
  readonly lastSuccess?: string;
  readonly lastFailure?: string;
  readonly status?: "ok" | "failed";
}

export type SubscriptionState = "active" | "paused" | "expired";

export function stateOf(subscription: Subscription, now: string): SubscriptionState {
  if (!subscription.isActive) return "paused";
  if (subscription.expiresAt !== undefined && Date.parse(subscription.expiresAt) <= Date.parse(now))
    return "expired";
  return "active";
}

/** The id of a subscription created without one. */
export const subscriptionUrn = (unique: string) => `urn:ngsi-ld:Subscription:${unique}`;
export const notificationUrn = (unique: string) => `urn:ngsi-ld:Notification:${unique}`;
