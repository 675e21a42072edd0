import type { z } from "zod";
import { AuditTable } from "./audit";
import type { PrincipalKind, StaffRole } from "./principal";

/**
 * A service manifest (DESIGN §2) declares everything about a service's wiring once: the CDK app and
 * the local runtime are both generated from it. Manifests are plain data; handlers are referenced by
 * module path so that reading a manifest never loads handler code.
 */
export interface HandlerRef {
  /** Module path relative to the repository root, e.g. `functions/tenants/src/handlers/createTenant.ts`. */
  readonly file: string;
  /** Name of the exported Lambda handler function. */
  readonly export: string;
  /** Lambda memory in MB (default 512) and timeout in seconds (default 10). */
  readonly memoryMb?: number;
  readonly timeoutSeconds?: number;
  /** Privileges beyond the service's own resources, granted by infra only to this function. */
  readonly capabilities?: readonly HandlerCapability[];
}

/**
 * A privilege beyond the service's own resources. Infra grants each one, with the configuration it
 * implies, only to the functions whose handler declares it (docs/operations.md lists the resources):
 * - `provision-destinations`: deploys and deletes per-destination stacks (the tenants provisioner);
 * - `archive-destinations`: reads every table of a destination (consistent scans) and writes its export
 *   archive (`SDP_ARCHIVE_STORE`, `SDP_ARCHIVE_BUCKET`);
 * - `manage-staff`: creates, lists and removes staff accounts and their groups in the staff user pool
 *   (`SDP_USER_DIRECTORY`, `SDP_USER_POOL_ID`);
 * - `hash-api-keys`: holds the API key pepper, the secret of the keyed hash of key secrets
 *   (`SDP_API_KEY_PEPPER`);
 * - `manage-devices`: creates and revokes device identities in IoT Core — things, certificates, the one
 *   device policy's attachments, thing-group membership (`SDP_IOT_IDENTITY_PROVIDER`, `SDP_IOT_DEVICE_POLICY`);
 * - `publish-mqtt`: publishes commands and notifications through IoT Core's data plane, on the topics
 *   of `PLATFORM_PUBLISH_GRAMMAR` (`SDP_IOT_PUBLISHER`, `AWS_ENDPOINT_URL_IOT_DATA_PLANE`);
 * - `publish-events`: puts domain events on the platform event bus, and on no other bus
 *   (`events:PutEvents`; the bus's name is in every function's `SDP_EVENT_BUS`). Stream consumers may
 *   publish without it (they drain outboxes); other handlers that drain one declare it.
 */
export type HandlerCapability =
  | "provision-destinations"
  | "archive-destinations"
  | "manage-staff"
  | "hash-api-keys"
  | "manage-devices"
  | "publish-mqtt"
  | "publish-events";

export const HANDLER_CAPABILITIES: readonly HandlerCapability[] = [
  "provision-destinations",
  "archive-destinations",
  "manage-staff",
  "hash-api-keys",
  "manage-devices",
  "publish-mqtt",
  "publish-events",
];

/** Writes a reader of another service's table may be granted besides reading: only these, and only if declared. */
export type TableWrite = "update" | "put";

/**
 * A table that another service declares and this one reads (a published contract of that service):
 * GetItem, BatchGetItem, Query, Scan and ConditionCheckItem on the table and its indexes, plus the
 * writes listed in `also` — `update` (UpdateItem: counters, timestamps) or `put` (PutItem, also inside
 * TransactWriteItems: appends). The variable naming a platform table is `platformTableEnvName(service,
 * tablePurpose)`; a tenant table is named from the principal's destination, as its owner does.
 */
export interface TableReadDeclaration {
  readonly service: string;
  readonly tablePurpose: string;
  readonly scope: "tenant" | "platform";
  readonly also?: readonly TableWrite[];
  /** Why, in a sentence: it becomes the reason next to the grant. */
  readonly why: string;
}

/** Methods whose calls lambda-kit's audit trail appends to the destination's audit log. */
export const STATE_CHANGING_METHODS: ReadonlySet<HttpMethod> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * What every function serving a state-changing route reads and writes although the tenants service
 * declares it: lambda-kit appends each such call to the destination's hash-chained audit log (reads the
 * chain's head, then puts the entry and the new head in one transaction).
 */
export const ROUTE_TABLE_READS: readonly TableReadDeclaration[] = [
  {
    service: AuditTable.service,
    tablePurpose: AuditTable.purpose,
    scope: "tenant",
    also: ["put"],
    why: "lambda-kit appends every state-changing call to the destination's audit chain",
  },
];

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Who may reach a route before the handler's own checks. `none` skips the authorizer. */
export type RouteAuth =
  | { readonly mode: "none" }
  | {
      readonly mode: "authorizer";
      /** Principal kinds admitted; the handler may narrow further (e.g. by record). */
      readonly principals: readonly PrincipalKind[];
      /** For staff principals, the roles admitted (any of). Omitted: every staff role. */
      readonly staffRoles?: readonly StaffRole[];
      /** For SME principals, the API key scope required. */
      readonly scope?: string;
    };

export interface RouteResponse {
  readonly description: string;
  readonly schema?: z.ZodType;
}

export interface RouteDeclaration {
  readonly operationId: string;
  readonly summary: string;
  readonly method: HttpMethod;
  /** API Gateway resource path with `{param}` segments, e.g. `/platform/tenants/{slug}`. */
  readonly path: string;
  readonly auth: RouteAuth;
  readonly handler: HandlerRef;
  readonly request?: {
    readonly params?: z.ZodType;
    readonly query?: z.ZodType;
    readonly body?: z.ZodType;
    readonly headers?: z.ZodType;
  };
  readonly responses: Readonly<Record<number, RouteResponse>>;
}

