import {
  type ContextUpdate,
  type DeadLetterReason,
  type Device,
  deviceIdOfThing,
  type IngestDeadLetter,
  MAX_MEASUREMENT_BYTES,
  parseIngestPartitionKey,
} from "@sdp/contracts";
import { type Clock, errorFields, log, systemClock } from "@sdp/kernel";
import { mapMeasureGroup, toContextUpdate } from "./mapping";
import { decodeAck, decodePayload, PayloadError } from "./payloads";
import {
  type CommandStore,
  type ContextUpdatePublisher,
  type DeadLetterSink,
  type DeviceActivity,
  type DeviceStore,
  type HealthStore,
  UnknownDestinationError,
} from "./ports";

/** A record of the ingest stream, decoded from the Kinesis event. */
export interface IngestRecord {
  readonly stream: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Buffer;
  readonly arrivedAt: Date;
}

export interface ConsumerDeps {
  readonly devices: DeviceStore;
  readonly health: HealthStore;
  readonly commands: CommandStore;
  readonly updates: ContextUpdatePublisher;
  readonly deadLetters: DeadLetterSink;
  readonly clock?: Clock;
}

export interface BatchOutcome {
  /** Sequence numbers to report as batch item failures (the first and everything after it). */
  readonly failed: string[];
  readonly updates: number;
  readonly deadLettered: number;
  readonly acknowledgements: number;
}

type Verdict =
  | {
      readonly kind: "updates";
      readonly tenant: string;
      readonly device: Device;
      readonly updates: ContextUpdate[];
      readonly battery?: number;
    }
  | {
      readonly kind: "ack";
      readonly tenant: string;
      readonly device: Device;
      readonly commandId: string;
      readonly result: unknown;
    }
  | {
      readonly kind: "dead";
      readonly reason: DeadLetterReason;
      readonly detail: string;
      readonly tenant?: string;
      readonly device?: Device;
    }
  | { readonly kind: "retry" };

class Lookups {
  private readonly byTenant = new Map<
    string,
    Promise<Map<string, Device> | "unknown-destination" | "error">
  >();

  constructor(private readonly devices: DeviceStore) {}

  prefetch(tenant: string, deviceIds: Set<string>): void {
    this.byTenant.set(
      tenant,
      this.devices.getMany(tenant, [...deviceIds]).then(
        (found) => found,
        (error: unknown) => {
          if (error instanceof UnknownDestinationError) return "unknown-destination" as const;
          log.warn("device lookup failed; the records will be retried", {
            destination: tenant,
            ...errorFields(error),
          });
          return "error" as const;
        },
      ),
    );
  }

  get(tenant: string) {
    return this.byTenant.get(tenant) ?? Promise.resolve("error" as const);
  }
}

/** What the consumer makes of one record, without side effects. */
async function judge(record: IngestRecord, lookups: Lookups): Promise<Verdict> {
  const key = parseIngestPartitionKey(record.partitionKey);
  if (!key)
    return {
      kind: "dead",
      reason: "invalid-partition-key",
      detail: "the partition key is not <destination>/<thing>[/ack/<commandId>]",
    };
  const deviceId = deviceIdOfThing(key.tenant, key.thing);
  if (deviceId === undefined) {
    return {
      kind: "dead",
      reason: "unknown-device",
      detail: `thing ${key.thing} is not a device name of ${key.tenant}`,
      tenant: key.tenant,
    };
  }
  const devices = await lookups.get(key.tenant);
  if (devices === "error") return { kind: "retry" };
  if (devices === "unknown-destination") {
    return {
      kind: "dead",
      reason: "unknown-destination",
      detail: `destination ${key.tenant} has no device registry`,
      tenant: key.tenant,
    };
  }
  const device = devices.get(deviceId);
  if (!device)
    return {
      kind: "dead",
      reason: "unknown-device",
      detail: `device ${deviceId} is not registered`,
      tenant: key.tenant,
    };
  if (record.data.length > MAX_MEASUREMENT_BYTES) {
    return {
      kind: "dead",
      reason: "oversized",
      detail: `payload of ${record.data.length} bytes exceeds ${MAX_MEASUREMENT_BYTES}`,
      tenant: key.tenant,
      device,
    };
  }
  if (key.kind === "ack") {
    return {
      kind: "ack",
      tenant: key.tenant,
      device,
      commandId: key.commandId,
      result: decodeAck(device.protocol, record.data),
    };
  }
  try {
    const source = {
      tenant: key.tenant,
      thing: key.thing,
      sequenceNumber: record.sequenceNumber,
      receivedAt: record.arrivedAt,
    };
    let battery: number | undefined;
    const updates = decodePayload(device.protocol, record.data).map((group, index) => {
      const observation = mapMeasureGroup(device, group, record.arrivedAt);
      if (observation.battery !== undefined) battery = observation.battery;
      return toContextUpdate(device, group, index, observation, source);
    });
    return {
      kind: "updates",
      tenant: key.tenant,
      device,
      updates,
      ...(battery === undefined ? {} : { battery }),
    };
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    return { kind: "dead", reason: "malformed-payload", detail: error.message, tenant: key.tenant, device };
  }
}

