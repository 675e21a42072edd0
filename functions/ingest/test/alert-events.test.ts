import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient } from "@sdp/aws";
import type { DeviceAlert } from "@sdp/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../../packages/local-runtime/src/net";
import { alertEvent } from "../src/domain/alert-events";
import { Devices } from "../src/domain/devices";
import { Health } from "../src/domain/health";
import type { AlertEventPublisher } from "../src/domain/ports";
import { IngestKeys, Partitions } from "../src/keys";
import { alertPublisherAt, capturingBus, crowdCounter, fakeIdentities, freshDestination } from "./support";

const at = (iso: string) => ({ now: () => new Date(iso) });
const REGISTERED = "2024-07-01T10:00:00.000Z";
/** The crowd counter expects a message a minute: one second later it is silent. */
const SILENT = "2024-07-01T10:01:01.000Z";

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((bus) => bus.stop()));
});

async function busForTest() {
  const bus = await capturingBus();
  running.push(bus.bus);
  return bus;
}

async function destinationWithCounters(count = 1) {
  const destination = await freshDestination();
  const { identity } = fakeIdentities();
  const devices = [];
  for (let index = 0; index < count; index += 1) {
    const { device } = await Devices.register(
      { ...destination, identity, clock: at(REGISTERED) },
      destination.tenant,
      crowdCounter(),
    );
    devices.push(device);
  }
  return { destination, devices };
}

describe("alert events (domain)", () => {
  it("announce an open alert as DeviceSilent and a cleared one as DeviceHeardAgain, with one alertId", () => {
    // Prepare
    const open: DeviceAlert = {
      deviceId: "counter-1",
      kind: "silent",
      silentSince: REGISTERED,
      raisedAt: SILENT,
    };
    // Act
    const raised = alertEvent("villamar", open, "urn:ngsi-ld:CrowdFlowObserved:counter-1");
    const cleared = alertEvent("villamar", { ...open, clearedAt: "2024-07-01T10:03:00.000Z" }, undefined);
    // Assess
    expect(raised).toEqual({
      detailType: "DeviceSilent",
      detail: {
        destination: "villamar",
        deviceId: "counter-1",
        entityId: "urn:ngsi-ld:CrowdFlowObserved:counter-1",
        alertId: `counter-1:${SILENT}`,
        kind: "silent",
        silentSince: REGISTERED,
        raisedAt: SILENT,
      },
    });
    expect(cleared.detailType).toBe("DeviceHeardAgain");
    expect(cleared.detail).toMatchObject({
      alertId: raised.detail.alertId,
      clearedAt: "2024-07-01T10:03:00.000Z",
    });
    expect(cleared.detail).not.toHaveProperty("entityId");
  });
});

