import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import { freePort } from "../net";
import { startEventBus } from "./bus";
import { rateToMs } from "./scheduler";

describe("local event bus", () => {
  it("accepts PutEvents from the real SDK client and delivers matching events in EventBridge's shape", async () => {
    // Prepare
    const delivered: unknown[] = [];
    const bus = await startEventBus({
      port: await freePort(),
      region: "eu-west-1",
      rules: [
        {
          name: "match",
          pattern: { source: ["sdp.tenants"], detailType: ["TenantActivated"] },
          deliver: async (e) => void delivered.push(e),
        },
        {
          name: "other",
          pattern: { source: ["sdp.other"] },
          deliver: async () => void delivered.push("wrong"),
        },
      ],
    });
    const client = new EventBridgeClient({
      endpoint: bus.endpoint,
      region: "eu-west-1",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    try {
      // Act
      const result = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: "sdp.tenants",
              DetailType: "TenantActivated",
              Detail: JSON.stringify({ slug: "villamar" }),
            },
            { Source: "sdp.tenants", DetailType: "TenantActivated", Detail: "{broken" },
          ],
        }),
      );
      await bus.settled();
      // Assess
      expect(result.FailedEntryCount).toBe(1);
      expect(result.Entries?.[1]?.ErrorCode).toBe("MalformedDetail");
      expect(delivered).toEqual([
        expect.objectContaining({
          version: "0",
          source: "sdp.tenants",
          "detail-type": "TenantActivated",
          detail: { slug: "villamar" },
          region: "eu-west-1",
        }),
      ]);
    } finally {
      await bus.stop();
    }
  });

  it("parses rate expressions and refuses others", () => {
    expect(rateToMs("rate(5 minutes)")).toBe(300_000);
    expect(rateToMs("rate(1 day)")).toBe(86_400_000);
    expect(() => rateToMs("cron(0 * * * ? *)")).toThrow();
    expect(() => rateToMs("rate(0 minutes)")).toThrow();
  });
});
