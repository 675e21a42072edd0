import { TenantSlug } from "@sdp/contracts";
import { errorFields, log, newId, Scope } from "@sdp/kernel";
import type { ActiveContext } from "../domain/jsonld";
import type { JsonObject } from "../domain/model";
import { NonexistentTenantError } from "../domain/ports";
import { runQuery } from "../domain/query";
import { compactionContext, deliver, inPool, prepare } from "./delivery";
import { type CompiledSubscription, compile, concerns, type EntityChange, isActive } from "./matching";
import type { Subscription } from "./model";
import { buildNotification, chunkData, currentEntry, notificationEntry } from "./notification";
import {
  DEFAULT_DELIVERY,
  DeliveryRefusedError,
  type DeliverySettings,
  type NotifierDeps,
  type StoredSubscription,
  type SubscriptionStore,
  type Timer,
} from "./ports";

/**
 * The notifier (clause 5.8.6): turns the changes of a destination's entities into notifications for
 * the subscriptions they concern, and sends periodic notifications when their timers are due.
 *
 * - Each subscription gets one notification per stream batch, with every change that concerns it in
 *   stream order (split when the data would exceed ~96 KB).
 * - Deliveries run concurrently with a timeout per attempt and a few retries; a failing endpoint only
 *   costs its own slot. Outcomes are recorded on the subscription atomically (counters, times, status).
 * - Only a failure to read subscriptions fails a record (the batch is retried from it); a failed
 *   delivery never does, so one bad endpoint cannot hold up the others.
 */
export interface ChangeRecord {
  /** The stream sequence number, reported back when the record could not be processed. */
  readonly sequence: string;
  readonly change: EntityChange;
}

export interface NotifyResult {
  /** The first record that could not be processed (the batch resumes there), if any. */
  readonly failedSequence?: string;
  readonly notifications: number;
  readonly delivered: number;
  readonly failed: number;
  readonly throttled: number;
}

interface Group {
  readonly compiled: CompiledSubscription;
  readonly ctx: ActiveContext;
  readonly entries: JsonObject[];
}

/** Compiled subscriptions per container, by destination, id and version. */
const compiledCache = new Map<string, CompiledSubscription>();
const COMPILED_CACHE_SIZE = 2_000;

const timestamp = (deps: NotifierDeps) => deps.now?.() ?? new Date().toISOString();
const settingsOf = (deps: NotifierDeps): DeliverySettings => ({ ...DEFAULT_DELIVERY, ...deps.delivery });
const unique = (deps: NotifierDeps) => deps.newId?.() ?? newId();

async function compiled(
  deps: NotifierDeps,
  tenant: string,
  subscription: Subscription,
): Promise<CompiledSubscription> {
  const key = `${tenant}|${subscription.id}|${subscription.modifiedAt}`;
  const hit = compiledCache.get(key);
  if (hit) return hit;
  const qContext = await deps.contexts.resolve(tenant, subscription.qContext);
  const fresh = compile(subscription, qContext);
  compiledCache.set(key, fresh);
  if (compiledCache.size > COMPILED_CACHE_SIZE) compiledCache.delete(compiledCache.keys().next().value ?? "");
  return fresh;
}

interface Job {
  readonly subscription: Subscription;
  readonly data: JsonObject[];
}

/** Builds, delivers and records the notifications; never throws for a delivery. */
async function send(
  deps: NotifierDeps,
  store: SubscriptionStore,
  tenant: string,
  jobs: readonly Job[],
  deadline: number,
): Promise<{ delivered: number; failed: number }> {
  const settings = settingsOf(deps);
  let delivered = 0;
  let failed = 0;
  await inPool(jobs, settings.concurrency, async ({ subscription, data }) => {
    const notifiedAt = timestamp(deps);
    const notification = buildNotification(subscription, data, notifiedAt, unique(deps));
    let outcome: { ok: boolean; reason?: string; attempts: number };
    try {
      const prepared = prepare(subscription, notification, tenant, deps.network, settings.timeoutMs);
      outcome = await deliver(prepared, { http: deps.http, mqtt: deps.mqtt }, settings, deadline);
    } catch (error) {
      const reason =
        error instanceof DeliveryRefusedError ? error.message : "the notification could not be prepared";
      if (!(error instanceof DeliveryRefusedError))
        log.error("notification not prepared", errorFields(error));
      outcome = { ok: false, reason, attempts: 0 };
    }
    if (outcome.ok) delivered += 1;
    else {
      failed += 1;
      log.warn("notification not delivered", {
        tenant,
        subscriptionId: subscription.id,
        attempts: outcome.attempts,
        reason: outcome.reason ?? "unknown",
      });
    }
    try {
      await store.record(subscription.id, { at: notifiedAt, ok: outcome.ok });
    } catch (error) {
      log.error("delivery status not recorded", {
        tenant,
        subscriptionId: subscription.id,
        ...errorFields(error),
      });
    }
  });
  return { delivered, failed };
}

function jobsFor(subscription: Subscription, entries: readonly JsonObject[]): Job[] {
  return chunkData(entries).map((data) => ({ subscription, data }));
}

/** Takes the throttling slot of a subscription, if it has throttling; whether it may be notified now. */
async function mayNotify(
  store: SubscriptionStore,
  subscription: Subscription,
  now: string,
): Promise<boolean> {
  if (subscription.throttling === undefined) return true;
  const notAfter = new Date(Date.parse(now) - subscription.throttling * 1000).toISOString();
  return store.reserve(subscription.id, now, notAfter);
}

