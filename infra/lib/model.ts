import { createHash } from "node:crypto";
import {
  destinationStackName,
  functionName,
  HANDLER_CAPABILITIES,
  type HandlerCapability,
  type HandlerRef,
  type KinesisStreamDeclaration,
  PLATFORM_SCOPE,
  platformResourceName,
  type QueueDeclaration,
  type ServiceManifest,
  STATE_CHANGING_METHODS,
  type StreamConsumerDeclaration,
  type TableDeclaration,
  type TableReadDeclaration,
  tableName,
} from "@sdp/contracts";
import { Aws } from "aws-cdk-lib";

/**
 * The manifests, read once into what the stacks need: which Lambda function serves which handler, who
 * owns it, and how each declared resource is named. Both the platform and the destination stack derive
 * names from here, so a function name the destination stack points at is the one the platform created.
 */

export const DEFAULT_MEMORY_MB = 512;
export const DEFAULT_TIMEOUT_SECONDS = 10;
/** Lambda's limit on function names. */
const MAX_FUNCTION_NAME = 64;

export function handlerKey(handler: HandlerRef): string {
  return `${handler.file}#${handler.export}`;
}

/** A platform stream of another service that a function consumes (its `source.service`). */
export interface ConsumedStream {
  readonly service: string;
  readonly purpose: string;
}

export interface FunctionSpec {
  readonly key: string;
  readonly service: string;
  readonly file: string;
  readonly export: string;
  readonly name: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Consumers of streams publish the outbox to the bus (DESIGN §6), so they may put events. */
  readonly consumesStreams: boolean;
  /** Other services' Kinesis streams this function is mapped to (read only). */
  readonly consumedStreams: readonly ConsumedStream[];
  /** Serves at least one POST, PUT, PATCH or DELETE route, which lambda-kit audits. */
  readonly servesStateChangingRoute: boolean;
  /** The union of the capabilities its declarations grant it (the manifest names the handler). */
  readonly capabilities: ReadonlySet<HandlerCapability>;
}

interface HandlerUse {
  readonly service: string;
  readonly handler: HandlerRef;
  readonly consumesStream: boolean;
  readonly consumed?: ConsumedStream;
  readonly stateChanging: boolean;
}

function handlerUses(manifest: ServiceManifest): HandlerUse[] {
  const service = manifest.service;
  const use = (handler: HandlerRef, extra: Partial<HandlerUse> = {}): HandlerUse => ({
    service,
    handler,
    consumesStream: false,
    stateChanging: false,
    ...extra,
  });
  return [
    ...(manifest.routes ?? []).map((route) =>
      use(route.handler, { stateChanging: STATE_CHANGING_METHODS.has(route.method) }),
    ),
    ...(manifest.streamConsumers ?? []).map(({ handler, source }) =>
      use(handler, {
        consumesStream: true,
        ...(source.kind === "kinesis" && source.service !== undefined && source.service !== service
          ? { consumed: { service: source.service, purpose: source.streamPurpose } }
          : {}),
      }),
    ),
    ...(manifest.eventConsumers ?? []).map((consumer) => use(consumer.handler)),
    ...(manifest.schedules ?? []).map((schedule) => use(schedule.handler)),
    ...(manifest.authorizer ? [use(manifest.authorizer)] : []),
  ];
}

const shortHash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 8);

function baseFunctionName(stage: string, service: string, handler: HandlerRef): string {
  return functionName(stage, service, handler).replace(/[^A-Za-z0-9_-]/g, "-");
}

/**
 * One function per distinct handler file#export, with the largest memory and timeout any declaration
 * asks for. Names are deterministic (the destination stack refers to functions by name); a hash keeps
 * them unique and within Lambda's length limit when the readable form is not.
 */
