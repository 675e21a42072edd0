import { timingSafeEqual } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type _Record,
  CreateStreamCommand,
  DeleteStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  waitUntilStreamExists,
} from "@aws-sdk/client-kinesis";
import { type LocalQueue, openFileQueue } from "../queue/file-queue";
import type { BrokerIdentity, DeviceAuthenticator } from "./broker";

/**
 * Helpers shared by the iot tests (not used by runtime code): real streams on kinesalite, file queues in
 * a temporary directory, and an in-memory credential table.
 */

/** Creates a one-shard stream and waits for ACTIVE, as code must in AWS. */
export async function createStream(kinesis: KinesisClient, name: string): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30, minDelay: 1 }, { StreamName: name });
}

export async function deleteStream(kinesis: KinesisClient, name: string): Promise<void> {
  await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
}

/** Everything on the stream's only shard, oldest first. */
export async function readStream(kinesis: KinesisClient, name: string): Promise<_Record[]> {
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: name }));
  const shardId = Shards?.[0]?.ShardId;
  if (shardId === undefined) throw new Error(`stream ${name} has no shard`);
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({ StreamName: name, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }),
  );
  const records: _Record[] = [];
  let iterator = ShardIterator;
  while (iterator !== undefined) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    const batch = page.Records ?? [];
    records.push(...batch);
    if (batch.length === 0) break;
    iterator = page.NextShardIterator;
  }
  return records;
}

export interface TemporaryQueue {
  readonly queue: LocalQueue;
  remove(): Promise<void>;
}

export async function temporaryQueue(name: string): Promise<TemporaryQueue> {
  const directory = await mkdtemp(join(tmpdir(), "sdp-iot-"));
  return {
    queue: openFileQueue(name, join(directory, `${name}.jsonl`)),
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}

export interface TestCredential {
  readonly username: string;
  readonly password: string;
  readonly identity: BrokerIdentity;
}

/** Username/password pairs in memory; the broker, not this, decides what the identity may do. */
export function staticAuthenticator(credentials: readonly TestCredential[]): DeviceAuthenticator {
  return {
    async authenticate(_clientId, username, password) {
      const entry = credentials.find((candidate) => candidate.username === username);
      if (entry === undefined || password === undefined) return null;
      const expected = Buffer.from(entry.password);
      return password.length === expected.length && timingSafeEqual(password, expected)
        ? entry.identity
        : null;
    },
  };
}

/** Resolves when `condition` holds, polling; rejects after `timeoutMs`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
