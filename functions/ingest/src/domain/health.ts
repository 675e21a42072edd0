import { type DeviceAlert, type DeviceHealth, type FleetHealth, Problems } from "@sdp/contracts";
import { type Clock, errorFields, log, systemClock } from "@sdp/kernel";
import { inDestination } from "./errors";
import type { AlertEventPublisher, DestinationDirectory, HealthRecord, HealthStore } from "./ports";

/** Outbox items read per page when publishing (10 PutEvents calls of 10 entries). */
const OUTBOX_PAGE = 100;

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

export interface PublishDeps {
  readonly health: HealthStore;
  readonly events: AlertEventPublisher;
}

export interface MonitorDeps extends HealthDeps, PublishDeps {
  readonly destinations: DestinationDirectory;
}

export interface MonitorTotals {
  raised: number;
  cleared: number;
  /** Alert events the bus accepted in this run. */
  published: number;
  /** Alert events left in the outboxes for the next run (the bus refused them or was unreachable). */
  unpublished: number;
  /** Destinations whose check or publication failed. */
  failed: number;
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
          if (await deps.health.raiseAlert(tenant, record, alert)) {
            raised += 1;
            log.warn("device silent", { deviceId: record.deviceId, silentSince: alert.silentSince });
          }
        } else if (!isSilent(record, now) && record.alert) {
          if (await deps.health.clearAlert(tenant, record, now.toISOString())) cleared += 1;
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
    return { raised, cleared };
  },

  /**
   * Publishes the destination's outbox: every pending alert event goes to the bus (10 per call), and
   * those the bus accepted leave the outbox; the others stay for the next run. At least once: an event
   * published but not yet removed when the run fails is published again.
   */
  async publishAlertEvents(
    deps: PublishDeps,
    tenant: string,
  ): Promise<{ published: number; unpublished: number }> {
    let published = 0;
    let unpublished = 0;
    let cursor: string | undefined;
    do {
      const page = await deps.health.pendingEvents(tenant, OUTBOX_PAGE, cursor);
      if (page.items.length === 0) break;
      const { failed } = await deps.events.publish(page.items.map((item) => item.event));
      const accepted = page.items.filter((_, index) => !failed.has(index));
      await deps.health.removeEvents(
        tenant,
        accepted.map((item) => item.id),
      );
      published += accepted.length;
      unpublished += page.items.length - accepted.length;
      // Nothing accepted: the bus is down or refusing; the rest waits for the next run too.
      if (accepted.length === 0) break;
      cursor = page.nextCursor;
    } while (cursor);
    if (unpublished > 0) {
      log.warn("alert events left in the outbox for the next run", { destination: tenant, unpublished });
    }
    return { published, unpublished };
  },

  /**
   * The silence check over every destination with devices, each followed by the publication of its
   * outbox (the events of the alerts just raised, and of those the stream consumer cleared). One failing
   * destination does not stop the rest; a failed check does not stop the publication.
   */
  async detectSilenceEverywhere(deps: MonitorDeps): Promise<MonitorTotals> {
    const totals: MonitorTotals = { raised: 0, cleared: 0, published: 0, unpublished: 0, failed: 0 };
    for (const tenant of await deps.destinations.list()) {
      let failed = false;
      try {
        const result = await Health.detectSilence(deps, tenant);
        totals.raised += result.raised;
        totals.cleared += result.cleared;
      } catch (error) {
        failed = true;
        log.error("silence check failed for a destination", { destination: tenant, ...errorFields(error) });
      }
      try {
        const result = await Health.publishAlertEvents(deps, tenant);
        totals.published += result.published;
        totals.unpublished += result.unpublished;
      } catch (error) {
        failed = true;
        log.error("alert event publication failed for a destination", {
          destination: tenant,
          ...errorFields(error),
        });
      }
      if (failed) totals.failed += 1;
    }
    return totals;
  },
};
