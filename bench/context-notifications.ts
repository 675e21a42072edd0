import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDocumentClient, createDynamoDbClient, ensureTable } from "@sdp/aws";
import { destinationTemplate, tableName, withEventSourceDefaults } from "@sdp/contracts";
import { Scope } from "@sdp/kernel";
import type { Context, DynamoDBStreamEvent } from "aws-lambda";
import { bundledContextLoader } from "../functions/context/src/adapters/bundled-contexts";
import { buildDynamoDbEntityStore } from "../functions/context/src/adapters/dynamodb-entity-store";
import { contextCache } from "../functions/context/src/domain/contexts";
import { Entity } from "../functions/context/src/domain/entity";
import { buildHandler as notifySubscriptions } from "../functions/context/src/handlers/notifySubscriptions";
import { CONTEXT_SERVICE, ENTITIES_TABLE, SUBSCRIPTIONS_TABLE } from "../functions/context/src/keys";
import { contextManifest } from "../functions/context/src/manifest";
import { buildDynamoDbSubscriptionStore } from "../functions/context/src/subscriptions/adapters/dynamodb-subscription-store";
import { buildHttpSender } from "../functions/context/src/subscriptions/adapters/http-sender";
import type { NotifierDeps, TimerStore } from "../functions/context/src/subscriptions/ports";
import { Subscriptions } from "../functions/context/src/subscriptions/subscriptions";
import { startDynamoDbLocal } from "../packages/local-runtime/src/emulators/dynamodb-local";
import { startEventSourceMapping } from "../packages/local-runtime/src/event-source";
import { freePort } from "../packages/local-runtime/src/net";
import { startArrivalReceiver } from "./support/arrival-receiver";

