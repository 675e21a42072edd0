import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PublishCommand } from "@aws-sdk/client-iot-data-plane";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bundledContextLoader } from "../src/adapters/bundled-contexts";
import { contextCache } from "../src/domain/contexts";
import type { ActiveContext } from "../src/domain/jsonld";
import type { Attribute, Entity } from "../src/domain/model";
import { buildHttpSender, type Resolver } from "../src/subscriptions/adapters/http-sender";
import { buildBrokerPublisher, buildIotDataPublisher } from "../src/subscriptions/adapters/mqtt-publishers";
import { deliver, inPool, prepare } from "../src/subscriptions/delivery";
import { describeChange, type EntityChange } from "../src/subscriptions/matching";
import type { Subscription } from "../src/subscriptions/model";
import {
  buildNotification,
  chunkData,
  currentEntry,
  notificationEntry,
} from "../src/subscriptions/notification";
import { parseSubscription } from "../src/subscriptions/parse";
import {
  DEFAULT_DELIVERY,
  DeliveryRefusedError,
  type HttpSender,
  type MqttPublisher,
} from "../src/subscriptions/ports";

const VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/";
const T = (name: string) => `${VOCAB}${name}`;
const NOW = "2025-06-01T10:00:00.000Z";
const LATER = "2025-06-01T10:00:05.000Z";
const SDM_CONTEXT = "https://smart-data-models.github.io/dataModel.PointOfInterest/context.jsonld";
const uid = () => crypto.randomUUID();
let core: ActiveContext;

beforeAll(async () => {
  core = await contextCache(bundledContextLoader).resolve("villamar", undefined);
});

function subscription(body: Record<string, unknown>, contextRef?: unknown): Subscription {
  return parseSubscription(
    { type: "Subscription", entities: [{ type: "Beach" }], ...body },
    { ctx: core, contextRef, tenant: "villamar", network: "private-allowed", now: NOW },
    uid,
  );
}
const endpoint = (extra: Record<string, unknown> = {}) => ({
  endpoint: { uri: "http://127.0.0.1:4100/n", ...extra },
});

const property = (value: number | string, modifiedAt = NOW): Attribute => ({
  type: "Property",
  value,
  createdAt: NOW,
  modifiedAt,
});
const before: Entity = {
  id: "urn:ngsi-ld:Beach:norte",
  types: [T("Beach")],
  createdAt: NOW,
  modifiedAt: NOW,
  attrs: {
    [T("temperature")]: [{ ...property(20), unitCode: "CEL" }],
    [T("name")]: [property("Norte")],
    [T("flag")]: [
      { type: "Relationship", object: "urn:ngsi-ld:Flag:green", createdAt: NOW, modifiedAt: NOW },
    ],
  },
};
function update(): EntityChange {
  const change = describeChange(
    before,
    {
      ...before,
      modifiedAt: LATER,
      attrs: {
        [T("temperature")]: [{ ...property(24, LATER), unitCode: "CEL" }],
        [T("name")]: [property("Norte")],
      },
    },
    LATER,
  );
  if (!change) throw new Error("no change");
  return change;
}

