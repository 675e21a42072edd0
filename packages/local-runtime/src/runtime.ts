import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ListStreamsCommand,
  ResourceInUseException,
} from "@aws-sdk/client-kinesis";
import { createDynamoDbClient, createKinesisClient, ensureTable } from "@sdp/aws";
import {
  DirectoryTable,
  destinationTemplate,
  Env,
  functionName,
  IotEnv,
  openApiDocument,
  PLATFORM_SCOPE,
  platformQueueEnvName,
  platformResourceName,
  platformStreamEnvName,
  platformTableEnvName,
  platformTables,
  type ServiceManifest,
  tableName,
  withEventSourceDefaults,
} from "@sdp/contracts";
import { errorFields, log } from "@sdp/kernel";
import { credentialsTableName, openDeviceCredentialStore } from "./devices/credential-store";
import { startDynamoDbLocal } from "./emulators/dynamodb-local";
import { startKinesalite } from "./emulators/kinesalite";
import { type RunningEventSourceMapping, startEventSourceMapping } from "./event-source";
import { startEventBus } from "./events/bus";
import { startScheduler } from "./events/scheduler";
import { checkAll, type HealthCheck } from "./health";
import { startHttpFront } from "./http";
import { localDirectorySignIn, localIdentityEnv, openLocalIssuer } from "./identity";
import { type BrokerIdentity, createIotRulesBridge, startMqttBroker } from "./iot";
import { invokeHandler, loadHandler } from "./lambda/invoke";
import { acquireDataDirLock } from "./lock";
import { choosePort } from "./net";
import { consoleProgress, type Progress } from "./progress";
import { type LocalQueue, openFileQueue } from "./queue/file-queue";
import type { RuntimeSummary } from "./summary";

export const LOCAL_STAGE = "local";
export const LOCAL_REGION = "eu-west-1";
export const LOCAL_TOKEN_AUDIENCE = "sdp-local";
export const PLATFORM_MQTT_SERVICE = "sdp-platform";

export const DEFAULT_PORTS = { api: 4000, dynamodb: 8000, kinesis: 4567, mqtt: 1883, events: 4010 } as const;

export interface LocalRuntimeOptions {
  readonly manifests: readonly ServiceManifest[];
  /** Repository root: handler references in manifests are relative to it. */
  readonly root: string;
  readonly dataDir: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: Progress;
  readonly host?: string;
}

export interface LocalRuntime {
  readonly summary: RuntimeSummary;
  readonly dataDir: string;
  health(): ReturnType<typeof checkAll>;
  /** Signs a token with the local issuer, as Cognito would issue one. */
  signToken(claims: Record<string, unknown>, subject: string, expiresInSeconds?: number): Promise<string>;
  /** Issues MQTT credentials for a device of a destination (the local IoT identity). */
  issueDeviceCredentials(tenant: string, thing: string): Promise<string>;
  /** Resolves once every event source mapping has caught up with its source. */
  idle(timeoutMs?: number): Promise<void>;
  queue(service: string, purpose: string): LocalQueue | undefined;
  stop(): Promise<void>;
}

interface Stoppable {
  readonly name: string;
  stop(): Promise<void> | void;
}

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

