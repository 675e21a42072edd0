import { type DeviceAlert, type DeviceHealth, type FleetHealth, Problems } from "@sdp/contracts";
import { type Clock, errorFields, log, systemClock } from "@sdp/kernel";
import { inDestination } from "./errors";
import type { DestinationDirectory, HealthRecord, HealthStore } from "./ports";

/** The message rate is measured over windows of this length. */
export const RATE_WINDOW_MS = 15 * 60 * 1000;

/** When a device counts as silent: nothing heard for longer than its expected interval. */
export function silentSince(record: HealthRecord): string {
  return record.lastSeenAt ?? record.registeredAt;
}

export function isSilent(record: HealthRecord, now: Date): boolean {
  return now.getTime() - Date.parse(silentSince(record)) > record.expectedIntervalSeconds * 1000;
}

export function healthView(record: HealthRecord, now: Date): DeviceHealth {
  const windowMinutes = Math.max(1, (now.getTime() - Date.parse(record.windowStartedAt)) / 60_000);
  const status =
    record.lastSeenAt === undefined
      ? "never-seen"
      : record.alert || isSilent(record, now)
        ? "silent"
        : "online";
  return {
    deviceId: record.deviceId,
    entityId: record.entityId,
    status,
    expectedIntervalSeconds: record.expectedIntervalSeconds,
    registeredAt: record.registeredAt,
    ...(record.lastSeenAt ? { lastSeenAt: record.lastSeenAt } : {}),
    ...(record.lastObservedAt ? { lastObservedAt: record.lastObservedAt } : {}),
    messageCount: record.messageCount,
    decodeErrorCount: record.decodeErrorCount,
    messagesPerMinute: Math.round((record.windowMessages / windowMinutes) * 100) / 100,
    ...(record.battery === undefined ? {} : { battery: record.battery }),
    ...(record.alert ? { alert: record.alert } : {}),
  };
}

export interface HealthDeps {
  readonly health: HealthStore;
  readonly clock?: Clock;
}

export interface MonitorDeps extends HealthDeps {
  readonly destinations: DestinationDirectory;
}

export const Health = {
  async device(deps: HealthDeps, tenant: string, deviceId: string): Promise<DeviceHealth> {
    const record = await inDestination(tenant, () => deps.health.get(tenant, deviceId));
    if (!record) throw Problems.notFound(`device ${deviceId}`);
    return healthView(record, (deps.clock ?? systemClock).now());
  },

  async fleet(deps: HealthDeps, tenant: string, limit: number, cursor?: string): Promise<FleetHealth> {
    const now = (deps.clock ?? systemClock).now();
    const [page, deadLetters] = await inDestination(tenant, () =>
      Promise.all([deps.health.list(tenant, limit, cursor), deps.health.deadLetterCounts(tenant)]),
    );
    const items = page.items.map((record) => healthView(record, now));
    const count = (status: DeviceHealth["status"]) => items.filter((item) => item.status === status).length;
    return {
      destination: tenant,
      devices: items.length,
      online: count("online"),
      silent: count("silent"),
      neverSeen: count("never-seen"),
      messages: items.reduce((sum, item) => sum + item.messageCount, 0),
      decodeErrors: items.reduce((sum, item) => sum + item.decodeErrorCount, 0),
      deadLetters,
      items,
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  },

  async alerts(deps: HealthDeps, tenant: string): Promise<{ active: DeviceAlert[]; recent: DeviceAlert[] }> {
    return inDestination(tenant, async () => {
      const active: DeviceAlert[] = [];
      let cursor: string | undefined;
      do {
        const page = await deps.health.list(tenant, 1000, cursor);
        for (const record of page.items) if (record.alert) active.push(record.alert);
        cursor = page.nextCursor;
      } while (cursor);
      return { active, recent: await deps.health.recentAlerts(tenant, 100) };
    });
  },

  /**
   * The silence check (a schedule): raises an alert for every device silent longer than its expected
   * interval, and clears alerts of devices heard of again (the consumer clears them too, at once).
   */
  async detectSilence(deps: HealthDeps, tenant: string): Promise<{ raised: number; cleared: number }> {
    const now = (deps.clock ?? systemClock).now();
    let raised = 0;
    let cleared = 0;
    let cursor: string | undefined;
    do {
      const page = await deps.health.list(tenant, 1000, cursor);
      for (const record of page.items) {
        if (isSilent(record, now) && !record.alert) {
          const alert: DeviceAlert = {
            deviceId: record.deviceId,
            kind: "silent",
            silentSince: silentSince(record),
            raisedAt: now.toISOString(),
          };
          if (await deps.health.raiseAlert(tenant, alert)) {
            raised += 1;
            log.warn("device silent", { deviceId: record.deviceId, silentSince: alert.silentSince });
          }
        } else if (!isSilent(record, now) && record.alert) {
          if (await deps.health.clearAlert(tenant, record.deviceId, now.toISOString())) cleared += 1;
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
    return { raised, cleared };
  },

  /** The silence check over every destination with devices; one failing destination does not stop the rest. */
  async detectSilenceEverywhere(
    deps: MonitorDeps,
  ): Promise<{ raised: number; cleared: number; failed: number }> {
    const totals = { raised: 0, cleared: 0, failed: 0 };
    for (const tenant of await deps.destinations.list()) {
      try {
        const result = await Health.detectSilence(deps, tenant);
        totals.raised += result.raised;
        totals.cleared += result.cleared;
      } catch (error) {
        totals.failed += 1;
        log.error("silence check failed for a destination", { destination: tenant, ...errorFields(error) });
      }
    }
    return totals;
  },
};
