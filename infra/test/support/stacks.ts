import { defineService, type ServiceManifest } from "@sdp/contracts";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { definePlatformApp, type PlatformApp } from "../../lib/app";

/**
 * Small manifests that exercise every kind of declaration. Their handler files do not exist: with
 * bundling skipped the functions get placeholder code, exactly as while a service is being written.
 */
const handler = (
  service: string,
  name: string,
  extra: { memoryMb?: number; timeoutSeconds?: number } = {},
) => ({
  file: `functions/${service}/src/handlers/${name}.ts`,
  export: "handler",
  ...extra,
});

export const gatekeeperManifest = defineService({
  service: "gatekeeper",
  description: "Fake authorizer host that reads catalog's tables",
  authorizer: {
    ...handler("gatekeeper", "authorize", { memoryMb: 256, timeoutSeconds: 5 }),
    capabilities: ["hash-api-keys"],
  },
  reads: [
    {
      service: "catalog",
      tablePurpose: "index",
      scope: "platform",
      also: ["update"],
      why: "counts uses of an index entry",
    },
    { service: "catalog", tablePurpose: "history", scope: "tenant", also: ["put"], why: "appends history" },
  ],
});

export const catalogManifest = defineService({
  service: "catalog",
  description: "Fake service with platform and tenant tables, routes, consumers, events and schedules",
  tables: [
    {
      purpose: "index",
      scope: "platform",
      partitionKey: { name: "pk", type: "S" },
      sortKey: { name: "sk", type: "N" },
      indexes: [{ name: "byOwner", partitionKey: { name: "owner", type: "S" }, projection: "KEYS_ONLY" }],
      ttlAttribute: "expiresAt",
      stream: "NEW_IMAGE",
    },
    {
      purpose: "",
      scope: "tenant",
      partitionKey: { name: "pk", type: "S" },
      sortKey: { name: "sk", type: "S" },
      indexes: [
        {
          name: "bySku",
          partitionKey: { name: "sku", type: "S" },
          sortKey: { name: "pk", type: "S" },
          projection: "ALL",
        },
      ],
      ttlAttribute: "ttl",
      stream: "NEW_AND_OLD_IMAGES",
    },
    { purpose: "history", scope: "tenant", partitionKey: { name: "id", type: "B" } },
  ],
  queues: [{ purpose: "dlq" }],
  routes: [
    {
      operationId: "listItems",
      summary: "Public list",
      method: "GET",
      path: "/catalog/items",
      auth: { mode: "none" },
      handler: handler("catalog", "listItems"),
      responses: { 200: { description: "ok" } },
    },
    {
      operationId: "createItem",
      summary: "Create",
      method: "POST",
      path: "/catalog/items",
      auth: { mode: "authorizer", principals: ["staff"], staffRoles: ["admin"] },
      handler: handler("catalog", "createItem", { memoryMb: 1024 }),
      responses: { 201: { description: "created" } },
    },
    {
      operationId: "getItem",
      summary: "Read",
      method: "GET",
      path: "/catalog/items/{id}",
      auth: { mode: "authorizer", principals: ["staff", "sme"], scope: "catalog:read" },
      // The same handler as createItem, with a longer timeout: one function, the larger settings.
      handler: handler("catalog", "createItem", { timeoutSeconds: 20 }),
      responses: { 200: { description: "ok" } },
    },
  ],
  streamConsumers: [
    {
      name: "indexChanged",
      source: { kind: "dynamodb", tablePurpose: "index", scope: "platform" },
      handler: handler("catalog", "indexChanged"),
      batchSize: 25,
      maximumBatchingWindowSeconds: 5,
      startingPosition: "LATEST",
      maximumRetryAttempts: 2,
      maximumRecordAgeSeconds: 3600,
      bisectBatchOnFunctionError: true,
      reportBatchItemFailures: true,
      onFailureQueue: "dlq",
    },
    {
      name: "itemsOutbox",
      source: { kind: "dynamodb", tablePurpose: "", scope: "tenant" },
      handler: handler("catalog", "publishOutbox"),
      reportBatchItemFailures: true,
      onFailureQueue: "dlq",
    },
    {
      // Another service's published stream.
      name: "observed",
      source: { kind: "kinesis", service: "ingest", streamPurpose: "observations" },
      handler: handler("catalog", "onObservation"),
      batchSize: 50,
      onFailureQueue: "dlq",
    },
  ],
  eventConsumers: [
    {
      name: "onDeviceSeen",
      pattern: { source: ["sdp.ingest"], detailType: ["DeviceSeen"] },
      handler: handler("catalog", "onDeviceSeen"),
    },
  ],
  schedules: [
    {
      name: "expire",
      rate: "rate(5 minutes)",
      handler: { ...handler("catalog", "expire"), capabilities: ["manage-devices"] },
    },
  ],
});

export const ingestManifest = defineService({
  service: "ingest",
  description: "Fake ingestion with a Kinesis stream and an IoT rule",
  streams: [{ purpose: "observations", shardCount: 2, retentionHours: 48 }],
  queues: [{ purpose: "iot-errors" }],
  streamConsumers: [
    {
      name: "observations",
      source: { kind: "kinesis", streamPurpose: "observations" },
      handler: {
        ...handler("ingest", "consumeObservations", { timeoutSeconds: 60 }),
        capabilities: ["publish-mqtt"],
      },
      batchSize: 500,
      maximumRetryAttempts: 5,
      bisectBatchOnFunctionError: true,
      reportBatchItemFailures: true,
      onFailureQueue: "iot-errors",
    },
  ],
  eventConsumers: [{ name: "audit", pattern: {}, handler: handler("ingest", "auditEverything") }],
  iotRules: [
    {
      name: "telemetry",
      topicFilter: "dt/{tenant}/#",
      streamPurpose: "observations",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT substitution template, not a JavaScript one.
      partitionKey: "${topic(2)}/${topic(3)}",
      errorQueue: "iot-errors",
    },
  ],
});

