import { scrypt } from "node:crypto";
import { z } from "zod";
import { TenantSlug } from "./tenancy";

/**
 * Device ingestion (DESIGN §4, the FIWARE IoT Agent model): the device registry, HTTP measurements,
 * device health and commands. Schemas here are the HTTP contract of the `ingest` service and the
 * formats other components (the local broker, the `sdp` CLI) read.
 */

// ---------------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------------

/**
 * A device id, unique within its destination. Letters, digits, `_` and `-`; at most 80 characters so
 * that the thing name `<destination>_<device>` stays within IoT Core's 128.
 */
export const DeviceId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/,
    "must be 1-80 letters, digits, _ or -, starting with a letter or digit",
  );
export type DeviceId = z.infer<typeof DeviceId>;

/**
 * The IoT thing name of a device: `<destination>_<device>`. Thing names are unique per AWS account
 * while device ids are unique per destination only; slugs never contain `_`, so the text before the
 * first `_` is always the destination and two (destination, device) pairs never share a thing name.
 * The thing name is also the device's MQTT client id and the device level of its topics.
 */
export function thingNameOf(tenant: string, deviceId: string): string {
  return `${tenant}_${deviceId}`;
}

/** The device id inside a thing name of the destination, or undefined if the thing is not one of its devices. */
export function deviceIdOfThing(tenant: string, thing: string): string | undefined {
  const prefix = `${tenant}_`;
  if (!thing.startsWith(prefix)) return undefined;
  const deviceId = thing.slice(prefix.length);
  return DeviceId.safeParse(deviceId).success ? deviceId : undefined;
}

/** The MQTT topics of a device, as the IoT policy (and the local broker) allows them. */
export const DeviceTopics = {
  /** Telemetry goes to this topic or any topic under it. */
  telemetry: (tenant: string, thing: string) => `dt/${tenant}/${thing}`,
  /** A command addressed to the device; it acknowledges on this topic + `/ack`. */
  command: (tenant: string, thing: string, commandId: string) => `cmd/${tenant}/${thing}/${commandId}`,
  /** What a device subscribes to for its commands. */
  commandFilter: (tenant: string, thing: string) => `cmd/${tenant}/${thing}/+`,
} as const;

/**
 * Partition keys on the ingest stream: `<destination>/<thing>` for telemetry (IoT rule
 * `${topic(2)}/${topic(3)}`, and HTTP ingestion), `<destination>/<thing>/ack/<commandId>` for command
 * acknowledgements. Only platform components write the stream, so the destination in a key is trusted.
 */
export type IngestRecordKey =
  | { readonly kind: "telemetry"; readonly tenant: string; readonly thing: string }
  | { readonly kind: "ack"; readonly tenant: string; readonly thing: string; readonly commandId: string };

export function telemetryPartitionKey(tenant: string, thing: string): string {
  return `${tenant}/${thing}`;
}

