import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { connectAsync } from "mqtt";
import { startDynamoDbLocal } from "../packages/local-runtime/src/emulators/dynamodb-local";
import { startKinesalite } from "../packages/local-runtime/src/emulators/kinesalite";
import { startHttpFront } from "../packages/local-runtime/src/http";
import { startMqttBroker } from "../packages/local-runtime/src/iot";
import { freePort } from "../packages/local-runtime/src/net";

/**
 * `npm run bench`: the raw rates of the local emulators, measured in this run, printed as the baselines
 * that service benchmarks divide by (these machines are shared and noisy: only ratios within one run
 * mean anything). Each measurement is bounded in count and time.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
process.env.SDP_LOG_LEVEL = "silent";
const credentials = { accessKeyId: "bench", secretAccessKey: "bench" };
const region = "eu-west-1";
const scale = Number(process.env.SDP_BENCH_SCALE ?? "1");

interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: string;
}

const figures: Figure[] = [];

async function timed(work: () => Promise<number>): Promise<number> {
  const started = performance.now();
  const operations = await work();
  return operations / ((performance.now() - started) / 1000);
}

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

async function benchDynamoDb() {
  const ddb = await startDynamoDbLocal({ port: await freePort() });
  try {
    const client = new DynamoDBClient({ endpoint: ddb.endpoint, region, credentials });
    const table = `bench-${randomUUID()}`;
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      }),
    );
    const item = (i: number) => ({
      pk: { S: `item-${i}-${randomUUID()}` },
      value: { N: String(i) },
      text: { S: "x".repeat(200) },
    });
    const warm = 200;
    await pool(warm, 8, (i) =>
      client.send(new PutItemCommand({ TableName: table, Item: item(i) })).then(() => undefined),
    );
    const puts = Math.round(3000 * scale);
    figures.push({
      name: "dynamodb.putItem",
      unit: "items/s",
      value: await timed(async () => {
        await pool(puts, 16, (i) =>
          client.send(new PutItemCommand({ TableName: table, Item: item(i) })).then(() => undefined),
        );
        return puts;
      }),
    });
    const batches = Math.round(200 * scale);
    figures.push({
      name: "dynamodb.batchWriteItem",
      unit: "items/s",
      value: await timed(async () => {
        await pool(batches, 8, async (b) => {
          const requests = Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: item(b * 25 + i) } }));
          await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
        });
        return batches * 25;
      }),
    });
    client.destroy();
  } finally {
    await ddb.stop();
  }
}

async function benchKinesis() {
  const kinesalite = await startKinesalite({ port: await freePort() });
  try {
    const client = new KinesisClient({
      endpoint: kinesalite.endpoint,
      region,
      credentials,
      requestHandler: new NodeHttpHandler(),
    });
    const stream = `bench-${randomUUID()}`;
    await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 4 }));
    for (;;) {
      const { StreamDescriptionSummary } = await client.send(
        new DescribeStreamSummaryCommand({ StreamName: stream }),
      );
      if (StreamDescriptionSummary?.StreamStatus === "ACTIVE") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const data = Buffer.from(JSON.stringify({ count: 42, observedAt: new Date().toISOString() }));
    const batches = Math.round(40 * scale);
    figures.push({
      name: "kinesis.putRecords",
      unit: "records/s",
      value: await timed(async () => {
        await pool(batches, 4, async (b) => {
          const records = Array.from({ length: 500 }, (_, i) => ({
            Data: data,
            PartitionKey: `villamar/device-${(b * 500 + i) % 100}`,
          }));
          await client.send(new PutRecordsCommand({ StreamName: stream, Records: records }));
        });
        return batches * 500;
      }),
    });
    client.destroy();
  } finally {
    await kinesalite.stop();
  }
}

async function benchMqtt() {
  const received = { count: 0 };
  const broker = await startMqttBroker({
    port: await freePort(),
    authenticator: {
      authenticate: async (_id, username) => ({ kind: "service", name: username ?? "bench" }),
    },
    onMessage: async () => {
      received.count += 1;
    },
  });
  try {
    const client = await connectAsync(broker.url, {
      clientId: `bench-${randomUUID()}`,
      username: "bench",
      password: "x",
      protocolVersion: 4,
    });
    const payload = Buffer.from("t|21.5#h|60");
    for (const qos of [0, 1] as const) {
      const messages = Math.round((qos === 0 ? 20_000 : 5_000) * scale);
      received.count = 0;
      const rate = await timed(async () => {
        await pool(messages, qos === 0 ? 1 : 32, async () => {
          await client.publishAsync("dt/villamar/bench/attrs", payload, { qos });
        });
        while (received.count < messages) await new Promise((r) => setTimeout(r, 5));
        return messages;
      });
      figures.push({ name: `mqtt.publish.qos${qos}`, unit: "messages/s", value: rate });
    }
    await client.endAsync();
  } finally {
    await broker.stop();
  }
}

async function httpRate(url: string, requests: number): Promise<number> {
  return timed(async () => {
    await pool(requests, 16, async () => {
      const response = await fetch(url);
      await response.arrayBuffer();
    });
    return requests;
  });
}

async function benchHttpFront() {
  const requests = Math.round(3000 * scale);
  const raw = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true}');
  });
  const rawPort = await freePort();
  await new Promise<void>((resolve) => raw.listen(rawPort, "127.0.0.1", () => resolve()));
  const front = await startHttpFront({
    port: await freePort(),
    stage: "bench",
    routes: [
      {
        service: "bench",
        route: {
          operationId: "ping",
          summary: "ping",
          method: "GET",
          path: "/ping",
          auth: { mode: "none" },
          handler: { file: "bench", export: "handler" },
          responses: { 200: { description: "ok" } },
        },
        handler: async () => async () => ({ statusCode: 200, body: '{"ok":true}' }),
      },
    ],
  });
  try {
    await httpRate(`http://127.0.0.1:${rawPort}/`, 300);
    const rawRate = await httpRate(`http://127.0.0.1:${rawPort}/`, requests);
    figures.push({ name: "http.raw", unit: "requests/s", value: rawRate });
    await httpRate(`${front.url}/ping`, 300);
    const frontRate = await httpRate(`${front.url}/ping`, requests);
    figures.push({
      name: "http.front.noopRoute",
      unit: "requests/s",
      value: frontRate,
      baseline: "http.raw",
    });
  } finally {
    await front.stop();
    await new Promise<void>((resolve) => raw.close(() => resolve()));
  }
}

function report() {
  const byName = new Map(figures.map((figure) => [figure.name, figure]));
  const lines = figures.map((figure) => {
    const base = figure.baseline ? byName.get(figure.baseline) : undefined;
    const ratio = base ? `${(figure.value / base.value).toFixed(2)} × ${base.name}` : "baseline";
    return `${figure.name.padEnd(28)} ${figure.value.toFixed(0).padStart(10)} ${figure.unit.padEnd(12)} ${ratio}`;
  });
  process.stdout.write(
    [`Smart Destination Platform benchmarks (scale ${scale}, node ${process.version})`, ...lines, ""].join(
      "\n",
    ),
  );
  process.stdout.write(`${JSON.stringify({ figures })}\n`);
}

await benchDynamoDb();
await benchKinesis();
await benchMqtt();
await benchHttpFront();
report();
