import { randomBytes } from "node:crypto";
import { type ContextUpdate, contextUpdatePartitionKey } from "@sdp/contracts";
import type { KinesisStreamEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { NGSI_LD } from "../src/domain/model";
import { buildHandler } from "../src/handlers/applyContextUpdates";
import { type ApplierDeps, applyUpdates, type UpdateRecord } from "../src/ingest-applier/applier";
import { inTenant, uniqueSlug } from "./support";
import { freshDestination, memorySink, temporalTestDeps } from "./temporal-support";

const DEFAULT = `${NGSI_LD}default-context/`;
const PEOPLE = `${DEFAULT}peopleCount`;
const NAME = `${DEFAULT}name`;
const TYPE = `${DEFAULT}CrowdFlowObserved`;

let sequence = 0;

function update(
  tenant: string,
  entityId: string,
  observedAt: string,
  value: number,
  name = "Plaza Mayor",
): ContextUpdate {
  return {
    version: 1,
    updateId: randomBytes(16).toString("hex"),
    tenant,
    entityId,
    entityType: "CrowdFlowObserved",
    observedAt,
    attributes: { peopleCount: { type: "Property", value, observedAt, unitCode: "C62" } },
    staticAttributes: { name: { type: "Property", value: name } },
    source: {
      kind: "device",
      deviceId: "pc-test",
      thing: `${tenant}-pc-test`,
      protocol: "ul2",
      receivedAt: "2026-01-01T00:00:00.000Z",
      observedAtSource: "device",
    },
  };
}

function record(body: unknown, partitionKey?: string): UpdateRecord {
  sequence += 1;
  const key =
    partitionKey ??
    (typeof body === "object" && body !== null && "tenant" in body && "entityId" in body
      ? `${String(body.tenant)}/${String(body.entityId)}`
      : "x/y");
  return {
    stream: "sdp-test-platform-ingest-context-updates",
    sequenceNumber: String(sequence).padStart(20, "0"),
    partitionKey: key,
    data: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
    arrivedAt: new Date("2026-01-01T00:00:01.000Z"),
  };
}

const entityId = () => `urn:ngsi-ld:CrowdFlowObserved:${crypto.randomUUID()}`;

async function setup() {
  const { slug } = await freshDestination();
  const sink = memorySink();
  const deps: ApplierDeps = { context: temporalTestDeps(), deadLetters: sink };
  const read = (id: string) =>
    inTenant(slug, async () => {
      const stored = await deps.context.store().get(id);
      const history = await deps.context
        .history()
        .read({ entityId: id, attr: PEOPLE }, { property: "observedAt", window: {}, limit: 100 });
      return { stored, history: history.instances };
    });
  return { slug, sink, deps, read };
}

const currentValue = (attribute: unknown) =>
  typeof attribute === "object" && attribute !== null && "value" in attribute ? attribute.value : undefined;

describe("the ingest → context applier", () => {
  it("creates the entity from its first update, with the update's type and static attributes", async () => {
    // Prepare
    const { slug, deps, read } = await setup();
    const id = entityId();
    // Act
    const outcome = await applyUpdates(deps, [record(update(slug, id, "2026-01-01T00:00:00Z", 12))]);
    const { stored } = await read(id);
    // Assess
    expect(outcome).toMatchObject({ failed: [], outcomes: { created: 1 }, deadLettered: 0 });
    expect(stored?.entity.types).toEqual([TYPE]);
    expect(stored?.entity.attrs[PEOPLE]?.[0]).toMatchObject({
      type: "Property",
      value: 12,
      observedAt: "2026-01-01T00:00:00Z",
      unitCode: "C62",
    });
    expect(currentValue(stored?.entity.attrs[NAME]?.[0])).toBe("Plaza Mayor");
    expect(stored?.revision.receipts).toHaveLength(1);
  });

  it("applies a redelivered update once: the second delivery changes nothing", async () => {
    // Prepare
    const { slug, deps, read } = await setup();
    const id = entityId();
    const first = update(slug, id, "2026-01-01T00:01:00Z", 5);
    await applyUpdates(deps, [record(first)]);
    const before = await read(id);
    await inTenant(slug, async () => {
      // An operator renames the place in between: the redelivery must not put the old name back.
      const stored = await deps.context.store().get(id);
      if (!stored) throw new Error("entity missing");
      const entity = structuredClone(stored.entity);
      entity.attrs[NAME] = [{ type: "Property", value: "Renamed" }];
      await deps.context.store().update(entity, stored.revision);
    });
    // Act
    const outcome = await applyUpdates(deps, [record(first), record(first)]);
    const after = await read(id);
    // Assess
    expect(outcome).toMatchObject({ failed: [], outcomes: { duplicate: 2 } });
    expect(currentValue(after.stored?.entity.attrs[NAME]?.[0])).toBe("Renamed");
    expect(after.stored?.entity.attrs[PEOPLE]).toEqual(before.stored?.entity.attrs[PEOPLE]);
    expect(after.history).toEqual(before.history);
  });

  it("keeps the newest observation current when updates arrive out of order, and puts the older one in history", async () => {
    // Prepare
    const { slug, deps, read } = await setup();
    const id = entityId();
    const newer = update(slug, id, "2026-01-01T00:10:00Z", 30, "Current name");
    const older = update(slug, id, "2026-01-01T00:05:00Z", 20, "Old name");
    // Act
    const outcome = await applyUpdates(deps, [record(newer), record(older)]);
    const again = await applyUpdates(deps, [record({ ...older, updateId: randomBytes(16).toString("hex") })]);
    const { stored, history } = await read(id);
    // Assess
    expect(outcome).toMatchObject({ failed: [], outcomes: { created: 1, unchanged: 1 } });
    expect(again).toMatchObject({ failed: [], outcomes: { unchanged: 1 } });
    expect(currentValue(stored?.entity.attrs[PEOPLE]?.[0])).toBe(30);
    expect(currentValue(stored?.entity.attrs[NAME]?.[0])).toBe("Current name");
    // The newer value reaches history through the entities stream (not running here); the older directly, once.
    expect(
      history.map((i) => [i.time, i.content.kind === "value" ? currentValue(i.content.attribute) : null]),
    ).toEqual([["2026-01-01T00:05:00.000Z", 20]]);
  });

  it("dead-letters what can never be applied, with the reason, and applies the rest of the batch", async () => {
    // Prepare
    const { slug, deps, sink, read } = await setup();
    const id = entityId();
    const good = update(slug, id, "2026-01-01T00:00:00Z", 1);
    const stranger = update(uniqueSlug(), entityId(), "2026-01-01T00:00:00Z", 1);
    const records = [
      record("{not json"),
      record({ ...good, version: 2 }),
      record(good, `${slug}/urn:ngsi-ld:Other:1`),
      record(stranger),
      record(good),
    ];
    // Act
    const outcome = await applyUpdates(deps, records);
    const { stored } = await read(id);
    // Assess
    expect(outcome).toMatchObject({ failed: [], deadLettered: 4, outcomes: { created: 1 } });
    expect(sink.letters.map((l) => [l.kind, l.reason, l.sequenceNumber])).toEqual([
      ["context-update", "invalid-update", records[0]?.sequenceNumber],
      ["context-update", "invalid-update", records[1]?.sequenceNumber],
      ["context-update", "invalid-update", records[2]?.sequenceNumber],
      ["context-update", "unknown-destination", records[3]?.sequenceNumber],
    ]);
    expect(sink.letters[1]?.detail).toMatch(/version/);
    expect(sink.letters[3]?.tenant).toBe(stranger.tenant);
    expect(stored).toBeDefined();
  });

  it("reports poison records as failures when the dead-letter queue is unavailable, so nothing is lost", async () => {
    // Prepare
    const { deps, sink } = await setup();
    sink.failing = true;
    const poison = record("{not json");
    // Act
    const outcome = await applyUpdates(deps, [poison]);
    // Assess
    expect(outcome.failed).toEqual([poison.sequenceNumber]);
  });

  it("answers Lambda's Kinesis event with the batch item failures", async () => {
    // Prepare
    const { slug, deps, read } = await setup();
    const id = entityId();
    const body = update(slug, id, "2026-01-01T00:00:00Z", 3);
    const event: KinesisStreamEvent = {
      Records: [
        {
          kinesis: {
            kinesisSchemaVersion: "1.0",
            partitionKey: contextUpdatePartitionKey(body),
            sequenceNumber: "49590338271490256608559692538361571095921575989136588898",
            data: Buffer.from(JSON.stringify(body)).toString("base64"),
            approximateArrivalTimestamp: 1_767_225_600.5,
          },
          eventSource: "aws:kinesis",
          eventVersion: "1.0",
          eventID: "shardId-000000000000:1",
          eventName: "aws:kinesis:record",
          invokeIdentityArn: "arn:aws:iam::1:role/x",
          awsRegion: "eu-west-1",
          eventSourceARN: "arn:aws:kinesis:eu-west-1:1:stream/sdp-test-platform-ingest-context-updates",
        },
      ],
    };
    // Act
    const response = await buildHandler(deps)(event);
    const { stored } = await read(id);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(currentValue(stored?.entity.attrs[PEOPLE]?.[0])).toBe(3);
  });
});
