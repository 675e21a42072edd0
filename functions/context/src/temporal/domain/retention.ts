import { errorFields, log } from "@sdp/kernel";
import type { RetentionPolicy, RetentionSettings } from "./ports";

/** How long a destination's retention is remembered: a change takes effect within this time. */
export const RETENTION_CACHE_MS = 60_000;
/** After a failed read of the setting, how long the last known value is used before asking again. */
const RETRY_AFTER_FAILURE_MS = 5_000;
/** Most destinations remembered at once (a container serves one deployment's destinations). */
const MAX_ENTRIES = 10_000;

export interface RetentionCacheOptions {
  /** The deployment's default, for destinations without a retention of their own. */
  readonly defaultDays: number;
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/**
 * Each destination's retention — its own setting, else the deployment's default — remembered per
 * container for `ttlMs`, so the history recorder does not read the registry once per stream record.
 * Concurrent misses of one destination share one read. A failed read falls back to the last value
 * known (retrying a few seconds later), never to the default: writing a shorter TTL than the
 * destination asked for would lose its history for good. With nothing known, the failure is thrown
 * (the recorder retries the record; a read answers 500).
 */
export function cachedRetention(
  settings: RetentionSettings,
  options: RetentionCacheOptions,
): RetentionPolicy {
  const ttlMs = options.ttlMs ?? RETENTION_CACHE_MS;
  const now = options.now ?? Date.now;
  const known = new Map<string, { days: number; until: number }>();
  const pending = new Map<string, Promise<number>>();

  async function refresh(tenant: string): Promise<number> {
    try {
      const days = (await settings.historyRetentionDays(tenant)) ?? options.defaultDays;
      if (known.size >= MAX_ENTRIES && !known.has(tenant)) known.clear();
      known.set(tenant, { days, until: now() + ttlMs });
      return days;
    } catch (error) {
      const last = known.get(tenant);
      if (!last) throw error;
      log.warn("destination retention unavailable; the last known value is used", {
        destination: tenant,
        retentionDays: last.days,
        ...errorFields(error),
      });
      known.set(tenant, { days: last.days, until: now() + Math.min(ttlMs, RETRY_AFTER_FAILURE_MS) });
      return last.days;
    }
  }

  return {
    async days(tenant) {
      const hit = known.get(tenant);
      if (hit && hit.until > now()) return hit.days;
      const inFlight = pending.get(tenant);
      if (inFlight) return inFlight;
      // Removed once settled (a callback, so never before it is added).
      const read = refresh(tenant).finally(() => pending.delete(tenant));
      pending.set(tenant, read);
      return read;
    },
  };
}
