import {
  AlertList,
  BulkRegistrationRequest,
  BulkRegistrationResult,
  Command,
  CommandParams,
  Device,
  DeviceHealth,
  DeviceIdParams,
  DeviceList,
  DeviceRegistration,
  defineService,
  FleetHealth,
  FleetHealthQuery,
  IngestMeasurementsRequest,
  IngestMeasurementsResult,
  ListDevicesQuery,
  ProvisionedDevice,
  SendCommandRequest,
} from "@sdp/contracts";
import { INGEST_SERVICE, IngestKeys, IngestResources } from "./keys";

const handler = (name: string, extra: { timeoutSeconds?: number; memoryMb?: number } = {}) => ({
  file: `functions/ingest/src/handlers/${name}.ts`,
  export: "handler",
  ...extra,
});

/** Destination admins and operators, and platform administrators naming the destination. */
const operators = {
  mode: "authorizer",
  principals: ["staff", "platform-admin"],
  staffRoles: ["admin", "operator"],
} as const;
/** Every staff role may watch the fleet. */
const staff = { mode: "authorizer", principals: ["staff", "platform-admin"] } as const;
/** Systems and SMEs with an API key scoped `ingest:write`, and operators. */
const ingestWriters = {
  mode: "authorizer",
  principals: ["sme", "staff", "platform-admin"],
  staffRoles: ["admin", "operator"],
  scope: "ingest:write",
} as const;

/**
 * Ingestion (DESIGN §4): the device registry and identities, the IoT rules into the ingest stream, HTTP
 * ingestion, the stream consumer that turns measurements into NGSI-LD context updates, device health
 * and commands to actuators.
 */
