import { IoTClient } from "@aws-sdk/client-iot";
import { IoTDataPlaneClient } from "@aws-sdk/client-iot-data-plane";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  buildEventBridgePublisher,
  createDocumentClient,
  createEventBridgeClient,
  createKinesisClient,
} from "@sdp/aws";
import {
  Env,
  IotEnv,
  platformQueueEnvName,
  platformStreamEnvName,
  platformTableEnvName,
  Stage,
  tableName,
} from "@sdp/contracts";
import { loadConfig, loadConfigValue } from "@sdp/kernel";
import { z } from "zod";
import { buildBusAlertPublisher } from "./adapters/bus-alert-publisher";
import { buildIotDataPublisher, buildMqttPublisher } from "./adapters/command-publishers";
import { buildFileDeadLetterSink, buildSqsDeadLetterSink } from "./adapters/dead-letter-sinks";
import { buildDynamoDbCommandStore } from "./adapters/dynamodb-command-store";
import { buildDynamoDbDestinationDirectory } from "./adapters/dynamodb-destinations";
import { buildDynamoDbDeviceStore } from "./adapters/dynamodb-device-store";
import { buildDynamoDbHealthStore } from "./adapters/dynamodb-health-store";
import { buildIotCoreIdentityProvider } from "./adapters/iot-core-identity";
import {
  buildKinesisStreamWriter,
  buildStreamContextUpdatePublisher,
} from "./adapters/kinesis-stream-writer";
import { buildLocalBrokerIdentityProvider } from "./adapters/local-broker-identity";
import type { CommandDeps } from "./domain/commands";
import type { ConsumerDeps } from "./domain/consumer";
import type { RegistryDeps } from "./domain/devices";
import type { MonitorDeps } from "./domain/health";
import type { MeasurementDeps } from "./domain/measurements";
import type { DeadLetterSink, DeviceIdentityProvider } from "./domain/ports";
import { INGEST_SERVICE, IngestResources } from "./keys";

/** Names of the variables this service reads; infra sets them from the manifest, as the local runtime does. */
export const IngestConfigNames = {
  telemetryStream: platformStreamEnvName(INGEST_SERVICE, IngestResources.telemetryStream),
  contextUpdatesStream: platformStreamEnvName(INGEST_SERVICE, IngestResources.contextUpdatesStream),
  deadLetterQueue: platformQueueEnvName(INGEST_SERVICE, IngestResources.deadLetterQueue),
  destinationsTable: platformTableEnvName(INGEST_SERVICE, IngestResources.destinationsTable),
} as const;

const stage = () => loadConfig(z.object({ [Env.stage]: Stage }))[Env.stage];
const name = (variable: string) => loadConfigValue(variable, z.string().min(1));

/** A destination's table; the destination comes from the principal or the stream record, never the body. */
const tableOf = () => {
  const current = stage();
  return (tenant: string) => tableName(current, tenant, INGEST_SERVICE, IngestResources.table);
};

const IdentityConfig = z.discriminatedUnion(IotEnv.identityProvider, [
  z.object({ [IotEnv.identityProvider]: z.literal("iot"), [IotEnv.devicePolicy]: z.string().min(1) }),
  z.object({
    [IotEnv.identityProvider]: z.literal("local"),
    [IotEnv.localCredentialsTable]: z.string().min(1),
  }),
]);

function identityProvider(): DeviceIdentityProvider {
  const config = loadConfig(IdentityConfig);
  if (config[IotEnv.identityProvider] === "local") {
    return buildLocalBrokerIdentityProvider(
      createDocumentClient(),
      loadConfigValue(IotEnv.localCredentialsTable, z.string().min(1)),
    );
  }
  return buildIotCoreIdentityProvider(new IoTClient({ maxAttempts: 5 }), {
    stage: stage(),
    policyName: loadConfigValue(IotEnv.devicePolicy, z.string().min(1)),
  });
}

const PublisherKind = z.object({ [IotEnv.publisher]: z.enum(["iot-data", "mqtt"]) });

function commandPublisher() {
  if (loadConfig(PublisherKind)[IotEnv.publisher] === "iot-data")
    return buildIotDataPublisher(new IoTDataPlaneClient({}));
  return buildMqttPublisher({
    url: loadConfigValue(IotEnv.mqttUrl, z.url()),
    username: name(IotEnv.mqttUsername),
    password: name(IotEnv.mqttPassword),
  });
}

/** An SQS queue URL in AWS; a `file:` URL of the JSON Lines queue locally. */
function deadLetterSink(): DeadLetterSink {
  const url = loadConfigValue(IngestConfigNames.deadLetterQueue, z.url());
  return url.startsWith("file:")
    ? buildFileDeadLetterSink(url)
    : buildSqsDeadLetterSink(new SQSClient({}), url);
}

export function registryDeps(): RegistryDeps {
  const client = createDocumentClient();
  return {
    store: buildDynamoDbDeviceStore(client, tableOf()),
    identity: identityProvider(),
    destinations: buildDynamoDbDestinationDirectory(client, name(IngestConfigNames.destinationsTable)),
  };
}

export function readerDeps() {
  const client = createDocumentClient();
  return {
    store: buildDynamoDbDeviceStore(client, tableOf()),
    health: buildDynamoDbHealthStore(client, tableOf()),
    commands: buildDynamoDbCommandStore(client, tableOf()),
  };
}

export function commandDeps(): CommandDeps {
  const client = createDocumentClient();
  return {
    store: buildDynamoDbDeviceStore(client, tableOf()),
    commands: buildDynamoDbCommandStore(client, tableOf()),
    publisher: commandPublisher(),
  };
}

export function measurementDeps(): MeasurementDeps {
  return {
    store: buildDynamoDbDeviceStore(createDocumentClient(), tableOf()),
    telemetry: buildKinesisStreamWriter(createKinesisClient(), name(IngestConfigNames.telemetryStream), {
      maxAttempts: 3,
    }),
  };
}

export function consumerDeps(): ConsumerDeps {
  const client = createDocumentClient();
  return {
    devices: buildDynamoDbDeviceStore(client, tableOf()),
    health: buildDynamoDbHealthStore(client, tableOf()),
    commands: buildDynamoDbCommandStore(client, tableOf()),
    updates: buildStreamContextUpdatePublisher(
      buildKinesisStreamWriter(createKinesisClient(), name(IngestConfigNames.contextUpdatesStream), {
        maxAttempts: 5,
      }),
    ),
    deadLetters: deadLetterSink(),
  };
}

export function monitorDeps(): MonitorDeps {
  const client = createDocumentClient();
  return {
    health: buildDynamoDbHealthStore(client, tableOf()),
    destinations: buildDynamoDbDestinationDirectory(client, name(IngestConfigNames.destinationsTable)),
    // The platform bus; the schedule's handler declares `publish-events`.
    events: buildBusAlertPublisher(buildEventBridgePublisher(createEventBridgeClient(), name(Env.eventBus))),
  };
}