export const fakeManifests: readonly ServiceManifest[] = [
  gatekeeperManifest,
  catalogManifest,
  ingestManifest,
];

export interface Synthesized extends PlatformApp {
  readonly app: App;
  /**
   * The platform stack and its services' nested stacks as one template: the resources of every stack
   * the platform deploys. References across a nested stack's boundary appear as `referenceto…` parameters.
   */
  readonly platformTemplate: Template;
  /** The platform stack alone (the API, storage, identity and the nested stacks as resources). */
  readonly parentTemplate: Template;
  /** Each service's nested stack, by service. */
  readonly serviceTemplates: ReadonlyMap<string, Template>;
  readonly destinationTemplate: Template;
}

/** The resources of a stack and of its nested stacks in one template (logical ids are unique per stack). */
function mergedTemplate(parent: Template, nested: readonly Template[]): Template {
  const resources: Record<string, unknown> = {};
  for (const template of [parent, ...nested]) {
    for (const [id, resource] of Object.entries(template.toJSON().Resources ?? {})) {
      if (id in resources) throw new Error(`logical id ${id} is used by two stacks of the platform`);
      resources[id] = resource;
    }
  }
  return Template.fromJSON({ Resources: resources, Outputs: parent.toJSON().Outputs ?? {} });
}

/** The app as `infra/bin/app.ts` builds it, without bundling (the handlers' code is not under test). */
export function synthesize(
  manifests: readonly ServiceManifest[],
  options: { stage?: string; destination?: string; context?: Readonly<Record<string, string>> } = {},
): Synthesized {
  const app = new App({
    context: { ...options.context, "aws:cdk:bundling-stacks": [] },
    builtinCloudFormationValidation: false,
  });
  const stacks = definePlatformApp(app, {
    manifests,
    stage: options.stage ?? "test",
    ...(options.destination ? { destination: options.destination } : {}),
  });
  const parentTemplate = Template.fromStack(stacks.platform);
  const serviceTemplates = new Map(
    [...stacks.platform.serviceStacks].map(([service, nested]) => [service, Template.fromStack(nested)]),
  );
  return {
    app,
    ...stacks,
    platformTemplate: mergedTemplate(parentTemplate, [...serviceTemplates.values()]),
    parentTemplate,
    serviceTemplates,
    destinationTemplate: Template.fromJSON({ ...stacks.platform.destinationTemplateJson }),
  };
}

type Json = { [key: string]: unknown };

const isJson = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The full path of every API Gateway method, rebuilt from the resource tree, e.g. `GET /catalog/items`. */
export function methodsByRoute(template: Template): Map<string, Json> {
  const resources = template.findResources("AWS::ApiGateway::Resource");
  const pathOf = (ref: unknown): string => {
    if (!isJson(ref) || typeof ref.Ref !== "string") return "";
    const resource = resources[ref.Ref];
    const properties = isJson(resource) && isJson(resource.Properties) ? resource.Properties : {};
    return `${pathOf(properties.ParentId)}/${String(properties.PathPart)}`;
  };
  const methods = new Map<string, Json>();
  for (const method of Object.values(template.findResources("AWS::ApiGateway::Method"))) {
    const properties = isJson(method) && isJson(method.Properties) ? method.Properties : {};
    methods.set(`${String(properties.HttpMethod)} ${pathOf(properties.ResourceId) || "/"}`, properties);
  }
  return methods;
}

/** The environment variables of every function, by function name. */
export function environmentsOf(template: Template): Map<string, Record<string, unknown>> {
  const environments = new Map<string, Record<string, unknown>>();
  for (const fn of propertiesOf(template, "AWS::Lambda::Function").values()) {
    const environment =
      isJson(fn.Environment) && isJson(fn.Environment.Variables) ? fn.Environment.Variables : {};
    environments.set(String(fn.FunctionName), environment);
  }
  return environments;
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

const isStatement = (value: unknown): value is Statement =>
  isJson(value) &&
  typeof value.Effect === "string" &&
  (typeof value.Action === "string" || Array.isArray(value.Action));

/** Every IAM statement of a function's execution role. */
export function statementsOf(template: Template, functionName: string): Statement[] {
  const fn = [...propertiesOf(template, "AWS::Lambda::Function").values()].find(
    (f) => f.FunctionName === functionName,
  );
  if (!fn) throw new Error(`no function ${functionName}`);
  const roleId = JSON.stringify(fn.Role).match(/"(Fn[A-Za-z0-9]+Role[A-F0-9]{8})"/)?.[1];
  const policies = [...propertiesOf(template, "AWS::IAM::Policy").values()].filter((p) =>
    JSON.stringify(p.Roles).includes(`"${roleId}"`),
  );
  return policies.flatMap((p) => {
    const document = isJson(p.PolicyDocument) ? p.PolicyDocument.Statement : [];
    return Array.isArray(document) ? document.filter(isStatement) : [];
  });
}

/** The actions of a statement, as a list. */
export const actionsOf = (statement: Statement): string[] =>
  typeof statement.Action === "string" ? [statement.Action] : statement.Action;

/** Resources of a type, as their properties, keyed by logical id. */
export function propertiesOf(template: Template, type: string): Map<string, Json> {
  const found = new Map<string, Json>();
  for (const [id, resource] of Object.entries(template.findResources(type))) {
    found.set(id, isJson(resource) && isJson(resource.Properties) ? resource.Properties : {});
  }
  return found;
}