export function parseIngestPartitionKey(key: string): IngestRecordKey | undefined {
  const [tenant, thing, marker, commandId, ...rest] = key.split("/");
  if (tenant === undefined || thing === undefined || rest.length > 0) return undefined;
  if (!TenantSlug.safeParse(tenant).success || thing === "") return undefined;
  if (marker === undefined) return { kind: "telemetry", tenant, thing };
  if (marker === "ack" && commandId !== undefined && CommandId.safeParse(commandId).success) {
    return { kind: "ack", tenant, thing, commandId };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Device registry (IoT Agent provisioning)
// ---------------------------------------------------------------------------------------------------

export const DeviceProtocol = z.enum(["json", "ul2"]);
export type DeviceProtocol = z.infer<typeof DeviceProtocol>;

const RESERVED_ATTRIBUTES = new Set([
  "id",
  "type",
  "scope",
  "createdAt",
  "modifiedAt",
  "observedAt",
  "TimeInstant",
]);

/** An NGSI-LD attribute name as the platform accepts it (short names, expanded by the broker's @context). */
export const AttributeName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "must be 1-64 letters, digits or _, starting with a letter")
  .refine((name) => !RESERVED_ATTRIBUTES.has(name), "is reserved by NGSI-LD");

/** A Smart Data Model entity type such as `CrowdFlowObserved`. */
export const EntityType = z
  .string()
  .regex(/^[A-Z][A-Za-z0-9]{0,63}$/, "must be a Smart Data Model type such as CrowdFlowObserved");

/** An NGSI-LD entity id: `urn:ngsi-ld:<Type>:<id>`. */
export const EntityId = z
  .string()
  .max(200)
  .regex(/^urn:ngsi-ld:[A-Z][A-Za-z0-9]*:[A-Za-z0-9._~:-]+$/, "must be urn:ngsi-ld:<Type>:<id>");

export const NgsiAttributeType = z.enum(["Property", "GeoProperty", "Relationship"]);
export type NgsiAttributeType = z.infer<typeof NgsiAttributeType>;

/** How a measured value is read: UltraLight sends text, so numbers and booleans are recognised by this. */
export const MeasureValueType = z.enum(["number", "integer", "boolean", "string", "json"]);
export type MeasureValueType = z.infer<typeof MeasureValueType>;

/** A UN/CEFACT common code (Recommendation 20), e.g. `CEL`, `C62`, `P1`, `2N`. */
export const UnitCode = z
  .string()
  .regex(/^[A-Z0-9]{2,3}$/, "must be a UN/CEFACT common code such as CEL or P1");

/** One measured attribute: the device's object id (the key in its payload) and the attribute it feeds. */
export const AttributeMapping = z.strictObject({
  objectId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, _, . or -"),
  name: AttributeName,
  type: NgsiAttributeType.default("Property"),
  valueType: MeasureValueType.optional(),
  unitCode: UnitCode.optional(),
});
export type AttributeMapping = z.infer<typeof AttributeMapping>;

const Longitude = z.number().min(-180).max(180);
const Latitude = z.number().min(-90).max(90);

/** A GeoJSON point, `[longitude, latitude]` as NGSI-LD and GeoJSON order them. */
export const GeoPoint = z.strictObject({
  type: z.literal("Point"),
  coordinates: z.tuple([Longitude, Latitude]),
});
export type GeoPoint = z.infer<typeof GeoPoint>;

/** An attribute sent with every update of the entity, as IoT Agents do with static attributes. */
export const StaticAttribute = z.strictObject({
  name: AttributeName,
  type: NgsiAttributeType.default("Property"),
  value: z.json(),
  unitCode: UnitCode.optional(),
});
export type StaticAttribute = z.infer<typeof StaticAttribute>;

/** The default entity of a device: `urn:ngsi-ld:<Type>:<deviceId>`. */
export function defaultEntityId(entityType: string, deviceId: string): string {
  return `urn:ngsi-ld:${entityType}:${deviceId}`;
}

/** Body of `POST /ingest/devices` and each item of a bulk registration. */
export const DeviceRegistration = z
  .strictObject({
    deviceId: DeviceId,
    protocol: DeviceProtocol,
    entityType: EntityType,
    entityId: EntityId.optional(),
    attributes: z.array(AttributeMapping).max(100).default([]),
    staticAttributes: z.array(StaticAttribute).max(50).default([]),
    location: GeoPoint.optional(),
    /** A device silent for longer than this is reported (an incident). */
    expectedIntervalSeconds: z.number().int().min(10).max(604_800).default(900),
    /** Only mapped object ids become attributes; others are dropped (IoT Agent `explicitAttrs`). */
    explicitAttributes: z.boolean().default(false),
    description: z.string().max(500).optional(),
  })
  .superRefine((registration, context) => {
    const seen = (values: string[], path: string, what: string) => {
      const found = new Set<string>();
      for (const [index, value] of values.entries()) {
        if (found.has(value))
          context.addIssue({ code: "custom", path: [path, index], message: `repeats ${what} ${value}` });
        found.add(value);
      }
    };
    seen(
      registration.attributes.map((a) => a.objectId),
      "attributes",
      "the object id",
    );
    seen(
      [...registration.attributes.map((a) => a.name), ...registration.staticAttributes.map((a) => a.name)],
      "attributes",
      "the attribute name",
    );
    if (
      registration.entityId !== undefined &&
      !registration.entityId.startsWith(`urn:ngsi-ld:${registration.entityType}:`)
    ) {
      context.addIssue({
        code: "custom",
        path: ["entityId"],
        message: `must be urn:ngsi-ld:${registration.entityType}:<id> (the entity type)`,
      });
    }
    for (const [index, attribute] of registration.staticAttributes.entries()) {
      if (attribute.type === "GeoProperty" && !GeoPoint.safeParse(attribute.value).success) {
        context.addIssue({
          code: "custom",
          path: ["staticAttributes", index, "value"],
          message: "must be a GeoJSON Point",
        });
      }
      if (attribute.type === "Relationship" && !EntityId.safeParse(attribute.value).success) {
        context.addIssue({
          code: "custom",
          path: ["staticAttributes", index, "value"],
          message: "must be an entity id (urn:ngsi-ld:...)",
        });
      }
    }
  });
export type DeviceRegistration = z.infer<typeof DeviceRegistration>;

/** A registered device, as the registry answers it. */
export const Device = z.object({
  deviceId: DeviceId,
  protocol: DeviceProtocol,
  entityType: z.string(),
  entityId: z.string(),
  attributes: z.array(AttributeMapping),
  staticAttributes: z.array(StaticAttribute),
  location: GeoPoint.optional(),
  expectedIntervalSeconds: z.number().int(),
  explicitAttributes: z.boolean(),
  description: z.string().optional(),
  thingName: z.string(),
  /** Where the device publishes telemetry (or any topic under it). */
  telemetryTopic: z.string(),
  /** Where the device receives commands: `<commandTopicPrefix>/<commandId>`. */
  commandTopicPrefix: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Device = z.infer<typeof Device>;

/** The device's identity, shown once: an X.509 certificate in AWS, a password on the local broker. */
export const DeviceCredentials = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("x509"),
    clientId: z.string(),
    certificateArn: z.string(),
    certificateId: z.string(),
    certificatePem: z.string(),
    privateKey: z.string(),
    publicKey: z.string(),
  }),
  z.object({ kind: z.literal("password"), clientId: z.string(), username: z.string(), password: z.string() }),
]);
export type DeviceCredentials = z.infer<typeof DeviceCredentials>;

