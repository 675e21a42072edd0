import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException,
} from "@aws-sdk/client-kinesis";
import { createDynamoDbClient, createKinesisClient, ensureTable } from "@sdp/aws";
import {
  PLATFORM_SCOPE,
  platformQueueEnvName,
  platformResourceName,
  platformStreamEnvName,
  platformTableEnvName,
  platformTables,
  type ServiceManifest,
  tableName,
} from "@sdp/contracts";
import { type LocalQueue, openFileQueue } from "./queue/file-queue";

/** The platform-scoped resources every manifest declares, named as the platform stack names them in AWS. */

async function ensureKinesisStream(streamName: string, shardCount: number) {
  const kinesis = createKinesisClient();
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { StreamDescriptionSummary } = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: streamName }),
    );
    if (StreamDescriptionSummary?.StreamStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`stream ${streamName} did not become active`);
}

/** Creates the platform tables and Kinesis streams (idempotently: existing ones are kept). */
export async function ensurePlatformResources(stage: string, manifests: readonly ServiceManifest[]) {
  const client = createDynamoDbClient();
  for (const spec of platformTables(manifests)) {
    await ensureTable(client, tableName(stage, PLATFORM_SCOPE, spec.service, spec.purpose), spec);
  }
  for (const manifest of manifests) {
    for (const stream of manifest.streams ?? []) {
      await ensureKinesisStream(
        platformResourceName(stage, manifest.service, stream.purpose),
        stream.shardCount,
      );
    }
  }
}

/** The JSON Lines file of a local queue. */
function queueFile(dataDir: string, name: string): string {
  return join(dataDir, "queues", `${name}.jsonl`);
}

/** Opens every declared queue as a durable JSON Lines file, by its platform resource name. */
export function openPlatformQueues(
  stage: string,
  manifests: readonly ServiceManifest[],
  dataDir: string,
): Map<string, LocalQueue> {
  const queues = new Map<string, LocalQueue>();
  for (const manifest of manifests) {
    for (const queue of manifest.queues ?? []) {
      const name = platformResourceName(stage, manifest.service, queue.purpose);
      queues.set(name, openFileQueue(name, queueFile(dataDir, name)));
    }
  }
  return queues;
}

/** Environment variables naming each platform table, stream and queue, for the handlers that use them. */
export function platformResourceEnv(
  stage: string,
  manifests: readonly ServiceManifest[],
  dataDir: string,
): Record<string, string> {
  const entries: Array<[string, string]> = [];
  for (const manifest of manifests) {
    for (const stream of manifest.streams ?? []) {
      entries.push([
        platformStreamEnvName(manifest.service, stream.purpose),
        platformResourceName(stage, manifest.service, stream.purpose),
      ]);
    }
    for (const queue of manifest.queues ?? []) {
      const name = platformResourceName(stage, manifest.service, queue.purpose);
      entries.push([
        platformQueueEnvName(manifest.service, queue.purpose),
        pathToFileURL(queueFile(dataDir, name)).href,
      ]);
    }
    for (const table of manifest.tables ?? []) {
      if (table.scope !== "platform") continue;
      entries.push([
        platformTableEnvName(manifest.service, table.purpose),
        tableName(stage, PLATFORM_SCOPE, manifest.service, table.purpose),
      ]);
    }
  }
  return Object.fromEntries(entries);
}
