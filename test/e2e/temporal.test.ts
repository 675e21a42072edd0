import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newDataDir, type PlatformProcess, startPlatform } from "../support/platform-process";

/**
 * The NGSI-LD temporal API as clients meet it: `npm start` in its own process, entities changed over
 * HTTP as a platform administrator of the demo destination, their history read back through
 * /ngsi-ld/v1/temporal; and a device measurement published over MQTT becoming current state and
 * history (ingest → context-updates stream → applier → entities stream → history recorder).
 */
let platform: PlatformProcess;
const dataDir = newDataDir();

beforeAll(async () => {
  platform = await startPlatform(dataDir);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

type Json = Record<string, unknown>;

const api = (path: string) => `${platform.summary.api}/ngsi-ld/v1${path}`;
const headers = (extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${platform.summary.adminToken}`,
  "NGSILD-Tenant": "villamar",
  ...extra,
});
const json = { "content-type": "application/json" };

/** A time a few minutes ago, on a whole minute, so periods of aggregation are predictable. */
const base = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;
const minute = (n: number) => new Date(base + n * 60_000).toISOString();

const asObject = (value: unknown): Json =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value))
    : {};
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

async function get(path: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(api(path), { headers: headers() });
  const text = await response.text();
  return {
    status: response.status,
    body: text === "" ? undefined : JSON.parse(text),
    headers: response.headers,
  };
}

/** Polls until `done` holds or the deadline passes: the history is written by stream consumers. */
async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const temporalOf = (id: string, query = "") => get(`/temporal/entities/${encodeURIComponent(id)}${query}`);
const instancesOf = (body: unknown, attr: string) => asList(asObject(body)[attr]).map(asObject);

describe("the temporal API of the local platform", () => {
  it("records every change of an attribute and answers temporal, temporalValues, lastN, between and aggregations", async () => {
    // Prepare
    const id = `urn:ngsi-ld:Beach:e2e-${crypto.randomUUID()}`;
    const created = await fetch(api("/entities"), {
      method: "POST",
      headers: headers(json),
      body: JSON.stringify({
        id,
        type: "Beach",
        name: { type: "Property", value: "Playa E2E" },
        occupancy: { type: "Property", value: 10, observedAt: minute(0), unitCode: "P1" },
      }),
    });
    expect(created.status).toBe(201);
    // Act
    for (const [index, value] of [20, 30, 40, 50].entries()) {
      const patched = await fetch(api(`/entities/${encodeURIComponent(id)}/attrs/occupancy`), {
        method: "PATCH",
        headers: headers(json),
        body: JSON.stringify({ value, observedAt: minute(index + 1) }),
      });
      expect(patched.status).toBe(204);
    }
    const normalized = await eventually(
      () => temporalOf(id),
      (answer) => instancesOf(answer.body, "occupancy").length === 5,
    );
    const values = await temporalOf(id, "?options=temporalValues&attrs=occupancy");
    const last = await temporalOf(id, "?lastN=2&attrs=occupancy");
    const between = await temporalOf(
      id,
      `?timerel=between&timeAt=${encodeURIComponent(minute(1))}&endTimeAt=${encodeURIComponent(minute(3))}&format=temporalValues`,
    );
    const aggregated = await temporalOf(
      id,
      `?options=aggregatedValues&aggrMethods=sum,avg,max,totalCount&aggrPeriodDuration=PT2M&timerel=between&timeAt=${encodeURIComponent(minute(0))}&endTimeAt=${encodeURIComponent(minute(6))}`,
    );
    // Assess
    expect(normalized.status).toBe(200);
    expect(asObject(normalized.body)).toMatchObject({ id, type: "Beach" });
    const instances = instancesOf(normalized.body, "occupancy");
    expect(instances.map((i) => [i.value, i.observedAt])).toEqual(
      [10, 20, 30, 40, 50].map((value, n) => [value, minute(n)]),
    );
    expect(new Set(instances.map((i) => i.instanceId)).size).toBe(5);
    expect(asObject(asObject(values.body).occupancy)).toEqual({
      type: "Property",
      values: [10, 20, 30, 40, 50].map((value, n) => [value, minute(n)]),
    });
    expect(instancesOf(last.body, "occupancy").map((i) => i.value)).toEqual([40, 50]);
    expect(asObject(asObject(between.body).occupancy).values).toEqual([
      [20, minute(1)],
      [30, minute(2)],
    ]);
    const occupancy = asObject(asObject(aggregated.body).occupancy);
    expect(occupancy.sum).toEqual([
      [30, minute(0), minute(2)],
      [70, minute(2), minute(4)],
      [50, minute(4), minute(6)],
    ]);
    expect(occupancy.avg).toEqual([
      [15, minute(0), minute(2)],
      [35, minute(2), minute(4)],
      [50, minute(4), minute(6)],
    ]);
    expect(asList(occupancy.totalCount).map((t) => asList(t)[0])).toEqual([2, 2, 1]);
  }, 60_000);

  it("creates a temporal entity from instances and finds it with a temporal query by type", async () => {
    // Prepare
    const id = `urn:ngsi-ld:WeatherObserved:e2e-${crypto.randomUUID()}`;
    // Act
    const created = await fetch(api("/temporal/entities"), {
      method: "POST",
      headers: headers(json),
      body: JSON.stringify({
        id,
        type: "WeatherObserved",
        temperature: [
          { type: "Property", value: 18.5, observedAt: minute(2) },
          { type: "Property", value: 17.0, observedAt: minute(1) },
        ],
      }),
    });
    const query = await get(
      `/temporal/entities?type=WeatherObserved&id=${encodeURIComponent(id)}&options=temporalValues&count=true`,
    );
    const posted = await fetch(api("/temporal/entityOperations/query"), {
      method: "POST",
      headers: headers(json),
      body: JSON.stringify({
        type: "Query",
        entities: [{ type: "WeatherObserved", id }],
        temporalQ: { timerel: "after", timeAt: minute(1) },
      }),
    });
    // Assess
    expect(created.status).toBe(201);
    expect(query.status).toBe(200);
    expect(query.headers.get("NGSILD-Results-Count")).toBe("1");
    expect(asObject(asObject(asList(query.body)[0]).temperature).values).toEqual([
      [17, minute(1)],
      [18.5, minute(2)],
    ]);
    expect(posted.status).toBe(200);
    expect(instancesOf(asList(await posted.json())[0], "temperature").map((i) => i.value)).toEqual([18.5]);
  });

  it("answers a bad temporal query with an NGSI-LD 400", async () => {
    // Act
    const answer = await get("/temporal/entities?type=Beach&timerel=between&timeAt=2024-01-01T00:00:00Z");
    // Assess
    expect(answer.status).toBe(400);
    expect(asObject(answer.body).type).toBe("https://uri.etsi.org/ngsi-ld/errors/BadRequestData");
  });

  it("keeps a destination's history for the retention set over the tenants API, audited", async () => {
    // Prepare
    const slug = `ret-${crypto.randomUUID().slice(0, 8)}`;
    const platformApi = (path: string, init: { method?: string; body?: unknown; tenant?: string } = {}) =>
      fetch(`${platform.summary.api}${path}`, {
        method: init.method ?? "GET",
        headers: {
          authorization: `Bearer ${platform.summary.adminToken}`,
          ...(init.body === undefined ? {} : json),
          ...(init.tenant ? { "NGSILD-Tenant": init.tenant } : {}),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    const onboarded = await platformApi("/platform/tenants", {
      method: "POST",
      body: { slug, name: "Retention E2E", settings: { historyRetentionDays: 36_500 } },
    });
    const active = await eventually(
      async () => asObject(await (await platformApi(`/platform/tenants/${slug}`)).json()),
      (tenant) => tenant.status !== "provisioning",
      60_000,
    );
    const id = `urn:ngsi-ld:Beach:e2e-retention-${crypto.randomUUID()}`;
    const daysAgo = (days: number) => new Date(base - days * 86_400_000).toISOString();
    // Act
    const refused = await platformApi(`/platform/tenants/${slug}`, {
      method: "PATCH",
      body: { settings: { historyRetentionDays: 0 } },
    });
    const patched = await platformApi(`/platform/tenants/${slug}`, {
      method: "PATCH",
      body: { settings: { historyRetentionDays: 2 } },
    });
    const read = asObject(await (await platformApi(`/platform/tenants/${slug}`)).json());
    const created = await fetch(api("/temporal/entities"), {
      method: "POST",
      headers: { ...headers(json), "NGSILD-Tenant": slug },
      body: JSON.stringify({
        id,
        type: "Beach",
        occupancy: [3, 1, 0].map((days, value) => ({
          type: "Property",
          value,
          observedAt: daysAgo(days),
        })),
      }),
    });
    const history = await fetch(api(`/temporal/entities/${encodeURIComponent(id)}?options=temporalValues`), {
      headers: { ...headers(), "NGSILD-Tenant": slug },
    });
    const audit = asObject(await (await platformApi("/destination/audit?limit=50", { tenant: slug })).json());
    // Assess
    expect(onboarded.status).toBe(202);
    expect(active).toMatchObject({ status: "active", settings: { historyRetentionDays: 36_500 } });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(asList(asObject(await refused.json()).errors).map((e) => asObject(e).field)).toEqual([
      "body.settings.historyRetentionDays",
    ]);
    expect(patched.status).toBe(200);
    expect(asObject(await patched.json()).settings).toEqual({ historyRetentionDays: 2 });
    expect(read.settings).toEqual({ historyRetentionDays: 2 });
    expect(created.status).toBe(201);
    expect(history.status).toBe(200);
    // The instance observed three days ago is past the two days kept; the others are answered.
    expect(asObject(asObject(await history.json()).occupancy).values).toEqual([
      [1, daysAgo(1)],
      [2, daysAgo(0)],
    ]);
    const updates = asList(audit.items)
      .map(asObject)
      .filter((entry) => asObject(entry.action).operationId === "updateTenant");
    expect(
      updates.map((entry) => [asObject(entry.action).resourceId, asObject(entry.outcome).status]),
    ).toEqual(
      expect.arrayContaining([
        [slug, 200],
        [slug, 400],
      ]),
    );
  }, 90_000);

  it("makes an MQTT measurement current state and history, keeping the newest value when an older one arrives late", async () => {
    // Prepare
    const demo = platform.summary.demoDevice;
    if (!demo) throw new Error("runtime.json has no demo device");
    const client: MqttClient = await new Promise((resolve, reject) => {
      const connection = mqtt.connect(platform.summary.mqtt, {
        protocolVersion: 4,
        clientId: demo.clientId,
        username: demo.username,
        password: demo.password,
        reconnectPeriod: 0,
        connectTimeout: 5000,
      });
      connection.once("connect", () => resolve(connection));
      connection.once("error", (error) => {
        connection.end(true);
        reject(error);
      });
    });
    const newer = minute(20);
    const older = minute(10);
    // Act
    await client.publishAsync(demo.telemetryTopic, `${newer}|c|120|o|0.5|b|0.9`, { qos: 1 });
    const current = await eventually(
      () => get(`/entities/${encodeURIComponent(demo.entityId)}`),
      (answer) => asObject(asObject(answer.body).peopleCount).value === 120,
    );
    await client.publishAsync(demo.telemetryTopic, `${older}|c|80|o|0.3|b|0.95`, { qos: 1 });
    const history = await eventually(
      () => temporalOf(demo.entityId, "?attrs=peopleCount&options=temporalValues"),
      (answer) => asList(asObject(asObject(answer.body).peopleCount).values).length >= 2,
    );
    const still = await get(`/entities/${encodeURIComponent(demo.entityId)}`);
    client.end(true);
    // Assess
    expect(current.status).toBe(200);
    expect(asObject(asObject(current.body).peopleCount)).toMatchObject({ value: 120, observedAt: newer });
    expect(asObject(asObject(history.body).peopleCount).values).toEqual([
      [80, older],
      [120, newer],
    ]);
    expect(asObject(asObject(still.body).peopleCount)).toMatchObject({ value: 120, observedAt: newer });
  }, 60_000);
});
