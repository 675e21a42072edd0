import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { createDocumentClient } from "@sdp/aws";
import { TOURIST_ERASED, TouristSignUpRequest } from "@sdp/contracts";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { buildDynamoDbTouristStore } from "../src/adapters/dynamodb-tourist-store";
import { Tenant } from "../src/domain/tenant";
import { Tourists } from "../src/domain/tourists";
import { activeDestination, uniqueSlug } from "./support";

async function world() {
  const { tables, client, tenants, slug } = await activeDestination();
  return { deps: { tourists: buildDynamoDbTouristStore(client, tables.directory), tenants }, slug, tables };
}

const signUp = (destination: string, email = `t-${crypto.randomUUID().slice(0, 6)}@example.com`) =>
  TouristSignUpRequest.parse({ destination, email, password: "Sunny-Beach-2030" });

describe("tourists", () => {
  it("sign up with a pseudonymous id per destination, and the same e-mail may join another destination", async () => {
    // Prepare
    const { deps, slug } = await world();
    const { tenants } = deps;
    const other = uniqueSlug();
    await Tenant.create(
      { store: tenants },
      {
        slug: other,
        name: "O",
        defaultLanguage: "es",
        languages: ["es"],
        currency: "EUR",
        timeZone: "UTC",
        tier: "standard",
      },
    );
    await tenants.transition(other, "provisioning", "active", {});
    const request = signUp(slug);
    // Act
    const first = await Tourists.signUp(deps, request);
    const again = await Tourists.signUp(deps, request).catch((error: unknown) => error);
    const elsewhere = await Tourists.signUp(deps, { ...request, destination: other });
    // Assess
    expect(first.touristId).toMatch(/^tr_/);
    expect(again).toMatchObject({ status: 409, errors: [{ field: "body.email" }] });
    expect(elsewhere.touristId).not.toBe(first.touristId);
  });

  it("keeps every consent decision with its time and version, shows the latest, and exports them all", async () => {
    // Prepare
    const { deps, slug } = await world();
    const { touristId } = await Tourists.signUp(deps, signUp(slug));
    // Act
    await Tourists.consent(deps, slug, touristId, "marketing", { granted: true, version: "2030-01" });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await Tourists.consent(deps, slug, touristId, "marketing", { granted: false, version: "2030-02" });
    await Tourists.consent(deps, slug, touristId, "location", { granted: true, version: "v1" });
    const profile = await Tourists.profile(deps, slug, touristId);
    const exported = await Tourists.export(deps, slug, touristId);
    const elsewhere = await Tourists.profile(deps, "elsewhere", touristId).catch((error: unknown) => error);
    // Assess
    expect(profile.consents).toEqual([
      { purpose: "location", granted: true, version: "v1", at: expect.any(String) },
      { purpose: "marketing", granted: false, version: "2030-02", at: expect.any(String) },
    ]);
    expect(exported.consentHistory.map((c) => [c.purpose, c.version])).toEqual([
      ["marketing", "2030-01"],
      ["marketing", "2030-02"],
      ["location", "v1"],
    ]);
    expect(exported.profile).toMatchObject({ touristId, email: expect.stringContaining("@example.com") });
    expect(elsewhere).toMatchObject({ status: 404 });
  });

  it("erase everything and announce it through the outbox in the same transaction", async () => {
    // Prepare
    const { deps, slug, tables } = await world();
    const request = signUp(slug);
    const { touristId } = await Tourists.signUp(deps, request);
    await Tourists.consent(deps, slug, touristId, "analytics", { granted: true, version: "1" });
    // Act
    await Tourists.erase(deps, slug, touristId);
    const twice = await Tourists.erase(deps, slug, touristId).catch((error: unknown) => error);
    const signUpAgain = await Tourists.signUp(deps, request);
    // Assess
    expect(twice).toMatchObject({ status: 404 });
    const { Items } = await createDocumentClient().send(
      new ScanCommand({ TableName: tables.directory, ConsistentRead: true }),
    );
    const left = (Items ?? []).filter((item) => JSON.stringify(item).includes(touristId));
    expect(left).toEqual([
      expect.objectContaining({
        kind: "outbox",
        source: TOURIST_ERASED.source,
        detailType: TOURIST_ERASED.detailType,
        detail: { tenant: slug, touristId, erasedAt: expect.any(String) },
      }),
    ]);
    expect(signUpAgain.touristId).not.toBe(touristId);
  });
});

describe("the directory's outbox publisher", () => {
  const record = (
    image: Record<string, unknown>,
    sequence: string,
    eventName: "INSERT" | "REMOVE" = "INSERT",
  ) =>
    ({
      eventName,
      dynamodb: { SequenceNumber: sequence, NewImage: marshall(image) as Record<string, AttributeValue> },
    }) as unknown as DynamoDBStreamEvent["Records"][number];

  it("publishes each new outbox item once per delivery and reports the ones the bus refused", async () => {
    // Prepare
    // The module reads the bus name at load, as at a cold start.
    process.env.SDP_EVENT_BUS ??= "sdp-test-events";
    const { buildHandler } = await import("../src/handlers/publishDirectoryEvents");
    const published: unknown[] = [];
    const handler = buildHandler({
      publish: async (event) => {
        if (JSON.stringify(event).includes("refuse-me")) throw new Error("bus down");
        published.push(event);
      },
    });
    const outbox = (eventId: string) => ({
      pk: `OUTBOX#${eventId}`,
      sk: "EVENT",
      kind: "outbox",
      eventId,
      source: "sdp.tenants",
      detailType: "TouristErased",
      detail: { tenant: "villamar", touristId: "tr_X" },
    });
    // Act
    const result = await handler({
      Records: [
        record(outbox("evt_1"), "1"),
        record({ pk: "USER#a", sk: "PROFILE", kind: "staff" }, "2"),
        record(outbox("refuse-me"), "3"),
      ],
    });
    // Assess
    expect(published).toEqual([
      {
        source: "sdp.tenants",
        detailType: "TouristErased",
        detail: { tenant: "villamar", touristId: "tr_X", eventId: "evt_1" },
      },
    ]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "3" }]);
  });
});
