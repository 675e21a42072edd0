import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { ListStreamsCommand } from "@aws-sdk/client-kinesis";
import { createDynamoDbClient, createKinesisClient } from "@sdp/aws";
import {
  DirectoryTable,
  destinationTemplate,
  Env,
  functionName,
  IotEnv,
  openApiDocument,
  PLATFORM_SCOPE,
  platformResourceName,
  type ServiceManifest,
  tableName,
} from "@sdp/contracts";
import { errorFields, log } from "@sdp/kernel";
import { credentialsTableName, openDeviceCredentialStore } from "./devices/credential-store";
import { startDynamoDbLocal } from "./emulators/dynamodb-local";
import { startKinesalite } from "./emulators/kinesalite";
import { startEventBusFor, startSchedulesFor } from "./events/wiring";
import { checkAll, type HealthCheck } from "./health";
import { startHttpFront } from "./http";
import { localDirectorySignIn, localIdentityEnv, openLocalIssuer } from "./identity";
import { type BrokerIdentity, createIotRulesBridge, startMqttBroker } from "./iot";
import { loadHandler } from "./lambda/invoke";
import { acquireDataDirLock } from "./lock";
import { choosePort } from "./net";
import { ensurePlatformResources, openPlatformQueues, platformResourceEnv } from "./platform-resources";
import { consoleProgress, type Progress } from "./progress";
import type { LocalQueue } from "./queue/file-queue";
import { startStreamMappings } from "./stream-mappings";
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
    const bus = await startEventBusFor({
      stage: LOCAL_STAGE,
      region: LOCAL_REGION,
      manifests,
      root,
      port: ports.events,
      host,
    });
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
      ...platformResourceEnv(LOCAL_STAGE, manifests, dataDir),
      ...localIdentityEnv(dataDir),
    });

    await progress.step("platform tables and streams", () => ensurePlatformResources(LOCAL_STAGE, manifests));
    const queues = openPlatformQueues(LOCAL_STAGE, manifests, dataDir);

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

    const dynamodbClient = createDynamoDbClient();
    const mappings = await startStreamMappings({
      stage: LOCAL_STAGE,
      manifests,
      root,
      dataDir,
      queues,
      dynamodb: dynamodbClient,
    });
    stoppables.push({ name: "event-source-mappings", stop: () => mappings.stop() });

    const scheduler = startSchedulesFor({ stage: LOCAL_STAGE, region: LOCAL_REGION, manifests, root });
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
      eventSources: async () => ({ status: "ok", stats: mappings.stats() }),
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
        await mappings.idle(timeoutMs);
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