function deadLetter(
  record: IngestRecord,
  verdict: Extract<Verdict, { kind: "dead" }>,
  now: Date,
): IngestDeadLetter {
  return {
    kind: "ingest-record",
    reason: verdict.reason,
    detail: verdict.detail,
    stream: record.stream,
    partitionKey: record.partitionKey,
    sequenceNumber: record.sequenceNumber,
    approximateArrivalTimestamp: record.arrivedAt.toISOString(),
    data: record.data.toString("base64"),
    ...(verdict.tenant ? { tenant: verdict.tenant } : {}),
    ...(verdict.device ? { deviceId: verdict.device.deviceId } : {}),
    deadLetteredAt: now.toISOString(),
  };
}

/** Folds the verdicts of the records a batch completes into per-destination, per-device activity. */
function activityOf(done: ReadonlyArray<{ record: IngestRecord; verdict: Verdict }>) {
  const byTenant = new Map<string, Map<string, DeviceActivity>>();
  const deadLetters = new Map<string, Partial<Record<DeadLetterReason, number>>>();
  const later = (a: string | undefined, b: string | undefined) =>
    a === undefined || (b !== undefined && b > a) ? b : a;
  for (const { record, verdict } of done) {
    if (verdict.kind === "dead" && verdict.tenant) {
      const counts = deadLetters.get(verdict.tenant) ?? {};
      counts[verdict.reason] = (counts[verdict.reason] ?? 0) + 1;
      deadLetters.set(verdict.tenant, counts);
    }
    if (verdict.kind === "retry" || !verdict.tenant || !verdict.device) continue;
    const devices = byTenant.get(verdict.tenant) ?? new Map<string, DeviceActivity>();
    byTenant.set(verdict.tenant, devices);
    const deviceId = verdict.device.deviceId;
    const seen = devices.get(deviceId) ?? { deviceId, messages: 0, decodeErrors: 0 };
    const observedAt =
      verdict.kind === "updates"
        ? verdict.updates
            .map((u) => u.observedAt)
            .sort()
            .at(-1)
        : undefined;
    const lastObservedAt = later(seen.lastObservedAt, observedAt);
    const lastSeenAt = later(seen.lastSeenAt, record.arrivedAt.toISOString());
    const battery =
      verdict.kind === "updates" &&
      verdict.battery !== undefined &&
      observedAt &&
      (!seen.battery || observedAt >= seen.battery.observedAt)
        ? { value: verdict.battery, observedAt }
        : seen.battery;
    devices.set(deviceId, {
      deviceId,
      messages: seen.messages + 1,
      decodeErrors: seen.decodeErrors + (verdict.kind === "dead" ? 1 : 0),
      ...(lastSeenAt ? { lastSeenAt } : {}),
      ...(lastObservedAt ? { lastObservedAt } : {}),
      ...(battery ? { battery } : {}),
    });
  }
  return { byTenant, deadLetters };
}

/**
 * Processes a batch of the ingest stream (Lambda's Kinesis event source, ReportBatchItemFailures):
 * 1. every record is judged: measurements become context updates; acknowledgements update their
 *    command; records that can never succeed (malformed, unknown device or destination, oversized)
 *    are poison; records whose lookup failed transiently are retried;
 * 2. the updates are published (per entity order by partition key), then poison records are
 *    dead-lettered with their reason, and only then acknowledged: a poison record never blocks its shard;
 * 3. the first record that could not be completed and everything after it are reported as failures,
 *    so the event source retries from there; what is retried yields the same update ids.
 * Health (last seen, counts, battery; silence alerts cleared) is recorded for the completed records.
 */
