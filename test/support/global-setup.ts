import { existsSync, mkdtempSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startDynamoDbLocal } from "../../packages/local-runtime/src/emulators/dynamodb-local";
import { startKinesalite } from "../../packages/local-runtime/src/emulators/kinesalite";
import { freePort } from "../../packages/local-runtime/src/net";

/**
 * One DynamoDB Local and one kinesalite for the whole run. Tests isolate themselves with unique table,
 * stream and tenant names instead of fresh emulators. DynamoDB Local keeps its file in memory-backed
 * /dev/shm where it has room (the temp dir otherwise): in a file rather than `-inMemory`, its stream
 * records can be indexed, and a run's thousands of them no longer slow every stream read down.
 */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(memoryBackedDir() ?? tmpdir(), "sdp-test-dynamodb-"));
  const [dynamodb, kinesis] = await Promise.all([
    startDynamoDbLocal({ port: await freePort(), dataDir }),
    startKinesalite({ port: await freePort() }),
  ]);
  project.provide("dynamodbEndpoint", dynamodb.endpoint);
  project.provide("kinesisEndpoint", kinesis.endpoint);
  return async () => {
    await Promise.all([dynamodb.stop(), kinesis.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  };
}

/** A run's database takes a few MiB; this leaves room to spare, and a nearly full /dev/shm alone. */
const MIN_FREE_BYTES = 256 * 1024 ** 2;

function memoryBackedDir(): string | undefined {
  const shm = "/dev/shm";
  if (!existsSync(shm)) return undefined;
  const { bavail, bsize } = statfsSync(shm);
  return bavail * bsize >= MIN_FREE_BYTES ? shm : undefined;
}

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    kinesisEndpoint: string;
  }
}
