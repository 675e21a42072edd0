import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { EventBridgeEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
// The local runtime's bus stand-in, by path: that package exports only the runtime (and depends on this one).
import { startEventBus } from "../../local-runtime/src/events/bus";
import { freePort } from "../../local-runtime/src/net";
import { buildEventBridgePublisher } from "./event-bus";

const region = "eu-west-1";
const clientAt = (endpoint: string) =>
  new EventBridgeClient({
    endpoint,
    region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });

describe("the EventBridge publisher against the local bus", () => {
  it("puts one event, and many in calls of at most 10, each delivered once", async () => {
    // Prepare
    const delivered: EventBridgeEvent<string, unknown>[] = [];
    const bus = await startEventBus({
      port: await freePort(),
      region,
      rules: [
        { name: "all", pattern: { source: ["sdp.test"] }, deliver: async (e) => void delivered.push(e) },
      ],
    });
    const publisher = buildEventBridgePublisher(clientAt(bus.endpoint), "sdp-test-events");
    const many = Array.from({ length: 23 }, (_, index) => ({
      source: "sdp.test",
      detailType: "Counted",
      detail: { index },
    }));
    try {
      // Act
      await publisher.publish({ source: "sdp.test", detailType: "Single", detail: { one: true } });
      const { failed } = await publisher.publishAll(many);
      await bus.settled();
      // Assess
      expect(failed.size).toBe(0);
      expect(delivered.map((event) => event["detail-type"])).toEqual([
        "Single",
        ...many.map(() => "Counted"),
      ]);
      expect(delivered.slice(1).map((event) => event.detail)).toEqual(many.map((event) => event.detail));
      expect(bus.stats().received).toBe(24);
    } finally {
      await bus.stop();
    }
  });

  it("reports every event as not accepted when the bus cannot be reached, and throws for a single one", async () => {
    // Prepare
    const publisher = buildEventBridgePublisher(
      clientAt(`http://127.0.0.1:${await freePort()}`),
      "sdp-test-events",
    );
    const events = Array.from({ length: 12 }, () => ({ source: "sdp.test", detailType: "Lost", detail: {} }));
    // Act
    const { failed } = await publisher.publishAll(events);
    const single = publisher.publish({ source: "sdp.test", detailType: "Lost", detail: {} });
    // Assess
    expect([...failed].sort((a, b) => a - b)).toEqual(events.map((_, index) => index));
    await expect(single).rejects.toThrow();
  });
});