export async function processIngestBatch(
  deps: ConsumerDeps,
  records: readonly IngestRecord[],
): Promise<BatchOutcome> {
  const now = (deps.clock ?? systemClock).now();
  const lookups = new Lookups(deps.devices);
  const wanted = new Map<string, Set<string>>();
  for (const record of records) {
    const key = parseIngestPartitionKey(record.partitionKey);
    const deviceId = key ? deviceIdOfThing(key.tenant, key.thing) : undefined;
    if (!key || deviceId === undefined) continue;
    const ids = wanted.get(key.tenant) ?? new Set<string>();
    ids.add(deviceId);
    wanted.set(key.tenant, ids);
  }
  for (const [tenant, ids] of wanted) lookups.prefetch(tenant, ids);
  const verdicts = await Promise.all(records.map((record) => judge(record, lookups)));

  // The first record that cannot be completed now: everything from it on is retried.
  let cut = records.length;
  const fail = (index: number) => {
    if (index < cut) cut = index;
  };
  verdicts.forEach((verdict, index) => {
    if (verdict.kind === "retry") fail(index);
  });

  const updates: Array<{ index: number; update: ContextUpdate }> = [];
  verdicts.forEach((verdict, index) => {
    if (verdict.kind === "updates") for (const update of verdict.updates) updates.push({ index, update });
  });
  if (updates.length > 0) {
    const { failed } = await deps.updates.publish(updates.map((entry) => entry.update));
    for (const position of failed) {
      const entry = updates[position];
      if (entry) fail(entry.index);
    }
  }

  let acknowledgements = 0;
  await Promise.all(
    verdicts.map(async (verdict, index) => {
      if (verdict.kind !== "ack" || index >= cut) return;
      try {
        const known = await deps.commands.acknowledge(
          verdict.tenant,
          verdict.device.deviceId,
          verdict.commandId,
          verdict.result,
          now.toISOString(),
        );
        if (known) acknowledgements += 1;
        else
          log.warn("acknowledgement of an unknown command ignored", {
            deviceId: verdict.device.deviceId,
            commandId: verdict.commandId,
          });
      } catch (error) {
        log.warn("acknowledgement not recorded; it will be retried", {
          deviceId: verdict.device.deviceId,
          ...errorFields(error),
        });
        fail(index);
      }
    }),
  );

  const poison = verdicts.flatMap((verdict, index) => {
    const record = records[index];
    return verdict.kind === "dead" && record && index < cut
      ? [{ index, letter: deadLetter(record, verdict, now) }]
      : [];
  });
  let deadLettered = 0;
  if (poison.length > 0) {
    try {
      await deps.deadLetters.send(poison.map((entry) => entry.letter));
      deadLettered = poison.length;
      for (const { letter } of poison) {
        log.warn("ingest record dead-lettered", {
          reason: letter.reason,
          detail: letter.detail,
          partitionKey: letter.partitionKey,
          sequenceNumber: letter.sequenceNumber,
        });
      }
    } catch (error) {
      log.error("dead-letter queue unavailable; the records will be retried", errorFields(error));
      fail(poison[0]?.index ?? 0);
    }
  }

  const completed = records
    .slice(0, cut)
    .map((record, index) => ({ record, verdict: verdicts[index] ?? { kind: "retry" as const } }));
  const { byTenant, deadLetters } = activityOf(completed);
  // Health is bookkeeping: if it fails, measurements are not held back (counts may then be short).
  await Promise.all([
    ...[...byTenant].map(async ([tenant, activity]) => {
      try {
        const cleared = await deps.health.recordActivity(tenant, [...activity.values()], now);
        for (const alert of cleared)
          log.info("device heard of again; silence alert cleared", { deviceId: alert.deviceId });
      } catch (error) {
        log.warn("device health not recorded", { destination: tenant, ...errorFields(error) });
      }
    }),
    ...[...deadLetters].map(async ([tenant, counts]) => {
      try {
        await deps.health.countDeadLetters(tenant, counts);
      } catch (error) {
        log.warn("dead-letter counts not recorded", { destination: tenant, ...errorFields(error) });
      }
    }),
  ]);

  return {
    failed: records.slice(cut).map((record) => record.sequenceNumber),
    updates: updates.filter((entry) => entry.index < cut).length,
    deadLettered,
    acknowledgements,
  };
}
