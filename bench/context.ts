import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { PLATFORM_ADMIN_GROUP, TokenClaims } from "@sdp/contracts";
import { consoleProgress, startLocalRuntime } from "@sdp/local-runtime";
import { serviceManifests } from "../functions/registry";

/**
 * `npm run bench:context`: the NGSI-LD broker at a destination with N entities (default 10,000;
 * SDP_BENCH_ENTITIES=100000 for the large case): upserts/s through the API, retrieve-by-id, query by
 * type and q, and a geo-query (p50/p99), each beside the raw DynamoDB Local figure of the same run.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
process.env.SDP_LOG_LEVEL = "silent";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const entities = Number(process.env.SDP_BENCH_ENTITIES ?? "10000");
const samples = Number(process.env.SDP_BENCH_SAMPLES ?? "200");
const batchSize = 50;
const concurrency = 4;
const slug = "bench-dest";

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function pool(total: number, width: number, task: (index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < total) {
        const index = next;
        next += 1;
        await task(index);
      }
    }),
  );
}

async function latencies(count: number, request: (index: number) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    await request(i);
    times.push(performance.now() - started);
  }
  return times;
}

const entityId = (i: number) => `urn:ngsi-ld:CrowdFlowObserved:bench-${i}`;
function entity(i: number) {
  // A grid of hotspots around a town centre (about 5 km across).
  const lon = -0.4 + (i % 100) * 0.0005;
  const lat = 39.45 + Math.floor(i / 100) * (0.05 / Math.max(1, entities / 100));
  return {
    id: entityId(i),
    type: "CrowdFlowObserved",
    peopleCount: { type: "Property", value: i % 1000, observedAt: new Date().toISOString() },
    congested: { type: "Property", value: i % 7 === 0 },
    location: { type: "GeoProperty", value: { type: "Point", coordinates: [lon, lat] } },
  };
}

const dataDir = mkdtempSync(join(tmpdir(), "sdp-bench-context-"));
const runtime = await startLocalRuntime({
  manifests: serviceManifests,
  root,
  dataDir,
  env: { ...process.env, SDP_PORTS: "auto" },
  progress: consoleProgress(process.stderr, true),
});
try {
  const token = await runtime.signToken({ [TokenClaims.groups]: [PLATFORM_ADMIN_GROUP] }, "bench-admin");
  const api = runtime.summary.api;
  const json = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const scoped = { authorization: `Bearer ${token}`, "NGSILD-Tenant": slug };
  await fetch(`${api}/platform/tenants`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ slug, name: "Bench" }),
  });
  for (;;) {
    const tenant = (await (await fetch(`${api}/platform/tenants/${slug}`, { headers: json })).json()) as {
      status?: string;
    };
    if (tenant.status === "active") break;
    if (tenant.status === "failed") throw new Error("bench destination failed to provision");
    await new Promise((r) => setTimeout(r, 200));
  }

  // Baseline: the raw emulator, same run, same machine.
  const ddb = new DynamoDBClient({});
  const baselineTable = `sdp-local-${slug}-context-entities`;
  const rawPut = await latencies(samples, async (i) => {
    await ddb.send(
      new PutItemCommand({
        TableName: baselineTable,
        Item: { pk: { S: `raw-${i}` }, sk: { S: "raw" }, v: { N: String(i) } },
      }),
    );
  });
  const rawGet = await latencies(samples, async (i) => {
    await ddb.send(
      new GetItemCommand({ TableName: baselineTable, Key: { pk: { S: `raw-${i}` }, sk: { S: "raw" } } }),
    );
  });

  const batches = Math.ceil(entities / batchSize);
  const loadStarted = performance.now();
  await pool(batches, concurrency, async (b) => {
    const body = Array.from({ length: Math.min(batchSize, entities - b * batchSize) }, (_, k) =>
      entity(b * batchSize + k),
    );
    const response = await fetch(`${api}/ngsi-ld/v1/entityOperations/upsert`, {
      method: "POST",
      headers: { ...json, "NGSILD-Tenant": slug },
      body: JSON.stringify(body),
    });
    if (response.status >= 300 && response.status !== 207)
      throw new Error(`upsert failed: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  });
  const upsertsPerSecond = entities / ((performance.now() - loadStarted) / 1000);
  const rawPutsPerSecond = 1000 / (rawPut.reduce((a, b) => a + b, 0) / rawPut.length);

  const byId = await latencies(samples, async (i) => {
    const response = await fetch(
      `${api}/ngsi-ld/v1/entities/${encodeURIComponent(entityId((i * 7919) % entities))}`,
      { headers: scoped },
    );
    if (response.status !== 200) throw new Error(`retrieve failed: ${response.status}`);
    await response.arrayBuffer();
  });
  const byTypeAndQ = await latencies(Math.min(samples, 50), async () => {
    const response = await fetch(
      `${api}/ngsi-ld/v1/entities?type=CrowdFlowObserved&q=peopleCount%3E990&limit=100`,
      { headers: scoped },
    );
    if (response.status !== 200) throw new Error(`query failed: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  });
  const geo = await latencies(Math.min(samples, 50), async () => {
    const query =
      "type=CrowdFlowObserved&georel=near%3BmaxDistance%3D%3D300&geometry=Point&coordinates=%5B-0.38%2C39.46%5D&limit=100";
    const response = await fetch(`${api}/ngsi-ld/v1/entities?${query}`, { headers: scoped });
    if (response.status !== 200)
      throw new Error(`geo-query failed: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  });

  const ms = (values: number[]) =>
    `p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms`;
  const rawGetP50 = percentile(rawGet, 50);
  process.stdout.write(
    [
      `NGSI-LD broker at ${entities} entities (node ${process.version})`,
      `  baseline dynamodb putItem         ${rawPutsPerSecond.toFixed(0)} items/s sequential; getItem ${ms(rawGet)}`,
      `  entity upserts (batch ${batchSize} × ${concurrency})  ${upsertsPerSecond.toFixed(0)} entities/s  (${(upsertsPerSecond / rawPutsPerSecond).toFixed(2)} × raw sequential putItem)`,
      `  retrieve by id                    ${ms(byId)}  (p50 ${(percentile(byId, 50) / rawGetP50).toFixed(1)} × raw getItem)`,
      `  query by type and q               ${ms(byTypeAndQ)}  (p50 ${(percentile(byTypeAndQ, 50) / rawGetP50).toFixed(1)} × raw getItem)`,
      `  geo-query near 300 m              ${ms(geo)}  (p50 ${(percentile(geo, 50) / rawGetP50).toFixed(1)} × raw getItem)`,
      "",
    ].join("\n"),
  );
  ddb.destroy();
} finally {
  await runtime.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
