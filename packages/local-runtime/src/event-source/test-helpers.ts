import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { type StreamConsumerDeclaration, withEventSourceDefaults } from "@sdp/contracts";
import type { Context, KinesisStreamEvent } from "aws-lambda";
import { z } from "zod";
import type { LambdaHandler } from "../lambda/invoke";
import type { EventSourceSettings } from "./types";

/** Helpers for the event source tests, which run against the real kinesalite and DynamoDB Local. */

export function settingsFor(overrides: Partial<StreamConsumerDeclaration> = {}): EventSourceSettings {
  return withEventSourceDefaults({
    name: "test-consumer",
    source: { kind: "kinesis", streamPurpose: "test" },
    handler: { file: "test-handler.ts", export: "handler" },
    ...overrides,
  });
}

export async function temporaryDirectory(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "sdp-esm-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function waitForStreamActive(client: KinesisClient, streamName: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { StreamDescriptionSummary: summary } = await client.send(
      new DescribeStreamSummaryCommand({ StreamName: streamName }),
    );
    if (summary?.StreamStatus === "ACTIVE" && summary.StreamARN) return summary.StreamARN;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Stream ${streamName} did not become active`);
}

export async function createStream(
  client: KinesisClient,
  shardCount = 1,
): Promise<{ name: string; arn: string }> {
  const name = `esm-${crypto.randomUUID()}`;
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  return { name, arn: await waitForStreamActive(client, name) };
}

export async function deleteStream(client: KinesisClient, name: string): Promise<void> {
  await client.send(new DeleteStreamCommand({ StreamName: name }));
}

/** Puts the payloads in order (one PutRecords call keeps their order in a shard); returns their sequence numbers. */
export async function putRecords(
  client: KinesisClient,
  streamName: string,
  payloads: readonly string[],
  partitionKey: (payload: string) => string = () => "one-key",
): Promise<string[]> {
  const response = await client.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: payloads.map((payload) => ({
        PartitionKey: partitionKey(payload),
        Data: Buffer.from(payload),
      })),
    }),
  );
  return (response.Records ?? []).map((record) => {
    if (!record.SequenceNumber) throw new Error(`PutRecords failed: ${record.ErrorCode ?? "unknown"}`);
    return record.SequenceNumber;
  });
}

export function payloads(event: KinesisStreamEvent): string[] {
  return event.Records.map((record) => Buffer.from(record.kinesis.data, "base64").toString("utf8"));
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await delay(20);
  }
}

const KinesisEventSchema = z.strictObject({
  Records: z.array(
    z.strictObject({
      kinesis: z.strictObject({
        kinesisSchemaVersion: z.string(),
        partitionKey: z.string(),
        sequenceNumber: z.string(),
        data: z.string(),
        approximateArrivalTimestamp: z.number(),
      }),
      eventSource: z.string(),
      eventVersion: z.string(),
      eventID: z.string(),
      eventName: z.string(),
      invokeIdentityArn: z.string(),
      awsRegion: z.string(),
      eventSourceARN: z.string(),
    }),
  ),
});

/** Adapts a typed test handler; parsing strictly also proves the event has exactly Lambda's fields. */
export function kinesisHandler(
  handle: (event: KinesisStreamEvent, context: Context) => Promise<unknown>,
): () => Promise<LambdaHandler> {
  return async () => (event, context) => handle(KinesisEventSchema.parse(event), context);
}