/**
 * `npx tsx bench/context-notifications.ts`: notification latency under load, loopback only.
 *
 * A destination's entities are updated concurrently through the broker's own use case on DynamoDB
 * Local; the notifier runs behind the local event source mapping (Lambda's polling semantics, the
 * manifest's batch settings) and POSTs to an HTTP receiver on 127.0.0.1. Printed next to each other, as
 * p50/p99 of the same run: update → notification received; update → notifier invoked (the stream's
 * share); and, as baselines, the raw HTTP round trip to the same receiver and one DynamoDB Local read.
 * Bounded in count and time.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
process.env.SDP_LOG_LEVEL = "silent";
const scale = Number(process.env.SDP_BENCH_SCALE ?? "1");
const STAGE = "bench";
const TENANT = "benchdest";
const UPDATES = Math.max(20, Math.round(400 * scale));
const ENTITIES = 40;
const CONCURRENCY = 8;
const TIME_LIMIT_MS = 90_000;
const VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/";

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

async function pool(total: number, concurrency: number, task: (index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const index = next;
        next += 1;
        await task(index);
      }
    }),
  );
}

/** The `seq` value an entity item's new image carries, if any. */
function seqOf(image: unknown): number | undefined {
  if (typeof image !== "object" || image === null || !("doc" in image)) return undefined;
  const doc = image.doc;
  if (typeof doc !== "object" || doc === null || !("S" in doc) || typeof doc.S !== "string") return undefined;
  const match = new RegExp(`"${VOCAB}seq":\\[\\{"type":"Property","value":(\\d+)`).exec(doc.S);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function post(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => resolve());
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function main() {
  const ddb = await startDynamoDbLocal({ port: await freePort() });
  const work = mkdtempSync(join(tmpdir(), "sdp-bench-notify-"));
  Object.assign(process.env, {
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: ddb.endpoint,
  });
  const receiver = await startArrivalReceiver("seq");
  const { arrivals, url: receiverUrl } = receiver;
  const mappings: Array<{ stop(): Promise<void> | void }> = [];
  try {
    // The destination's tables, from the manifest as the provisioner creates them.
    const raw = createDynamoDbClient();
    for (const spec of destinationTemplate([contextManifest]).tables) {
      if (spec.service !== CONTEXT_SERVICE || ![ENTITIES_TABLE, SUBSCRIPTIONS_TABLE].includes(spec.purpose))
        continue;
      await ensureTable(raw, tableName(STAGE, TENANT, CONTEXT_SERVICE, spec.purpose), spec);
    }
    const client = createDocumentClient();
    const contexts = contextCache(bundledContextLoader);
    const entities = () =>
      buildDynamoDbEntityStore(client, tableName(STAGE, TENANT, CONTEXT_SERVICE, ENTITIES_TABLE));
    const subscriptions = () =>
      buildDynamoDbSubscriptionStore(client, tableName(STAGE, TENANT, CONTEXT_SERVICE, SUBSCRIPTIONS_TABLE));
    const noTimers: TimerStore = {
      set: async () => undefined,
      remove: async () => undefined,
      due: async function* () {},
      advance: async () => false,
    };
    const ctx = await contexts.resolve(TENANT, undefined);
    const entityDeps = { store: entities, contexts };
    await Scope.run({ requestId: "bench", tenant: TENANT }, async () => {
      for (let i = 0; i < ENTITIES; i++)
        await Entity.create(entityDeps, {
          body: { id: `urn:ngsi-ld:Beach:${i}`, type: "Beach", seq: -1 },
          ctx,
        });
      await Subscriptions.create(
        { subscriptions, timers: noTimers, contexts, network: "private-allowed" },
        {
          body: {
            type: "Subscription",
            entities: [{ type: "Beach" }],
            watchedAttributes: ["seq"],
            notification: { format: "keyValues", attributes: ["seq"], endpoint: { uri: receiverUrl } },
          },
          ctx,
          contextRef: undefined,
        },
      );
    });

    // The notifier behind the local event source mapping, with the manifest's settings.
    const declared = contextManifest.streamConsumers.find((c) => c.name === "notifySubscriptions");
    if (!declared) throw new Error("the manifest declares no notifySubscriptions consumer");
    const deps: NotifierDeps = {
      subscriptions,
      entities,
      timers: noTimers,
      contexts,
      http: buildHttpSender("private-allowed"),
      mqtt: { publish: async () => undefined },
      network: "private-allowed",
    };
    const invoked = new Map<number, number>();
    const notifier = notifySubscriptions(deps, () => STAGE);
    const observed = async (event: unknown, context: Context) => {
      const now = performance.now();
      const stream = event as DynamoDBStreamEvent;
      for (const record of stream.Records) {
        const seq = seqOf(record.dynamodb?.NewImage);
        if (seq !== undefined && !invoked.has(seq)) invoked.set(seq, now);
      }
      return notifier(stream, context);
    };
    // Records written before the mapping starts (the setup above) are read too: start, then let them pass.
    mappings.push(
      startEventSourceMapping({
        name: "bench-notifySubscriptions",
        source: { kind: "dynamodb", tableName: tableName(STAGE, TENANT, CONTEXT_SERVICE, ENTITIES_TABLE) },
        settings: withEventSourceDefaults(declared),
        handler: async () => observed,
        checkpointFile: join(work, "checkpoint.json"),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    // Baseline: the raw HTTP round trip to the same receiver, same concurrency.
    const raw_rtt: number[] = [];
    await pool(UPDATES, CONCURRENCY, async () => {
      const started = performance.now();
      await post(`${receiverUrl}?baseline`, "{}");
      raw_rtt.push(performance.now() - started);
    });

    // Second baseline: one DynamoDB Local read, the emulator's own round trip.
    const ddb_rtt: number[] = [];
    await Scope.run({ requestId: "bench", tenant: TENANT }, () =>
      pool(Math.min(UPDATES, 200), CONCURRENCY, async (i) => {
        const started = performance.now();
        await entities().get(`urn:ngsi-ld:Beach:${i % ENTITIES}`);
        ddb_rtt.push(performance.now() - started);
      }),
    );

    // Load: concurrent updates of a few entities; each carries a unique seq.
    const committed = new Map<number, number>();
    const started = performance.now();
    await Scope.run({ requestId: "bench", tenant: TENANT }, () =>
      pool(UPDATES, CONCURRENCY, async (seq) => {
        await Entity.merge(entityDeps, `urn:ngsi-ld:Beach:${seq % ENTITIES}`, { body: { seq }, ctx });
        committed.set(seq, performance.now());
      }),
    );
    const writeSeconds = (performance.now() - started) / 1000;
    while (arrivals.size < UPDATES && performance.now() - started < TIME_LIMIT_MS)
      await new Promise((resolve) => setTimeout(resolve, 20));

    const latency: number[] = [];
    const streamLag: number[] = [];
    for (const [seq, at] of committed) {
      const arrived = arrivals.get(seq);
      if (arrived !== undefined) latency.push(arrived - at);
      const invokedAt = invoked.get(seq);
      if (invokedAt !== undefined) streamLag.push(invokedAt - at);
    }
    const row = (name: string, values: number[]) => ({
      name,
      p50: Number(percentile(values, 50).toFixed(1)),
      p99: Number(percentile(values, 99).toFixed(1)),
      samples: values.length,
    });
    const rows = [
      row("update → notification received (ms)", latency),
      row("update → notifier invoked (ms)", streamLag),
      row("baseline: raw HTTP round trip (ms)", raw_rtt),
      row("baseline: DynamoDB Local GetItem (ms)", ddb_rtt),
    ];
    const [notification, , baseline, read] = rows;
    process.stdout.write(
      `context notifications: ${UPDATES} updates of ${ENTITIES} entities, ${CONCURRENCY} at a time (${(UPDATES / writeSeconds).toFixed(0)} updates/s), ${arrivals.size} notified\n`,
    );
    for (const r of rows)
      process.stdout.write(
        `  ${r.name.padEnd(40)} p50 ${String(r.p50).padStart(8)}  p99 ${String(r.p99).padStart(8)}  (n=${r.samples})\n`,
      );
    if (notification && baseline && read) {
      const ratio = (a: number, b: number) => `×${(a / b).toFixed(1)}`;
      process.stdout.write(
        `  notification latency / HTTP round trip    p50 ${ratio(notification.p50, baseline.p50)}  p99 ${ratio(notification.p99, baseline.p99)}\n`,
      );
      process.stdout.write(
        `  notification latency / DynamoDB read      p50 ${ratio(notification.p50, read.p50)}  p99 ${ratio(notification.p99, read.p99)}\n`,
      );
    }
    process.stdout.write(`${JSON.stringify({ notifications: rows, lost: UPDATES - latency.length })}\n`);
  } finally {
    await Promise.all(mappings.map((m) => m.stop()));
    await receiver.close();
    await ddb.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
