import { CONTEXT_UPDATES_STREAM } from "@sdp/contracts";

// Names shared by the ingest manifest, its stores and its configuration.

/** `ingest`: the context-updates contract names this service as the stream's owner. */
export const INGEST_SERVICE = CONTEXT_UPDATES_STREAM.service;

/** Purposes of the service's resources, as declared in the manifest. */
export const IngestResources = {
  /** Per destination: the device registry, device health, commands and alerts (single-table). */
  table: "",
  /** Platform: the destinations that have devices, for the silence check. */
  destinationsTable: "destinations",
  /** Platform Kinesis stream: raw device messages from the IoT rule and HTTP ingestion. */
  telemetryStream: "telemetry",
  /** Platform Kinesis stream: NGSI-LD context updates for the context broker. */
  contextUpdatesStream: CONTEXT_UPDATES_STREAM.purpose,
  /** Platform queue: records that cannot be processed, with the reason. */
  deadLetterQueue: "dead-letters",
} as const;

/** Attribute names of the tables. */
export const IngestKeys = {
  pk: "pk",
  sk: "sk",
  ttl: "expiresAt",
  /** Platform `destinations` table key. */
  slug: "slug",
} as const;

/**
 * The per-destination table, one partition per kind of item (DESIGN §4: few tables per tenant):
 * - `DEVICES` / `<deviceId>`: a registered device;
 * - `HEALTH` / `<deviceId>`: its monitoring state (last seen, counts, battery, open alert);
 * - `COMMANDS#<deviceId>` / `<commandId>`: commands sent to it and their acknowledgement (TTL);
 * - `ALERTS` / `<raisedAt>#<deviceId>`: alert history (TTL);
 * - `OUTBOX` / `<raisedAt|clearedAt>#<deviceId>#<event type>`: alert events not yet on the bus (no TTL:
 *   they leave once published);
 * - `COUNTERS` / `DEAD_LETTERS`: records dead-lettered, by reason.
 */
export const Partitions = {
  devices: "DEVICES",
  health: "HEALTH",
  commands: (deviceId: string) => `COMMANDS#${deviceId}`,
  alerts: "ALERTS",
  outbox: "OUTBOX",
  counters: "COUNTERS",
  deadLetterCounter: "DEAD_LETTERS",
} as const;

/** Commands and alert history are kept this long. */
export const HISTORY_RETENTION_SECONDS = 30 * 24 * 3600;