export function functionSpecs(
  manifests: readonly ServiceManifest[],
  stage: string,
): Map<string, FunctionSpec> {
  const merged = new Map<
    string,
    {
      service: string;
      handler: HandlerRef;
      memory: number;
      timeout: number;
      streams: boolean;
      consumed: ConsumedStream[];
      stateChanging: boolean;
      capabilities: Set<HandlerCapability>;
    }
  >();
  for (const manifest of manifests) {
    for (const { service, handler, consumesStream, consumed, stateChanging } of handlerUses(manifest)) {
      const key = handlerKey(handler);
      const seen = merged.get(key);
      if (seen && seen.service !== service) {
        throw new Error(
          `handler ${key} is declared by both ${seen.service} and ${service}; a handler belongs to one service`,
        );
      }
      const streams = seen?.consumed ?? [];
      const isNew = (c: ConsumedStream) =>
        !streams.some((s) => s.service === c.service && s.purpose === c.purpose);
      merged.set(key, {
        service,
        handler,
        memory: Math.max(seen?.memory ?? 0, handler.memoryMb ?? DEFAULT_MEMORY_MB),
        timeout: Math.max(seen?.timeout ?? 0, handler.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS),
        streams: (seen?.streams ?? false) || consumesStream,
        consumed: consumed && isNew(consumed) ? [...streams, consumed] : streams,
        stateChanging: (seen?.stateChanging ?? false) || stateChanging,
        capabilities: new Set([...(seen?.capabilities ?? []), ...(handler.capabilities ?? [])]),
      });
    }
  }
  const baseNames = new Map<string, number>();
  for (const { service, handler } of merged.values()) {
    const base = baseFunctionName(stage, service, handler);
    baseNames.set(base, (baseNames.get(base) ?? 0) + 1);
  }
  const specs = new Map<string, FunctionSpec>();
  for (const [key, entry] of merged) {
    const { service, handler } = entry;
    const base = baseFunctionName(stage, service, handler);
    const unique = (baseNames.get(base) ?? 0) === 1 && base.length <= MAX_FUNCTION_NAME;
    const name = unique ? base : `${base.slice(0, MAX_FUNCTION_NAME - 9)}-${shortHash(key)}`;
    specs.set(key, {
      key,
      service,
      file: handler.file,
      export: handler.export,
      name,
      memoryMb: entry.memory,
      timeoutSeconds: entry.timeout,
      consumesStreams: entry.streams,
      consumedStreams: entry.consumed,
      servesStateChangingRoute: entry.stateChanging,
      capabilities: entry.capabilities,
    });
  }
  return specs;
}

export function functionFor(specs: ReadonlyMap<string, FunctionSpec>, handler: HandlerRef): FunctionSpec {
  const spec = specs.get(handlerKey(handler));
  if (!spec) throw new Error(`no function for handler ${handlerKey(handler)}`);
  return spec;
}