/**
 * Starts the whole platform on this machine: the emulators, the platform resources declared by the
 * manifests, the HTTP front with the authorizer, the event source mappings, the event bus and
 * schedules, the MQTT broker with its rules, and the local identity issuer. Knows no service by name.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const env = options.env ?? process.env;
  const progress = options.progress ?? consoleProgress();
  const host = options.host ?? env[Env.host] ?? "127.0.0.1";
  const auto = env[Env.ports] === "auto";
  const { manifests, root, dataDir } = options;
  const stoppables: Stoppable[] = [];
  const stopAll = async () => {
    for (const component of stoppables.reverse()) {
      try {
        await component.stop();
      } catch (error) {
        log.warn("component did not stop cleanly", { component: component.name, ...errorFields(error) });
      }
    }
    stoppables.length = 0;
  };

  mkdirSync(dataDir, { recursive: true });
  const lock = acquireDataDirLock(dataDir);
  stoppables.push({ name: "lock", stop: () => lock.release() });

  try {
    const ports = {
      api: await choosePort(env[Env.apiPort], DEFAULT_PORTS.api, auto),
      dynamodb: await choosePort(env[Env.dynamodbPort], DEFAULT_PORTS.dynamodb, auto),
      kinesis: await choosePort(env[Env.kinesisPort], DEFAULT_PORTS.kinesis, auto),
      mqtt: await choosePort(env[Env.mqttPort], DEFAULT_PORTS.mqtt, auto),
      events: await choosePort(env.SDP_EVENTS_PORT, DEFAULT_PORTS.events, auto),
    };
    const apiUrl = `http://${host}:${ports.api}`;

    const [dynamodb, kinesis] = await Promise.all([
      progress.step("DynamoDB Local (Java)", () =>
        startDynamoDbLocal({ port: ports.dynamodb, host, dataDir: join(dataDir, "dynamodb") }),
      ),
      progress.step("kinesalite (Kinesis)", () =>
        startKinesalite({ port: ports.kinesis, host, dataDir: join(dataDir, "kinesis") }),
      ),
    ]);
    stoppables.push(
      { name: "dynamodb", stop: () => dynamodb.stop() },
      { name: "kinesis", stop: () => kinesis.stop() },
    );

    // Handlers run in this process and read their configuration from the environment, as on Lambda.
    const template = destinationTemplate(manifests);
    const templateFile = join(dataDir, "destination-template.json");
    writeFileSync(templateFile, `${JSON.stringify(template, null, 2)}\n`);
    const bus = await startEventBusFor(manifests, root, ports.events, host);
    stoppables.push({ name: "events", stop: () => bus.stop() });
    Object.assign(process.env, {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "local",
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "local",
      AWS_EC2_METADATA_DISABLED: "true",
      [Env.endpointDynamodb]: dynamodb.endpoint,
      [Env.endpointDynamodbStreams]: dynamodb.endpoint,
      [Env.endpointKinesis]: kinesis.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      [Env.stage]: LOCAL_STAGE,
      [Env.eventBus]: `sdp-${LOCAL_STAGE}-events`,
      [Env.destinationProvisioner]: "dynamodb",
      [Env.destinationTemplate]: pathToFileURL(templateFile).href,
      [Env.tokenIssuer]: apiUrl,
      [Env.jwksUrl]: `${apiUrl}/.well-known/jwks.json`,
      [Env.tokenAudience]: LOCAL_TOKEN_AUDIENCE,
      ...platformResourceEnv(manifests, dataDir),
      ...localIdentityEnv(dataDir),
    });

    await progress.step("platform tables and streams", async () => {
      const client = createDynamoDbClient();
      for (const spec of platformTables(manifests)) {
        await ensureTable(client, tableName(LOCAL_STAGE, PLATFORM_SCOPE, spec.service, spec.purpose), spec);
      }
      for (const manifest of manifests) {
        for (const stream of manifest.streams ?? []) {
          await ensureKinesisStream(
            platformResourceName(LOCAL_STAGE, manifest.service, stream.purpose),
            stream.shardCount,
          );
        }
      }
    });

    const queues = new Map<string, LocalQueue>();
    for (const manifest of manifests) {
      for (const queue of manifest.queues ?? []) {
        const name = platformResourceName(LOCAL_STAGE, manifest.service, queue.purpose);
        queues.set(name, openFileQueue(name, queueFile(dataDir, name)));
      }
    }

    const issuer = await openLocalIssuer({
      keyFile: join(dataDir, "identity", "signing-key.json"),
      issuer: apiUrl,
      signIn: {
        check: localDirectorySignIn(
          tableName(LOCAL_STAGE, PLATFORM_SCOPE, DirectoryTable.service, DirectoryTable.purpose),
        ),
        audience: LOCAL_TOKEN_AUDIENCE,
      },
    });

    const mappings = new Map<string, RunningEventSourceMapping>();
    const startMapping = (key: string, create: () => RunningEventSourceMapping) => {
      if (mappings.has(key)) return;
      mappings.set(key, create());
    };
    stoppables.push({
      name: "event-source-mappings",
      stop: async () => {
        await Promise.all([...mappings.values()].map((mapping) => mapping.stop()));
      },
    });
    const checkpoints = join(dataDir, "checkpoints");
    mkdirSync(checkpoints, { recursive: true });
    const tenantConsumers: Array<{
      manifest: ServiceManifest;
      consumer: NonNullable<ServiceManifest["streamConsumers"]>[number];
    }> = [];
    for (const manifest of manifests) {
      for (const consumer of manifest.streamConsumers ?? []) {
        const name = functionName(LOCAL_STAGE, manifest.service, consumer.handler);
        const settings = withEventSourceDefaults(consumer);
        const onFailure = consumer.onFailureQueue
          ? queues.get(platformResourceName(LOCAL_STAGE, manifest.service, consumer.onFailureQueue))
          : undefined;
        const common = {
          name,
          settings,
          handler: () => loadHandler(root, consumer.handler),
          timeoutMs: (consumer.handler.timeoutSeconds ?? 10) * 1000,
          ...(onFailure ? { onFailure } : {}),
        };
        if (consumer.source.kind === "kinesis") {
          const streamName = platformResourceName(
            LOCAL_STAGE,
            consumer.source.service ?? manifest.service,
            consumer.source.streamPurpose,
          );
          startMapping(name, () =>
            startEventSourceMapping({
              ...common,
              source: { kind: "kinesis", streamName },
              checkpointFile: join(checkpoints, `${name}.json`),
            }),
          );
        } else if (consumer.source.scope === "platform") {
          const table = tableName(
            LOCAL_STAGE,
            PLATFORM_SCOPE,
            manifest.service,
            consumer.source.tablePurpose,
          );
          startMapping(name, () =>
            startEventSourceMapping({
              ...common,
              source: { kind: "dynamodb", tableName: table },
              checkpointFile: join(checkpoints, `${name}.json`),
            }),
          );
        } else {
          tenantConsumers.push({ manifest, consumer });
        }
      }
    }

    // Destinations appear at run time: each new tenant table with a declared consumer gets its mapping,
    // as the per-destination stack creates one in AWS.
    const dynamodbClient = createDynamoDbClient();
    const discoverTenantTables = async () => {
      if (tenantConsumers.length === 0) return;
      const names: string[] = [];
      let start: string | undefined;
      do {
        const page = await dynamodbClient.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
        names.push(...(page.TableNames ?? []));
        start = page.LastEvaluatedTableName;
      } while (start);
      for (const { manifest, consumer } of tenantConsumers) {
        if (consumer.source.kind !== "dynamodb") continue;
        const suffix = `-${[manifest.service, consumer.source.tablePurpose].filter(Boolean).join("-")}`;
        const prefix = `sdp-${LOCAL_STAGE}-`;
        for (const table of names) {
          if (!table.startsWith(prefix) || !table.endsWith(suffix)) continue;
          const tenant = table.slice(prefix.length, table.length - suffix.length);
          if (tenant === PLATFORM_SCOPE || tenant === "") continue;
          const name = `${functionName(LOCAL_STAGE, manifest.service, consumer.handler)}-${tenant}`;
          const onFailure = consumer.onFailureQueue
            ? queues.get(platformResourceName(LOCAL_STAGE, manifest.service, consumer.onFailureQueue))
            : undefined;
          startMapping(name, () =>
            startEventSourceMapping({
              name,
              source: { kind: "dynamodb", tableName: table },
              settings: withEventSourceDefaults(consumer),
              handler: () => loadHandler(root, consumer.handler),
              timeoutMs: (consumer.handler.timeoutSeconds ?? 10) * 1000,
              checkpointFile: join(checkpoints, `${name}.json`),
              ...(onFailure ? { onFailure } : {}),
            }),
          );
        }
      }
    };
    await discoverTenantTables();
    const discovery = setInterval(() => {
      discoverTenantTables().catch((error: unknown) =>
        log.warn("tenant table discovery failed", errorFields(error)),
      );
    }, 2_000);
    stoppables.push({ name: "tenant-discovery", stop: () => clearInterval(discovery) });

    const schedules = manifests.flatMap((manifest) =>
      (manifest.schedules ?? []).map((schedule) => ({
        name: `${manifest.service}-${schedule.name}`,
        rate: schedule.rate,
        invoke: async (event: unknown) => {
          const handler = await loadHandler(root, schedule.handler);
          await invokeHandler(handler, event, {
            functionName: functionName(LOCAL_STAGE, manifest.service, schedule.handler),
          });
        },
      })),
    );
    const scheduler = startScheduler(schedules, LOCAL_REGION);
    stoppables.push({ name: "scheduler", stop: () => scheduler.stop() });

    // Device identities live in a table the ingest service's local identity adapter writes (through
    // configuration, as in AWS it would call IoT Core) and the broker's authenticator reads.
    const credentials = await openDeviceCredentialStore({
      client: dynamodbClient,
      table: credentialsTableName(LOCAL_STAGE),
    });
    const platformServicePassword = await credentials.issueService(PLATFORM_MQTT_SERVICE);
    // The credential version each device session opened with; a revoked or re-issued credential cuts
    // the session off at its next message, as IoT Core disconnects a device whose certificate is revoked.
    const sessions = new WeakMap<BrokerIdentity, { username: string; version: string }>();
    const rules = manifests.flatMap((manifest) =>
      (manifest.iotRules ?? []).flatMap((rule) => {
        const errorQueue = queues.get(platformResourceName(LOCAL_STAGE, manifest.service, rule.errorQueue));
        if (!errorQueue)
          throw new Error(`IoT rule ${rule.name} names an undeclared queue ${rule.errorQueue}`);
        return [
          {
            name: rule.name,
            // One local rule serves every destination; AWS has one rule per destination instead.
            topicFilter: rule.topicFilter.replaceAll("{tenant}", "+"),
            streamName: platformResourceName(LOCAL_STAGE, manifest.service, rule.streamPurpose),
            partitionKey: rule.partitionKey,
            errorQueue,
          },
        ];
      }),
    );
    const bridge = createIotRulesBridge({ rules });
    // Stopped in reverse order: the broker stops first, then records it accepted are flushed.
    stoppables.push({ name: "iot-rules", stop: () => bridge.flush() });
    const broker = await progress.step("MQTT broker (IoT Core)", () =>
      startMqttBroker({
        port: ports.mqtt,
        host,
        authenticator: {
          authenticate: async (_clientId, username, password) => {
            const session = await credentials.authenticate(username, password);
            if (!session) return null;
            sessions.set(session.identity, { username: session.username, version: session.version });
            return session.identity;
          },
        },
        onMessage: async (message) => {
          const session = sessions.get(message.identity);
          if (session && !(await credentials.isCurrent(session.username, session.version))) {
            throw new Error("the credential of this connection was revoked");
          }
          await bridge.handle(message);
        },
      }),
    );
    stoppables.push({ name: "mqtt", stop: () => broker.stop() });
    // How handlers reach the device identities and publish to devices locally.
    Object.assign(process.env, {
      [IotEnv.identityProvider]: "local",
      [IotEnv.localCredentialsTable]: credentials.table,
      [IotEnv.publisher]: "mqtt",
      [IotEnv.mqttUrl]: broker.url,
      [IotEnv.mqttUsername]: PLATFORM_MQTT_SERVICE,
      [IotEnv.mqttPassword]: platformServicePassword,
    });

    const routes = manifests.flatMap((manifest) =>
      (manifest.routes ?? []).map((route) => ({
        route,
        service: manifest.service,
        handler: () => loadHandler(root, route.handler),
        timeoutMs: (route.handler.timeoutSeconds ?? 10) * 1000,
      })),
    );
    const authorizerManifest = manifests.find((manifest) => manifest.authorizer);
    const authorizerRef = authorizerManifest?.authorizer;
    const checks: Record<string, HealthCheck> = {};
    const front = await progress.step("HTTP front (API Gateway)", () =>
      startHttpFront({
        port: ports.api,
        host,
        stage: LOCAL_STAGE,
        routes,
        ...(authorizerRef && authorizerManifest
          ? {
              authorizer: {
                name: functionName(LOCAL_STAGE, authorizerManifest.service, authorizerRef),
                handler: () => loadHandler(root, authorizerRef),
              },
            }
          : {}),
        extra: async (req, res) => {
          if (req.method === "GET" && (req.url === "/health" || req.url?.startsWith("/health?"))) {
            const report = await checkAll(checks);
            res.writeHead(report.status === "ok" ? 200 : 503, { "content-type": "application/json" });
            res.end(JSON.stringify(report));
            return true;
          }
          if (req.method === "GET" && req.url === "/openapi.json") {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify(openApiDocument(manifests, apiUrl)));
            return true;
          }
          return issuer.handle(req, res);
        },
      }),
    );
    stoppables.push({ name: "http", stop: () => front.stop() });

    Object.assign(checks, {
      dynamodb: async () => {
        await dynamodbClient.send(new ListTablesCommand({ Limit: 1 }));
        return { status: "ok", endpoint: dynamodb.endpoint };
      },
      kinesis: async () => {
        await createKinesisClient().send(new ListStreamsCommand({ Limit: 1 }));
        return { status: "ok", endpoint: kinesis.endpoint };
      },
      mqtt: async () => ({ status: "ok", endpoint: broker.url, stats: broker.stats() }),
      iotRules: async () => ({ status: "ok", stats: bridge.stats() }),
      http: async () => ({ status: "ok", endpoint: front.url }),
      identity: async () => ({ status: "ok", endpoint: issuer.jwksUri }),
      events: async () => ({ status: "ok", endpoint: bus.endpoint, stats: bus.stats() }),
      eventSources: async () => {
        const stats = Object.fromEntries([...mappings].map(([name, mapping]) => [name, mapping.stats()]));
        return { status: "ok", stats };
      },
    } satisfies Record<string, HealthCheck>);

    const summary: RuntimeSummary = {
      api: front.url,
      health: `${front.url}/health`,
      mqtt: broker.url,
      dynamodb: dynamodb.endpoint,
      kinesis: kinesis.endpoint,
      events: bus.endpoint,
      issuer: issuer.issuer,
      jwks: issuer.jwksUri,
      stage: LOCAL_STAGE,
      region: LOCAL_REGION,
      dataDir,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      mqttService: { username: PLATFORM_MQTT_SERVICE, password: platformServicePassword },
    };

    return {
      summary,
      dataDir,
      health: () => checkAll(checks),
      signToken: (claims, subject, expiresInSeconds = 3600) =>
        issuer.sign(claims, { subject, audience: LOCAL_TOKEN_AUDIENCE, expiresInSeconds }),
      issueDeviceCredentials: (tenant, thing) => credentials.issueDevice(tenant, thing),
      async idle(timeoutMs = 30_000) {
        await discoverTenantTables();
        await Promise.all([...mappings.values()].map((mapping) => mapping.idle(timeoutMs)));
        await bus.settled();
      },
      queue: (service, purpose) => queues.get(platformResourceName(LOCAL_STAGE, service, purpose)),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The JSON Lines file of a local queue. */
