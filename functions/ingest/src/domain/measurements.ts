import {
  type Device,
  DeviceId,
  type IngestMeasurementsRequest,
  type IngestMeasurementsResult,
  type InvalidField,
  MAX_MEASUREMENT_BYTES,
  MAX_MEASUREMENT_REQUEST_BYTES,
  type MeasurementResult,
  Problems,
  telemetryPartitionKey,
} from "@sdp/contracts";
import { type Clock, systemClock } from "@sdp/kernel";
import { IngestProblems, inDestination } from "./errors";
import { mapMeasureGroup } from "./mapping";
import { decodePayload, PayloadError } from "./payloads";
import type { DeviceStore, StreamWriter } from "./ports";

export interface MeasurementDeps {
  readonly store: DeviceStore;
  /** The ingest stream, the same one the IoT rule feeds. */
  readonly telemetry: StreamWriter;
  readonly clock?: Clock;
}

type Rejection = Extract<MeasurementResult, { status: "rejected" }>;

/** The bytes a device of this protocol would have published, or why the payload cannot be that. */
function wireBytes(device: Device, payload: unknown): Buffer | string {
  if (device.protocol === "ul2") {
    return typeof payload === "string"
      ? Buffer.from(payload, "utf8")
      : "an UltraLight device's payload must be a string";
  }
  return typeof payload === "object" && payload !== null
    ? Buffer.from(JSON.stringify(payload), "utf8")
    : "a JSON device's payload must be an object or an array of objects";
}

/**
 * HTTP ingestion for systems and SMEs: each measurement is checked as the stream consumer will check it
 * (known device, size, decodable, mappable) so the caller learns at once what was refused and why; the
 * rest goes onto the ingest stream exactly as if the device had published it over MQTT.
 */
export async function ingestMeasurements(
  deps: MeasurementDeps,
  tenant: string,
  request: IngestMeasurementsRequest,
): Promise<IngestMeasurementsResult> {
  const total = request.measurements.reduce(
    (sum, m) => sum + Buffer.byteLength(JSON.stringify(m.payload)),
    0,
  );
  if (total > MAX_MEASUREMENT_REQUEST_BYTES) throw Problems.payloadTooLarge(MAX_MEASUREMENT_REQUEST_BYTES);
  const now = (deps.clock ?? systemClock).now();
  const ids = [
    ...new Set(request.measurements.map((m) => m.deviceId).filter((id) => DeviceId.safeParse(id).success)),
  ];
  const devices = await inDestination(tenant, () => deps.store.getMany(tenant, ids));

  const results: Array<MeasurementResult | undefined> = [];
  const accepted: Array<{ index: number; deviceId: string; partitionKey: string; data: Buffer }> = [];
  const reject = (index: number, deviceId: string, code: Rejection["code"], reason: string) => {
    results[index] = { index, deviceId, status: "rejected", code, reason };
  };
  for (const [index, { deviceId, payload }] of request.measurements.entries()) {
    if (!DeviceId.safeParse(deviceId).success) {
      reject(index, deviceId, "invalid-device-id", "is not a device id");
      continue;
    }
    const device = devices.get(deviceId);
    if (!device) {
      reject(index, deviceId, "unknown-device", "is not a registered device of this destination");
      continue;
    }
    const bytes = wireBytes(device, payload);
    if (typeof bytes === "string") {
      reject(index, deviceId, "malformed-payload", bytes);
      continue;
    }
    if (bytes.length > MAX_MEASUREMENT_BYTES) {
      reject(index, deviceId, "oversized", `is ${bytes.length} bytes; the limit is ${MAX_MEASUREMENT_BYTES}`);
      continue;
    }
    try {
      for (const group of decodePayload(device.protocol, bytes)) mapMeasureGroup(device, group, now);
    } catch (error) {
      if (!(error instanceof PayloadError)) throw error;
      reject(index, deviceId, "malformed-payload", error.message);
      continue;
    }
    accepted.push({
      index,
      deviceId,
      partitionKey: telemetryPartitionKey(tenant, device.thingName),
      data: bytes,
    });
  }

  if (accepted.length > 0) {
    const { results: put } = await deps.telemetry.put(accepted);
    for (const [position, record] of accepted.entries()) {
      const outcome = put[position];
      if (outcome && "sequenceNumber" in outcome) {
        results[record.index] = {
          index: record.index,
          deviceId: record.deviceId,
          status: "accepted",
          sequenceNumber: outcome.sequenceNumber,
        };
      } else {
        reject(record.index, record.deviceId, "throttled", "the ingest stream is busy; send it again");
      }
    }
  }

  const settled = results.filter((result): result is MeasurementResult => result !== undefined);
  const acceptedCount = settled.filter((result) => result.status === "accepted").length;
  if (acceptedCount === 0) {
    const rejections = settled.filter((result): result is Rejection => result.status === "rejected");
    if (rejections.length > 0 && rejections.every((result) => result.code === "throttled"))
      throw IngestProblems.throttled();
    const errors: InvalidField[] = rejections.map((result) => ({
      field: `body.measurements.${result.index}.${result.code === "malformed-payload" || result.code === "oversized" ? "payload" : "deviceId"}`,
      reason: result.reason,
    }));
    throw IngestProblems.noneAccepted(errors);
  }
  return { accepted: acceptedCount, rejected: settled.length - acceptedCount, results: settled };
}
