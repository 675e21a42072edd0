import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newDataDir, type PlatformProcess, startPlatform } from "../support/platform-process";
import { signAs } from "../support/tokens";

/**
 * NGSI-LD subscriptions as clients meet them: `npm start`, subscriptions created over HTTP on the demo
 * destination, entities changed over HTTP, notifications received by a real HTTP server on 127.0.0.1 and
 * by a plain MQTT client on the platform broker, exactly as a receiver would get them.
 */
let platform: PlatformProcess;
let receiver: Server;
let receiverUrl: string;
let refusedUrl: string;
let subscriber: MqttClient;
let strangerToken: string;
const dataDir = newDataDir();
const stranger = `e2e-${crypto.randomUUID().slice(0, 8)}`;

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}
const received: Received[] = [];
const messages: Array<{ topic: string; payload: Record<string, unknown> }> = [];

const api = (path: string) => `${platform.summary.api}/ngsi-ld/v1${path}`;
const asAdmin = (headers: Record<string, string> = {}) => ({
  authorization: `Bearer ${platform.summary.adminToken}`,
  "NGSILD-Tenant": "villamar",
  ...headers,
});
const unique = () => crypto.randomUUID().slice(0, 8);

function objectOf(text: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error("not an object");
  return Object.fromEntries(Object.entries(parsed));
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function subscribe(
  body: Record<string, unknown>,
  headers: Record<string, string> = asAdmin(),
): Promise<string> {
  const response = await fetch(api("/subscriptions"), {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ type: "Subscription", ...body }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return decodeURIComponent(response.headers.get("location")?.split("/").pop() ?? "");
}

async function subscription(id: string): Promise<Record<string, unknown>> {
  const response = await fetch(api(`/subscriptions/${encodeURIComponent(id)}`), { headers: asAdmin() });
  expect(response.status).toBe(200);
  return objectOf(await response.text());
}

const notificationStatus = async (id: string) => {
  const { notification } = await subscription(id);
  return typeof notification === "object" && notification !== null
    ? Object.fromEntries(Object.entries(notification))
    : {};
};

async function createEntity(entity: Record<string, unknown>) {
  const response = await fetch(api("/entities"), {
    method: "POST",
    headers: asAdmin({ "content-type": "application/json" }),
    body: JSON.stringify(entity),
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

const at = (path: string) => received.filter((r) => r.path === path);

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body: objectOf(text || "{}") });
      res.writeHead(path.startsWith("/fail") ? 500 : 204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // A port nobody listens on: connections are refused.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/refused`;
  await new Promise((resolve) => closed.close(resolve));

  platform = await startPlatform(dataDir);
  subscriber = await mqtt.connectAsync(platform.summary.mqtt, {
    protocolVersion: 4,
    clientId: `e2e-subscriber-${unique()}`,
    username: platform.summary.mqttService.username,
    password: platform.summary.mqttService.password,
  });
  subscriber.on("message", (topic, payload) =>
    messages.push({ topic, payload: objectOf(payload.toString()) }),
  );
  await subscriber.subscribeAsync("notifications/villamar/#", { qos: 1 });

  const created = await fetch(`${platform.summary.api}/platform/tenants`, {
    method: "POST",
    headers: { authorization: `Bearer ${platform.summary.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ slug: stranger, name: "Another destination" }),
  });
  expect(created.status).toBe(202);
  await until("the other destination", async () => {
    const response = await fetch(`${platform.summary.api}/platform/tenants/${stranger}`, {
      headers: { authorization: `Bearer ${platform.summary.adminToken}` },
    });
    const { status } = objectOf(await response.text());
    return status === "provisioning" ? undefined : status;
  });
  strangerToken = await signAs(dataDir, platform.summary.issuer, {
    "cognito:groups": ["admin"],
    "custom:tenant": stranger,
  });
}, 120_000);

afterAll(async () => {
  await subscriber?.endAsync();
  await platform?.stop();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe("NGSI-LD subscriptions on the local platform", () => {
  it("an HTTP receiver gets create and update notifications in its format, and the counters move", async () => {
    // Prepare
    const type = `E2eBeach${unique()}`;
    const path = `/beaches-${unique()}`;
    const id = await subscribe({
      entities: [{ type }],
      notification: { format: "keyValues", showChanges: false, endpoint: { uri: `${receiverUrl}${path}` } },
    });
    const entityId = `urn:ngsi-ld:${type}:norte`;
    // Act
    await createEntity({ id: entityId, type, temperature: { type: "Property", value: 21 } });
    await until("the creation notification", () => at(path)[0]);
    const updated = await fetch(api(`/entities/${encodeURIComponent(entityId)}/attrs`), {
      method: "PATCH",
      headers: asAdmin({ "content-type": "application/json" }),
      body: JSON.stringify({ temperature: { type: "Property", value: 24 } }),
    });
    await until("the update notification", () => at(path)[1]);
    // Assess
    expect(updated.status).toBe(204);
    const [first, second] = at(path);
    expect(first?.headers["content-type"]).toBe("application/json");
    expect(first?.headers.link).toMatch(/ngsi-ld-core-context/);
    expect(first?.headers["ngsild-tenant"]).toBe("villamar");
    expect(first?.body).toMatchObject({
      type: "Notification",
      subscriptionId: id,
      data: [{ id: entityId, type, temperature: 21 }],
    });
    expect(second?.body).toMatchObject({ data: [{ id: entityId, temperature: 24 }] });
    const status = await until("the counters", async () => {
      const s = await notificationStatus(id);
      return s.timesSent === 2 ? s : undefined;
    });
    expect(status).toMatchObject({
      status: "ok",
      timesSent: 2,
      timesFailed: 0,
      lastSuccess: expect.any(String),
    });
  });

  it("a failing endpoint (500, connection refused) does not stop notifications to a good one", async () => {
    // Prepare
    const type = `E2eMuseum${unique()}`;
    const good = `/good-${unique()}`;
    const failing = await subscribe({
      entities: [{ type }],
      notification: { endpoint: { uri: `${receiverUrl}/fail-${unique()}` } },
    });
    const refused = await subscribe({
      entities: [{ type }],
      notification: { endpoint: { uri: refusedUrl } },
    });
    await subscribe({ entities: [{ type }], notification: { endpoint: { uri: `${receiverUrl}${good}` } } });
    // Act
    await createEntity({ id: `urn:ngsi-ld:${type}:1`, type, visitors: { type: "Property", value: 10 } });
    const delivered = await until("the good endpoint's notification", () => at(good)[0]);
    // Assess
    expect(delivered.body).toMatchObject({
      data: [{ id: `urn:ngsi-ld:${type}:1`, visitors: { type: "Property", value: 10 } }],
    });
    for (const id of [failing, refused]) {
      const status = await until(`the failure of ${id}`, async () => {
        const s = await notificationStatus(id);
        return s.timesFailed === 1 ? s : undefined;
      });
      expect(status).toMatchObject({
        status: "failed",
        timesSent: 1,
        timesFailed: 1,
        lastFailure: expect.any(String),
      });
    }
  });

  it("an MQTT subscriber gets notifications for an mqtt:// endpoint", async () => {
    // Prepare
    const type = `E2eParking${unique()}`;
    const topic = `notifications/villamar/parkings-${unique()}`;
    const id = await subscribe({
      entities: [{ type }],
      notification: {
        endpoint: {
          uri: `${platform.summary.mqtt}/${topic}`,
          notifierInfo: [{ key: "MQTT-QoS", value: "1" }],
        },
      },
    });
    // Act
    await createEntity({
      id: `urn:ngsi-ld:${type}:p1`,
      type,
      availableSpotNumber: { type: "Property", value: 42 },
    });
    const message = await until("the MQTT notification", () => messages.find((m) => m.topic === topic));
    // Assess
    expect(message.payload).toMatchObject({
      metadata: { "Content-Type": "application/json", "NGSILD-Tenant": "villamar" },
      body: {
        type: "Notification",
        subscriptionId: id,
        data: [{ id: `urn:ngsi-ld:${type}:p1`, type, availableSpotNumber: { type: "Property", value: 42 } }],
      },
    });
  });

  it("another destination's subscription never receives villamar's changes", async () => {
    // Prepare
    const type = `E2eSecret${unique()}`;
    const theirs = `/stranger-${unique()}`;
    const ours = `/villamar-${unique()}`;
    await subscribe(
      { entities: [{ type }], notification: { endpoint: { uri: `${receiverUrl}${theirs}` } } },
      { authorization: `Bearer ${strangerToken}` },
    );
    await subscribe({ entities: [{ type }], notification: { endpoint: { uri: `${receiverUrl}${ours}` } } });
    // Act
    await createEntity({ id: `urn:ngsi-ld:${type}:1`, type, level: { type: "Property", value: 1 } });
    await until("villamar's own notification", () => at(ours)[0]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // Assess
    expect(at(theirs)).toEqual([]);
  });
});
