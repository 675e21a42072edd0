import type { ContextCache } from "../domain/contexts";
import type { EntityStore } from "../domain/ports";
import type { NetworkPolicy } from "./endpoint";
import type { DeliveryStatus, Subscription } from "./model";

/** Ports of the subscription domain; the adapters in ./adapters implement them. */
export interface StoredSubscription {
  readonly subscription: Subscription;
  readonly status: DeliveryStatus;
  /** The version the store holds, for conditional updates. */
  readonly revision: number;
}

export interface SubscriptionPage {
  readonly items: StoredSubscription[];
  readonly more: boolean;
  readonly count?: number;
}

/** The subscriptions of the destination in scope. */
export interface SubscriptionStore {
  /** Fails with `SubscriptionExistsError` when the id is taken. */
  create(subscription: Subscription): Promise<void>;
  get(id: string): Promise<StoredSubscription | undefined>;
  /** Subscriptions in id order. */
  list(page: { limit: number; offset: number; count: boolean }): Promise<SubscriptionPage>;
  /** Fails with `SubscriptionChangedError` when it changed or vanished since `revision`; keeps the delivery status. */
  update(subscription: Subscription, revision: number): Promise<void>;
  /** Whether there was one to delete. */
  delete(id: string): Promise<boolean>;
  /**
   * Every subscription that may concern an entity having one of the types (those indexed under one of
   * them, and those naming no type): a superset the notifier filters exactly. No scan.
   */
  candidates(types: readonly string[]): Promise<StoredSubscription[]>;
  /**
   * Takes the notification slot of a throttled subscription: true (and lastNotification set to `now`)
   * when its last notification is not later than `notAfter`, atomically.
   */
  reserve(id: string, now: string, notAfter: string): Promise<boolean>;
  /** Records a delivery atomically (counters, last times, status); a deleted subscription is left alone. */
  record(id: string, outcome: { at: string; ok: boolean }): Promise<void>;
}

/** A periodic subscription's next run. */
export interface Timer {
  readonly tenant: string;
  readonly subscriptionId: string;
  readonly due: string;
}

/** The next runs of every periodic subscription, across destinations (a platform table). */
export interface TimerStore {
  set(tenant: string, subscriptionId: string, due: string): Promise<void>;
  remove(tenant: string, subscriptionId: string): Promise<void>;
  /** Timers due at `now` or earlier. */
  due(now: string): AsyncIterable<Timer>;
  /** Moves a timer on, if nobody else did since it was read: whether this caller owns the run. */
  advance(timer: Timer, next: string): Promise<boolean>;
}

export interface HttpRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

/** POSTs a notification; rejects on network errors and timeouts, `DeliveryRefusedError` for forbidden addresses. */
export interface HttpSender {
  post(request: HttpRequest): Promise<{ status: number }>;
}

export interface MqttMessage {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  readonly topic: string;
  readonly payload: string;
  readonly qos: 0 | 1;
  readonly timeoutMs: number;
}

/** Publishes to the platform's MQTT broker (IoT Core in AWS, the local broker on one machine). */
export interface MqttPublisher {
  publish(message: MqttMessage): Promise<void>;
}

/** A delivery that must not be retried: the endpoint is not one the broker may reach. */
export class DeliveryRefusedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "DeliveryRefusedError";
  }
}

export class SubscriptionExistsError extends Error {
  constructor(id: string) {
    super(`subscription ${id} exists`);
    this.name = "SubscriptionExistsError";
  }
}

export class SubscriptionChangedError extends Error {
  constructor(id: string) {
    super(`subscription ${id} changed concurrently`);
    this.name = "SubscriptionChangedError";
  }
}

export interface DeliverySettings {
  /** Attempts per notification, the first included. */
  readonly attempts: number;
  /** Wait before the n-th retry: base × 4^(n-1), with jitter. */
  readonly backoffMs: number;
  /** Per-attempt timeout when the endpoint names none. */
  readonly timeoutMs: number;
  /** Deliveries in flight at once. */
  readonly concurrency: number;
}

export const DEFAULT_DELIVERY: DeliverySettings = {
  attempts: 3,
  backoffMs: 200,
  timeoutMs: 5_000,
  concurrency: 16,
};

/** What the subscription API needs. */
export interface SubscriptionDeps {
  readonly subscriptions: () => SubscriptionStore;
  readonly timers: TimerStore;
  readonly contexts: ContextCache;
  readonly network: NetworkPolicy;
  readonly now?: () => string;
  readonly newId?: () => string;
}

/** What the notifier (stream consumer and periodic schedule) needs. */
export interface NotifierDeps {
  readonly subscriptions: () => SubscriptionStore;
  readonly entities: () => EntityStore;
  readonly timers: TimerStore;
  readonly contexts: ContextCache;
  readonly http: HttpSender;
  readonly mqtt: MqttPublisher;
  readonly network: NetworkPolicy;
  readonly now?: () => string;
  readonly newId?: () => string;
  readonly delivery?: Partial<DeliverySettings>;
}