export const ingestManifest = defineService({
  service: INGEST_SERVICE,
  description: "Devices and systems feeding the destination: registry, ingestion, health and commands",
  tables: [
    {
      purpose: IngestResources.table,
      scope: "tenant",
      partitionKey: { name: IngestKeys.pk, type: "S" },
      sortKey: { name: IngestKeys.sk, type: "S" },
      ttlAttribute: IngestKeys.ttl,
    },
    {
      purpose: IngestResources.destinationsTable,
      scope: "platform",
      partitionKey: { name: IngestKeys.slug, type: "S" },
    },
  ],
  streams: [
    // The standard tier shares these regional streams (DESIGN §4).
    { purpose: IngestResources.telemetryStream, shardCount: 2, retentionHours: 48 },
    { purpose: IngestResources.contextUpdatesStream, shardCount: 2, retentionHours: 48 },
  ],
  queues: [{ purpose: IngestResources.deadLetterQueue }],
  iotRules: [
    {
      name: "telemetry",
      topicFilter: "dt/{tenant}/+/#",
      streamPurpose: IngestResources.telemetryStream,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT substitution template, not a JavaScript one.
      partitionKey: "${topic(2)}/${topic(3)}",
      errorQueue: IngestResources.deadLetterQueue,
    },
    {
      name: "commandAcks",
      topicFilter: "cmd/{tenant}/+/+/ack",
      streamPurpose: IngestResources.telemetryStream,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT substitution template, not a JavaScript one.
      partitionKey: "${topic(2)}/${topic(3)}/ack/${topic(4)}",
      errorQueue: IngestResources.deadLetterQueue,
    },
  ],
  streamConsumers: [
    {
      name: "telemetry",
      source: { kind: "kinesis", streamPurpose: IngestResources.telemetryStream },
      handler: handler("consumeTelemetry", { timeoutSeconds: 60, memoryMb: 1024 }),
      batchSize: 500,
      maximumBatchingWindowSeconds: 1,
      startingPosition: "TRIM_HORIZON",
      maximumRetryAttempts: 10,
      maximumRecordAgeSeconds: 86_400,
      bisectBatchOnFunctionError: true,
      reportBatchItemFailures: true,
      onFailureQueue: IngestResources.deadLetterQueue,
    },
  ],
  schedules: [
    {
      name: "detectSilentDevices",
      rate: "rate(1 minute)",
      // It publishes the alert events of each destination's outbox.
      handler: {
        ...handler("detectSilentDevices", { timeoutSeconds: 60 }),
        capabilities: ["publish-events"],
      },
    },
  ],
  routes: [
    {
      operationId: "registerDevice",
      summary: "Register a device: its entity, attribute mapping and identity (credentials are shown once)",
      method: "POST",
      path: "/ingest/devices",
      auth: operators,
      handler: { ...handler("registerDevice"), capabilities: ["manage-devices"] },
      request: { body: DeviceRegistration },
      responses: {
        201: {
          description: "Registered; the credentials are in this answer only",
          schema: ProvisionedDevice,
        },
        409: { description: "A device with this id exists in the destination" },
      },
    },
    {
      operationId: "importDevices",
      summary: "Register devices in bulk: a JSON array of registrations, or CSV (text/csv or {csv})",
      method: "POST",
      path: "/ingest/device-imports",
      auth: operators,
      handler: { ...handler("importDevices", { timeoutSeconds: 60 }), capabilities: ["manage-devices"] },
      request: { body: BulkRegistrationRequest },
      responses: {
        201: { description: "Every device registered", schema: BulkRegistrationResult },
        207: {
          description: "Some devices registered; each failure says why",
          schema: BulkRegistrationResult,
        },
        422: { description: "No device could be registered" },
      },
    },
    {
      operationId: "listDevices",
      summary: "List the destination's devices",
      method: "GET",
      path: "/ingest/devices",
      auth: staff,
      handler: handler("listDevices"),
      request: { query: ListDevicesQuery },
      responses: { 200: { description: "A page of devices", schema: DeviceList } },
    },
    {
      operationId: "getDevice",
      summary: "Read a device",
      method: "GET",
      path: "/ingest/devices/{deviceId}",
      auth: staff,
      handler: handler("getDevice"),
      request: { params: DeviceIdParams },
      responses: {
        200: { description: "The device", schema: Device },
        404: { description: "Unknown device" },
      },
    },
    {
      operationId: "deleteDevice",
      summary: "Deprovision a device: its identity is revoked at once, its registry entry removed",
      method: "DELETE",
      path: "/ingest/devices/{deviceId}",
      auth: operators,
      handler: { ...handler("deleteDevice"), capabilities: ["manage-devices"] },
      request: { params: DeviceIdParams },
      responses: { 204: { description: "Deprovisioned" }, 404: { description: "Unknown device" } },
    },
    {
      operationId: "rotateDeviceCredentials",
      summary:
        "Replace a device's identity: the old credentials stop working at once, the new ones are shown once",
      method: "POST",
      path: "/ingest/devices/{deviceId}/credentials",
      auth: operators,
      handler: { ...handler("rotateDeviceCredentials"), capabilities: ["manage-devices"] },
      request: { params: DeviceIdParams },
      responses: {
        201: { description: "New credentials; they are in this answer only", schema: ProvisionedDevice },
        404: { description: "Unknown device" },
      },
    },
    {
      operationId: "sendCommand",
      summary: "Send a command to an actuator (MQTT cmd/<destination>/<thing>/<commandId>)",
      method: "POST",
      path: "/ingest/devices/{deviceId}/commands",
      auth: operators,
      handler: { ...handler("sendCommand"), capabilities: ["publish-mqtt"] },
      request: { params: DeviceIdParams, body: SendCommandRequest },
      responses: {
        202: { description: "Sent; the device acknowledges on .../<commandId>/ack", schema: Command },
        404: { description: "Unknown device" },
        502: { description: "The message broker did not take the command" },
      },
    },
    {
      operationId: "getCommand",
      summary: "Read a command and its acknowledgement",
      method: "GET",
      path: "/ingest/devices/{deviceId}/commands/{commandId}",
      auth: staff,
      handler: handler("getCommand"),
      request: { params: CommandParams },
      responses: {
        200: { description: "The command", schema: Command },
        404: { description: "Unknown command" },
      },
    },
    {
      operationId: "getDeviceHealth",
      summary: "A device's health: last seen, message rate, decode errors, battery, open alert",
      method: "GET",
      path: "/ingest/devices/{deviceId}/health",
      auth: staff,
      handler: handler("getDeviceHealth"),
      request: { params: DeviceIdParams },
      responses: {
        200: { description: "The device's health", schema: DeviceHealth },
        404: { description: "Unknown device" },
      },
    },
    {
      operationId: "getFleetHealth",
      summary: "The health of the destination's devices",
      method: "GET",
      path: "/ingest/health",
      auth: staff,
      handler: handler("getFleetHealth"),
      request: { query: FleetHealthQuery },
      responses: { 200: { description: "Fleet health", schema: FleetHealth } },
    },
    {
      operationId: "listAlerts",
      summary: "Open device alerts (silent devices) and recently cleared ones",
      method: "GET",
      path: "/ingest/alerts",
      auth: staff,
      handler: handler("listAlerts"),
      responses: { 200: { description: "Alerts", schema: AlertList } },
    },
    {
      operationId: "ingestMeasurements",
      summary:
        "Send measurements of registered devices (JSON or UltraLight 2.0; a text/plain UltraLight body with ?i=<deviceId> also works)",
      method: "POST",
      path: "/ingest/measurements",
      auth: ingestWriters,
      handler: handler("ingestMeasurements"),
      request: { body: IngestMeasurementsRequest },
      responses: {
        202: {
          description: "Every measurement accepted onto the ingest stream",
          schema: IngestMeasurementsResult,
        },
        207: {
          description: "Some measurements accepted; each refusal says why",
          schema: IngestMeasurementsResult,
        },
        413: { description: "The measurements exceed the request size limit" },
        422: { description: "No measurement was accepted; each refusal says why" },
      },
    },
  ],
});
