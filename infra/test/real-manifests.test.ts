import {
  destinationTemplate,
  Env,
  type HandlerCapability,
  IdentityEnv,
  IotEnv,
  iotPolicyDocument,
  platformQueueEnvName,
  platformStreamEnvName,
  platformTableEnvName,
  ROUTE_TABLE_READS,
  type ServiceManifest,
  STATE_CHANGING_METHODS,
  tableName,
  withEventSourceDefaults,
} from "@sdp/contracts";
import { Aws } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { IngestConfigNames } from "../../functions/ingest/src/wiring";
import { serviceManifests } from "../../functions/registry";
import { type FunctionSpec, functionSpecs, handlerKey } from "../lib/model";
import { LAMBDA_RUNTIME } from "../lib/service-function";
import {
  actionsOf,
  environmentsOf,
  methodsByRoute,
  propertiesOf,
  type Statement,
  type Synthesized,
  statementsOf,
  synthesize,
} from "./support/stacks";

const stage = "dev";
let synthesized: Synthesized;
const specs = [...functionSpecs(serviceManifests, stage).values()];
const manifestOf = (spec: FunctionSpec): ServiceManifest => {
  const manifest = serviceManifests.find((m) => m.service === spec.service);
  if (!manifest) throw new Error(`no manifest ${spec.service}`);
  return manifest;
};

beforeAll(() => {
  synthesized = synthesize(serviceManifests, { stage });
});

/** What every function is told, whatever its service. */
const COMMON_VARIABLES = [
  Env.stage,
  Env.logLevel,
  Env.tokenIssuer,
  Env.tokenAudience,
  Env.jwksUrl,
  Env.destinationProvisioner,
  Env.destinationTemplate,
  Env.destinationStackRoleArn,
  Env.eventBus,
];

/** The variables each capability's wiring reads (the names are contracts' constants). */
const CAPABILITY_VARIABLES: Record<HandlerCapability, readonly string[]> = {
  "provision-destinations": [
    Env.destinationProvisioner,
    Env.destinationTemplate,
    Env.destinationStackRoleArn,
  ],
  "archive-destinations": [IdentityEnv.archiveStore, IdentityEnv.archiveBucket],
  "manage-staff": [IdentityEnv.userDirectory, IdentityEnv.userPoolId],
  "hash-api-keys": [IdentityEnv.apiKeyPepper],
  "manage-devices": [IotEnv.identityProvider, IotEnv.devicePolicy],
  "publish-mqtt": [IotEnv.publisher, Env.endpointIotData],
  "publish-events": [Env.eventBus],
};

/** The variables a function's wiring reads, derived from its manifest with contracts' naming helpers. */
function expectedVariables(spec: FunctionSpec): string[] {
  const manifest = manifestOf(spec);
  const { service } = manifest;
  const consumed = (manifest.streamConsumers ?? []).flatMap(({ handler, source }) =>
    handlerKey(handler) === spec.key &&
    source.kind === "kinesis" &&
    source.service &&
    source.service !== service
      ? [platformStreamEnvName(source.service, source.streamPurpose)]
      : [],
  );
  const reads = (manifest.reads ?? [])
    .filter((read) => read.scope === "platform")
    .map((read) => platformTableEnvName(read.service, read.tablePurpose));
  return [
    ...COMMON_VARIABLES,
    ...(manifest.tables ?? [])
      .filter((t) => t.scope === "platform")
      .map((t) => platformTableEnvName(service, t.purpose)),
    ...(manifest.streams ?? []).map((stream) => platformStreamEnvName(service, stream.purpose)),
    ...(manifest.queues ?? []).map((queue) => platformQueueEnvName(service, queue.purpose)),
    ...consumed,
    ...reads,
    ...[...spec.capabilities].flatMap((capability) => CAPABILITY_VARIABLES[capability]),
  ];
}

const unique = (names: readonly string[]) => [...new Set(names)].sort();
const mentions = (statement: Statement, fragment: string | RegExp) =>
  typeof fragment === "string"
    ? JSON.stringify(statement.Resource).includes(fragment)
    : fragment.test(JSON.stringify(statement.Resource));

