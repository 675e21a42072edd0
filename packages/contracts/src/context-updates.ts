import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "./audit";
import { AttributeName, DeviceProtocol, EntityId, EntityType, GeoPoint, UnitCode } from "./ingest";
import { TenantSlug } from "./tenancy";

/**
 * What ingestion hands the context broker: one `ContextUpdate` per observation of an entity, on the
 * platform Kinesis stream `context-updates` (declared by the ingest service, consumed by the context
 * service), with partition key `<tenant>/<entityId>` so that the updates of one entity stay in one shard.
 *
 * Delivery is at least once and, across entities, in no particular order. The applier therefore:
 * - treats `updateId` as the idempotency key: the same observation always has the same id, however
 *   often the stream, the consumer or a device delivers it again;
 * - orders by `observedAt`, not by arrival: the newest observation is the current value, every one
 *   goes to history.
 */
export const CONTEXT_UPDATES_STREAM = { service: "ingest", purpose: "context-updates" } as const;

/** The `source` of a stream consumer of context updates (a `StreamSource` naming the declaring service). */
export const CONTEXT_UPDATES_SOURCE = {
  kind: "kinesis",
  service: CONTEXT_UPDATES_STREAM.service,
  streamPurpose: CONTEXT_UPDATES_STREAM.purpose,
} as const;

const ObservedAt = z.iso.datetime();

/** An observed attribute in NGSI-LD normalized form. */
export const ObservedAttribute = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("Property"),
    value: z.json(),
    observedAt: ObservedAt,
    unitCode: UnitCode.optional(),
  }),
  z.strictObject({ type: z.literal("GeoProperty"), value: GeoPoint, observedAt: ObservedAt }),
  z.strictObject({ type: z.literal("Relationship"), object: EntityId, observedAt: ObservedAt }),
]);
export type ObservedAttribute = z.infer<typeof ObservedAttribute>;

/** A static attribute (registry data such as a name or a fixed location): no observation time. */
export const StaticContextAttribute = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("Property"), value: z.json(), unitCode: UnitCode.optional() }),
  z.strictObject({ type: z.literal("GeoProperty"), value: GeoPoint }),
  z.strictObject({ type: z.literal("Relationship"), object: EntityId }),
]);
export type StaticContextAttribute = z.infer<typeof StaticContextAttribute>;

export const ContextUpdate = z.object({
  version: z.literal(1),
  /** Deterministic from the source observation (see `contextUpdateId`): the applier's idempotency key. */
  updateId: z.string().regex(/^[0-9a-f]{32}$/),
  tenant: TenantSlug,
  entityId: EntityId,
  entityType: EntityType,
  /** When the observation was made: the device's timestamp, else when the platform received it. */
  observedAt: ObservedAt,
  /** At least one; each carries the same `observedAt`. */
  attributes: z
    .record(AttributeName, ObservedAttribute)
    .refine((attributes) => Object.keys(attributes).length > 0, "must name at least one attribute"),
  /** Upserted as the entity's current value; never part of history. */
  staticAttributes: z.record(AttributeName, StaticContextAttribute).optional(),
  source: z.object({
    kind: z.literal("device"),
    deviceId: z.string(),
    thing: z.string(),
    protocol: DeviceProtocol,
    /** When the platform received the measurement (the ingest stream's arrival time). */
    receivedAt: ObservedAt,
    /** Whose clock `observedAt` is: the device's payload, or the platform's arrival time. */
    observedAtSource: z.enum(["device", "platform"]),
  }),
});
export type ContextUpdate = z.infer<typeof ContextUpdate>;

export function contextUpdatePartitionKey(update: Pick<ContextUpdate, "tenant" | "entityId">): string {
  return `${update.tenant}/${update.entityId}`;
}

/**
 * The identity of one observation, from which its `updateId` derives:
 * - with a device timestamp, the observation is what the device said — device, timestamp, position in
 *   the payload and content — so a measurement a device publishes again (an MQTT QoS 1 redelivery after
 *   a lost PUBACK) or an HTTP client retries is recognised as the same one;
 * - without one, it is the stream record that carried it (its sequence number and position), so
 *   redelivery by the stream is recognised; a device resending a measurement without a timestamp cannot be.
 */
export type ObservationIdentity =
  | {
      readonly kind: "device-timestamp";
      readonly tenant: string;
      readonly thing: string;
      readonly index: number;
      readonly observedAt: string;
      readonly content: unknown;
    }
  | {
      readonly kind: "stream-record";
      readonly tenant: string;
      readonly thing: string;
      readonly index: number;
      readonly sequenceNumber: string;
    };

export function contextUpdateId(identity: ObservationIdentity): string {
  return createHash("sha256").update(canonicalJson(identity)).digest("hex").slice(0, 32);
}