export type AttributeType = "S" | "N" | "B";

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface IndexDeclaration {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly projection: "ALL" | "KEYS_ONLY";
}

export type StreamViewType = "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES" | "KEYS_ONLY";

export interface TableDeclaration {
  /** Purpose suffix of the physical name; empty for the service's main table. */
  readonly purpose: string;
  /** `tenant`: one table per destination; `platform`: one control-plane table. */
  readonly scope: "tenant" | "platform";
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly indexes?: readonly IndexDeclaration[];
  readonly ttlAttribute?: string;
  readonly stream?: StreamViewType;
}

/** A platform-scope Kinesis data stream owned by the service. */
export interface KinesisStreamDeclaration {
  readonly purpose: string;
  readonly shardCount: number;
  readonly retentionHours?: number;
}

/** A platform-scope dead-letter queue owned by the service. */
export interface QueueDeclaration {
  readonly purpose: string;
}

export type StreamSource =
  | { readonly kind: "dynamodb"; readonly tablePurpose: string; readonly scope: "tenant" | "platform" }
  | {
      readonly kind: "kinesis";
      readonly streamPurpose: string;
      /** The service that declares the stream, when it is another one (a published contract). */
      readonly service?: string;
    };

/** An event source mapping, with Lambda's own settings and their Lambda defaults when omitted. */
export interface StreamConsumerDeclaration {
  readonly name: string;
  readonly source: StreamSource;
  readonly handler: HandlerRef;
  readonly batchSize?: number;
  readonly maximumBatchingWindowSeconds?: number;
  readonly startingPosition?: "TRIM_HORIZON" | "LATEST";
  /** -1 means retry until the record expires (Lambda's default). */
  readonly maximumRetryAttempts?: number;
  /** -1 means no age limit (Lambda's default). */
  readonly maximumRecordAgeSeconds?: number;
  readonly bisectBatchOnFunctionError?: boolean;
  readonly reportBatchItemFailures?: boolean;
  /** Purpose of a queue declared by this service that receives records that could not be processed. */
  readonly onFailureQueue?: string;
}

export interface EventPattern {
  readonly source?: readonly string[];
  readonly detailType?: readonly string[];
}

export interface EventConsumerDeclaration {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly handler: HandlerRef;
}

export interface ScheduleDeclaration {
  readonly name: string;
  /** An EventBridge rate expression: `rate(<n> minute|minutes|hour|hours|day|days)`. */
  readonly rate: string;
  readonly handler: HandlerRef;
}

/**
 * An IoT Core topic rule into a Kinesis stream. `partitionKey` is an IoT substitution template such
 * as `${topic(2)}/${topic(3)}`.
 */
export interface IotRuleDeclaration {
  readonly name: string;
  /**
   * MQTT topic filter with the `{tenant}` placeholder, e.g. `dt/{tenant}/#`: in AWS each destination
   * gets its own rule with its slug in place; locally one rule serves all, with `+` in place.
   */
  readonly topicFilter: string;
  readonly streamPurpose: string;
  readonly partitionKey: string;
  readonly errorQueue: string;
}

export interface ServiceManifest {
  readonly service: string;
  readonly description: string;
  readonly routes?: readonly RouteDeclaration[];
  readonly tables?: readonly TableDeclaration[];
  readonly streams?: readonly KinesisStreamDeclaration[];
  readonly queues?: readonly QueueDeclaration[];
  readonly streamConsumers?: readonly StreamConsumerDeclaration[];
  readonly eventConsumers?: readonly EventConsumerDeclaration[];
  readonly schedules?: readonly ScheduleDeclaration[];
  readonly iotRules?: readonly IotRuleDeclaration[];
  /** The service hosts the API Gateway request authorizer. */
  readonly authorizer?: HandlerRef;
  /** Tables of other services that every function of this service reads (and writes only as declared). */
  readonly reads?: readonly TableReadDeclaration[];
}

export function defineService<const M extends ServiceManifest>(manifest: M): M {
  return manifest;
}

/** Lambda's defaults for an event source mapping, applied wherever a declaration omits a setting. */
export const EVENT_SOURCE_DEFAULTS = {
  batchSize: 100,
  maximumBatchingWindowSeconds: 0,
  startingPosition: "TRIM_HORIZON",
  maximumRetryAttempts: -1,
  maximumRecordAgeSeconds: -1,
  bisectBatchOnFunctionError: false,
  reportBatchItemFailures: false,
} as const;

export function withEventSourceDefaults(consumer: StreamConsumerDeclaration) {
  return { ...EVENT_SOURCE_DEFAULTS, ...consumer };
}

/**
 * Deterministic Lambda function name of a handler: `sdp-<stage>-<service>-<module>[-<export>]`. The CDK
 * app names functions with it, so per-destination stacks can reference them without lookups.
 */
export function functionName(stage: string, service: string, ref: HandlerRef): string {
  const module =
    ref.file
      .split("/")
      .pop()
      ?.replace(/\.[cm]?[jt]s$/, "") ?? "handler";
  const suffix = ref.export === "handler" ? "" : `-${ref.export}`;
  return `sdp-${stage}-${service}-${module}${suffix}`.slice(0, 64);
}
