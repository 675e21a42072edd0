import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import {
  functionName,
  PLATFORM_SCOPE,
  platformResourceName,
  type ServiceManifest,
  tableName,
  withEventSourceDefaults,
} from "@sdp/contracts";
import { errorFields, log } from "@sdp/kernel";
import { type RunningEventSourceMapping, startEventSourceMapping } from "./event-source";
import { loadHandler } from "./lambda/invoke";
import type { LocalQueue } from "./queue/file-queue";

type StreamConsumer = NonNullable<ServiceManifest["streamConsumers"]>[number];

export interface StreamMappingsOptions {
  readonly stage: string;
  readonly manifests: readonly ServiceManifest[];
  /** Repository root: handler references in manifests are relative to it. */
  readonly root: string;
  readonly dataDir: string;
  readonly queues: ReadonlyMap<string, LocalQueue>;
  readonly dynamodb: DynamoDBClient;
}

export interface StreamMappings {
  /** Starts the mappings of destinations created since the last look. */
  discover(): Promise<void>;
  /** Resolves once every mapping has caught up with its source. */
  idle(timeoutMs: number): Promise<void>;
  stats(): Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * The event source mappings of every declared stream consumer: platform streams and tables at once,
 * and each destination's tables as they appear (polled every 2 s), as the per-destination stack creates
 * their mappings in AWS. Checkpoints are kept on disk so a restart resumes where it stopped.
 */
export async function startStreamMappings(options: StreamMappingsOptions): Promise<StreamMappings> {
  const { stage, manifests, root, queues } = options;
  const mappings = new Map<string, RunningEventSourceMapping>();
  const checkpoints = join(options.dataDir, "checkpoints");
  mkdirSync(checkpoints, { recursive: true });

  const start = (
    name: string,
    manifest: ServiceManifest,
    consumer: StreamConsumer,
    source: Parameters<typeof startEventSourceMapping>[0]["source"],
  ) => {
    if (mappings.has(name)) return;
    const onFailure = consumer.onFailureQueue
      ? queues.get(platformResourceName(stage, manifest.service, consumer.onFailureQueue))
      : undefined;
    mappings.set(
      name,
      startEventSourceMapping({
        name,
        source,
        settings: withEventSourceDefaults(consumer),
        handler: () => loadHandler(root, consumer.handler),
        timeoutMs: (consumer.handler.timeoutSeconds ?? 10) * 1000,
        checkpointFile: join(checkpoints, `${name}.json`),
        ...(onFailure ? { onFailure } : {}),
      }),
    );
  };

  const tenantConsumers: Array<{
    manifest: ServiceManifest;
    consumer: StreamConsumer;
    tablePurpose: string;
  }> = [];
  for (const manifest of manifests) {
    for (const consumer of manifest.streamConsumers ?? []) {
      const name = functionName(stage, manifest.service, consumer.handler);
      const { source } = consumer;
      if (source.kind === "kinesis") {
        const streamName = platformResourceName(
          stage,
          source.service ?? manifest.service,
          source.streamPurpose,
        );
        start(name, manifest, consumer, { kind: "kinesis", streamName });
      } else if (source.scope === "platform") {
        const table = tableName(stage, PLATFORM_SCOPE, manifest.service, source.tablePurpose);
        start(name, manifest, consumer, { kind: "dynamodb", tableName: table });
      } else {
        tenantConsumers.push({ manifest, consumer, tablePurpose: source.tablePurpose });
      }
    }
  }

  const discover = async () => {
    if (tenantConsumers.length === 0) return;
    const names: string[] = [];
    let startName: string | undefined;
    do {
      const page = await options.dynamodb.send(new ListTablesCommand({ ExclusiveStartTableName: startName }));
      names.push(...(page.TableNames ?? []));
      startName = page.LastEvaluatedTableName;
    } while (startName);
    const prefix = `sdp-${stage}-`;
    for (const { manifest, consumer, tablePurpose } of tenantConsumers) {
      const suffix = `-${[manifest.service, tablePurpose].filter(Boolean).join("-")}`;
      for (const table of names) {
        if (!table.startsWith(prefix) || !table.endsWith(suffix)) continue;
        const tenant = table.slice(prefix.length, table.length - suffix.length);
        if (tenant === PLATFORM_SCOPE || tenant === "") continue;
        const name = `${functionName(stage, manifest.service, consumer.handler)}-${tenant}`;
        start(name, manifest, consumer, { kind: "dynamodb", tableName: table });
      }
    }
  };

  await discover();
  const timer = setInterval(() => {
    discover().catch((error: unknown) => log.warn("tenant table discovery failed", errorFields(error)));
  }, 2_000);

  return {
    discover,
    async idle(timeoutMs) {
      await discover();
      await Promise.all([...mappings.values()].map((mapping) => mapping.idle(timeoutMs)));
    },
    stats: () => Object.fromEntries([...mappings].map(([name, mapping]) => [name, mapping.stats()])),
    async stop() {
      clearInterval(timer);
      await Promise.all([...mappings.values()].map((mapping) => mapping.stop()));
    },
  };
}