export const ProvisionedDevice = z.object({ device: Device, credentials: DeviceCredentials });
export type ProvisionedDevice = z.infer<typeof ProvisionedDevice>;

export const DeviceIdParams = z.strictObject({ deviceId: DeviceId });

export const ListDevicesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(400).optional(),
});

export const DeviceList = z.object({ items: z.array(Device), nextCursor: z.string().optional() });
export type DeviceList = z.infer<typeof DeviceList>;

/** Most devices per bulk registration (each one creates an identity). */
export const MAX_BULK_DEVICES = 200;

/**
 * Body of `POST /ingest/devices/bulk`: a JSON array of registrations, or `{ "csv": "..." }` (a
 * `text/csv` body is wrapped so). Items are validated one by one, so one bad row does not refuse the rest.
 */
export const BulkRegistrationRequest = z.union([
  z
    .array(
      z
        .record(z.string(), z.unknown())
        .meta({ description: "a DeviceRegistration, as in POST /ingest/devices" }),
    )
    .min(1)
    .max(MAX_BULK_DEVICES),
  z.strictObject({ csv: z.string().min(1).max(1_000_000) }),
]);

export const BulkRegistrationItem = z.discriminatedUnion("status", [
  z.object({
    index: z.number().int(),
    status: z.literal("created"),
    deviceId: z.string(),
    device: Device,
    credentials: DeviceCredentials,
  }),
  z.object({
    index: z.number().int(),
    status: z.literal("failed"),
    deviceId: z.string().optional(),
    code: z.string(),
    errors: z.array(z.object({ field: z.string(), reason: z.string() })),
  }),
]);
export const BulkRegistrationResult = z.object({
  created: z.number().int(),
  failed: z.number().int(),
  results: z.array(BulkRegistrationItem),
});
export type BulkRegistrationResult = z.infer<typeof BulkRegistrationResult>;

// ---------------------------------------------------------------------------------------------------
// Measurements over HTTP (systems and SMEs)
// ---------------------------------------------------------------------------------------------------

/** Largest single measurement payload, on every channel; larger records are refused or dead-lettered. */
export const MAX_MEASUREMENT_BYTES = 32 * 1024;
/** Most measurements per request: one Kinesis PutRecords. */
export const MAX_MEASUREMENTS_PER_REQUEST = 500;
/** Largest sum of payloads per request. */
export const MAX_MEASUREMENT_REQUEST_BYTES = 1024 * 1024;