describe("alert events on the bus (DynamoDB Local and the local bus)", () => {
  it("announces a raised alert with exactly one DeviceSilent, and re-running publishes nothing more", async () => {
    // Prepare
    const { destination, devices } = await destinationWithCounters();
    const [device] = devices;
    const bus = await busForTest();
    // Act
    const first = await Health.detectSilenceEverywhere({
      ...destination,
      events: bus.events,
      clock: at(SILENT),
    });
    const second = await Health.detectSilenceEverywhere({
      ...destination,
      events: bus.events,
      clock: at("2024-07-01T10:02:00.000Z"),
    });
    // Assess
    expect(first).toEqual({ raised: 1, cleared: 0, published: 1, unpublished: 0, failed: 0 });
    expect(second).toEqual({ raised: 0, cleared: 0, published: 0, unpublished: 0, failed: 0 });
    expect(await bus.delivered()).toEqual([
      {
        detailType: "DeviceSilent",
        detail: {
          destination: destination.tenant,
          deviceId: device?.deviceId,
          entityId: device?.entityId,
          alertId: `${device?.deviceId}:${SILENT}`,
          kind: "silent",
          silentSince: REGISTERED,
          raisedAt: SILENT,
        },
      },
    ]);
    expect(bus.captured[0]?.source).toBe("sdp.ingest");
    expect((await destination.health.pendingEvents(destination.tenant, 10)).items).toEqual([]);
  });

  it("announces the clear by data with one DeviceHeardAgain of the same alert", async () => {
    // Prepare
    const { destination, devices } = await destinationWithCounters();
    const deviceId = devices[0]?.deviceId ?? "";
    const bus = await busForTest();
    await Health.detectSilenceEverywhere({ ...destination, events: bus.events, clock: at(SILENT) });
    // Act
    const cleared = await destination.health.recordActivity(
      destination.tenant,
      [{ deviceId, messages: 1, decodeErrors: 0, lastSeenAt: "2024-07-01T10:01:30.000Z" }],
      new Date("2024-07-01T10:01:30.000Z"),
    );
    const run = await Health.detectSilenceEverywhere({
      ...destination,
      events: bus.events,
      clock: at("2024-07-01T10:01:40.000Z"),
    });
    const again = await Health.detectSilenceEverywhere({
      ...destination,
      events: bus.events,
      clock: at("2024-07-01T10:01:50.000Z"),
    });
    // Assess
    expect(cleared).toHaveLength(1);
    expect(run).toMatchObject({ raised: 0, cleared: 0, published: 1 });
    expect(again).toMatchObject({ published: 0 });
    const events = await bus.delivered();
    expect(events.map((event) => event.detailType)).toEqual(["DeviceSilent", "DeviceHeardAgain"]);
    expect(events[1]?.detail).toMatchObject({
      alertId: `${deviceId}:${SILENT}`,
      entityId: devices[0]?.entityId,
      raisedAt: SILENT,
      clearedAt: "2024-07-01T10:01:30.000Z",
    });
  });

  it("does not clear or announce again for a device without an alert, nor for undecodable messages", async () => {
    // Prepare
    const { destination, devices } = await destinationWithCounters(2);
    const [quiet, broken] = devices.map((device) => device.deviceId);
    const bus = await busForTest();
    await destination.health.recordActivity(
      destination.tenant,
      [{ deviceId: quiet ?? "", messages: 1, decodeErrors: 0, lastSeenAt: "2024-07-01T10:00:30.000Z" }],
      new Date("2024-07-01T10:00:30.000Z"),
    );
    await Health.detectSilenceEverywhere({ ...destination, events: bus.events, clock: at(SILENT) });
    // Act
    const cleared = await destination.health.recordActivity(
      destination.tenant,
      [
        { deviceId: quiet ?? "", messages: 1, decodeErrors: 0, lastSeenAt: "2024-07-01T10:01:10.000Z" },
        { deviceId: broken ?? "", messages: 2, decodeErrors: 2, lastSeenAt: "2024-07-01T10:01:10.000Z" },
      ],
      new Date("2024-07-01T10:01:10.000Z"),
    );
    // Assess
    expect(cleared).toEqual([]);
    expect((await destination.health.pendingEvents(destination.tenant, 10)).items).toEqual([]);
    expect((await bus.delivered()).map((event) => event.detail)).toEqual([
      expect.objectContaining({ deviceId: broken }),
    ]);
  });

  it("keeps the events in the outbox while the bus is unreachable, and publishes them once on the next run", async () => {
    // Prepare
    const { destination, devices } = await destinationWithCounters();
    const unreachable = alertPublisherAt(`http://127.0.0.1:${await freePort()}`);
    const bus = await busForTest();
    // Act
    const down = await Health.detectSilenceEverywhere({
      ...destination,
      events: unreachable,
      clock: at(SILENT),
    });
    const pending = await destination.health.pendingEvents(destination.tenant, 10);
    const up = await Health.detectSilenceEverywhere({
      ...destination,
      events: bus.events,
      clock: at("2024-07-01T10:02:00.000Z"),
    });
    const after = await Health.detectSilenceEverywhere({
      ...destination,
      events: bus.events,
      clock: at("2024-07-01T10:03:00.000Z"),
    });
    // Assess
    expect(down).toEqual({ raised: 1, cleared: 0, published: 0, unpublished: 1, failed: 0 });
    expect(pending.items.map((item) => item.event.detailType)).toEqual(["DeviceSilent"]);
    expect(up).toMatchObject({ raised: 0, published: 1, unpublished: 0 });
    expect(after).toMatchObject({ published: 0 });
    expect((await bus.delivered()).map((event) => event.detail)).toEqual([
      expect.objectContaining({ deviceId: devices[0]?.deviceId, raisedAt: SILENT }),
    ]);
  });

  it("keeps only the entries the bus refused, and publishes more than one call's worth (10) in order", async () => {
    // Prepare
    const { destination } = await destinationWithCounters(12);
    const bus = await busForTest();
    const refused = new Set<string>();
    const refusingTheThird: AlertEventPublisher = {
      publish: async (events) => {
        const third = events[2];
        if (third) refused.add(third.detail.deviceId);
        const accepted = events.filter((_, index) => index !== 2);
        const { failed } = await bus.events.publish(accepted);
        if (failed.size > 0) throw new Error("the local bus refused an entry");
        return { failed: new Set([2]) };
      },
    };
    // Act
    const partial = await Health.detectSilenceEverywhere({
      ...destination,
      events: refusingTheThird,
      clock: at(SILENT),
    });
    const rest = await Health.publishAlertEvents({ ...destination, events: bus.events }, destination.tenant);
    // Assess
    expect(partial).toMatchObject({ raised: 12, published: 11, unpublished: 1 });
    expect(rest).toEqual({ published: 1, unpublished: 0 });
    const events = await bus.delivered();
    expect(events).toHaveLength(12);
    expect(new Set(events.map((event) => event.detail.deviceId)).size).toBe(12);
    expect(events[11]?.detail.deviceId).toBe([...refused][0]);
  });

  it("does not raise (nor announce) an alert for a device heard of since the check read it", async () => {
    // Prepare
    const { destination, devices } = await destinationWithCounters();
    const deviceId = devices[0]?.deviceId ?? "";
    const stale = await destination.health.get(destination.tenant, deviceId);
    await destination.health.recordActivity(
      destination.tenant,
      [{ deviceId, messages: 1, decodeErrors: 0, lastSeenAt: "2024-07-01T10:01:00.500Z" }],
      new Date("2024-07-01T10:01:00.500Z"),
    );
    if (!stale) throw new Error("no health record");
    // Act
    const raised = await destination.health.raiseAlert(destination.tenant, stale, {
      deviceId,
      kind: "silent",
      silentSince: REGISTERED,
      raisedAt: SILENT,
    });
    // Assess
    expect(raised).toBe(false);
    expect((await destination.health.get(destination.tenant, deviceId))?.alert).toBeUndefined();
    expect((await destination.health.pendingEvents(destination.tenant, 10)).items).toEqual([]);
  });

  it("completes a clear interrupted after the activity update: the retry or the next check announces it once", async () => {
    // Prepare
    const { destination, devices } = await destinationWithCounters(2);
    const [retried, checked] = devices.map((device) => device.deviceId ?? "");
    const bus = await busForTest();
    await Health.detectSilenceEverywhere({ ...destination, events: bus.events, clock: at(SILENT) });
    // The consumer's first step went through (activity recorded, the alert left in place), then it
    // crashed before the transaction that clears the alert.
    const documents = createDocumentClient();
    for (const deviceId of [retried, checked]) {
      await documents.send(
        new UpdateCommand({
          TableName: destination.tableOf(destination.tenant),
          Key: { [IngestKeys.pk]: Partitions.health, [IngestKeys.sk]: deviceId },
          UpdateExpression: "SET lastSeenAt = :seen ADD messageCount :one",
          ExpressionAttributeValues: { ":seen": "2024-07-01T10:01:20.000Z", ":one": 1 },
        }),
      );
    }
    // Act
    const retry = await destination.health.recordActivity(
      destination.tenant,
      [{ deviceId: retried ?? "", messages: 1, decodeErrors: 0, lastSeenAt: "2024-07-01T10:01:20.000Z" }],
      new Date("2024-07-01T10:01:25.000Z"),
    );
    const check = await Health.detectSilenceEverywhere({
      ...destination,
      events: bus.events,
      clock: at("2024-07-01T10:01:30.000Z"),
    });
    await Health.detectSilenceEverywhere({
      ...destination,
      events: bus.events,
      clock: at("2024-07-01T10:01:40.000Z"),
    });
    // Assess
    expect(retry.map((alert) => alert.deviceId)).toEqual([retried]);
    expect(check).toMatchObject({ cleared: 1, published: 2 });
    const heardAgain = (await bus.delivered()).filter((event) => event.detailType === "DeviceHeardAgain");
    expect(heardAgain.map((event) => event.detail.deviceId).sort()).toEqual([retried, checked].sort());
    const { recent } = await Health.alerts(destination, destination.tenant);
    expect(recent.filter((alert) => alert.clearedAt)).toHaveLength(2);
  });
});