function queueFile(dataDir: string, name: string): string {
  return join(dataDir, "queues", `${name}.jsonl`);
}

/** Environment variables naming each platform table, stream and queue, for the handlers that use them. */
function platformResourceEnv(manifests: readonly ServiceManifest[], dataDir: string): Record<string, string> {
  const entries: Array<[string, string]> = [];
  for (const manifest of manifests) {
    const streams = manifest.streams ?? [];
    for (const stream of streams) {
      entries.push([
        platformStreamEnvName(manifest.service, stream.purpose),
        platformResourceName(LOCAL_STAGE, manifest.service, stream.purpose),
      ]);
    }
    for (const queue of manifest.queues ?? []) {
      const name = platformResourceName(LOCAL_STAGE, manifest.service, queue.purpose);
      entries.push([
        platformQueueEnvName(manifest.service, queue.purpose),
        pathToFileURL(queueFile(dataDir, name)).href,
      ]);
    }
    for (const table of manifest.tables ?? []) {
      if (table.scope !== "platform") continue;
      entries.push([
        platformTableEnvName(manifest.service, table.purpose),
        tableName(LOCAL_STAGE, PLATFORM_SCOPE, manifest.service, table.purpose),
      ]);
    }
  }
  return Object.fromEntries(entries);
}

async function startEventBusFor(
  manifests: readonly ServiceManifest[],
  root: string,
  port: number,
  host: string,
) {
  const rules = manifests.flatMap((manifest) =>
    (manifest.eventConsumers ?? []).map((consumer) => ({
      name: `${manifest.service}-${consumer.name}`,
      pattern: consumer.pattern,
      deliver: async (event: unknown) => {
        const handler = await loadHandler(root, consumer.handler);
        await invokeHandler(handler, event, {
          functionName: functionName(LOCAL_STAGE, manifest.service, consumer.handler),
        });
      },
    })),
  );
  return startEventBus({ port, host, region: LOCAL_REGION, rules });
}
