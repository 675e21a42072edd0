import {
  Env,
  type HandlerRef,
  platformQueueEnvName,
  platformStreamEnvName,
  platformTableEnvName,
  ROUTE_TABLE_READS,
  type ServiceManifest,
  type TableReadDeclaration,
} from "@sdp/contracts";
import {
  Annotations,
  ArnFormat,
  Aws,
  CfnOutput,
  Duration,
  NestedStack,
  Stack,
  type StackProps,
  Tags,
} from "aws-cdk-lib";
import type { Table } from "aws-cdk-lib/aws-dynamodb";
import { EventBus, Match, Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { Effect, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Stream, StreamEncryption, StreamMode } from "aws-cdk-lib/aws-kinesis";
import { Asset } from "aws-cdk-lib/aws-s3-assets";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { DISABLE_ASSET_STAGING_CONTEXT } from "aws-cdk-lib/cx-api";
import type { Construct } from "constructs";
import { type DeclaredRoute, PlatformApi } from "./api";
import { HandlerBundles } from "./bundles";
import { PlatformCapabilities } from "./capabilities";
import { type DestinationTemplateJson, synthesizeDestinationTemplate } from "./destination-template";
import { streamMapping } from "./event-sources";
import { StaffIdentity } from "./identity";
import { type FunctionSpec, functionFor, functionSpecs, handlerKey, Names, validateManifests } from "./model";
import { acknowledge, grantWithWildcards } from "./nag";
import { REPO_ROOT, ServiceFunction } from "./service-function";
import {
  declaredTable,
  TABLE_DATA_ACTIONS,
  TABLE_READ_ACTIONS,
  TABLE_STREAM_ACTIONS,
  TABLE_WRITE_ACTIONS,
} from "./tables";

export interface PlatformStackProps extends StackProps {
  readonly manifests: readonly ServiceManifest[];
  readonly stage: string;
}

/** The value of `SDP_DESTINATION_PROVISIONER` in AWS: destinations are CloudFormation stacks. */
export const DESTINATION_PROVISIONER = "cloudformation";

const resourceKey = (service: string, purpose: string) => `${service}/${purpose}`;
const idOf = (...parts: string[]) => parts.filter(Boolean).join("-");

/**
 * The control plane of one stage: platform tables, streams and queues, one function per handler, the
 * REST API with its authorizer, stream and event consumers, schedules, the staff user pool, and the
 * destination template with the role that CloudFormation uses to create destinations from it, and the
 * shared resources of the capabilities handlers declare. Every service-specific resource comes from a
 * manifest. A function gets its service's resources, the other services' tables its manifest `reads`,
 * the streams it consumes, the audit log if it serves a state-changing route, and its capabilities.
 */
export class PlatformStack extends Stack {
  readonly stage: string;
  readonly functions = new Map<string, ServiceFunction>();
  /**
   * One nested stack per service holds its functions with their roles, log groups, invoke permissions,
   * rules and mappings: about five resources per handler would otherwise exceed CloudFormation's 500
   * resources per stack as services grow.
   */
  readonly serviceStacks = new Map<string, NestedStack>();
  readonly tables = new Map<string, Table>();
  readonly streams = new Map<string, Stream>();
  readonly queues = new Map<string, Queue>();
  readonly bus: EventBus;
  readonly identity: StaffIdentity;
  readonly api: PlatformApi | undefined;
  readonly destinationTemplate: Asset;
  readonly destinationTemplateJson: DestinationTemplateJson;
  readonly destinationStackRole: Role;
  readonly iotRuleRole: Role | undefined;
  readonly capabilities: PlatformCapabilities;
  private readonly manifests: readonly ServiceManifest[];

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    const { manifests, stage } = props;
    this.stage = stage;
    this.manifests = manifests;
    validateManifests(manifests);
    Tags.of(this).add("sdp:stage", stage);

    this.declareStorage(manifests);
    this.bus = new EventBus(this, "Bus", { eventBusName: Names.eventBus(stage) });
    this.identity = new StaffIdentity(this, "Staff", { stage });
    this.iotRuleRole = this.declareIotRuleRole(manifests);

    const destination = synthesizeDestinationTemplate(manifests, stage);
    this.destinationTemplateJson = destination.template;
    this.destinationTemplate = new Asset(this, "DestinationTemplate", { path: destination.templatePath });
    // Staging has copied the template into this app's output, unless staging is off and it is read in place.
    if (!this.node.tryGetContext(DISABLE_ASSET_STAGING_CONTEXT)) destination.dispose();
    for (const finding of destination.findings) {
      Annotations.of(this.destinationTemplate).addError(`destination template: ${finding}`);
    }
    this.destinationStackRole = this.declareDestinationStackRole(manifests, destination.template);

    this.capabilities = new PlatformCapabilities(this, {
      stage,
      manifests,
      userPool: this.identity.userPool,
      destinationStackRole: this.destinationStackRole,
      destinationTemplate: this.destinationTemplate,
      eventBus: this.bus,
    });
    const common = this.commonEnvironment();
    const specs = [...functionSpecs(manifests, stage).values()];
    const bundles = new HandlerBundles(REPO_ROOT, specs);
    const authorizers = new Set(manifests.flatMap((m) => (m.authorizer ? [handlerKey(m.authorizer)] : [])));
    for (const spec of specs) {
      const manifest = manifests.find((m) => m.service === spec.service);
      if (!manifest) throw new Error(`no manifest for ${spec.service}`);
      // The authorizer stays with the API: API Gateway's permission to invoke it names the authorizer,
      // which names the function — across a nested stack boundary that is a dependency cycle.
      const fn = new ServiceFunction(
        authorizers.has(spec.key) ? this : this.serviceStack(spec.service),
        idOf("Fn", spec.service, spec.name.slice(`sdp-${stage}-${spec.service}-`.length)),
        { spec, bundles, environment: { ...common, ...this.functionEnvironment(manifest, spec) } },
      );
      this.functions.set(spec.key, fn);
      this.grantServiceAccess(manifest, fn);
      for (const read of this.tableReadsOf(manifest, spec)) this.grantTableRead(fn, read);
      for (const consumed of spec.consumedStreams) {
        // Another service's published stream: read only, never write.
        this.streams.get(resourceKey(consumed.service, consumed.purpose))?.grantRead(fn.role);
      }
      for (const capability of spec.capabilities) this.capabilities.grant(capability, fn);
    }

    this.api = this.declareApi(manifests);
    this.declareConsumers(manifests);
    this.declareEventRules(manifests);

    new CfnOutput(this, "DestinationTemplateUrl", { value: this.destinationTemplate.httpUrl });
    new CfnOutput(this, "DestinationStackRoleArn", { value: this.destinationStackRole.roleArn });
    new CfnOutput(this, "UserPoolId", { value: this.identity.userPool.userPoolId });
    new CfnOutput(this, "UserPoolClientId", { value: this.identity.client.userPoolClientId });
    if (this.api) new CfnOutput(this, "ApiUrl", { value: this.api.api.url });
  }

  /** The nested stack of a service's functions, created with its first function. */
  serviceStack(service: string): NestedStack {
    let nested = this.serviceStacks.get(service);
    if (!nested) {
      nested = new NestedStack(this, idOf("Service", service), {
        description: `Smart Destination Platform (${this.stage}): the ${service} service's functions`,
      });
      this.serviceStacks.set(service, nested);
    }
    return nested;
  }

  functionFor(handler: HandlerRef): ServiceFunction {
    const fn = this.functions.get(handlerKey(handler));
    if (!fn) throw new Error(`no function for ${handlerKey(handler)}`);
    return fn;
  }

  private declareStorage(manifests: readonly ServiceManifest[]): void {
    const stage = this.stage;
    for (const manifest of manifests) {
      const { service } = manifest;
      for (const table of (manifest.tables ?? []).filter((t) => t.scope === "platform")) {
        const created = declaredTable(this, idOf("Table", service, table.purpose), {
          tableName: Names.platformTable(stage, service, table.purpose),
          shape: table,
          lifecycle: "retain",
        });
        this.tables.set(resourceKey(service, table.purpose), created);
      }
      for (const stream of manifest.streams ?? []) {
        const created = new Stream(this, idOf("Stream", service, stream.purpose), {
          streamName: Names.platformResource(stage, service, stream.purpose),
          streamMode: StreamMode.PROVISIONED,
          shardCount: stream.shardCount,
          retentionPeriod: Duration.hours(stream.retentionHours ?? 24),
          // The AWS managed key (what AwsSolutions-KDS3 asks for): producers and consumers, the IoT rule
          // included, need no KMS grants of their own.
          encryption: StreamEncryption.MANAGED,
        });
        this.streams.set(resourceKey(service, stream.purpose), created);
      }
      for (const queue of manifest.queues ?? []) {
        const created = new Queue(this, idOf("Queue", service, queue.purpose), {
          queueName: Names.platformResource(stage, service, queue.purpose),
          encryption: QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          // The longest SQS allows: failed records wait here for an operator to inspect and redrive.
          retentionPeriod: Duration.days(14),
        });
        acknowledge(
          created,
          "SQS3",
          "This queue is itself a dead-letter queue: the on-failure destination of stream consumers or IoT rule errors.",
        );
        this.queues.set(resourceKey(service, queue.purpose), created);
      }
    }
  }

  private declareIotRuleRole(manifests: readonly ServiceManifest[]): Role | undefined {
    const rules = manifests.flatMap((m) => (m.iotRules ?? []).map((rule) => ({ service: m.service, rule })));
    if (rules.length === 0) return undefined;
    const role = new Role(this, "IotRuleRole", {
      roleName: Names.iotRuleRole(this.stage),
      description: "Lets destination topic rules put device messages on the ingest stream",
      assumedBy: new ServicePrincipal("iot.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID } },
      }),
    });
    for (const { service, rule } of rules) {
      this.streams.get(resourceKey(service, rule.streamPurpose))?.grantWrite(role);
      this.queues.get(resourceKey(service, rule.errorQueue))?.grantSendMessages(role);
    }
    return role;
  }

  /**
   * The role CloudFormation assumes for destination stacks: only the actions their resource types need,
   * only on destination names. Every resource type of the synthesized template must be known here, so a
   * new kind of destination resource fails synthesis until its permissions are written down.
   */
  private declareDestinationStackRole(
    manifests: readonly ServiceManifest[],
    template: DestinationTemplateJson,
  ): Role {
    const stage = this.stage;
    const role = new Role(this, "DestinationStackRole", {
      roleName: Names.destinationStackRole(stage),
      description: "CloudFormation service role for destination stacks",
      assumedBy: new ServicePrincipal("cloudformation.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID } },
      }),
    });
    const reason =
      "Destination resources are created per tenant at run time; only their name prefix is known.";
    const arn = (
      service: string,
      resource: string,
      resourceName: string,
      sep = ArnFormat.SLASH_RESOURCE_NAME,
    ) => this.formatArn({ service, resource, resourceName, arnFormat: sep });
    const specs = functionSpecs(manifests, stage);
    const consumerArns = manifests.flatMap((m) =>
      (m.streamConsumers ?? [])
        .filter((c) => c.source.kind === "dynamodb" && c.source.scope === "tenant")
        .map((c) =>
          arn("lambda", "function", functionFor(specs, c.handler).name, ArnFormat.COLON_RESOURCE_NAME),
        ),
    );
    const grants: Record<string, () => void> = {
      "AWS::DynamoDB::Table": () => {
        const tables = arn("dynamodb", "table", `sdp-${stage}-*`);
        const actions = [
          "dynamodb:CreateTable",
          "dynamodb:DeleteTable",
          "dynamodb:UpdateTable",
          "dynamodb:DescribeTable",
          "dynamodb:DescribeTimeToLive",
          "dynamodb:UpdateTimeToLive",
          "dynamodb:DescribeContinuousBackups",
          "dynamodb:UpdateContinuousBackups",
          "dynamodb:DescribeContributorInsights",
          "dynamodb:DescribeKinesisStreamingDestination",
          "dynamodb:GetResourcePolicy",
          "dynamodb:TagResource",
          "dynamodb:UntagResource",
          "dynamodb:ListTagsOfResource",
        ];
        grantWithWildcards(role, { actions, resources: [tables] }, reason);
        // The prefix also matches the platform's own tables; those are never a destination's to touch.
        role.addToPolicy(
          new PolicyStatement({
            effect: Effect.DENY,
            actions,
            resources: [arn("dynamodb", "table", `sdp-${stage}-platform-*`)],
          }),
        );
      },
      "AWS::Lambda::EventSourceMapping": () => {
        const onConsumers = { ArnLike: { "lambda:FunctionArn": consumerArns } };
        grantWithWildcards(
          role,
          { actions: ["lambda:CreateEventSourceMapping"], resources: ["*"], conditions: onConsumers },
          "CreateEventSourceMapping has no resource type; the condition confines it to the tenant-stream consumers.",
        );
        grantWithWildcards(
          role,
          {
            actions: ["lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"],
            resources: [arn("lambda", "event-source-mapping", "*", ArnFormat.COLON_RESOURCE_NAME)],
            conditions: onConsumers,
          },
          "Mapping ids are assigned by Lambda; the condition confines them to the tenant-stream consumers.",
        );
        grantWithWildcards(
          role,
          {
            actions: [
              "lambda:GetEventSourceMapping",
              "lambda:TagResource",
              "lambda:UntagResource",
              "lambda:ListTags",
            ],
            resources: [arn("lambda", "event-source-mapping", "*", ArnFormat.COLON_RESOURCE_NAME)],
          },
          "Mapping ids are assigned by Lambda when CloudFormation creates them.",
        );
      },
      "AWS::IoT::ThingGroup": () => {
        grantWithWildcards(
          role,
          {
            actions: [
              "iot:CreateThingGroup",
              "iot:DeleteThingGroup",
              "iot:DescribeThingGroup",
              "iot:UpdateThingGroup",
              "iot:TagResource",
              "iot:UntagResource",
              "iot:ListTagsForResource",
            ],
            resources: [arn("iot", "thinggroup", `sdp-${stage}-*`)],
          },
          reason,
        );
      },
      "AWS::IoT::TopicRule": () => {
        grantWithWildcards(
          role,
          {
            actions: [
              "iot:CreateTopicRule",
              "iot:DeleteTopicRule",
              "iot:GetTopicRule",
              "iot:ReplaceTopicRule",
              "iot:TagResource",
              "iot:UntagResource",
              "iot:ListTagsForResource",
            ],
            resources: [arn("iot", "rule", `sdp_${stage}_*`)],
          },
          reason,
        );
        if (this.iotRuleRole) this.iotRuleRole.grantPassRole(role);
      },
    };
    const types = new Set(Object.values(template.Resources).map((resource) => resource.Type));
    for (const type of types) {
      const grant = grants[type];
      if (!grant)
        throw new Error(`the destination stack contains ${type}; declare what its CloudFormation role needs`);
      grant();
    }
    return role;
  }

  /** What every function is told: the stage, the identity provider, and how destinations are provisioned. */
  private commonEnvironment(): Record<string, string> {
    return {
      [Env.stage]: this.stage,
      [Env.logLevel]: "info",
      [Env.tokenIssuer]: this.identity.issuer,
      [Env.tokenAudience]: this.identity.client.userPoolClientId,
      [Env.jwksUrl]: this.identity.jwksUrl,
      [Env.destinationProvisioner]: DESTINATION_PROVISIONER,
      [Env.destinationTemplate]: this.destinationTemplate.httpUrl,
      [Env.destinationStackRoleArn]: this.destinationStackRole.roleArn,
      [Env.eventBus]: this.bus.eventBusName,
    };
  }

  /**
   * What a function is told besides the common variables: the names of its service's platform tables and
   * streams and the URLs of its queues, the streams of other services it consumes, the platform tables
   * of other services it reads, and the configuration of each capability its handler declares.
   */
  private functionEnvironment(manifest: ServiceManifest, spec: FunctionSpec): Record<string, string> {
    const { service } = manifest;
    const environment: Record<string, string> = {};
    for (const table of (manifest.tables ?? []).filter((t) => t.scope === "platform")) {
      environment[platformTableEnvName(service, table.purpose)] = Names.platformTable(
        this.stage,
        service,
        table.purpose,
      );
    }
    for (const stream of manifest.streams ?? []) {
      environment[platformStreamEnvName(service, stream.purpose)] = Names.platformResource(
        this.stage,
        service,
        stream.purpose,
      );
    }
    for (const queue of manifest.queues ?? []) {
      const created = this.queues.get(resourceKey(service, queue.purpose));
      if (created) environment[platformQueueEnvName(service, queue.purpose)] = created.queueUrl;
    }
    for (const consumed of spec.consumedStreams) {
      environment[platformStreamEnvName(consumed.service, consumed.purpose)] = Names.platformResource(
        this.stage,
        consumed.service,
        consumed.purpose,
      );
    }
    for (const read of this.tableReadsOf(manifest, spec).filter((r) => r.scope === "platform")) {
      environment[platformTableEnvName(read.service, read.tablePurpose)] = Names.platformTable(
        this.stage,
        read.service,
        read.tablePurpose,
      );
    }
    for (const capability of spec.capabilities) {
      Object.assign(environment, this.capabilities.environment(capability));
    }
    return environment;
  }

  /**
   * The tables of other services a function reads: those its manifest declares, and — for a function
   * serving a state-changing route — the audit log lambda-kit appends to (unless its service owns it).
   */
  private tableReadsOf(manifest: ServiceManifest, spec: FunctionSpec): TableReadDeclaration[] {
    // A deployment without the owning service has no such table to reach (the audit trail logs that).
    const declared = (read: TableReadDeclaration) =>
      this.manifests.some(
        (m) =>
          m.service === read.service &&
          (m.tables ?? []).some((t) => t.purpose === read.tablePurpose && t.scope === read.scope),
      );
    const routeReads = spec.servesStateChangingRoute
      ? ROUTE_TABLE_READS.filter((read) => read.service !== manifest.service && declared(read))
      : [];
    return [...(manifest.reads ?? []), ...routeReads];
  }

  /** Read, plus only the writes declared, on another service's table and its indexes. */
  private grantTableRead(fn: ServiceFunction, read: TableReadDeclaration): void {
    const owner = this.manifests.find((m) => m.service === read.service);
    const declared = owner?.tables?.find((t) => t.purpose === read.tablePurpose && t.scope === read.scope);
    if (!declared)
      throw new Error(`${fn.spec.service}: reads an undeclared table ${read.service}/${read.tablePurpose}`);
    const table =
      read.scope === "platform"
        ? this.tables.get(resourceKey(read.service, read.tablePurpose))?.tableArn
        : this.tenantTableArn(read.service, read.tablePurpose);
    if (!table) throw new Error(`${fn.spec.service}: no platform table ${read.service}/${read.tablePurpose}`);
    const indexes = (declared.indexes ?? []).map((index) => `${table}/index/${index.name}`);
    const writes = (read.also ?? []).flatMap((write) => TABLE_WRITE_ACTIONS[write]);
    const statements = [
      { actions: TABLE_READ_ACTIONS, resources: [table, ...indexes] },
      ...(writes.length > 0 ? [{ actions: writes, resources: [table] }] : []),
    ];
    for (const statement of statements) {
      if (read.scope === "platform") {
        fn.role.addToPolicy(new PolicyStatement(statement));
      } else {
        grantWithWildcards(
          fn.role,
          statement,
          `Reads ${read.service}'s table of each destination (${read.why}); the slug in its name is known only at run time.`,
        );
      }
    }
  }

  /** A function reaches only its own service's tables, streams and queues (and the bus, to publish). */
  private grantServiceAccess(manifest: ServiceManifest, fn: ServiceFunction): void {
    const { spec, role } = fn;

    for (const declared of manifest.tables ?? []) {
      if (declared.scope === "platform") {
        const table = this.tables.get(resourceKey(spec.service, declared.purpose));
        if (!table) continue;
        role.addToPolicy(
          new PolicyStatement({
            actions: TABLE_DATA_ACTIONS,
            resources: [
              table.tableArn,
              ...(declared.indexes ?? []).map((index) => `${table.tableArn}/index/${index.name}`),
            ],
          }),
        );
      } else {
        const table = this.tenantTableArn(spec.service, declared.purpose);
        grantWithWildcards(
          role,
          {
            actions: TABLE_DATA_ACTIONS,
            resources: [table, ...(declared.indexes ?? []).map((index) => `${table}/index/${index.name}`)],
          },
          `Each destination has its own ${spec.service} table; the slug in its name is known only at run time.`,
        );
      }
    }
    for (const stream of manifest.streams ?? []) {
      this.streams.get(resourceKey(spec.service, stream.purpose))?.grantReadWrite(role);
    }
    for (const queue of manifest.queues ?? []) {
      this.queues.get(resourceKey(spec.service, queue.purpose))?.grantSendMessages(role);
    }
    if (spec.consumesStreams) this.bus.grantPutEventsTo(role);

    for (const consumer of manifest.streamConsumers ?? []) {
      if (handlerKey(consumer.handler) !== spec.key || consumer.source.kind !== "dynamodb") continue;
      const { source } = consumer;
      const streamArn =
        source.scope === "platform"
          ? this.tables.get(resourceKey(spec.service, source.tablePurpose))?.tableStreamArn
          : `${this.tenantTableArn(spec.service, source.tablePurpose)}/stream/*`;
      if (!streamArn) throw new Error(`${spec.service}: table ${source.tablePurpose} has no stream`);
      grantWithWildcards(
        role,
        { actions: TABLE_STREAM_ACTIONS, resources: [streamArn] },
        "A stream's label is assigned by DynamoDB when the table is created; the table part names one table family.",
      );
      grantWithWildcards(
        role,
        { actions: ["dynamodb:ListStreams"], resources: ["*"] },
        "dynamodb:ListStreams supports no resource-level permissions; Lambda's stream poller calls it.",
      );
    }
  }

  private tenantTableArn(service: string, purpose: string): string {
    return this.formatArn({
      service: "dynamodb",
      resource: "table",
      resourceName: ["sdp", this.stage, "*", service, purpose].filter(Boolean).join("-"),
    });
  }

  private declareApi(manifests: readonly ServiceManifest[]): PlatformApi | undefined {
    const routes: DeclaredRoute[] = manifests.flatMap((manifest) =>
      (manifest.routes ?? []).map((route) => ({
        service: manifest.service,
        route,
        handler: this.functionFor(route.handler).function,
      })),
    );
    if (routes.length === 0) return undefined;
    const host = manifests.find((m) => m.authorizer);
    return new PlatformApi(this, "Api", {
      stage: this.stage,
      routes,
      ...(host?.authorizer ? { authorizer: this.functionFor(host.authorizer).function } : {}),
    });
  }

  private declareConsumers(manifests: readonly ServiceManifest[]): void {
    for (const manifest of manifests) {
      const { service } = manifest;
      for (const consumer of manifest.streamConsumers ?? []) {
        const { source } = consumer;
        // Tenant tables exist only in destination stacks, which map their own streams.
        if (source.kind === "dynamodb" && source.scope === "tenant") continue;
        const fn = this.functionFor(consumer.handler);
        const eventSourceArn =
          source.kind === "dynamodb"
            ? this.tables.get(resourceKey(service, source.tablePurpose))?.tableStreamArn
            : this.streams.get(resourceKey(source.service ?? service, source.streamPurpose))?.streamArn;
        if (!eventSourceArn) throw new Error(`${service}: consumer ${consumer.name} has no source`);
        const onFailure =
          consumer.onFailureQueue !== undefined
            ? this.queues.get(resourceKey(service, consumer.onFailureQueue))?.queueArn
            : undefined;
        const mapping = streamMapping(this.serviceStack(service), idOf("Consumer", service, consumer.name), {
          functionName: fn.function.functionName,
          eventSourceArn,
          consumer,
          ...(onFailure ? { onFailureDestinationArn: onFailure } : {}),
        });
        // The poller starts as soon as the mapping exists; it must find its read permissions in place.
        mapping.node.addDependency(fn.role);
      }
    }
  }

  private declareEventRules(manifests: readonly ServiceManifest[]): void {
    for (const manifest of manifests) {
      const { service } = manifest;
      for (const consumer of manifest.eventConsumers ?? []) {
        const { source, detailType } = consumer.pattern;
        new Rule(this.serviceStack(service), idOf("Events", service, consumer.name), {
          eventBus: this.bus,
          description: `${service}: ${consumer.name}`,
          eventPattern: {
            ...(source ? { source: [...source] } : {}),
            ...(detailType ? { detailType: [...detailType] } : {}),
            // An empty pattern is rejected by EventBridge; a consumer of everything matches any source.
            ...(!source && !detailType ? { source: Match.prefix("") } : {}),
          },
          targets: [new LambdaFunction(this.functionFor(consumer.handler).function)],
        });
      }
      for (const schedule of manifest.schedules ?? []) {
        new Rule(this.serviceStack(service), idOf("Schedule", service, schedule.name), {
          description: `${service}: ${schedule.name}`,
          schedule: Schedule.expression(schedule.rate),
          targets: [new LambdaFunction(this.functionFor(schedule.handler).function)],
        });
      }
    }
  }
}
