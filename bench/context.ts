import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AttributeValue,
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { PLATFORM_ADMIN_GROUP, TokenClaims } from "@sdp/contracts";
import { consoleProgress, startLocalRuntime } from "@sdp/local-runtime";
import { z } from "zod";
import { serviceManifests } from "../functions/registry";
import { startArrivalReceiver } from "./support/arrival-receiver";

/**
 * `npm run bench:context`: the NGSI-LD broker at a destination holding N entities, for each N of
 * SDP_BENCH_SIZES (default `10000,100000`; SDP_BENCH_ENTITIES=N runs one size). One platform, one
 * destination: the entities are loaded through the API with batch upserts up to the first size,
 * measured, then loaded on to the next size and measured again. At each size:
 * - entity upserts/s of that load step, beside the raw sequential PutItem rate;
 * - retrieve by id, query by type and q, a geo-query (p50/p99), beside raw GetItem and a raw
 *   BatchGetItem of 100 keys on the same table;
 * - notification latency, update → delivery to an HTTP receiver on 127.0.0.1, through the platform's
 *   own stream poller and notifier, beside the raw HTTP round trip to the same receiver.
 * The machine is shared: only ratios within one run mean anything. The platform's data lives on
 * /dev/shm when there is one (SDP_BENCH_DATA_DIR overrides): DynamoDB Local's SQLite file on a shared
 * disk measures the disk, not the broker; the baselines run on the same emulator, so ratios hold.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
process.env.SDP_LOG_LEVEL ??= "silent";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const sizes = (process.env.SDP_BENCH_SIZES ?? process.env.SDP_BENCH_ENTITIES ?? "10000,100000")
  .split(",")
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0)
  .sort((a, b) => a - b);
const samples = Number(process.env.SDP_BENCH_SAMPLES ?? "200");
const querySamples = Number(process.env.SDP_BENCH_QUERY_SAMPLES ?? "30");
const rareSamples = Number(process.env.SDP_BENCH_RARE_SAMPLES ?? "5");
const notifications = Number(process.env.SDP_BENCH_NOTIFICATIONS ?? "100");
const batchSize = Number(process.env.SDP_BENCH_BATCH ?? "50");
const concurrency = Number(process.env.SDP_BENCH_CONCURRENCY ?? "4");
const slug = "bench-dest";
const TYPE = "CrowdFlowObserved";
if (sizes.length === 0) throw new Error("SDP_BENCH_SIZES names no size");
const largest = sizes[sizes.length - 1] ?? 0;

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

/** Sequential latencies of `count` requests, or fewer (at least 5) once `budgetMs` has passed. */
async function latencies(
  count: number,
  request: (index: number) => Promise<void>,
  budgetMs = 60_000,
): Promise<number[]> {
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count && (i < 5 || performance.now() - started < budgetMs); i += 1) {
    const started = performance.now();
    await request(i);
    times.push(performance.now() - started);
  }
  return times;
}

