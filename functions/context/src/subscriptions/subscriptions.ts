import { newId, Scope } from "@sdp/kernel";
import { asNgsiError } from "../domain/entity";
import { invalidData, ngsiError, notFound } from "../domain/errors";
import type { ActiveContext } from "../domain/jsonld";
import type { JsonObject } from "../domain/model";
import { isUri } from "../domain/normalize";
import { paging } from "../domain/query";
import type { Subscription } from "./model";
import { parseSubscription, patchSubscription } from "./parse";
import {
  type StoredSubscription,
  SubscriptionChangedError,
  type SubscriptionDeps,
  SubscriptionExistsError,
} from "./ports";
import { renderSubscription } from "./render";

/**
 * The subscription API (clauses 5.8.1 to 5.8.5): create, query, retrieve, update, delete. A periodic
 * subscription also has a timer in the platform's timer table, which the minute schedule reads.
 */
export interface Requester {
  readonly body?: unknown;
  readonly ctx: ActiveContext;
  readonly contextRef: unknown;
}

const MAX_ATTEMPTS = 5;

const timestamp = (deps: SubscriptionDeps) => deps.now?.() ?? new Date().toISOString();

function rethrow(error: unknown): never {
  throw asNgsiError(error) ?? error;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    rethrow(error);
  }
}

/** A subscription id in a path must be a URI (clauses 5.8.2 to 5.8.5): BadRequestData otherwise. */
function checkId(id: string): void {
  if (!isUri(id))
    throw invalidData([{ field: "id", reason: "must be a URI" }], "the subscription id is not valid");
}

/** The first periodic run: one interval after `from`. */
const firstRun = (subscription: Subscription, from: string) =>
  new Date(Date.parse(from) + (subscription.timeInterval ?? 0) * 1000).toISOString();

/** Resolves the contexts a subscription names, so one that cannot be resolved is refused now (503). */
async function checkContexts(deps: SubscriptionDeps, subscription: Subscription): Promise<void> {
  if (subscription.jsonldContext !== undefined)
    await deps.contexts.resolve(Scope.tenant(), subscription.jsonldContext);
}

function writeContext(deps: SubscriptionDeps, requester: Requester) {
  return {
    ctx: requester.ctx,
    contextRef: requester.contextRef,
    tenant: Scope.tenant(),
    network: deps.network,
    now: timestamp(deps),
  };
}

export interface RenderOptions {
  readonly sysAttrs: boolean;
}

export const Subscriptions = {
  /** Creates a subscription (clause 5.8.1); returns its id. */
  async create(deps: SubscriptionDeps, requester: Requester): Promise<string> {
    const w = writeContext(deps, requester);
    const subscription = parseSubscription(requester.body, w, deps.newId ?? (() => newId()));
    await checkContexts(deps, subscription);
    const store = deps.subscriptions();
    try {
      await store.create(subscription);
    } catch (error) {
      if (error instanceof SubscriptionExistsError)
        throw ngsiError("AlreadyExists", `a subscription with id ${subscription.id} already exists`);
      rethrow(error);
    }
    if (subscription.timeInterval !== undefined) {
      try {
        await deps.timers.set(w.tenant, subscription.id, firstRun(subscription, w.now));
      } catch (error) {
        // Without its timer a periodic subscription would never run: undo it rather than keep it half made.
        await store.delete(subscription.id).catch(() => undefined);
        rethrow(error);
      }
    }
    return subscription.id;
  },

  async retrieve(
    deps: SubscriptionDeps,
    id: string,
    ctx: ActiveContext,
    options: RenderOptions,
  ): Promise<JsonObject> {
    checkId(id);
    const stored = await guarded(() => deps.subscriptions().get(id));
    if (!stored) throw notFound(`subscription ${id}`);
    return renderSubscription(stored.subscription, stored.status, ctx, { now: timestamp(deps), ...options });
  },

  /** Subscriptions in id order, a page at a time (clause 5.8.4). */
  async query(
    deps: SubscriptionDeps,
    page: { limit?: string | undefined; offset?: string | undefined; count?: string | undefined },
    ctx: ActiveContext,
    options: RenderOptions,
  ): Promise<{ items: JsonObject[]; more: boolean; count?: number; limit: number; offset: number }> {
    const { limit, offset, count } = paging(page);
    const result = await guarded(() => deps.subscriptions().list({ limit, offset, count }));
    const now = timestamp(deps);
    return {
      items: result.items.map((s) => renderSubscription(s.subscription, s.status, ctx, { now, ...options })),
      more: result.more,
      ...(result.count === undefined ? {} : { count: result.count }),
      limit,
      offset,
    };
  },

  /** Updates a subscription with a fragment (clause 5.8.2); its delivery status is kept. */
  async update(deps: SubscriptionDeps, id: string, requester: Requester): Promise<void> {
    checkId(id);
    const store = deps.subscriptions();
    for (let attempt = 1; ; attempt++) {
      const stored: StoredSubscription | undefined = await guarded(() => store.get(id));
      if (!stored) throw notFound(`subscription ${id}`);
      const w = writeContext(deps, requester);
      const next = patchSubscription(stored.subscription, requester.body, w);
      await checkContexts(deps, next);
      try {
        await store.update(next, stored.revision);
      } catch (error) {
        if (error instanceof SubscriptionChangedError && attempt < MAX_ATTEMPTS) continue;
        if (error instanceof SubscriptionChangedError) throw notFound(`subscription ${id}`);
        rethrow(error);
      }
      const before = stored.subscription.timeInterval;
      if (next.timeInterval === undefined) {
        if (before !== undefined) await guarded(() => deps.timers.remove(w.tenant, id));
      } else if (next.timeInterval !== before) {
        await guarded(() => deps.timers.set(w.tenant, id, firstRun(next, w.now)));
      }
      return;
    }
  },

  /** Deletes a subscription (clause 5.8.5). */
  async remove(deps: SubscriptionDeps, id: string): Promise<void> {
    checkId(id);
    const stored = await guarded(() => deps.subscriptions().get(id));
    if (!stored) throw notFound(`subscription ${id}`);
    const deleted = await guarded(() => deps.subscriptions().delete(id));
    if (!deleted) throw notFound(`subscription ${id}`);
    if (stored.subscription.timeInterval !== undefined)
      await guarded(() => deps.timers.remove(Scope.tenant(), id));
  },
};