describe("notification data", () => {
  it("renders the entity normalized, with deleted attributes as the NGSI-LD Null", () => {
    // Prepare
    const s = subscription({ notification: endpoint() });
    // Act
    const entry = notificationEntry(s, core, update());
    // Assess
    expect(entry).toEqual({
      id: "urn:ngsi-ld:Beach:norte",
      type: "Beach",
      temperature: { type: "Property", value: 24, unitCode: "CEL" },
      name: { type: "Property", value: "Norte" },
      flag: { type: "Relationship", object: "urn:ngsi-ld:null" },
    });
  });

  it("adds previous values with showChanges", () => {
    // Prepare
    const s = subscription({ notification: { ...endpoint(), showChanges: true } });
    // Act
    const entry = notificationEntry(s, core, update());
    // Assess
    expect(entry.temperature).toEqual({ type: "Property", value: 24, unitCode: "CEL", previousValue: 20 });
    expect(entry.name).toEqual({ type: "Property", value: "Norte" });
    expect(entry.flag).toEqual({
      type: "Relationship",
      object: "urn:ngsi-ld:null",
      previousObject: "urn:ngsi-ld:Flag:green",
    });
  });

  it("renders keyValues and concise, and only the attributes asked for", () => {
    // Prepare
    const keyValues = subscription({
      notification: { ...endpoint(), format: "keyValues", attributes: ["temperature"] },
    });
    const concise = subscription({ notification: { ...endpoint(), format: "concise", showChanges: true } });
    // Act
    const kv = notificationEntry(keyValues, core, update());
    const short = notificationEntry(concise, core, update());
    // Assess
    expect(kv).toEqual({ id: "urn:ngsi-ld:Beach:norte", type: "Beach", temperature: 24 });
    expect(short).toEqual({
      id: "urn:ngsi-ld:Beach:norte",
      type: "Beach",
      temperature: { value: 24, unitCode: "CEL", previousValue: 20 },
      name: "Norte",
      flag: { object: "urn:ngsi-ld:null", previousObject: "urn:ngsi-ld:Flag:green" },
    });
  });

  it("shows a deleted entity as its id, type and deletedAt; its attributes only with showChanges", () => {
    // Prepare
    const plain = subscription({
      notificationTrigger: ["entityDeleted"],
      notification: { ...endpoint(), attributes: ["name"] },
    });
    const withChanges = subscription({
      notificationTrigger: ["entityDeleted"],
      notification: { ...endpoint(), attributes: ["name"], showChanges: true },
    });
    const change = describeChange(before, undefined, LATER);
    if (!change) throw new Error("no change");
    // Act
    const entry = notificationEntry(plain, core, change);
    const shown = notificationEntry(withChanges, core, change);
    // Assess
    expect(entry).toEqual({ id: "urn:ngsi-ld:Beach:norte", type: "Beach", deletedAt: LATER });
    expect(shown).toEqual({
      id: "urn:ngsi-ld:Beach:norte",
      type: "Beach",
      deletedAt: LATER,
      name: { type: "Property", value: "urn:ngsi-ld:null", previousValue: "Norte" },
    });
  });

  it("keeps only the members pick names and drops those omit names, deleted attributes included", () => {
    // Prepare
    const picking = subscription({ notification: { ...endpoint(), pick: ["id", "temperature", "flag"] } });
    const omitting = subscription({
      notification: { ...endpoint(), format: "keyValues", omit: ["type", "flag"] },
    });
    // Act
    const picked = notificationEntry(picking, core, update());
    const omitted = notificationEntry(omitting, core, update());
    const current = currentEntry(omitting, core, before);
    // Assess
    expect(picked).toEqual({
      id: "urn:ngsi-ld:Beach:norte",
      temperature: { type: "Property", value: 24, unitCode: "CEL" },
      flag: { type: "Relationship", object: "urn:ngsi-ld:null" },
    });
    expect(omitted).toEqual({ id: "urn:ngsi-ld:Beach:norte", temperature: 24, name: "Norte" });
    expect(current).toEqual({ id: "urn:ngsi-ld:Beach:norte", temperature: 20, name: "Norte" });
  });

  it("projects a deleted entity too: its id and type are members like the others", () => {
    // Prepare
    const s = subscription({
      notificationTrigger: ["entityDeleted"],
      notification: { ...endpoint(), pick: ["type", "name"], showChanges: true },
    });
    const change = describeChange(before, undefined, LATER);
    if (!change) throw new Error("no change");
    // Act
    const entry = notificationEntry(s, core, change);
    // Assess
    expect(entry).toEqual({
      type: "Beach",
      deletedAt: LATER,
      name: { type: "Property", value: "urn:ngsi-ld:null", previousValue: "Norte" },
    });
  });

  it("builds the Notification and splits large data", () => {
    // Prepare
    const s = subscription({ notification: endpoint() });
    const big = Array.from({ length: 5 }, (_, i) => ({
      id: `urn:ngsi-ld:Beach:${i}`,
      text: "x".repeat(400),
    }));
    // Act
    const notification = buildNotification(s, [{ id: "urn:ngsi-ld:Beach:1" }], NOW, "01J");
    const chunks = chunkData(big, 1_000);
    // Assess
    expect(notification).toEqual({
      id: "urn:ngsi-ld:Notification:01J",
      type: "Notification",
      subscriptionId: s.id,
      notifiedAt: NOW,
      data: [{ id: "urn:ngsi-ld:Beach:1" }],
    });
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 1]);
  });
});

