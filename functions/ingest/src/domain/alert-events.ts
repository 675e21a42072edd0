import type { DeviceAlert } from "@sdp/contracts";
import { z } from "zod";

/**
 * The events announcing device alerts on the platform bus (DESIGN §6). Each is written to the
 * destination's outbox in the transaction that raises or clears the alert, and published by the
 * silence check: delivery is at least once, so consumers de-duplicate on (`detail-type`, `alertId`).
 */
export const ALERT_EVENT_SOURCE = "sdp.ingest";

export const AlertEventType = z.enum(["DeviceSilent", "DeviceHeardAgain"]);
export type AlertEventType = z.infer<typeof AlertEventType>;

export const AlertEventDetail = z.object({
  destination: z.string(),
  deviceId: z.string(),
  entityId: z.string().optional(),
  /** `<deviceId>:<raisedAt>`: the same for the raise and the clear of one alert, unique across alerts. */
  alertId: z.string(),
  kind: z.literal("silent"),
  silentSince: z.iso.datetime(),
  raisedAt: z.iso.datetime(),
  clearedAt: z.iso.datetime().optional(),
});
export type AlertEventDetail = z.infer<typeof AlertEventDetail>;

export const AlertEvent = z.object({ detailType: AlertEventType, detail: AlertEventDetail });
export type AlertEvent = z.infer<typeof AlertEvent>;

export const alertIdOf = (alert: DeviceAlert) => `${alert.deviceId}:${alert.raisedAt}`;

/** `DeviceHeardAgain` for a cleared alert, `DeviceSilent` for an open one. */
export function alertEvent(tenant: string, alert: DeviceAlert, entityId: string | undefined): AlertEvent {
  return {
    detailType: alert.clearedAt ? "DeviceHeardAgain" : "DeviceSilent",
    detail: {
      destination: tenant,
      deviceId: alert.deviceId,
      ...(entityId ? { entityId } : {}),
      alertId: alertIdOf(alert),
      kind: alert.kind,
      silentSince: alert.silentSince,
      raisedAt: alert.raisedAt,
      ...(alert.clearedAt ? { clearedAt: alert.clearedAt } : {}),
    },
  };
}

/** When the change an event announces happened: its outbox items are published in this order. */
export const occurredAt = (event: AlertEvent) => event.detail.clearedAt ?? event.detail.raisedAt;
