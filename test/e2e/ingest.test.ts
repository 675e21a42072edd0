import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  type _Record,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordCommand,
} from "@aws-sdk/client-kinesis";
import { ContextUpdate, ProvisionedDevice } from "@sdp/contracts";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { newDataDir, type PlatformProcess, startPlatform } from "../support/platform-process";
import { signAs } from "../support/tokens";

/**
 * Ingestion as devices, systems and operators meet it: `npm start` in its own process, devices as plain
 * MQTT 3.1.1 clients, systems over HTTP, and the context updates read back from the `context-updates`
 * Kinesis stream (the context broker's side is not under test here).
 */
let platform: PlatformProcess;
const dataDir = newDataDir();
const root = resolve(import.meta.dirname, "../..");
const TENANT = "villamar";
const CONTEXT_UPDATES = "sdp-local-platform-ingest-context-updates";
const INGEST = "sdp-local-platform-ingest-telemetry";

beforeAll(async () => {
  platform = await startPlatform(dataDir);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

const api = (path: string) => `${platform.summary.api}${path}`;
const asAdmin = (headers: Record<string, string> = {}) => ({
  authorization: `Bearer ${platform.summary.adminToken}`,
  "NGSILD-Tenant": TENANT,
  "content-type": "application/json",
  ...headers,
});
const uniqueDevice = (prefix = "e2e") => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
const staffToken = (role: string, tenant = TENANT) =>
  signAs(dataDir, platform.summary.issuer, { "cognito:groups": [role], "custom:tenant": tenant });

function kinesis(): KinesisClient {
  return new KinesisClient({
    endpoint: platform.summary.kinesis,
    region: platform.summary.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    requestHandler: new NodeHttpHandler(),
  });
}

async function readStream(streamName: string): Promise<_Record[]> {
  const client = kinesis();
  try {
    const { Shards } = await client.send(new ListShardsCommand({ StreamName: streamName }));
    const records: _Record[] = [];
    for (const shard of Shards ?? []) {
      const { ShardIterator } = await client.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shard.ShardId,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      );
      let iterator = ShardIterator;
      while (iterator) {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        records.push(...(page.Records ?? []));
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return records;
  } finally {
    client.destroy();
  }
}

/** Every context update of an entity on the `context-updates` stream, with its partition key. */
async function updatesOf(entityId: string) {
  return (await readStream(CONTEXT_UPDATES))
    .map((record) => ({
      partitionKey: record.PartitionKey,
      update: ContextUpdate.parse(JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString("utf8"))),
    }))
    .filter((entry) => entry.update.entityId === entityId);
}

async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function register(body: Record<string, unknown>) {
  const response = await fetch(api("/ingest/devices"), {
    method: "POST",
    headers: asAdmin(),
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return ProvisionedDevice.parse(await response.json());
}

function connect(
  credentials: { clientId: string; username: string; password: string },
  url = platform.summary.mqtt,
): Promise<MqttClient> {
  return new Promise((resolveConnect, reject) => {
    const client = mqtt.connect(url, {
      protocolVersion: 4,
      clientId: credentials.clientId,
      username: credentials.username,
      password: credentials.password,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    client.once("connect", () => resolveConnect(client));
    client.once("error", (error) => {
      client.end(true);
      reject(error);
    });
  });
}

const passwordOf = (provisioned: ProvisionedDevice) => {
  if (provisioned.credentials.kind !== "password") throw new Error("the local broker issues passwords");
  return provisioned.credentials;
};

const crowdCounter = (deviceId: string) => ({
  deviceId,
  protocol: "ul2",
  entityType: "CrowdFlowObserved",
  attributes: [{ objectId: "c", name: "peopleCount", valueType: "integer", unitCode: "C62" }],
  expectedIntervalSeconds: 60,
});

const parkingJson = (deviceId: string) => ({
  deviceId,
  protocol: "json",
  entityType: "OffStreetParking",
  attributes: [{ objectId: "free", name: "availableSpotNumber", valueType: "integer" }],
  staticAttributes: [{ name: "totalSpotNumber", value: 300 }],
  location: { type: "Point", coordinates: [-4.42, 36.72] },
});

const Fleet = z.object({ deadLetters: z.record(z.string(), z.number()) });
const CommandBody = z.object({ commandId: z.string(), status: z.string() }).passthrough();
const Letters = z.array(
  z.object({
    messageId: z.string(),
    reason: z.string(),
    partitionKey: z.string().optional(),
    detail: z.string(),
  }),
);

/** Runs the `sdp` command line against this platform's data directory. */
function sdp(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      [join(root, "node_modules/tsx/dist/cli.mjs"), join(root, "packages/cli/src/main.ts"), ...args],
      { cwd: root, env: { ...process.env, SDP_DATA_DIR: dataDir }, encoding: "utf8", timeout: 60_000 },
      (error, stdout, stderr) => resolveRun({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("device ingestion on the local platform", () => {
  it("takes UltraLight and JSON telemetry from plain MQTT clients onto the context-updates stream", async () => {
    // Prepare
    const demo = platform.summary.demoDevice;
    if (!demo) throw new Error("runtime.json has no demo device");
    const parking = await register(parkingJson(uniqueDevice("parking")));
    const [counterClient, parkingClient] = [await connect(demo), await connect(passwordOf(parking))];
    const at = new Date(Date.now() - 60_000).toISOString();
    // Act
    await counterClient.publishAsync(demo.telemetryTopic, `${at}|c|42|o|0.35|b|0.97`, { qos: 1 });
    await parkingClient.publishAsync(
      `${parking.device.telemetryTopic}/attrs`,
      JSON.stringify({ free: 117, TimeInstant: at }),
      { qos: 1 },
    );
    const counterUpdates = await eventually(
      () => updatesOf(demo.entityId),
      (found) => found.some((e) => e.update.observedAt === new Date(at).toISOString()),
    );
    const parkingUpdates = await eventually(
      () => updatesOf(parking.device.entityId),
      (found) => found.length > 0,
    );
    // Assess
    const counter = counterUpdates.find((e) => e.update.observedAt === new Date(at).toISOString());
    expect(counter?.partitionKey).toBe(`${TENANT}/${demo.entityId}`);
    expect(counter?.update).toMatchObject({
      tenant: TENANT,
      entityType: "CrowdFlowObserved",
      attributes: {
        peopleCount: { type: "Property", value: 42, observedAt: new Date(at).toISOString(), unitCode: "C62" },
        batteryLevel: { type: "Property", value: 0.97, unitCode: "P1" },
      },
      source: { kind: "device", deviceId: demo.deviceId, protocol: "ul2", observedAtSource: "device" },
    });
    expect(parkingUpdates[0]?.update).toMatchObject({
      entityId: `urn:ngsi-ld:OffStreetParking:${parking.device.deviceId}`,
      attributes: { availableSpotNumber: { type: "Property", value: 117 } },
      staticAttributes: {
        totalSpotNumber: { type: "Property", value: 300 },
        location: { type: "GeoProperty" },
      },
    });
    const health = await fetch(api(`/ingest/devices/${demo.deviceId}/health`), { headers: asAdmin() });
    expect(await health.json()).toMatchObject({
      status: "online",
      battery: 0.97,
      messageCount: expect.any(Number),
    });
    await Promise.all([counterClient.endAsync(), parkingClient.endAsync()]);
  }, 60_000);

  it("refuses a device publishing under another destination's topic, and what it sent goes nowhere", async () => {
    // Prepare
    const demo = platform.summary.demoDevice;
    if (!demo) throw new Error("runtime.json has no demo device");
    const client = await connect(demo);
    const closed = new Promise<void>((resolveClose) => client.once("close", () => resolveClose()));
    const marker = `${new Date(Date.now() - 30_000).toISOString()}|c|777`;
    // Act
    const published = client.publishAsync(`dt/other-town/${demo.clientId}`, marker, { qos: 1 }).then(
      () => "acknowledged",
      () => "refused",
    );
    await closed;
    // Assess
    expect(await Promise.race([published, new Promise((r) => setTimeout(() => r("refused"), 2000))])).toBe(
      "refused",
    );
    const onIngest = (await readStream(INGEST)).filter(
      (r) => Buffer.from(r.Data ?? new Uint8Array()).toString() === marker,
    );
    expect(onIngest).toEqual([]);
    client.end(true);
  }, 30_000);

  it("dead-letters malformed, unknown and oversized payloads with their reason, counts them, lists and replays them", async () => {
    // Prepare
    const device = await register(crowdCounter(uniqueDevice("bad")));
    const client = await connect(passwordOf(device));
    const late = uniqueDevice("late");
    const lateAt = new Date(Date.now() - 20_000).toISOString();
    const stream = kinesis();
    // Act
    await client.publishAsync(device.device.telemetryTopic, "c|12|b", { qos: 1 });
    await client.publishAsync(device.device.telemetryTopic, `c|${"7".repeat(40_000)}`, { qos: 1 });
    // A record for a device the registry does not know (yet), as a stale upstream would send it.
    await stream.send(
      new PutRecordCommand({
        StreamName: INGEST,
        PartitionKey: `${TENANT}/${TENANT}_${late}`,
        Data: Buffer.from(`${lateAt}|c|5`),
      }),
    );
    stream.destroy();
    await client.endAsync();
    const fleet = await eventually(
      async () => Fleet.parse(await (await fetch(api("/ingest/health"), { headers: asAdmin() })).json()),
      (body) => (body.deadLetters["unknown-device"] ?? 0) >= 1 && (body.deadLetters.oversized ?? 0) >= 1,
    );
    const listed = await sdp("dlq", "list", "--json");
    // Assess
    expect(fleet.deadLetters).toMatchObject({
      "malformed-payload": expect.any(Number),
      oversized: expect.any(Number),
    });
    const health = await (
      await fetch(api(`/ingest/devices/${device.device.deviceId}/health`), { headers: asAdmin() })
    ).json();
    expect(health).toMatchObject({ decodeErrorCount: 2, messageCount: 2 });
    expect(listed.status).toBe(0);
    const letters = Letters.parse(JSON.parse(listed.stdout));
    const mine = letters.filter((letter) => letter.partitionKey === `${TENANT}/${device.device.thingName}`);
    expect(mine.map((letter) => letter.reason).sort()).toEqual(["malformed-payload", "oversized"]);
    expect(mine.find((letter) => letter.reason === "malformed-payload")?.detail).toMatch(
      /odd number of fields/,
    );
    const unknown = letters.find((letter) => letter.partitionKey === `${TENANT}/${TENANT}_${late}`);
    expect(unknown?.reason).toBe("unknown-device");
    expect((await sdp("dlq", "list")).stdout).toMatch(/dead letter\(s\): .*unknown-device/);

    // Act: the device is registered after all, and its dead letter replayed.
    const registered = await register(crowdCounter(late));
    const replay = await sdp("dlq", "replay", "--id", unknown?.messageId ?? "none");
    const replayed = await eventually(
      () => updatesOf(registered.device.entityId),
      (found) => found.length > 0,
    );
    // Assess
    expect(replay.status).toBe(0);
    expect(replay.stdout).toMatch(/1 letter\(s\), 1 record\(s\) replayed/);
    expect(replayed[0]?.update.attributes.peopleCount).toMatchObject({
      value: 5,
      observedAt: new Date(lateAt).toISOString(),
    });
    expect(
      Letters.parse(JSON.parse((await sdp("dlq", "list", "--json")).stdout)).map((l) => l.messageId),
    ).not.toContain(unknown?.messageId);
  }, 90_000);

  it("takes measurements over HTTP from operators, JSON batches and UltraLight text, saying per record what was accepted", async () => {
    // Prepare
    const counter = await register(crowdCounter(uniqueDevice("http")));
    const operator = await staffToken("operator");
    const viewer = await staffToken("viewer");
    const at = new Date(Date.now() - 10_000).toISOString();
    // Act
    const batch = await fetch(api("/ingest/measurements"), {
      method: "POST",
      headers: { authorization: `Bearer ${operator}`, "content-type": "application/json" },
      body: JSON.stringify({
        measurements: [
          { deviceId: counter.device.deviceId, payload: `${at}|c|10` },
          { deviceId: "nobody-here", payload: "c|1" },
        ],
      }),
    });
    const text = await fetch(api(`/ingest/measurements?i=${counter.device.deviceId}`), {
      method: "POST",
      headers: { authorization: `Bearer ${operator}`, "content-type": "text/plain" },
      body: `${new Date(Date.now() - 5_000).toISOString()}|c|11`,
    });
    const refused = await fetch(api("/ingest/measurements"), {
      method: "POST",
      headers: { authorization: `Bearer ${operator}`, "content-type": "application/json" },
      body: JSON.stringify({ measurements: [{ deviceId: "nobody-here", payload: "c|1" }] }),
    });
    const forbidden = await fetch(api("/ingest/measurements"), {
      method: "POST",
      headers: { authorization: `Bearer ${viewer}`, "content-type": "application/json" },
      body: JSON.stringify({ measurements: [{ deviceId: counter.device.deviceId, payload: "c|1" }] }),
    });
    const updates = await eventually(
      () => updatesOf(counter.device.entityId),
      (found) => found.length >= 2,
    );
    // Assess
    expect(batch.status).toBe(207);
    expect(await batch.json()).toMatchObject({
      accepted: 1,
      rejected: 1,
      results: [
        { index: 0, status: "accepted", sequenceNumber: expect.any(String) },
        { index: 1, status: "rejected", code: "unknown-device" },
      ],
    });
    expect(text.status).toBe(202);
    expect(refused.status).toBe(422);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(await refused.json()).toMatchObject({ errors: [{ field: "body.measurements.0.deviceId" }] });
    expect(forbidden.status).toBe(403);
    expect(
      updates
        .map(
          (e) =>
            e.update.attributes.peopleCount?.type === "Property" && e.update.attributes.peopleCount.value,
        )
        .sort(),
    ).toEqual([10, 11]);
  }, 60_000);

  it("registers devices in bulk from CSV and refuses bad registrations naming the field", async () => {
    // Prepare
    const [a, b] = [uniqueDevice("csv"), uniqueDevice("csv")];
    const csv = `deviceId,protocol,entityType,attributes,latitude,longitude\n${a},ul2,NoiseLevelObserved,laeq=LAeq::2N:number,36.71,-4.41\n${b},mqtt,NoiseLevelObserved,,,\n`;
    const operator = await staffToken("operator");
    // Act
    const imported = await fetch(api("/ingest/device-imports"), {
      method: "POST",
      headers: { authorization: `Bearer ${operator}`, "content-type": "text/csv" },
      body: csv,
    });
    const invalid = await fetch(api("/ingest/devices"), {
      method: "POST",
      headers: asAdmin(),
      body: JSON.stringify({ deviceId: "x y", protocol: "ul2", entityType: "Beach", owner: "me" }),
    });
    const otherTenant = await fetch(api("/ingest/devices"), {
      method: "POST",
      headers: {
        authorization: `Bearer ${operator}`,
        "NGSILD-Tenant": "other-town",
        "content-type": "application/json",
      },
      body: JSON.stringify(crowdCounter(uniqueDevice())),
    });
    const noTenant = await fetch(api("/ingest/devices"), {
      method: "GET",
      headers: { authorization: `Bearer ${platform.summary.adminToken}` },
    });
    // Assess
    expect(imported.status).toBe(207);
    const body = await imported.json();
    expect(body).toMatchObject({
      created: 1,
      failed: 1,
      results: [
        { status: "created", deviceId: a },
        { status: "failed", errors: [{ field: "body.csv.line3.protocol" }] },
      ],
    });
    expect(invalid.status).toBe(400);
    const problem = z
      .object({ errors: z.array(z.object({ field: z.string() })) })
      .parse(await invalid.json());
    expect(problem.errors.map((e) => e.field).sort()).toEqual(["body.deviceId", "body.owner"]);
    expect(otherTenant.status).toBe(403);
    expect(noTenant.status).toBe(400);
    const listed = await (await fetch(api(`/ingest/devices/${a}`), { headers: asAdmin() })).json();
    expect(listed).toMatchObject({ deviceId: a, location: { coordinates: [-4.41, 36.71] } });
  }, 60_000);

  it("sends a command to an actuator and records its acknowledgement", async () => {
    // Prepare
    const barrier = await register({
      ...parkingJson(uniqueDevice("barrier")),
      entityType: "OffStreetParking",
    });
    const client = await connect(passwordOf(barrier));
    await client.subscribeAsync(`${barrier.device.commandTopicPrefix}/+`, { qos: 1 });
    const received = new Promise<{ topic: string; payload: string }>((resolveMessage) =>
      client.once("message", (topic, payload) => resolveMessage({ topic, payload: payload.toString() })),
    );
    // Act
    const sent = await fetch(api(`/ingest/devices/${barrier.device.deviceId}/commands`), {
      method: "POST",
      headers: asAdmin(),
      body: JSON.stringify({ command: "open", params: { seconds: 30 } }),
    });
    const command = CommandBody.parse(await sent.json());
    const message = await received;
    await client.publishAsync(`${message.topic}/ack`, JSON.stringify({ status: "OK" }), { qos: 1 });
    const read = await eventually(
      async () =>
        CommandBody.parse(
          await (
            await fetch(api(`/ingest/devices/${barrier.device.deviceId}/commands/${command.commandId}`), {
              headers: asAdmin(),
            })
          ).json(),
        ),
      (body) => body.status === "acknowledged",
    );
    // Assess
    expect(sent.status).toBe(202);
    expect(command.status).toBe("sent");
    expect(message.topic).toBe(`${barrier.device.commandTopicPrefix}/${command.commandId}`);
    expect(JSON.parse(message.payload)).toEqual({
      commandId: command.commandId,
      command: "open",
      params: { seconds: 30 },
    });
    expect(read).toMatchObject({ status: "acknowledged", result: { status: "OK" } });
    await client.endAsync();
  }, 60_000);

  it("simulates the demo fleet over MQTT and HTTP with `sdp simulate`, within its bounds", async () => {
    // Prepare
    const before = Fleet.extend({ messages: z.number() }).parse(
      await (await fetch(api("/ingest/health"), { headers: asAdmin() })).json(),
    );
    // Act
    const run = await sdp(
      "simulate",
      "--duration",
      "3",
      "--devices",
      "12",
      "--interval",
      "1",
      "--speed",
      "600",
    );
    const after = await eventually(
      async () =>
        Fleet.extend({ messages: z.number(), online: z.number() }).parse(
          await (await fetch(api("/ingest/health"), { headers: asAdmin() })).json(),
        ),
      (body) => body.messages >= before.messages + 24,
    );
    // Assess
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/Simulating 12 device\(s\) of villamar: 10 over MQTT, 2 over HTTP/);
    expect(run.stderr).toMatch(
      /Done: (\d+)\/\1 MQTT messages acknowledged, [1-9]\d* HTTP measurements accepted/,
    );
    expect(after.messages).toBeGreaterThanOrEqual(before.messages + 24);
    expect(after.online).toBeGreaterThanOrEqual(12);
  }, 90_000);

  it("cuts off a connected device when it is deprovisioned, and refuses it afterwards", async () => {
    // Prepare
    const device = await register(crowdCounter(uniqueDevice("gone")));
    const credentials = passwordOf(device);
    const client = await connect(credentials);
    const closed = new Promise<void>((resolveClose) => client.once("close", () => resolveClose()));
    // Act
    const deleted = await fetch(api(`/ingest/devices/${device.device.deviceId}`), {
      method: "DELETE",
      headers: asAdmin(),
    });
    await new Promise((r) => setTimeout(r, 1200));
    void client.publishAsync(device.device.telemetryTopic, "c|1", { qos: 1 }).catch(() => undefined);
    await closed;
    const again = connect(credentials);
    // Assess
    expect(deleted.status).toBe(204);
    await expect(again).rejects.toThrow(/Bad username or password|Not authorized/i);
    client.end(true);
  }, 30_000);
});

describe("durability of accepted measurements", () => {
  it("loses no PUBACKed measurement and duplicates none when the platform is killed mid-publish", async () => {
    // Prepare
    const device = await register(parkingJson(uniqueDevice("crash")));
    const credentials = passwordOf(device);
    const total = 1500;
    const base = Date.now() - 3_600_000;
    const payload = (n: number) =>
      JSON.stringify({ free: n, TimeInstant: new Date(base + n * 1000).toISOString() });
    const acknowledged = new Set<number>();
    const client = await connect(credentials);
    client.on("error", () => undefined);
    // Act: publish with a window of 100 in flight; kill the runtime (SIGKILL) once 300 are acknowledged.
    let next = 0;
    let killed = false;
    await new Promise<void>((resolveWindow) => {
      const pump = () => {
        while (!killed && next < total && next - acknowledged.size < 100) {
          const n = next++;
          client.publish(device.device.telemetryTopic, payload(n), { qos: 1 }, (error) => {
            if (error || killed) return;
            acknowledged.add(n);
            if (acknowledged.size >= 300 && !killed) {
              killed = true;
              process.kill(platform.summary.pid, "SIGKILL");
              resolveWindow();
              return;
            }
            pump();
          });
        }
      };
      pump();
    });
    const acceptedBeforeKill = new Set(acknowledged);
    await new Promise<void>((resolveExit) =>
      platform.child.exitCode !== null ? resolveExit() : platform.child.once("exit", () => resolveExit()),
    );
    client.end(true);
    // A killed platform leaves its runtime.json behind; wait for the new one, not the stale one.
    rmSync(join(dataDir, "runtime.json"), { force: true });
    platform = await startPlatform(dataDir);
    // The device comes back and sends again everything it has no PUBACK for, unchanged.
    const again = await connect(credentials);
    const missing = Array.from({ length: total }, (_, n) => n).filter((n) => !acceptedBeforeKill.has(n));
    for (let start = 0; start < missing.length; start += 200) {
      await Promise.all(
        missing
          .slice(start, start + 200)
          .map((n) => again.publishAsync(device.device.telemetryTopic, payload(n), { qos: 1 })),
      );
    }
    await again.endAsync();
    const updates = await eventually(
      () => updatesOf(device.device.entityId),
      (found) => new Set(found.map((entry) => entry.update.updateId)).size >= total,
      90_000,
    );
    // Assess
    const byValue = new Map<number, Set<string>>();
    for (const { update } of updates) {
      const free = update.attributes.availableSpotNumber;
      const value = free?.type === "Property" && typeof free.value === "number" ? free.value : -1;
      byValue.set(value, (byValue.get(value) ?? new Set()).add(update.updateId));
    }
    const lost = [...acceptedBeforeKill].filter((n) => !byValue.has(n));
    const duplicated = [...byValue].filter(([, ids]) => ids.size > 1).map(([n]) => n);
    expect(acceptedBeforeKill.size).toBeGreaterThanOrEqual(300);
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    expect([...byValue.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, n) => n));
  }, 300_000);
});