describe("the stacks of the real service manifests", () => {
  it("create every platform table with its name, keys and stream", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    const declared = serviceManifests.flatMap((m) =>
      (m.tables ?? []).filter((t) => t.scope === "platform").map((table) => ({ service: m.service, table })),
    );
    // Act
    const tables = propertiesOf(platformTemplate, "AWS::DynamoDB::Table");
    // Assess
    expect(tables.size).toBe(declared.length);
    for (const { service, table } of declared) {
      platformTemplate.hasResourceProperties("AWS::DynamoDB::Table", {
        TableName: tableName(stage, "platform", service, table.purpose),
        KeySchema: [
          { AttributeName: table.partitionKey.name, KeyType: "HASH" },
          ...(table.sortKey ? [{ AttributeName: table.sortKey.name, KeyType: "RANGE" }] : []),
        ],
        StreamSpecification: table.stream ? { StreamViewType: table.stream } : Match.absent(),
      });
    }
  });

  it("create every tenant table in the destination template", () => {
    // Prepare
    const { destinationTemplate: template } = synthesized;
    // Act
    const tables = propertiesOf(template, "AWS::DynamoDB::Table");
    // Assess
    expect(tables.size).toBe(destinationTemplate(serviceManifests).tables.length);
  });

  it("have a method for every route, with the authorizer when the route asks for it", () => {
    // Prepare
    const routes = serviceManifests.flatMap((m) => m.routes ?? []);
    // Act
    const methods = methodsByRoute(synthesized.platformTemplate);
    // Assess
    expect([...methods.keys()].sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of routes) {
      expect(methods.get(`${route.method} ${route.path}`)).toMatchObject({
        AuthorizationType: route.auth.mode === "authorizer" ? "CUSTOM" : "NONE",
      });
    }
  });

  it("run every function on the newest Node.js LTS of this aws-cdk-lib", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const runtimes = new Set(
      [...propertiesOf(platformTemplate, "AWS::Lambda::Function").values()].map((f) => f.Runtime),
    );
    // Assess
    expect(LAMBDA_RUNTIME.name).toBe("nodejs24.x");
    expect([...runtimes]).toEqual([LAMBDA_RUNTIME.name]);
  });

  it("tell the tenants functions where the registry is and how to provision destinations", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const fn = [...propertiesOf(platformTemplate, "AWS::Lambda::Function").values()].find(
      (f) => f.FunctionName === "sdp-dev-tenants-provisionDestination",
    );
    // Assess
    expect(fn?.Environment).toMatchObject({
      Variables: {
        [platformTableEnvName("tenants", "registry")]: "sdp-dev-platform-tenants-registry",
        [Env.destinationProvisioner]: "cloudformation",
        [Env.destinationTemplate]: expect.anything(),
        [Env.destinationStackRoleArn]: expect.anything(),
      },
    });
  });

  it("let the provisioner create destination stacks only through the destination role", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const policies = JSON.stringify([...propertiesOf(platformTemplate, "AWS::IAM::Policy").values()]);
    // Assess
    expect(policies).toContain(":stack/sdp-dev-destination-*/*");
    platformTemplate.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: [
              "cloudformation:CreateStack",
              "cloudformation:UpdateStack",
              "cloudformation:DeleteStack",
            ],
            Condition: {
              ArnEquals: {
                "cloudformation:RoleArn": {
                  Ref: Match.stringLikeRegexp("^referenceto\\w*DestinationStackRole\\w*Arn$"),
                },
              },
            },
          }),
          Match.objectLike({
            Action: "iam:PassRole",
            Condition: { StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" } },
          }),
        ]),
      },
    });
  });

  it("give every function exactly the variables its manifest implies, with the AWS adapters selected", () => {
    // Prepare
    const environments = environmentsOf(synthesized.platformTemplate);
    // Act
    const missing = specs.flatMap((spec) =>
      expectedVariables(spec)
        .filter((name) => !(name in (environments.get(spec.name) ?? {})))
        .map((name) => `${spec.name}: ${name}`),
    );
    const extra = specs.flatMap((spec) =>
      Object.keys(environments.get(spec.name) ?? {})
        .filter((name) => !expectedVariables(spec).includes(name))
        .map((name) => `${spec.name}: ${name}`),
    );
    // Assess
    expect(environments.size).toBe(specs.length);
    expect(missing).toEqual([]);
    expect(extra).toEqual([]);
    for (const [name, env] of environments) {
      expect(env[Env.destinationProvisioner], name).toBe("cloudformation");
      if (IotEnv.identityProvider in env) expect(env[IotEnv.identityProvider]).toBe("iot");
      if (IotEnv.publisher in env) expect(env[IotEnv.publisher]).toBe("iot-data");
      if (IdentityEnv.userDirectory in env) expect(env[IdentityEnv.userDirectory]).toBe("cognito");
      if (IdentityEnv.archiveStore in env) expect(env[IdentityEnv.archiveStore]).toBe("s3");
    }
  });

  it("give the ingest functions every variable the ingest wiring names", () => {
    // Prepare
    const environments = environmentsOf(synthesized.platformTemplate);
    const ingest = specs.filter((spec) => spec.service === "ingest");
    // Act
    const missing = ingest.flatMap((spec) =>
      Object.values(IngestConfigNames)
        .filter((name) => !(name in (environments.get(spec.name) ?? {})))
        .map((name) => `${spec.name}: ${name}`),
    );
    // Assess
    expect(ingest.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it.each<[HandlerCapability, (statement: Statement) => boolean]>([
    ["provision-destinations", (s) => actionsOf(s).includes("cloudformation:CreateStack")],
    ["archive-destinations", (s) => actionsOf(s).includes("s3:PutObject")],
    ["manage-staff", (s) => actionsOf(s).includes("cognito-idp:AdminCreateUser")],
    ["manage-devices", (s) => actionsOf(s).includes("iot:CreateKeysAndCertificate")],
    ["publish-mqtt", (s) => actionsOf(s).includes("iot:Publish")],
  ])("grant %s exactly to the handlers that declare it", (capability, grants) => {
    // Prepare
    const declaring = specs.filter((spec) => spec.capabilities.has(capability)).map((spec) => spec.name);
    // Act
    const granted = specs
      .filter((spec) => statementsOf(synthesized.platformTemplate, spec.name).some(grants))
      .map((spec) => spec.name);
    // Assess
    expect(declaring.length).toBeGreaterThan(0);
    expect(granted.sort()).toEqual(declaring.sort());
  });

  it("let only the handlers that declare publish-events (and stream consumers) put events, on the platform bus only", () => {
    // Prepare
    const declaring = specs
      .filter((spec) => spec.capabilities.has("publish-events"))
      .map((spec) => spec.name);
    const consumers = specs.filter((spec) => spec.consumesStreams).map((spec) => spec.name);
    // Act
    const putEvents = specs.map((spec) => ({
      name: spec.name,
      statements: statementsOf(synthesized.platformTemplate, spec.name).filter((s) =>
        actionsOf(s).includes("events:PutEvents"),
      ),
    }));
    // Assess
    expect(declaring).toContain("sdp-dev-ingest-detectSilentDevices");
    const granted = putEvents.filter((fn) => fn.statements.length > 0).map((fn) => fn.name);
    expect(granted.sort()).toEqual(unique([...declaring, ...consumers]));
    for (const statement of putEvents.flatMap((fn) => fn.statements)) {
      expect(statement.Resource).not.toBe("*");
      expect(mentions(statement, /Bus/)).toBe(true);
    }
  });

  it("give the API key pepper exactly to the handlers that declare hash-api-keys", () => {
    // Prepare
    const declaring = specs.filter((spec) => spec.capabilities.has("hash-api-keys")).map((spec) => spec.name);
    // Act
    const given = [...environmentsOf(synthesized.platformTemplate)]
      .filter(([, env]) => IdentityEnv.apiKeyPepper in env)
      .map(([name]) => name);
    // Assess
    expect(declaring).toContain("sdp-dev-authorizer-handler");
    expect(given.sort()).toEqual(declaring.sort());
  });

  it("confine the device managers and publishers to IoT resources of devices and platform topics", () => {
    // Prepare
    const devices = specs.filter((spec) => spec.capabilities.has("manage-devices"));
    const publishers = specs.filter((spec) => spec.capabilities.has("publish-mqtt"));
    // Act
    const iotOf = (spec: FunctionSpec) =>
      statementsOf(synthesized.platformTemplate, spec.name).filter((s) =>
        actionsOf(s).some((a) => a.startsWith("iot:")),
      );
    // Assess
    for (const spec of devices) {
      const resources = JSON.stringify(iotOf(spec).map((s) => s.Resource));
      expect(resources).toContain(":thing/*");
      expect(resources).toContain(":cert/*");
      expect(resources).toContain(":thinggroup/sdp-dev-*");
      const anywhere = iotOf(spec).filter((s) => s.Resource === "*");
      expect(anywhere.flatMap(actionsOf)).toEqual(["iot:CreateKeysAndCertificate"]);
      expect(iotOf(spec).flatMap(actionsOf)).not.toContain("iot:Publish");
    }
    for (const spec of publishers) {
      const publish = iotOf(spec).filter((s) => actionsOf(s).includes("iot:Publish"));
      const topics = JSON.stringify(publish.map((s) => s.Resource));
      expect(topics).toContain(":topic/cmd/*/*");
      expect(topics).toContain(":topic/notifications/*");
      expect(topics).not.toMatch(/:topic\/dt\//);
    }
  });

  it("create the one device IoT policy from the topic grammar", () => {
    // Prepare
    const { parentTemplate, platform } = synthesized;
    const expected = platform.resolve(
      iotPolicyDocument({ partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID }),
    );
    // Act
    const policies = [...propertiesOf(parentTemplate, "AWS::IoT::Policy").values()];
    // Assess
    expect(policies).toHaveLength(1);
    expect(policies[0]).toMatchObject({ PolicyName: "sdp-dev-devices" });
    expect(policies[0]?.PolicyDocument).toEqual(expected);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT policy variable, not a JavaScript template.
    expect(JSON.stringify(expected)).toContain("${iot:Connection.Thing.Attributes[destination]}");
  });

  it("let a consumer of another service's stream read it and be told its name", () => {
    // Prepare
    const consumers = specs.filter((spec) => spec.consumedStreams.length > 0);
    const environments = environmentsOf(synthesized.platformTemplate);
    // Act
    const checks = consumers.flatMap((spec) =>
      spec.consumedStreams.map((stream) => {
        const logical = `Stream${stream.service}${stream.purpose}`.replace(/[^A-Za-z0-9]/g, "");
        const onStream = statementsOf(synthesized.platformTemplate, spec.name).filter((s) =>
          mentions(s, logical),
        );
        return {
          name: `${spec.name} <- ${stream.service}/${stream.purpose}`,
          variable: environments.get(spec.name)?.[platformStreamEnvName(stream.service, stream.purpose)],
          actions: onStream.flatMap(actionsOf),
        };
      }),
    );
    // Assess
    expect(checks.map((c) => c.name)).toContain(
      "sdp-dev-context-applyContextUpdates <- ingest/context-updates",
    );
    for (const check of checks) {
      expect(check.variable, check.name).toMatch(/^sdp-dev-platform-/);
      expect(check.actions, check.name).toContain("kinesis:GetRecords");
      expect(
        check.actions.filter((a) => a.startsWith("kinesis:Put")),
        check.name,
      ).toEqual([]);
    }
  });

  it("give every queue's URL to its service's functions, and let them send to it", () => {
    // Prepare
    const environments = environmentsOf(synthesized.platformTemplate);
    // Act
    const checks = specs.flatMap((spec) =>
      (manifestOf(spec).queues ?? []).map((queue) => {
        const logical = `Queue${spec.service}${queue.purpose}`.replace(/[^A-Za-z0-9]/g, "");
        return {
          name: `${spec.name}: ${queue.purpose}`,
          url: JSON.stringify(
            environments.get(spec.name)?.[platformQueueEnvName(spec.service, queue.purpose)],
          ),
          send: statementsOf(synthesized.platformTemplate, spec.name)
            .filter((s) => mentions(s, logical))
            .flatMap(actionsOf),
        };
      }),
    );
    // Assess
    expect(checks.map((c) => c.name)).toContain("sdp-dev-ingest-consumeTelemetry: dead-letters");
    for (const check of checks) {
      expect(check.url, check.name).toContain("Queue");
      expect(check.send, check.name).toContain("sqs:SendMessage");
    }
  });

  it("grant declared reads of other services' tables: read, and only the writes declared", () => {
    // Prepare
    const readers = specs.filter((spec) => (manifestOf(spec).reads ?? []).length > 0);
    const writes = [
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:BatchWriteItem",
    ];
    // Act
    const checks = readers.flatMap((spec) =>
      (manifestOf(spec).reads ?? []).map((read) => {
        const target =
          read.scope === "platform"
            ? new RegExp(
                `"Table${read.service}${read.tablePurpose}[0-9A-F]{8}"|referenceto\\w*Table${read.service}${read.tablePurpose}`,
              )
            : `:table/sdp-dev-*-${read.service}-${read.tablePurpose}`;
        const actions = statementsOf(synthesized.platformTemplate, spec.name)
          .filter((s) => mentions(s, target))
          .flatMap(actionsOf);
        return { name: `${spec.name} reads ${read.service}/${read.tablePurpose}`, read, actions };
      }),
    );
    // Assess
    expect(checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "sdp-dev-authorizer-handler reads tenants/apikeys",
        "sdp-dev-authorizer-handler reads tenants/registry",
        "sdp-dev-authorizer-handler reads tenants/audit",
      ]),
    );
    for (const { name, read, actions } of checks) {
      expect(actions, name).toEqual(expect.arrayContaining(["dynamodb:GetItem", "dynamodb:Query"]));
      const declared = (read.also ?? []).map((w) =>
        w === "put" ? "dynamodb:PutItem" : "dynamodb:UpdateItem",
      );
      expect(unique(actions.filter((a) => writes.includes(a))), name).toEqual(unique(declared));
    }
  });

  it("let exactly the functions serving state-changing routes append to the tenants' audit log", () => {
    // Prepare
    const [audit] = ROUTE_TABLE_READS;
    const auditTables = `:table/sdp-dev-*-${audit?.service}-${audit?.tablePurpose}`;
    const owner = audit?.service;
    // A service that declares the audit table among its reads (the authorizer, for refused keys) is
    // granted its appends by that declaration; every other service must earn them by its routes.
    const declaresAudit = (spec: (typeof specs)[number]) =>
      (manifestOf(spec).reads ?? []).some(
        (read) => read.service === audit?.service && read.tablePurpose === audit?.tablePurpose,
      );
    const others = specs.filter((spec) => spec.service !== owner && !declaresAudit(spec));
    // Act
    const appending = others
      .filter((spec) =>
        statementsOf(synthesized.platformTemplate, spec.name).some(
          (s) => mentions(s, auditTables) && actionsOf(s).includes("dynamodb:PutItem"),
        ),
      )
      .map((spec) => spec.name);
    const stateChanging = others
      .filter((spec) =>
        serviceManifests.some((m) =>
          (m.routes ?? []).some(
            (r) => handlerKey(r.handler) === spec.key && STATE_CHANGING_METHODS.has(r.method),
          ),
        ),
      )
      .map((spec) => spec.name);
    // Assess
    expect(stateChanging).toContain("sdp-dev-ingest-registerDevice");
    expect(stateChanging).toContain("sdp-dev-context-createEntity");
    expect(appending.sort()).toEqual(stateChanging.sort());
  });

  it("map the tenant-table consumers in the destination template to the platform's functions by name", () => {
    // Prepare
    const declared = serviceManifests.flatMap((m) =>
      (m.streamConsumers ?? [])
        .filter((c) => c.source.kind === "dynamodb" && c.source.scope === "tenant")
        .map((consumer) => ({ service: m.service, consumer })),
    );
    const nameOf = (key: string) => specs.find((spec) => spec.key === key)?.name;
    // Act
    const mappings = [
      ...propertiesOf(synthesized.destinationTemplate, "AWS::Lambda::EventSourceMapping").values(),
    ];
    // Assess
    expect(declared.length).toBeGreaterThan(0);
    expect(mappings.map((m) => m.FunctionName).sort()).toEqual(
      declared.map(({ consumer }) => nameOf(handlerKey(consumer.handler))).sort(),
    );
    for (const { service, consumer } of declared) {
      const mapping = mappings.find((m) => m.FunctionName === nameOf(handlerKey(consumer.handler)));
      expect(mapping).toMatchObject({ BatchSize: withEventSourceDefaults(consumer).batchSize });
      if (consumer.onFailureQueue !== undefined) {
        expect(JSON.stringify(mapping?.DestinationConfig)).toContain(
          `:sdp-dev-platform-${service}-${consumer.onFailureQueue}`,
        );
      }
    }
  });

  it("run every schedule on its rate in its service's stack", () => {
    // Prepare
    const declared = serviceManifests.flatMap((m) =>
      (m.schedules ?? []).map((schedule) => ({ m, schedule })),
    );
    // Act + Assess
    expect(declared.map(({ schedule }) => schedule.name)).toContain("detectSilentDevices");
    for (const { m, schedule } of declared) {
      const template = synthesized.serviceTemplates.get(m.service);
      const logical = `Fn${m.service}${schedule.handler.file.split("/").pop()?.replace(/\.ts$/, "")}`;
      template?.hasResourceProperties("AWS::Events::Rule", {
        ScheduleExpression: schedule.rate,
        Targets: [
          Match.objectLike({ Arn: { "Fn::GetAtt": [Match.stringLikeRegexp(`^${logical}`), "Arn"] } }),
        ],
      });
    }
  });

  it("route device messages and acknowledgements into the ingest stream, with the rule role able to do just that", () => {
    // Prepare
    const { destinationTemplate: template, parentTemplate } = synthesized;
    const rules = serviceManifests.flatMap((m) => (m.iotRules ?? []).map((rule) => ({ m, rule })));
    // Act
    const topicRules = [...propertiesOf(template, "AWS::IoT::TopicRule").values()];
    const rolePolicy = [...propertiesOf(parentTemplate, "AWS::IAM::Policy").entries()].find(([id]) =>
      id.startsWith("IotRuleRole"),
    )?.[1];
    const statements = JSON.parse(JSON.stringify(rolePolicy?.PolicyDocument)).Statement as Statement[];
    // Assess
    expect(rules.map(({ rule }) => rule.name).sort()).toEqual(["commandAcks", "telemetry"]);
    expect(topicRules).toHaveLength(rules.length);
    for (const { m, rule } of rules) {
      const [before, after] = rule.topicFilter.split("{tenant}");
      expect(topicRules).toContainEqual(
        expect.objectContaining({
          TopicRulePayload: expect.objectContaining({
            Sql: { "Fn::Join": ["", [`SELECT * FROM '${before}`, { Ref: "TenantSlug" }, `${after}'`]] },
            Actions: [
              {
                Kinesis: expect.objectContaining({
                  StreamName: `sdp-dev-platform-${m.service}-${rule.streamPurpose}`,
                  PartitionKey: rule.partitionKey,
                }),
              },
            ],
            ErrorAction: { Sqs: expect.objectContaining({ UseBase64: false }) },
          }),
        }),
      );
    }
    expect(statements.map((s) => [actionsOf(s).sort(), JSON.stringify(s.Resource)])).toEqual([
      [
        ["kinesis:ListShards", "kinesis:PutRecord", "kinesis:PutRecords"],
        expect.stringContaining("Streamingesttelemetry"),
      ],
      [
        ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
        expect.stringContaining("Queueingestdeadletters"),
      ],
    ]);
  });

  it("keep every stack within CloudFormation's quotas: 500 resources, 200 parameters and outputs", () => {
    // Prepare
    const templates = [
      ["platform", synthesized.parentTemplate],
      ...[...synthesized.serviceTemplates].map(([service, template]) => [service, template] as const),
    ] as const;
    // Act
    const sizes = templates.map(([name, template]) => {
      const json = template.toJSON();
      return {
        name,
        resources: Object.keys(json.Resources ?? {}).length,
        parameters: Object.keys(json.Parameters ?? {}).length,
        outputs: Object.keys(json.Outputs ?? {}).length,
      };
    });
    // Assess
    for (const size of sizes) {
      expect(size.resources, size.name).toBeLessThan(500);
      expect(size.parameters, size.name).toBeLessThan(200);
      expect(size.outputs, size.name).toBeLessThan(200);
    }
  });
});