describe("preparing a delivery", () => {
  const notification = (s: Subscription) => buildNotification(s, [{ id: "urn:ngsi-ld:Beach:1" }], NOW, "01J");

  it("POSTs application/json with the @context in a Link header and receiverInfo as headers", () => {
    // Prepare
    const s = subscription(
      { notification: endpoint({ receiverInfo: [{ key: "X-Api-Key", value: "secret" }] }) },
      SDM_CONTEXT,
    );
    // Act
    const prepared = prepare(s, notification(s), "villamar", "private-allowed", 5_000);
    // Assess
    expect(prepared).toEqual({
      kind: "http",
      timeoutMs: 5_000,
      request: {
        url: "http://127.0.0.1:4100/n",
        headers: {
          "X-Api-Key": "secret",
          "content-type": "application/json",
          link: `<${SDM_CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`,
          "ngsild-tenant": "villamar",
          "user-agent": "sdp-context-broker",
        },
        body: JSON.stringify(notification(s)),
      },
    });
  });

  it("puts the @context in the body, and on each entity of data, for application/ld+json", () => {
    // Prepare
    const s = subscription({ notification: endpoint({ accept: "application/ld+json", timeout: 750 }) }, [
      SDM_CONTEXT,
    ]);
    // Act
    const prepared = prepare(s, notification(s), "villamar", "private-allowed", 5_000);
    // Assess
    const body = prepared.kind === "http" ? JSON.parse(prepared.request.body) : undefined;
    expect(body).toMatchObject({ "@context": [SDM_CONTEXT] });
    expect(body.data.length).toBeGreaterThan(0);
    for (const entity of body.data) expect(entity["@context"]).toEqual([SDM_CONTEXT]);
    expect(prepared.timeoutMs).toBe(750);
    expect(prepared.kind === "http" && prepared.request.headers.link).toBeUndefined();
  });

  it("wraps MQTT notifications as { metadata, body } with the QoS asked for", () => {
    // Prepare
    const s = subscription({
      notification: {
        endpoint: {
          uri: "mqtt://127.0.0.1:1883/notifications/villamar/beaches",
          notifierInfo: [{ key: "MQTT-QoS", value: "1" }],
          receiverInfo: [{ key: "X-Source", value: "sdp" }],
        },
      },
    });
    // Act
    const prepared = prepare(s, notification(s), "villamar", "private-allowed", 5_000);
    // Assess
    expect(prepared.kind).toBe("mqtt");
    if (prepared.kind !== "mqtt") return;
    expect(prepared.message).toMatchObject({
      host: "127.0.0.1",
      port: 1883,
      topic: "notifications/villamar/beaches",
      qos: 1,
    });
    expect(JSON.parse(prepared.message.payload)).toEqual({
      metadata: {
        "X-Source": "sdp",
        "Content-Type": "application/json",
        Link: expect.stringContaining("ngsi-ld-core-context"),
        "NGSILD-Tenant": "villamar",
      },
      body: notification(s),
    });
  });

  it("refuses, without retrying, an endpoint the deployment no longer allows", () => {
    // Prepare
    const s = subscription({ notification: endpoint() });
    // Act
    const attempt = () => prepare(s, notification(s), "villamar", "public-only", 5_000);
    // Assess
    expect(attempt).toThrow(DeliveryRefusedError);
  });
});

describe("delivery with retries", () => {
  const fast = { ...DEFAULT_DELIVERY, backoffMs: 1 };
  const s = () => subscription({ notification: endpoint() });
  const prepared = () => {
    const sub = s();
    return prepare(sub, buildNotification(sub, [], NOW, "1"), "villamar", "private-allowed", 1_000);
  };
  const noMqtt: MqttPublisher = { publish: async () => undefined };

  it("retries 5xx and network errors, then succeeds", async () => {
    // Prepare
    const answers = [503, "reset", 204];
    const http: HttpSender = {
      post: vi.fn(async () => {
        const next = answers.shift();
        if (next === "reset") throw new Error("socket hang up");
        return { status: Number(next) };
      }),
    };
    // Act
    const outcome = await deliver(prepared(), { http, mqtt: noMqtt }, fast, Date.now() + 5_000);
    // Assess
    expect(outcome).toEqual({ ok: true, attempts: 3 });
  });

  it("does not retry a 4xx or a refused address", async () => {
    // Prepare
    const rejected: HttpSender = { post: vi.fn(async () => ({ status: 404 })) };
    const refused: HttpSender = {
      post: vi.fn(async () => {
        throw new DeliveryRefusedError("receiver.example.org points at a metadata address");
      }),
    };
    // Act
    const a = await deliver(prepared(), { http: rejected, mqtt: noMqtt }, fast, Date.now() + 5_000);
    const b = await deliver(prepared(), { http: refused, mqtt: noMqtt }, fast, Date.now() + 5_000);
    // Assess
    expect(a).toEqual({ ok: false, attempts: 1, reason: "the endpoint answered 404" });
    expect(b).toMatchObject({ ok: false, attempts: 1, reason: expect.stringMatching(/metadata/) });
  });

  it("gives up after its attempts and never passes the deadline", async () => {
    // Prepare
    const failing: HttpSender = { post: vi.fn(async () => ({ status: 500 })) };
    // Act
    const exhausted = await deliver(prepared(), { http: failing, mqtt: noMqtt }, fast, Date.now() + 5_000);
    const late = await deliver(prepared(), { http: failing, mqtt: noMqtt }, fast, Date.now() - 1);
    // Assess
    expect(exhausted).toEqual({ ok: false, attempts: 3, reason: "the endpoint answered 500" });
    expect(late).toMatchObject({ ok: false, attempts: 0 });
  });

  it("runs a pool where a slow task does not hold up the others", async () => {
    // Prepare
    const done: number[] = [];
    // Act
    await inPool([300, 1, 1, 1], 2, async (ms) => {
      await new Promise((r) => setTimeout(r, ms));
      done.push(ms);
    });
    // Assess
    expect(done).toEqual([1, 1, 1, 300]);
  });
});