/** Physical names, following DESIGN §4. */
export const Names = {
  platformStack: (stage: string) => `sdp-${stage}-platform`,
  /** As the tenants provisioner names them; the prefix keeps the platform stack out of its IAM pattern. */
  destinationStack: destinationStackName,
  platformTable: (stage: string, service: string, purpose: string) =>
    tableName(stage, PLATFORM_SCOPE, service, purpose),
  platformResource: (stage: string, service: string, purpose: string) =>
    platformResourceName(stage, service, purpose),
  eventBus: (stage: string) => `sdp-${stage}-events`,
  api: (stage: string) => `sdp-${stage}-api`,
  userPool: (stage: string) => `sdp-${stage}-staff`,
  iotRuleRole: (stage: string) => `sdp-${stage}-iot-rules`,
  /** The one IoT policy every device certificate carries (DESIGN §4). */
  iotDevicePolicy: (stage: string) => `sdp-${stage}-devices`,
  destinationStackRole: (stage: string) => `sdp-${stage}-destination-stacks`,
  apiKeyPepperSecret: (stage: string) => `sdp-${stage}-api-key-pepper`,
  /** Bucket names are global: the account and region make the stage's name unique. */
  archiveBucket: (stage: string) => `sdp-${stage}-archives-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
} as const;

export const RATE_EXPRESSION = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;

/** `{tenant}` in an IoT topic filter stands for the destination's slug. */
export const TENANT_PLACEHOLDER = "{tenant}";

function fail(service: string, message: string): never {
  throw new Error(`manifest ${service}: ${message}`);
}

function uniqueBy<T>(service: string, what: string, items: readonly T[], key: (item: T) => string): void {
  const seen = new Set<string>();
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) fail(service, `${what} "${k}" is declared twice`);
    seen.add(k);
  }
}

export function findTable(
  manifest: ServiceManifest,
  purpose: string,
  scope: "tenant" | "platform",
): TableDeclaration {
  const table = (manifest.tables ?? []).find((t) => t.purpose === purpose && t.scope === scope);
  return table ?? fail(manifest.service, `no ${scope} table with purpose "${purpose}"`);
}

export function findStream(manifest: ServiceManifest, purpose: string): KinesisStreamDeclaration {
  const stream = (manifest.streams ?? []).find((s) => s.purpose === purpose);
  return stream ?? fail(manifest.service, `no Kinesis stream with purpose "${purpose}"`);
}

export function findQueue(manifest: ServiceManifest, purpose: string): QueueDeclaration {
  const queue = (manifest.queues ?? []).find((q) => q.purpose === purpose);
  return queue ?? fail(manifest.service, `no queue with purpose "${purpose}"`);
}

/**
 * Cross-checks the references inside manifests, so that a typo fails synthesis with the manifest named
 * instead of producing a stack that CloudFormation rejects halfway through a deployment.
 */
export function validateManifests(manifests: readonly ServiceManifest[]): void {
  uniqueBy("(registry)", "service", manifests, (m) => m.service);
  const authorizers = manifests.filter((m) => m.authorizer);
  if (authorizers.length > 1) {
    throw new Error(
      `only one service may host the authorizer; found ${authorizers.map((m) => m.service).join(", ")}`,
    );
  }
  for (const manifest of manifests) {
    const service = manifest.service;
    if (!/^[a-z][a-z0-9-]*$/.test(service)) fail(service, "service names are lower-case kebab-case");
    uniqueBy(service, "table", manifest.tables ?? [], (t) => `${t.scope}:${t.purpose}`);
    uniqueBy(service, "stream", manifest.streams ?? [], (s) => s.purpose);
    uniqueBy(service, "queue", manifest.queues ?? [], (q) => q.purpose);
    uniqueBy(service, "stream consumer", manifest.streamConsumers ?? [], (c) => c.name);
    uniqueBy(service, "event consumer", manifest.eventConsumers ?? [], (c) => c.name);
    uniqueBy(service, "schedule", manifest.schedules ?? [], (s) => s.name);
    uniqueBy(service, "IoT rule", manifest.iotRules ?? [], (r) => r.name);
    uniqueBy(service, "route", manifest.routes ?? [], (r) => `${r.method} ${r.path}`);
    for (const route of manifest.routes ?? []) {
      if (!route.path.startsWith("/")) fail(service, `route ${route.operationId}: path must start with /`);
      if (route.auth.mode === "authorizer" && authorizers.length === 0) {
        fail(service, `route ${route.operationId} needs the authorizer, but no manifest declares one`);
      }
    }
    for (const consumer of manifest.streamConsumers ?? []) {
      const { source } = consumer;
      const ownerName = source.kind === "kinesis" ? (source.service ?? service) : service;
      const owner = manifests.find((m) => m.service === ownerName);
      if (!owner) fail(service, `consumer ${consumer.name}: no service "${ownerName}" declares its stream`);
      checkConsumer(manifest, owner, consumer);
    }
    for (const read of manifest.reads ?? []) checkRead(manifests, manifest, read);
    for (const handler of handlerUses(manifest).map((use) => use.handler)) {
      for (const capability of handler.capabilities ?? []) {
        if (!HANDLER_CAPABILITIES.includes(capability))
          fail(service, `${handlerKey(handler)}: unknown capability "${capability}"`);
      }
    }
    for (const schedule of manifest.schedules ?? []) {
      const match = RATE_EXPRESSION.exec(schedule.rate);
      if (!match || Number(match[1]) < 1)
        fail(service, `schedule ${schedule.name}: "${schedule.rate}" is not a rate expression`);
    }
    for (const stream of manifest.streams ?? []) {
      if (!Number.isInteger(stream.shardCount) || stream.shardCount < 1) {
        fail(service, `stream ${stream.purpose}: shardCount must be a positive integer`);
      }
    }
    for (const rule of manifest.iotRules ?? []) {
      findStream(manifest, rule.streamPurpose);
      findQueue(manifest, rule.errorQueue);
      if (!rule.topicFilter.includes(TENANT_PLACEHOLDER)) {
        fail(
          service,
          `IoT rule ${rule.name}: topicFilter must contain ${TENANT_PLACEHOLDER} (one rule per destination)`,
        );
      }
    }
  }
}

function checkConsumer(
  manifest: ServiceManifest,
  streamOwner: ServiceManifest,
  consumer: StreamConsumerDeclaration,
): void {
  const { source } = consumer;
  if (source.kind === "dynamodb") {
    const table = findTable(manifest, source.tablePurpose, source.scope);
    if (!table.stream)
      fail(manifest.service, `consumer ${consumer.name}: table "${source.tablePurpose}" has no stream`);
  } else {
    findStream(streamOwner, source.streamPurpose);
  }
  if (consumer.onFailureQueue !== undefined) findQueue(manifest, consumer.onFailureQueue);
}

function checkRead(
  manifests: readonly ServiceManifest[],
  manifest: ServiceManifest,
  read: TableReadDeclaration,
): void {
  const what = `reads ${read.service}/${read.tablePurpose}`;
  if (read.service === manifest.service)
    fail(manifest.service, `${what}: a service reaches its own tables without declaring them`);
  const owner = manifests.find((m) => m.service === read.service);
  if (!owner) fail(manifest.service, `${what}: no service "${read.service}"`);
  findTable(owner, read.tablePurpose, read.scope);
  if (read.why.trim() === "") fail(manifest.service, `${what}: say why`);
}