export const Notifier = {
  /** Notifies the subscriptions a destination's entity changes concern. */
  changes(
    deps: NotifierDeps,
    tenant: string,
    records: readonly ChangeRecord[],
    deadline: number,
  ): Promise<NotifyResult> {
    return Scope.run({ requestId: `notify-${unique(deps)}`, tenant }, async () => {
      const store = deps.subscriptions();
      const now = timestamp(deps);
      const groups = new Map<string, Group | null>();
      const candidates = new Map<string, Promise<StoredSubscription[]>>();
      let failedSequence: string | undefined;
      for (const { sequence, change } of records) {
        try {
          const types = [...new Set([...change.entity.types, ...(change.previous?.types ?? [])])].sort();
          const key = types.join("\n");
          let found = candidates.get(key);
          if (!found) {
            found = store.candidates(types);
            candidates.set(key, found);
          }
          for (const stored of await found) {
            const { subscription } = stored;
            let group = groups.get(subscription.id);
            if (group === undefined) {
              group = await groupFor(deps, tenant, subscription);
              groups.set(subscription.id, group);
            }
            if (group && concerns(group.compiled, change, now))
              group.entries.push(notificationEntry(subscription, group.ctx, change));
          }
        } catch (error) {
          if (error instanceof NonexistentTenantError) {
            log.warn("the destination has no subscriptions table: changes are not notified", { tenant });
            return { notifications: 0, delivered: 0, failed: 0, throttled: 0 };
          }
          log.error("subscriptions could not be matched", { tenant, sequence, ...errorFields(error) });
          failedSequence = sequence;
          break;
        }
      }
      const jobs: Job[] = [];
      let throttled = 0;
      for (const group of groups.values()) {
        if (!group || group.entries.length === 0) continue;
        const { subscription } = group.compiled;
        let allowed = false;
        try {
          allowed = await mayNotify(store, subscription, now);
        } catch (error) {
          log.error("throttling slot not taken", {
            tenant,
            subscriptionId: subscription.id,
            ...errorFields(error),
          });
        }
        if (!allowed) {
          throttled += 1;
          continue;
        }
        jobs.push(...jobsFor(subscription, group.entries));
      }
      const sent = await send(deps, store, tenant, jobs, deadline);
      return {
        ...(failedSequence === undefined ? {} : { failedSequence }),
        notifications: jobs.length,
        throttled,
        ...sent,
      };
    });
  },

  /** Sends the notifications of every periodic subscription whose timer is due (clause 5.8.6, timeInterval). */
  async periodic(
    deps: NotifierDeps,
    deadline: number,
    maxEntities = 1_000,
  ): Promise<{ runs: number; skipped: number }> {
    const now = timestamp(deps);
    const due: Timer[] = [];
    for await (const timer of deps.timers.due(now)) {
      due.push(timer);
      if (due.length >= 1_000) break;
    }
    let runs = 0;
    let skipped = 0;
    await inPool(due, 4, async (timer) => {
      if (Date.now() >= deadline) return;
      if (!TenantSlug.safeParse(timer.tenant).success) {
        skipped += 1;
        return;
      }
      try {
        const ran = await Scope.run({ requestId: `periodic-${unique(deps)}`, tenant: timer.tenant }, () =>
          runTimer(deps, timer, now, deadline, maxEntities),
        );
        if (ran) runs += 1;
        else skipped += 1;
      } catch (error) {
        skipped += 1;
        log.error("periodic notification failed", {
          tenant: timer.tenant,
          subscriptionId: timer.subscriptionId,
          ...errorFields(error),
        });
      }
    });
    return { runs, skipped };
  },
};

async function groupFor(
  deps: NotifierDeps,
  tenant: string,
  subscription: Subscription,
): Promise<Group | null> {
  try {
    const [compiledSubscription, ctx] = await Promise.all([
      compiled(deps, tenant, subscription),
      deps.contexts.resolve(tenant, compactionContext(subscription)),
    ]);
    return { compiled: compiledSubscription, ctx, entries: [] };
  } catch (error) {
    // A subscription whose q or @context can no longer be read is skipped, not the batch.
    log.warn("subscription skipped", { tenant, subscriptionId: subscription.id, ...errorFields(error) });
    return null;
  }
}

async function runTimer(
  deps: NotifierDeps,
  timer: Timer,
  now: string,
  deadline: number,
  maxEntities: number,
): Promise<boolean> {
  const store = deps.subscriptions();
  const stored = await store.get(timer.subscriptionId);
  const interval = stored?.subscription.timeInterval;
  if (!stored || interval === undefined) {
    await deps.timers.remove(timer.tenant, timer.subscriptionId);
    return false;
  }
  const step = interval * 1000;
  let next = Date.parse(timer.due) + step;
  // Runs missed while the platform was down are not made up: the next one is a whole interval away.
  if (next <= Date.parse(now)) next = Date.parse(now) + step;
  if (!(await deps.timers.advance(timer, new Date(next).toISOString()))) return false;
  const { subscription } = stored;
  if (!isActive(subscription, now)) return false;
  const compiledSubscription = await compiled(deps, timer.tenant, subscription);
  const ctx = await deps.contexts.resolve(timer.tenant, compactionContext(subscription));
  const result = await runQuery(deps.entities(), {
    ...compiledSubscription.query,
    limit: maxEntities,
    offset: 0,
    count: false,
  });
  if (result.entities.length === 0) return false;
  const entries = result.entities.map((entity) => currentEntry(subscription, ctx, entity));
  await send(deps, store, timer.tenant, jobsFor(subscription, entries), deadline);
  return true;
}
