import { describe, expect, it } from "vitest";
import { Devices } from "../src/domain/devices";
import { Health } from "../src/domain/health";
import { capturingBus, crowdCounter, fakeIdentities, freshDestination } from "./support";

const at = (iso: string) => ({ now: () => new Date(iso) });

async function destinationWithCounter(registeredAt: string) {
  const destination = await freshDestination();
  const { identity } = fakeIdentities();
  const { device } = await Devices.register(
    { ...destination, identity, clock: at(registeredAt) },
    destination.tenant,
    crowdCounter(),
  );
  return { destination, device };
}

describe("device monitoring against DynamoDB Local", () => {
  it("raises an alert for a device never heard of past its interval, once, and lists it", async () => {
    // Prepare
    const { destination, device } = await destinationWithCounter("2024-07-01T10:00:00.000Z");
    // Act
    const early = await Health.detectSilence(
      { ...destination, clock: at("2024-07-01T10:00:59.000Z") },
      destination.tenant,
    );
    const late = await Health.detectSilence(
      { ...destination, clock: at("2024-07-01T10:01:01.000Z") },
      destination.tenant,
    );
    const again = await Health.detectSilence(
      { ...destination, clock: at("2024-07-01T10:02:00.000Z") },
      destination.tenant,
    );
    // Assess
    expect([early.raised, late.raised, again.raised]).toEqual([0, 1, 0]);
    const alerts = await Health.alerts(destination, destination.tenant);
    expect(alerts.active).toEqual([
      {
        deviceId: device.deviceId,
        kind: "silent",
        silentSince: "2024-07-01T10:00:00.000Z",
        raisedAt: "2024-07-01T10:01:01.000Z",
      },
    ]);
    const fleet = await Health.fleet(
      { ...destination, clock: at("2024-07-01T10:02:00.000Z") },
      destination.tenant,
      100,
    );
    expect(fleet).toMatchObject({ devices: 1, neverSeen: 1, online: 0 });
  });

  it("clears the alert when data returns, keeps the history, and counts messages, errors and battery", async () => {
    // Prepare
    const { destination, device } = await destinationWithCounter("2024-07-01T10:00:00.000Z");
    await Health.detectSilence({ ...destination, clock: at("2024-07-01T10:05:00.000Z") }, destination.tenant);
    // Act
    const cleared = await destination.health.recordActivity(
      destination.tenant,
      [
        {
          deviceId: device.deviceId,
          messages: 3,
          decodeErrors: 1,
          lastSeenAt: "2024-07-01T10:06:00.000Z",
          lastObservedAt: "2024-07-01T10:05:59.000Z",
          battery: { value: 0.5, observedAt: "2024-07-01T10:05:59.000Z" },
        },
      ],
      new Date("2024-07-01T10:06:00.000Z"),
    );
    // Assess
    expect(cleared).toEqual([
      expect.objectContaining({ deviceId: device.deviceId, clearedAt: "2024-07-01T10:06:00.000Z" }),
    ]);
    const health = await Health.device(
      { ...destination, clock: at("2024-07-01T10:06:30.000Z") },
      destination.tenant,
      device.deviceId,
    );
    expect(health).toMatchObject({
      status: "online",
      messageCount: 3,
      decodeErrorCount: 1,
      battery: 0.5,
      lastSeenAt: "2024-07-01T10:06:00.000Z",
    });
    expect(health.alert).toBeUndefined();
    expect((await Health.alerts(destination, destination.tenant)).recent).toEqual([
      expect.objectContaining({
        deviceId: device.deviceId,
        raisedAt: "2024-07-01T10:05:00.000Z",
        clearedAt: "2024-07-01T10:06:00.000Z",
      }),
    ]);
  });

  it("goes silent again when the data stops, across every destination with devices", async () => {
    // Prepare
    const { destination, device } = await destinationWithCounter("2024-07-01T10:00:00.000Z");
    await destination.health.recordActivity(
      destination.tenant,
      [{ deviceId: device.deviceId, messages: 1, decodeErrors: 0, lastSeenAt: "2024-07-01T10:00:30.000Z" }],
      new Date("2024-07-01T10:00:30.000Z"),
    );
    const bus = await capturingBus();
    try {
      // Act
      const totals = await Health.detectSilenceEverywhere({
        ...destination,
        events: bus.events,
        clock: at("2024-07-01T10:01:31.000Z"),
      });
      // Assess
      expect(totals).toEqual({ raised: 1, cleared: 0, published: 1, unpublished: 0, failed: 0 });
    } finally {
      await bus.bus.stop();
    }
    const health = await Health.device(
      { ...destination, clock: at("2024-07-01T10:01:31.000Z") },
      destination.tenant,
      device.deviceId,
    );
    expect(health).toMatchObject({ status: "silent", alert: { silentSince: "2024-07-01T10:00:30.000Z" } });
  });
});