/**
 * Body of `POST /ingest/measurements`. A payload is what the device would publish: an UltraLight 2.0
 * string for `ul2` devices, a JSON object (or array of objects) for `json` devices. A `text/plain`
 * UltraLight body with `?i=<deviceId>` (the IoT Agent's HTTP binding) is wrapped into this form.
 */
export const IngestMeasurementsRequest = z.strictObject({
  measurements: z
    .array(z.strictObject({ deviceId: z.string().min(1).max(200), payload: z.json() }))
    .min(1)
    .max(MAX_MEASUREMENTS_PER_REQUEST),
});
export type IngestMeasurementsRequest = z.infer<typeof IngestMeasurementsRequest>;

export const MeasurementRejection = z.enum([
  "invalid-device-id",
  "unknown-device",
  "oversized",
  "malformed-payload",
  "throttled",
]);
export type MeasurementRejection = z.infer<typeof MeasurementRejection>;

export const MeasurementResult = z.discriminatedUnion("status", [
  z.object({
    index: z.number().int(),
    deviceId: z.string(),
    status: z.literal("accepted"),
    sequenceNumber: z.string(),
  }),
  z.object({
    index: z.number().int(),
    deviceId: z.string(),
    status: z.literal("rejected"),
    code: MeasurementRejection,
    reason: z.string(),
  }),
]);
export type MeasurementResult = z.infer<typeof MeasurementResult>;

export const IngestMeasurementsResult = z.object({
  accepted: z.number().int(),
  rejected: z.number().int(),
  results: z.array(MeasurementResult),
});
export type IngestMeasurementsResult = z.infer<typeof IngestMeasurementsResult>;

// ---------------------------------------------------------------------------------------------------
// Commands to actuators
// ---------------------------------------------------------------------------------------------------

/** A command id (a ULID): one topic level, no wildcards. */
export const CommandId = z
  .string()
  .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, "must be a command id this API returned");

export const SendCommandRequest = z.strictObject({
  command: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "must be 1-64 letters, digits or _"),
  /** UltraLight devices receive it as text: `<device>@<command>|<params>`. */
  params: z
    .union([
      z
        .string()
        .max(1000)
        .regex(/^[^|#@\n]*$/, "must not contain | # @ or newlines"),
      z.number(),
      z.boolean(),
      z.record(z.string(), z.json()),
    ])
    .optional(),
});
export type SendCommandRequest = z.infer<typeof SendCommandRequest>;

export const CommandStatus = z.enum(["pending", "sent", "acknowledged", "failed"]);

export const Command = z.object({
  commandId: z.string(),
  deviceId: z.string(),
  command: z.string(),
  params: z.json().optional(),
  status: CommandStatus,
  topic: z.string(),
  createdAt: z.iso.datetime(),
  sentAt: z.iso.datetime().optional(),
  acknowledgedAt: z.iso.datetime().optional(),
  result: z.json().optional(),
  failure: z.string().optional(),
});
export type Command = z.infer<typeof Command>;

export const CommandParams = z.strictObject({ deviceId: DeviceId, commandId: CommandId });

// ---------------------------------------------------------------------------------------------------
// Device health (monitoring)
// ---------------------------------------------------------------------------------------------------

export const DeviceHealthStatus = z.enum(["online", "silent", "never-seen"]);

export const DeviceAlert = z.object({
  deviceId: z.string(),
  kind: z.literal("silent"),
  /** When the device was last heard of (or registered, if never). */
  silentSince: z.iso.datetime(),
  raisedAt: z.iso.datetime(),
  clearedAt: z.iso.datetime().optional(),
});
export type DeviceAlert = z.infer<typeof DeviceAlert>;

export const DeviceHealth = z.object({
  deviceId: z.string(),
  entityId: z.string(),
  status: DeviceHealthStatus,
  expectedIntervalSeconds: z.number().int(),
  registeredAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime().optional(),
  lastObservedAt: z.iso.datetime().optional(),
  messageCount: z.number().int(),
  decodeErrorCount: z.number().int(),
  /** Messages per minute over the current measuring window (up to 15 minutes). */
  messagesPerMinute: z.number(),
  battery: z.number().optional(),
  alert: DeviceAlert.optional(),
});
export type DeviceHealth = z.infer<typeof DeviceHealth>;

export const FleetHealthQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(500),
  cursor: z.string().max(400).optional(),
});

