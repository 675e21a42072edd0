import { createKinesisClient } from "@sdp/aws";
import { afterAll, describe, expect, it } from "vitest";
import { createStream, deleteStream } from "../../../packages/local-runtime/src/event-source/test-helpers";
import { readStream } from "../../../packages/local-runtime/src/iot/test-support";
import { buildKinesisStreamWriter } from "../src/adapters/kinesis-stream-writer";
import { Devices } from "../src/domain/devices";
import { ingestMeasurements } from "../src/domain/measurements";
import { airQualityStation, crowdCounter, fakeIdentities, freshDestination } from "./support";

const kinesis = createKinesisClient();
afterAll(() => kinesis.destroy());

async function prepare() {
  const destination = await freshDestination();
  const { identity } = fakeIdentities();
  const counter = (await Devices.register({ ...destination, identity }, destination.tenant, crowdCounter()))
    .device;
  const station = (
    await Devices.register({ ...destination, identity }, destination.tenant, airQualityStation())
  ).device;
  const stream = await createStream(kinesis);
  return {
    destination,
    counter,
    station,
    stream,
    deps: { store: destination.store, telemetry: buildKinesisStreamWriter(kinesis, stream.name) },
  };
}

describe("HTTP ingestion onto the ingest stream", () => {
  it("puts accepted measurements on the stream as the device would publish them, and says why others were refused", async () => {
    // Prepare
    const { destination, counter, station, stream, deps } = await prepare();
    // Act
    const result = await ingestMeasurements(deps, destination.tenant, {
      measurements: [
        { deviceId: counter.deviceId, payload: "c|12|b|0.8" },
        { deviceId: station.deviceId, payload: { pm10: 20, TimeInstant: "2024-07-01T10:00:00Z" } },
        { deviceId: "ghost", payload: "c|1" },
        { deviceId: "bad id!", payload: "c|1" },
        { deviceId: counter.deviceId, payload: "c|1.5" },
        { deviceId: station.deviceId, payload: "pm10|3" },
        { deviceId: counter.deviceId, payload: `c|${"1".repeat(40_000)}` },
      ],
    });
    // Assess
    expect(result.accepted).toBe(2);
    expect(result.results.map((r) => (r.status === "accepted" ? "accepted" : r.code))).toEqual([
      "accepted",
      "accepted",
      "unknown-device",
      "invalid-device-id",
      "malformed-payload",
      "malformed-payload",
      "oversized",
    ]);
    const records = await readStream(kinesis, stream.name);
    expect(records.map((r) => [r.PartitionKey, Buffer.from(r.Data ?? new Uint8Array()).toString()])).toEqual([
      [`${destination.tenant}/${counter.thingName}`, "c|12|b|0.8"],
      [`${destination.tenant}/${station.thingName}`, '{"pm10":20,"TimeInstant":"2024-07-01T10:00:00Z"}'],
    ]);
    await deleteStream(kinesis, stream.name);
  });

  it("refuses a request where nothing is accepted with 422 naming each field, putting nothing", async () => {
    // Prepare
    const { destination, stream, deps } = await prepare();
    // Act
    const attempt = ingestMeasurements(deps, destination.tenant, {
      measurements: [{ deviceId: "ghost", payload: "c|1" }],
    });
    // Assess
    await expect(attempt).rejects.toMatchObject({
      status: 422,
      errors: [
        { field: "body.measurements.0.deviceId", reason: "is not a registered device of this destination" },
      ],
    });
    expect(await readStream(kinesis, stream.name)).toEqual([]);
    await deleteStream(kinesis, stream.name);
  });

  it("refuses more than 1 MiB of payloads with 413", async () => {
    // Prepare
    const { destination, counter, stream, deps } = await prepare();
    const payload = `c|${"1".repeat(30_000)}`;
    // Act
    const attempt = ingestMeasurements(deps, destination.tenant, {
      measurements: Array.from({ length: 40 }, () => ({ deviceId: counter.deviceId, payload })),
    });
    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 413 });
    await deleteStream(kinesis, stream.name);
  });
});