describe("the HTTP sender", () => {
  let server: Server;
  let base: string;
  const received: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        if (req.url === "/slow") return; // never answers
        res.writeHead(req.url === "/fail" ? 500 : 204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("POSTs the body with its headers and reports the status", async () => {
    // Prepare
    const sender = buildHttpSender("private-allowed");
    // Act
    const ok = await sender.post({
      url: `${base}/ok`,
      headers: { "content-type": "application/json", "x-k": "v" },
      body: "{}",
      timeoutMs: 2_000,
    });
    const fail = await sender.post({ url: `${base}/fail`, headers: {}, body: "{}", timeoutMs: 2_000 });
    // Assess
    expect([ok.status, fail.status]).toEqual([204, 500]);
    expect(received[0]).toMatchObject({
      body: "{}",
      headers: { "content-type": "application/json", "x-k": "v" },
    });
  });

  it("times out a receiver that does not answer", async () => {
    // Prepare
    const sender = buildHttpSender("private-allowed");
    // Act
    const attempt = sender.post({ url: `${base}/slow`, headers: {}, body: "{}", timeoutMs: 200 });
    // Assess
    await expect(attempt).rejects.toThrow(/no answer within 200 ms/);
  });

  it("refuses loopback when only public addresses are allowed", async () => {
    // Prepare
    const sender = buildHttpSender("public-only");
    // Act
    const attempt = sender.post({ url: `${base}/ok`, headers: {}, body: "{}", timeoutMs: 1_000 });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(DeliveryRefusedError);
  });

  it("checks the addresses a name resolves to before connecting", async () => {
    // Prepare
    const port = new URL(base).port;
    const resolver: Resolver = (hostname, callback) =>
      callback(null, [{ address: hostname === "rebound.test" ? "169.254.169.254" : "127.0.0.1", family: 4 }]);
    const sender = buildHttpSender("private-allowed", resolver);
    // Act
    const rebound = await sender
      .post({ url: `http://rebound.test:${port}/ok`, headers: {}, body: "{}", timeoutMs: 1_000 })
      .catch((error: unknown) => error);
    const fine = await sender.post({
      url: `http://receiver.test:${port}/ok`,
      headers: {},
      body: "{}",
      timeoutMs: 1_000,
    });
    // Assess
    expect(rebound).toBeInstanceOf(DeliveryRefusedError);
    expect(fine.status).toBe(204);
  });
});

describe("the MQTT publishers", () => {
  it("publishes through IoT Core's data plane with the exact Publish command", async () => {
    // Prepare
    const send = vi.fn(async (_command: PublishCommand) => ({}));
    const publisher = buildIotDataPublisher({ send });
    // Act
    await publisher.publish({
      secure: true,
      host: "abc-ats.iot.eu-west-1.amazonaws.com",
      port: 8883,
      topic: "notifications/villamar/beaches",
      payload: '{"metadata":{},"body":{}}',
      qos: 1,
      timeoutMs: 1_000,
    });
    // Assess
    expect(send).toHaveBeenCalledTimes(1);
    const [command] = send.mock.calls[0] ?? [];
    expect(command).toBeInstanceOf(PublishCommand);
    expect(command?.input).toEqual({
      topic: "notifications/villamar/beaches",
      qos: 1,
      payload: Buffer.from('{"metadata":{},"body":{}}', "utf8"),
    });
  });

  it("reaches no broker but the platform's", async () => {
    // Prepare
    const publisher = buildBrokerPublisher(() => ({
      url: "mqtt://127.0.0.1:1883",
      username: "u",
      password: "p",
    }));
    // Act
    const attempt = publisher.publish({
      secure: false,
      host: "broker.example.org",
      port: 1883,
      topic: "notifications/villamar",
      payload: "{}",
      qos: 0,
      timeoutMs: 500,
    });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(DeliveryRefusedError);
  });
});
