import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CreateStreamCommand,
  KinesisClient,
  PutRecordsCommand,
  waitUntilStreamExists,
} from "@aws-sdk/client-kinesis";
import { PLATFORM_ADMIN_GROUP, ProvisionedDevice, TokenClaims } from "@sdp/contracts";
import { consoleProgress, seedDemoTenant, startLocalRuntime } from "@sdp/local-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { connectAsync } from "mqtt";
import { z } from "zod";
import { serviceManifests } from "../functions/registry";

/**
 * `npm run bench:ingest`: measurements from an MQTT publish until they are queryable in the context
 * broker — throughput for a burst and p50/p99 latency for single measurements — beside the raw Kinesis
 * write rate of the same run (the emulator that every measurement crosses twice).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
process.env.SDP_LOG_LEVEL = "silent";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const burst = Number(process.env.SDP_BENCH_MEASUREMENTS ?? "2000");
const singles = Number(process.env.SDP_BENCH_SAMPLES ?? "30");

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ??
  Number.NaN;

const Entity = z.object({ availableSpotNumber: z.number().optional() });

const dataDir = mkdtempSync(join(tmpdir(), "sdp-bench-ingest-"));
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
  const tenant = await seedDemoTenant(api, token);
  const headers = {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    "NGSILD-Tenant": tenant,
  };
  const registered = await fetch(`${api}/ingest/devices`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      deviceId: "bench-parking",
      protocol: "json",
      entityType: "OffStreetParking",
      attributes: [{ objectId: "free", name: "availableSpotNumber", valueType: "integer" }],
    }),
  });
  const provisioned = ProvisionedDevice.parse(await registered.json());
  if (provisioned.credentials.kind !== "password") throw new Error("the local broker issues passwords");
  const { clientId, username, password } = provisioned.credentials;
  const { telemetryTopic, entityId } = provisioned.device;
  const client = await connectAsync(runtime.summary.mqtt, {
    clientId,
    username,
    password,
    protocolVersion: 4,
  });
  const base = Date.now();
  const payload = (value: number) =>
    JSON.stringify({ free: value, TimeInstant: new Date(base + value).toISOString() });
  const current = async () => {
    const response = await fetch(
      `${api}/ngsi-ld/v1/entities/${encodeURIComponent(entityId)}?options=keyValues`,
      {
        headers: { authorization: headers.authorization, "NGSILD-Tenant": tenant },
      },
    );
    return response.status === 200 ? Entity.parse(await response.json()).availableSpotNumber : undefined;
  };
  const until = async (value: number, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while ((await current()) !== value) {
      if (Date.now() > deadline) throw new Error(`measurement ${value} not queryable within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  // Baseline: raw PutRecords into the same kinesalite.
  const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
  const stream = `bench-${Date.now()}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
  await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30 }, { StreamName: stream });
  const rawStarted = performance.now();
  for (let b = 0; b < 10; b += 1) {
    const records = Array.from({ length: 200 }, (_, i) => ({
      Data: Buffer.from(payload(i)),
      PartitionKey: `k${i % 20}`,
    }));
    await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records }));
  }
  const rawRate = 2000 / ((performance.now() - rawStarted) / 1000);

  // Latency of single measurements, one at a time.
  const latencies: number[] = [];
  for (let i = 1; i <= singles; i += 1) {
    const started = performance.now();
    await client.publishAsync(telemetryTopic, payload(i), { qos: 1 });
    await until(i);
    latencies.push(performance.now() - started);
  }

  // Throughput of a burst: the last (newest) measurement queryable means the burst went through.
  const first = singles + 1;
  const last = singles + burst;
  const started = performance.now();
  for (let start = first; start <= last; start += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, last - start + 1) }, (_, k) =>
        client.publishAsync(telemetryTopic, payload(start + k), { qos: 1 }),
      ),
    );
  }
  await until(last, 300_000);
  const throughput = burst / ((performance.now() - started) / 1000);
  await client.endAsync();
  kinesis.destroy();

  process.stdout.write(
    [
      `Ingestion, MQTT publish → queryable in the context broker (node ${process.version})`,
      `  baseline kinesis putRecords       ${rawRate.toFixed(0)} records/s`,
      `  burst of ${burst} measurements     ${throughput.toFixed(0)} measurements/s  (${(throughput / rawRate).toFixed(3)} × raw putRecords)`,
      `  single measurement latency        p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`,
      "",
    ].join("\n"),
  );
} finally {
  await runtime.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
