import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { buildEventBridgePublisher, createDocumentClient, createDynamoDbClient, ensureTable } from "@sdp/aws";
import { type DeviceRegistration, destinationTemplate, platformTables, tableName } from "@sdp/contracts";
import type { EventBridgeEvent } from "aws-lambda";
// The local runtime's bus stand-in, by path: the package exports only the runtime.
import { startEventBus } from "../../../packages/local-runtime/src/events/bus";
import { freePort } from "../../../packages/local-runtime/src/net";
import { buildBusAlertPublisher } from "../src/adapters/bus-alert-publisher";
import { buildDynamoDbCommandStore } from "../src/adapters/dynamodb-command-store";
import { buildDynamoDbDestinationDirectory } from "../src/adapters/dynamodb-destinations";
import { buildDynamoDbDeviceStore } from "../src/adapters/dynamodb-device-store";
import { buildDynamoDbHealthStore } from "../src/adapters/dynamodb-health-store";
import { ALERT_EVENT_SOURCE, AlertEvent } from "../src/domain/alert-events";
import type { DeviceIdentityProvider } from "../src/domain/ports";
import { INGEST_SERVICE } from "../src/keys";
import { ingestManifest } from "../src/manifest";

/** Helpers for the ingest tests, which run against the shared DynamoDB Local and kinesalite. */

export const uniqueSlug = () => `t${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
export const uniqueDevice = () => `dev-${crypto.randomUUID().slice(0, 8)}`;

/** A destination with its own `ingest` table (as onboarding creates it) and the stores over it. */
export async function freshDestination() {
  const stage = `s${crypto.randomUUID().replaceAll("-", "").slice(0, 8)}`;
  const tenant = uniqueSlug();
  const client = createDynamoDbClient();
  const [spec] = destinationTemplate([ingestManifest]).tables;
  const [destinationsSpec] = platformTables([ingestManifest]);
  if (!spec || !destinationsSpec) throw new Error("the ingest manifest declares no tables");
  const tableOf = (slug: string) => tableName(stage, slug, INGEST_SERVICE, "");
  await ensureTable(client, tableOf(tenant), spec);
  const destinationsTable = tableName(stage, "platform", INGEST_SERVICE, "destinations");
  await ensureTable(client, destinationsTable, destinationsSpec);
  const documents = createDocumentClient(client);
  return {
    stage,
    tenant,
    tableOf,
    store: buildDynamoDbDeviceStore(documents, tableOf),
    health: buildDynamoDbHealthStore(documents, tableOf),
    commands: buildDynamoDbCommandStore(documents, tableOf),
    destinations: buildDynamoDbDestinationDirectory(documents, destinationsTable),
  };
}

/** Password identities without a broker, recording what was revoked. */
export function fakeIdentities() {
  const revoked: string[] = [];
  const identity: DeviceIdentityProvider = {
    provision: async ({ thingName }) => ({
      kind: "password",
      clientId: thingName,
      username: thingName,
      password: "secret",
    }),
    revoke: async ({ thingName }) => {
      revoked.push(thingName);
    },
  };
  return { identity, revoked };
}

export function crowdCounter(deviceId = uniqueDevice()): DeviceRegistration {
  return {
    deviceId,
    protocol: "ul2",
    entityType: "CrowdFlowObserved",
    attributes: [
      { objectId: "c", name: "peopleCount", type: "Property", valueType: "integer", unitCode: "C62" },
      { objectId: "b", name: "batteryLevel", type: "Property", unitCode: "P1" },
    ],
    staticAttributes: [],
    expectedIntervalSeconds: 60,
    explicitAttributes: false,
  };
}

export function airQualityStation(deviceId = uniqueDevice()): DeviceRegistration {
  return {
    deviceId,
    protocol: "json",
    entityType: "AirQualityObserved",
    attributes: [
      { objectId: "pm10", name: "pm10", type: "Property", unitCode: "GQ" },
      { objectId: "no2", name: "no2", type: "Property", unitCode: "GQ" },
    ],
    staticAttributes: [],
    expectedIntervalSeconds: 600,
    explicitAttributes: false,
  };
}

/**
 * The local stand-in for the platform bus (the one `npm start` runs), with a rule capturing every ingest
 * event, and the alert publisher reaching it through the real EventBridge client.
 */
export async function capturingBus() {
  const region = "eu-west-1";
  const captured: EventBridgeEvent<string, unknown>[] = [];
  const bus = await startEventBus({
    port: await freePort(),
    region,
    rules: [
      {
        name: "capture",
        pattern: { source: [ALERT_EVENT_SOURCE] },
        deliver: async (event) => void captured.push(event),
      },
    ],
  });
  return {
    bus,
    captured,
    /** What the bus delivered so far, once every delivery started has finished. */
    delivered: async () => {
      await bus.settled();
      return captured.map((event) =>
        AlertEvent.parse({ detailType: event["detail-type"], detail: event.detail }),
      );
    },
    events: alertPublisherAt(bus.endpoint, region),
  };
}

/** The alert publisher the schedule uses, at an endpoint (one attempt per call: tests wait for nothing). */
export function alertPublisherAt(endpoint: string, region = "eu-west-1") {
  const client = new EventBridgeClient({
    endpoint,
    region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  return buildBusAlertPublisher(buildEventBridgePublisher(client, "sdp-test-events"));
}