export const FleetHealth = z.object({
  destination: z.string(),
  devices: z.number().int(),
  online: z.number().int(),
  silent: z.number().int(),
  neverSeen: z.number().int(),
  messages: z.number().int(),
  decodeErrors: z.number().int(),
  /** Records dead-lettered by the stream consumer, by reason. */
  deadLetters: z.record(z.string(), z.number().int()),
  items: z.array(DeviceHealth),
  nextCursor: z.string().optional(),
});
export type FleetHealth = z.infer<typeof FleetHealth>;

export const AlertList = z.object({ active: z.array(DeviceAlert), recent: z.array(DeviceAlert) });

// ---------------------------------------------------------------------------------------------------
// Dead letters
// ---------------------------------------------------------------------------------------------------

export const DeadLetterReason = z.enum([
  "malformed-payload",
  "unknown-device",
  "unknown-destination",
  "oversized",
  "invalid-partition-key",
]);
export type DeadLetterReason = z.infer<typeof DeadLetterReason>;

/**
 * A record of the ingest stream the consumer could never process, with the reason. It carries the
 * record itself, so `sdp dlq replay` can put it back on its stream unchanged.
 */
export const IngestDeadLetter = z.object({
  kind: z.literal("ingest-record"),
  reason: DeadLetterReason,
  detail: z.string(),
  stream: z.string(),
  partitionKey: z.string(),
  sequenceNumber: z.string(),
  approximateArrivalTimestamp: z.iso.datetime(),
  /** The record's data, base64. */
  data: z.string(),
  tenant: z.string().optional(),
  deviceId: z.string().optional(),
  deadLetteredAt: z.iso.datetime(),
});
export type IngestDeadLetter = z.infer<typeof IngestDeadLetter>;

// ---------------------------------------------------------------------------------------------------
// Configuration shared with infra and the local runtime
// ---------------------------------------------------------------------------------------------------

/** How the platform reaches IoT Core (or its local stand-in). Set by infra, and by the local runtime. */
export const IotEnv = {
  /** `iot`: things and X.509 certificates in IoT Core; `local`: passwords in the local broker's table. */
  identityProvider: "SDP_IOT_IDENTITY_PROVIDER",
  /** The IoT policy every device certificate gets (infra creates it from the topic grammar). */
  devicePolicy: "SDP_IOT_DEVICE_POLICY",
  /** The local broker's credential table (local only). */
  localCredentialsTable: "SDP_IOT_LOCAL_CREDENTIALS_TABLE",
  /** `iot-data`: IoT data-plane Publish; `mqtt`: the local broker, with the platform's service credential. */
  publisher: "SDP_IOT_PUBLISHER",
  mqttUrl: "SDP_IOT_MQTT_URL",
  mqttUsername: "SDP_IOT_MQTT_USERNAME",
  mqttPassword: "SDP_IOT_MQTT_PASSWORD",
} as const;

/** The per-destination thing group, as infra's destination stack names it. */
export function deviceThingGroupName(stage: string, tenant: string): string {
  return `sdp-${stage}-${tenant}`;
}

/** The thing attribute naming a device's destination, read by the IoT policy as a policy variable. */
export const THING_DESTINATION_ATTRIBUTE = "destination";

/**
 * A credential of the local broker (DESIGN §5: username and password stand in for the certificate),
 * one item per username in the runtime's credential table. Only a salted scrypt hash is stored.
 */
export const LocalBrokerCredential = z.object({
  username: z.string(),
  kind: z.enum(["device", "service"]),
  tenant: z.string().optional(),
  salt: z.string(),
  hash: z.string(),
  /** Changes when the credential is re-issued: sessions opened with an older one are cut off. */
  version: z.string(),
  issuedAt: z.string(),
});
export type LocalBrokerCredential = z.infer<typeof LocalBrokerCredential>;

/** The salted hash of a local broker secret (scrypt, 32 bytes, hex). */
export function hashLocalSecret(secret: string, salt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, 32, (error, key) => (error ? reject(error) : resolve(key.toString("hex"))));
  });
}