/** CPU seconds used so far by this process (the API, handlers and pollers run in it) and the JVM. */
function cpuSeconds(jvmPidFile: string): { node: number; jvm: number } {
  const usage = process.cpuUsage();
  let jvm = Number.NaN;
  try {
    const pid = readFileSync(jvmPidFile, "utf8").trim();
    // Fields 14 and 15 of /proc/<pid>/stat: user and system time in clock ticks (100 per second).
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    jvm = (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    // No /proc (not Linux): the JVM's share is not reported.
  }
  return { node: (usage.user + usage.system) / 1e6, jvm };
}

const entityId = (i: number) => `urn:ngsi-ld:${TYPE}:bench-${String(i).padStart(6, "0")}`;
/**
 * Entity i: hotspots on a grid about 4.3 × 5.5 km (100 columns 45 m apart; rows 5.5 m apart at
 * 100,000 entities), so the first 10,000 lie in the grid's southern 550 m and the geo-query (300 m
 * around a point in that strip) matches about the same ~1,000 entities at every size.
 */
function entity(i: number) {
  const lon = -0.4 + (i % 100) * 0.0005;
  const lat = 39.45 + Math.floor(i / 100) * (0.05 / Math.max(1, largest / 100));
  return {
    id: entityId(i),
    type: TYPE,
    peopleCount: { type: "Property", value: i % 1000, observedAt: new Date().toISOString() },
    congested: { type: "Property", value: i % 7 === 0 },
    location: { type: "GeoProperty", value: { type: "Point", coordinates: [lon, lat] } },
  };
}

const shm = "/dev/shm";
// SDP_BENCH_KEEP=<dir> keeps the platform's data there, and a later run with the same directory skips
// loading the sizes already loaded: for comparing query paths on the same data.
const kept = process.env.SDP_BENCH_KEEP;
const dataDir =
  kept ??
  mkdtempSync(
    join(process.env.SDP_BENCH_DATA_DIR ?? (existsSync(shm) ? shm : tmpdir()), "sdp-bench-context-"),
  );
const loadedMarker = (size: number) => join(dataDir, `bench-loaded-${size}`);
const receiver = await startArrivalReceiver("benchSeq");
const { arrivals, url: receiverUrl } = receiver;

// The history recorder writes ~7 items per created entity (instances, series catalog, head): with it,
// DynamoDB Local spends most of a load on history. Left out unless SDP_BENCH_HISTORY=1.
const withHistory = process.env.SDP_BENCH_HISTORY === "1";
const manifests = withHistory
  ? serviceManifests
  : serviceManifests.map((manifest) => ({
      ...manifest,
      streamConsumers: manifest.streamConsumers?.filter((c) => c.name !== "recordEntityHistory"),
    }));
const runtime = await startLocalRuntime({
  manifests,
  root,
  dataDir,
  env: { ...process.env, SDP_PORTS: "auto" },
  progress: consoleProgress(process.stderr, true),
});
const jvmPidFile = join(dataDir, "dynamodb", "jvm.pid");
const report: string[] = [];
const out = (line: string) => {
  report.push(line);
  process.stderr.write(`${line}\n`);
};
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
  const ddb = new DynamoDBClient({});
  const table = `sdp-local-${slug}-context-entities`;
  const ms = (values: number[]) =>
    `p50 ${percentile(values, 50).toFixed(1).padStart(7)} ms, p99 ${percentile(values, 99).toFixed(1).padStart(7)} ms (n=${values.length})`;
  const times = (a: number, b: number) => `${(a / b).toFixed(1)}×`;

  let loaded = 0;
  for (const size of sizes) {
    // Load through the API, batch upserts, a few requests at a time.
    const from = existsSync(loadedMarker(size)) ? size : loaded;
    let resent = 0;
    const batches = Math.ceil((size - from) / batchSize);
    const cpuBefore = cpuSeconds(jvmPidFile);
    const loadStarted = performance.now();
    await pool(batches, concurrency, async (b) => {
      const first = from + b * batchSize;
      const body = Array.from({ length: Math.min(batchSize, size - first) }, (_, k) => entity(first + k));
      // A batch that outlives the function's timeout (502) is sent again: upserts are idempotent.
      for (let attempt = 1; ; attempt += 1) {
        const response = await fetch(`${api}/ngsi-ld/v1/entityOperations/upsert`, {
          method: "POST",
          headers: { ...json, "NGSILD-Tenant": slug },
          body: JSON.stringify(body),
        });
        if (response.status === 502 && attempt < 5) {
          await response.arrayBuffer();
          resent += 1;
          continue;
        }
        if (response.status >= 300 && response.status !== 207)
          throw new Error(`upsert failed: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
        break;
      }
      if ((b + 1) % 200 === 0) process.stderr.write(`  loaded ${first + body.length} of ${size} entities\n`);
    });
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const cpuLoaded = cpuSeconds(jvmPidFile);
    // The stream consumers (history recorder, notifier) catch up before anything is measured.
    await runtime.idle(3_600_000);
    const settledSeconds = (performance.now() - loadStarted) / 1000;
    const cpuSettled = cpuSeconds(jvmPidFile);
    loaded = size;
    if (kept) writeFileSync(loadedMarker(size), "");

    // Baselines on the same table, now that it holds `size` entities.
    const rawPut = await latencies(samples, async (i) => {
      await ddb.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: `raw-${size}-${i}` }, sk: { S: "raw" }, v: { N: String(i) } },
        }),
      );
    });
    const rawGet = await latencies(samples, async (i) => {
      await ddb.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: entityId((i * 7919) % size) }, sk: { S: "@" } },
          ConsistentRead: true,
        }),
      );
    });
    const rawBatchGet = await latencies(querySamples, async (i) => {
      const keys = Array.from({ length: 100 }, (_, k) => ({
        pk: { S: entityId((i * 100 + k) % size) },
        sk: { S: "@" },
      }));
      let pending: Array<Record<string, AttributeValue>> = keys;
      while (pending.length > 0) {
        const result = await ddb.send(
          new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending } } }),
        );
        pending = result.UnprocessedKeys?.[table]?.Keys ?? [];
      }
    });
    const rawPutsPerSecond = 1000 / (rawPut.reduce((a, b) => a + b, 0) / rawPut.length);
    const upsertsPerSecond = from === size ? Number.NaN : (size - from) / loadSeconds;

    const byId = await latencies(samples, async (i) => {
      const response = await fetch(
        `${api}/ngsi-ld/v1/entities/${encodeURIComponent(entityId((i * 7919) % size))}`,
        {
          headers: scoped,
        },
      );
      if (response.status !== 200) throw new Error(`retrieve failed: ${response.status}`);
      await response.arrayBuffer();
    });
    const query = async (search: string) => {
      const response = await fetch(`${api}/ngsi-ld/v1/entities?${search}`, { headers: scoped });
      // Not answered in time, counted apart from the answered ones: 403 TooComplexQuery when the
      // broker stopped reading at the request's deadline, 502/504 when the function ran past it.
      const outOfTime = [403, 502, 504].includes(response.status);
      if (response.status !== 200 && !outOfTime)
        throw new Error(`query failed: ${response.status} ${await response.text()}`);
      if (outOfTime) {
        await response.arrayBuffer();
        return undefined;
      }
      return z.array(z.unknown()).parse(await response.json());
    };
    const timedQueries = async (search: string, count: number) => {
      const answered: number[] = [];
      let timedOut = 0;
      await latencies(count, async () => {
        const started = performance.now();
        if (await query(search)) answered.push(performance.now() - started);
        else timedOut += 1;
      });
      return { answered, timedOut };
    };
    // Every entity of the type matches: a first page reads limit + 1 candidates.
    const byType = await timedQueries(`type=${TYPE}&limit=100`, querySamples);
    // q=peopleCount>=900 matches 10 % of the entities: a page of 100 reads ~1,000 candidates.
    const byTypeAndQ = await timedQueries(`type=${TYPE}&q=peopleCount%3E%3D900&limit=100`, querySamples);
    // q=peopleCount>990 matches 0.9 %: a page of 100 reads ~11,000 candidates (all of them at 10,000).
    const byTypeAndRareQ = await timedQueries(`type=${TYPE}&q=peopleCount%3E990&limit=100`, rareSamples);
    const geoSearch = `type=${TYPE}&georel=near%3BmaxDistance%3D%3D300&geometry=Point&coordinates=%5B-0.38%2C39.4525%5D&limit=100`;
    const geoMatches = (await query(geoSearch))?.length ?? Number.NaN;
    const geo = await timedQueries(geoSearch, querySamples);

    // Notifications at this size: a subscription on the type, updates of a watched attribute.
    const created = await fetch(`${api}/ngsi-ld/v1/subscriptions`, {
      method: "POST",
      headers: { ...json, "NGSILD-Tenant": slug },
      body: JSON.stringify({
        type: "Subscription",
        entities: [{ type: TYPE }],
        watchedAttributes: ["benchSeq"],
        notification: { format: "keyValues", attributes: ["benchSeq"], endpoint: { uri: receiverUrl } },
      }),
    });
    if (created.status !== 201)
      throw new Error(`subscription failed: ${created.status} ${await created.text()}`);
    const subscription = created.headers.get("location") ?? "";
    const rawRoundTrip = await latencies(samples, async () => {
      const response = await fetch(`${receiverUrl}?baseline`, { method: "POST", body: "{}" });
      await response.arrayBuffer();
    });
    arrivals.clear();
    const committed = new Map<number, number>();
    // An update the API did not accept (a 504 while the emulator is saturated) is counted, not fatal:
    // the run's other figures stand, and the line says how many updates were refused.
    const refused: string[] = [];
    const notifyStarted = performance.now();
    await pool(notifications, 4, async (seq) => {
      const id = entityId((seq * 7919 + 13) % size);
      const response = await fetch(`${api}/ngsi-ld/v1/entities/${encodeURIComponent(id)}/attrs`, {
        method: "POST",
        headers: { ...json, "NGSILD-Tenant": slug },
        body: JSON.stringify({ benchSeq: { type: "Property", value: seq } }),
      });
      if (response.status !== 204) {
        refused.push(`${response.status} ${(await response.text()).slice(0, 200)}`);
        return;
      }
      committed.set(seq, performance.now());
    });
    while (arrivals.size < notifications && performance.now() - notifyStarted < 120_000)
      await new Promise((r) => setTimeout(r, 20));
    const notified: number[] = [];
    for (const [seq, at] of committed) {
      const arrived = arrivals.get(seq);
      if (arrived !== undefined) notified.push(arrived - at);
    }
    // Removed before the next load step, which would otherwise notify every created entity.
    await fetch(`${api}${subscription.startsWith("/") ? "" : "/ngsi-ld/v1/subscriptions/"}${subscription}`, {
      method: "DELETE",
      headers: scoped,
    });
    await runtime.idle(600_000);

    const rawGetP50 = percentile(rawGet, 50);
    const rawBatchP50 = percentile(rawBatchGet, 50);
    const cpu = (a: { node: number; jvm: number }, b: { node: number; jvm: number }) =>
      `node ${(b.node - a.node).toFixed(0)} s, DynamoDB Local ${(b.jvm - a.jvm).toFixed(0)} s CPU`;
    out(
      `NGSI-LD broker at ${size} entities (node ${process.version}, load average ${loadAverage()}, history recorder ${withHistory ? "on" : "off"})`,
    );
    out(
      `  baseline DynamoDB Local          PutItem ${rawPutsPerSecond.toFixed(0)} items/s sequential; GetItem ${ms(rawGet)}; BatchGetItem ×100 ${ms(rawBatchGet)}`,
    );
    out(`  baseline HTTP round trip         ${ms(rawRoundTrip)} (to the notification receiver)`);
    out(
      `  entity upserts ${from}→${size} (batch ${batchSize} × ${concurrency})  ${upsertsPerSecond.toFixed(0)} entities/s = ${(upsertsPerSecond / rawPutsPerSecond).toFixed(2)}× raw sequential PutItem; ${loadSeconds.toFixed(0)} s acknowledged${resent > 0 ? ` (${resent} batches resent after a 502)` : ""} (${cpu(cpuBefore, cpuLoaded)}), ${settledSeconds.toFixed(0)} s until the stream consumers caught up (${cpu(cpuBefore, cpuSettled)})`,
    );
    out(
      `  retrieve by id                   ${ms(byId)}  p50 ${times(percentile(byId, 50), rawGetP50)} raw GetItem`,
    );
    const queryLine = (name: string, q: { answered: number[]; timedOut: number }) =>
      out(
        `  ${name.padEnd(35)}${ms(q.answered)}${q.timedOut > 0 ? `, ${q.timedOut} more not answered in time (403 TooComplexQuery or 502)` : ""}  p50 ${times(percentile(q.answered, 50), rawBatchP50)} raw BatchGetItem×100`,
      );
    queryLine("query type, limit 100", byType);
    queryLine("query type + q (10 %), limit 100", byTypeAndQ);
    queryLine("query type + q (0.9 %), limit 100", byTypeAndRareQ);
    queryLine(`geo-query near 300 m (${geoMatches} found)`, geo);
    out(
      `  notification update → delivery   ${ms(notified)}  (${notified.length}/${notifications} delivered${refused.length > 0 ? `; ${refused.length} updates refused, first: ${refused[0]}` : ""})  p50 ${times(percentile(notified, 50), percentile(rawRoundTrip, 50))} raw HTTP round trip`,
    );
    out(
      JSON.stringify({
        size,
        loadAverage: loadAverage(),
        upsertsPerSecond: Math.round(upsertsPerSecond),
        rawPutsPerSecond: Math.round(rawPutsPerSecond),
        loadSeconds: Math.round(loadSeconds),
        settledSeconds: Math.round(settledSeconds),
        timedOut: { byTypeAndRareQ: byTypeAndRareQ.timedOut, byTypeAndQ: byTypeAndQ.timedOut },
        p50: {
          rawGet: rawGetP50,
          rawBatchGet100: rawBatchP50,
          rawHttp: percentile(rawRoundTrip, 50),
          byId: percentile(byId, 50),
          byType: percentile(byType.answered, 50),
          byTypeAndQ: percentile(byTypeAndQ.answered, 50),
          byTypeAndRareQ: percentile(byTypeAndRareQ.answered, 50),
          geo: percentile(geo.answered, 50),
          notification: percentile(notified, 50),
        },
        p99: {
          rawGet: percentile(rawGet, 99),
          rawBatchGet100: percentile(rawBatchGet, 99),
          rawHttp: percentile(rawRoundTrip, 99),
          byId: percentile(byId, 99),
          byType: percentile(byType.answered, 99),
          byTypeAndQ: percentile(byTypeAndQ.answered, 99),
          byTypeAndRareQ: percentile(byTypeAndRareQ.answered, 99),
          geo: percentile(geo.answered, 99),
          notification: percentile(notified, 99),
        },
      }),
    );
  }
  ddb.destroy();
  process.stdout.write(`${report.join("\n")}\n`);
} finally {
  await runtime.stop();
  await receiver.close();
  if (!kept) rmSync(dataDir, { recursive: true, force: true });
}

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}
