import {
  Env,
  GatewayResponses,
  gatewayProblem,
  PLATFORM_ADMIN_GROUP,
  platformStreamEnvName,
  platformTableEnvName,
  StaffRole,
  withEventSourceDefaults,
} from "@sdp/contracts";
import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { functionSpecs } from "../lib/model";
import {
  catalogManifest,
  fakeManifests,
  ingestManifest,
  methodsByRoute,
  propertiesOf,
  type Synthesized,
  synthesize,
} from "./support/stacks";

const stage = "test";
let synthesized: Synthesized;

beforeAll(() => {
  synthesized = synthesize(fakeManifests, { stage });
});

describe("platform tables", () => {
  it("creates each platform-scope table with its physical name, keys, index, TTL and stream", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const tables = propertiesOf(platformTemplate, "AWS::DynamoDB::Table");
    // Assess
    expect(tables.size).toBe(1);
    platformTemplate.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: {
        TableName: "sdp-test-platform-catalog-index",
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "N" },
          { AttributeName: "owner", AttributeType: "S" },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: "byOwner",
            KeySchema: [{ AttributeName: "owner", KeyType: "HASH" }],
            Projection: { ProjectionType: "KEYS_ONLY" },
          },
        ],
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
        StreamSpecification: { StreamViewType: "NEW_IMAGE" },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it("keeps tenant-scope tables out of the platform stack", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const names = [...propertiesOf(platformTemplate, "AWS::DynamoDB::Table").values()].map(
      (t) => t.TableName,
    );
    // Assess
    expect(names).toEqual(["sdp-test-platform-catalog-index"]);
  });
});

describe("streams and queues", () => {
  it("creates the declared Kinesis stream with its shard count and retention, encrypted", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const streams = [...propertiesOf(platformTemplate, "AWS::Kinesis::Stream").values()];
    // Assess
    expect(streams).toEqual([
      {
        Name: "sdp-test-platform-ingest-observations",
        ShardCount: 2,
        RetentionPeriodHours: 48,
        StreamModeDetails: { StreamMode: "PROVISIONED" },
        StreamEncryption: { EncryptionType: "KMS", KeyId: "alias/aws/kinesis" },
        Tags: expect.any(Array),
      },
    ]);
  });

  it("creates every declared queue encrypted, SSL-only, with the longest retention", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const queues = [...propertiesOf(platformTemplate, "AWS::SQS::Queue").values()];
    // Assess
    expect(queues.map((q) => q.QueueName).sort()).toEqual([
      "sdp-test-platform-catalog-dlq",
      "sdp-test-platform-ingest-iot-errors",
    ]);
    for (const queue of queues) {
      expect(queue).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    }
    platformTemplate.resourcePropertiesCountIs(
      "AWS::SQS::QueuePolicy",
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      },
      2,
    );
  });
});

describe("functions", () => {
  it("creates one Node.js 24 ARM function per distinct handler, with the largest declared memory and timeout", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    const specs = functionSpecs(fakeManifests, stage);
    // Act
    const functions = [...propertiesOf(platformTemplate, "AWS::Lambda::Function").values()];
    // Assess
    expect(functions).toHaveLength(specs.size);
    expect(functions.map((f) => f.FunctionName).sort()).toEqual(
      [...specs.values()].map((s) => s.name).sort(),
    );
    for (const fn of functions) {
      expect(fn).toMatchObject({ Runtime: "nodejs24.x", Architectures: ["arm64"] });
    }
    platformTemplate.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "sdp-test-catalog-createItem",
      MemorySize: 1024,
      Timeout: 20,
    });
    platformTemplate.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "sdp-test-gatekeeper-authorize",
      MemorySize: 256,
      Timeout: 5,
    });
  });

  it("gives every function a log group with retention", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const functions = [...propertiesOf(platformTemplate, "AWS::Lambda::Function").values()];
    // Assess
    for (const fn of functions) {
      expect(fn.LoggingConfig).toEqual({ LogGroup: { Ref: expect.any(String) } });
    }
    platformTemplate.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: Match.anyValue() });
  });

  it("sets the shared variables on every function and a service's table and stream names on its own", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const variables = new Map(
      [...propertiesOf(platformTemplate, "AWS::Lambda::Function").values()].map((fn) => [
        String(fn.FunctionName),
        JSON.parse(JSON.stringify(fn.Environment)).Variables as Record<string, unknown>,
      ]),
    );
    // Assess
    for (const env of variables.values()) {
      expect(env).toMatchObject({
        [Env.stage]: stage,
        [Env.destinationProvisioner]: "cloudformation",
        [Env.tokenIssuer]: { "Fn::GetAtt": [expect.stringMatching(/^StaffPool/), "ProviderURL"] },
        [Env.jwksUrl]: expect.anything(),
        [Env.tokenAudience]: { Ref: expect.stringMatching(/^StaffPoolStaffClient/) },
        [Env.destinationTemplate]: { "Fn::Sub": expect.stringMatching(/^https:\/\/s3\..*\.json$/) },
        [Env.destinationStackRoleArn]: {
          "Fn::GetAtt": [expect.stringMatching(/^DestinationStackRole/), "Arn"],
        },
      });
    }
    const catalogTable = platformTableEnvName("catalog", "index");
    expect(variables.get("sdp-test-catalog-listItems")?.[catalogTable]).toBe(
      "sdp-test-platform-catalog-index",
    );
    expect(variables.get("sdp-test-gatekeeper-authorize")).not.toHaveProperty(catalogTable);
    expect(variables.get("sdp-test-ingest-consumeObservations")?.[platformStreamEnvName("ingest", "observations")]).toBe(
      "sdp-test-platform-ingest-observations",
    );
  });
});

describe("REST API", () => {
  it("has a method for every route, behind the authorizer exactly when the manifest says so", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    const authorizerId = Object.keys(platformTemplate.findResources("AWS::ApiGateway::Authorizer"))[0];
    const routes = fakeManifests.flatMap((m) => m.routes ?? []);
    // Act
    const methods = methodsByRoute(platformTemplate);
    // Assess
    expect([...methods.keys()].sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of routes) {
      const method = methods.get(`${route.method} ${route.path}`);
      if (route.auth.mode === "authorizer") {
        expect(method).toMatchObject({ AuthorizationType: "CUSTOM", AuthorizerId: { Ref: authorizerId } });
      } else {
        expect(method).toMatchObject({ AuthorizationType: "NONE" });
        expect(method).not.toHaveProperty("AuthorizerId");
      }
      expect(method).toMatchObject({
        OperationName: route.operationId,
        Integration: { Type: "AWS_PROXY", IntegrationHttpMethod: "POST" },
      });
    }
    expect(methods.get("GET /catalog/items/{id}")).toMatchObject({
      RequestParameters: { "method.request.path.id": true },
    });
  });

  it("uses one REQUEST authorizer on the Authorization header, never cached, built from the hosting manifest", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const authorizers = [...propertiesOf(platformTemplate, "AWS::ApiGateway::Authorizer").values()];
    // Assess
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]).toMatchObject({
      Type: "REQUEST",
      IdentitySource: "method.request.header.Authorization",
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(JSON.stringify(authorizers[0]?.AuthorizerUri)).toContain("FngatekeeperauthorizeFunction");
  });

  it("answers API Gateway's own errors with the problem+json bodies of contracts", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const responses = [...propertiesOf(platformTemplate, "AWS::ApiGateway::GatewayResponse").values()];
    // Assess
    expect(responses.map((r) => r.ResponseType).sort()).toEqual(Object.keys(GatewayResponses).sort());
    for (const type of Object.keys(GatewayResponses) as (keyof typeof GatewayResponses)[]) {
      platformTemplate.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
        ResponseType: type,
        StatusCode: String(GatewayResponses[type].status),
        ResponseParameters: { "gatewayresponse.header.content-type": "'application/problem+json'" },
        ResponseTemplates: { "application/json": JSON.stringify(gatewayProblem(type)) },
      });
    }
  });

  it("logs access and errors on the stage, without request bodies, behind a WAF web ACL", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const stages = [...propertiesOf(platformTemplate, "AWS::ApiGateway::Stage").values()];
    // Assess
    expect(stages).toHaveLength(1);
    expect(stages[0]).toMatchObject({
      StageName: stage,
      AccessLogSetting: { DestinationArn: expect.anything() },
      MethodSettings: [expect.objectContaining({ LoggingLevel: "ERROR", DataTraceEnabled: false })],
    });
    platformTemplate.resourceCountIs("AWS::WAFv2::WebACLAssociation", 1);
  });
});

describe("stream consumers", () => {
  it("maps platform-table and Kinesis consumers with exactly the manifest's settings", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    const mappings = propertiesOf(platformTemplate, "AWS::Lambda::EventSourceMapping");
    const declared = [
      {
        id: "Consumer-catalog-indexChanged",
        consumer: catalogManifest.streamConsumers[0],
        fn: "FncatalogindexChanged",
      },
      {
        id: "Consumer-ingest-observations",
        consumer: ingestManifest.streamConsumers[0],
        fn: "FningestconsumeObservations",
      },
    ];
    // Act
    const found = declared.map(({ id }) =>
      [...mappings.entries()].find(([logicalId]) => logicalId.startsWith(id.replace(/-/g, ""))),
    );
    // Assess
    expect(mappings.size).toBe(2);
    declared.forEach(({ consumer, fn }, index) => {
      const settings = withEventSourceDefaults(consumer);
      const mapping = found[index]?.[1];
      expect(mapping).toMatchObject({
        FunctionName: { Ref: expect.stringMatching(new RegExp(`^${fn}Function`)) },
        BatchSize: settings.batchSize,
        MaximumBatchingWindowInSeconds: settings.maximumBatchingWindowSeconds,
        StartingPosition: settings.startingPosition,
        MaximumRetryAttempts: settings.maximumRetryAttempts,
        MaximumRecordAgeInSeconds: settings.maximumRecordAgeSeconds,
        BisectBatchOnFunctionError: settings.bisectBatchOnFunctionError,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        DestinationConfig: {
          OnFailure: { Destination: { "Fn::GetAtt": [expect.stringMatching(/^Queue/), "Arn"] } },
        },
      });
    });
    expect(found[0]?.[1]?.EventSourceArn).toEqual({
      "Fn::GetAtt": [expect.stringMatching(/^Tablecatalogindex/), "StreamArn"],
    });
    expect(found[1]?.[1]?.EventSourceArn).toEqual({
      "Fn::GetAtt": [expect.stringMatching(/^Streamingestobservations/), "Arn"],
    });
  });
});

describe("events and schedules", () => {
  it("routes each event consumer's pattern on the platform bus to its function", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const rules = [...propertiesOf(platformTemplate, "AWS::Events::Rule").values()].filter(
      (r) => r.EventPattern,
    );
    // Assess
    expect(rules).toHaveLength(2);
    platformTemplate.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: { Ref: Match.stringLikeRegexp("^Bus") },
      EventPattern: { source: ["sdp.ingest"], "detail-type": ["DeviceSeen"] },
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^FncatalogonDeviceSeen"), "Arn"] },
        }),
      ],
    });
    platformTemplate.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: { source: [{ prefix: "" }] },
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^FningestauditEverything"), "Arn"] },
        }),
      ],
    });
    platformTemplate.hasResourceProperties("AWS::Events::EventBus", { Name: "sdp-test-events" });
  });

  it("runs each schedule at its declared rate", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const schedules = [...propertiesOf(platformTemplate, "AWS::Events::Rule").values()].filter(
      (r) => r.ScheduleExpression,
    );
    // Assess
    expect(schedules).toEqual([
      expect.objectContaining({
        ScheduleExpression: "rate(5 minutes)",
        Targets: [
          expect.objectContaining({
            Arn: { "Fn::GetAtt": [expect.stringMatching(/^Fncatalogexpire/), "Arn"] },
          }),
        ],
      }),
    ]);
  });
});

describe("staff identity", () => {
  it("has a user pool with MFA, the platform-admin and staff-role groups, the tenant attribute and a client", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const groups = [...propertiesOf(platformTemplate, "AWS::Cognito::UserPoolGroup").values()].map(
      (g) => g.GroupName,
    );
    // Assess
    expect(groups.sort()).toEqual([PLATFORM_ADMIN_GROUP, ...StaffRole.options].sort());
    platformTemplate.hasResourceProperties("AWS::Cognito::UserPool", {
      UserPoolName: "sdp-test-staff",
      MfaConfiguration: "ON",
      Schema: Match.arrayWith([Match.objectLike({ Name: "tenant", AttributeDataType: "String" })]),
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
    platformTemplate.hasResourceProperties("AWS::Cognito::UserPoolClient", {
      GenerateSecret: false,
      ReadAttributes: Match.arrayWith(["custom:tenant"]),
      WriteAttributes: Match.not(Match.arrayWith(["custom:tenant"])),
    });
  });
});

describe("least privilege", () => {
  const statementsOf = (synthesizedStack: Synthesized, functionName: string): unknown[] => {
    const template = synthesizedStack.platformTemplate;
    const fn = [...propertiesOf(template, "AWS::Lambda::Function").values()].find(
      (f) => f.FunctionName === functionName,
    );
    const roleId = JSON.stringify(fn?.Role).match(/"(Fn[A-Za-z0-9]+Role[A-F0-9]{8})"/)?.[1];
    const policies = [...propertiesOf(template, "AWS::IAM::Policy").values()].filter((p) =>
      JSON.stringify(p.Roles).includes(`"${roleId}"`),
    );
    return policies.flatMap((p) => JSON.parse(JSON.stringify(p.PolicyDocument)).Statement as unknown[]);
  };

  it("lets a function reach its own service's tables by ARN and tenant tables by the service's name pattern", () => {
    // Prepare
    const statements = JSON.stringify(statementsOf(synthesized, "sdp-test-catalog-listItems"));
    // Act
    const ownPlatformTable = statements.includes("Tablecatalogindex");
    const tenantTables = [":table/sdp-test-*-catalog", ":table/sdp-test-*-catalog-history", "/index/bySku"];
    // Assess
    expect(ownPlatformTable).toBe(true);
    for (const fragment of tenantTables) expect(statements).toContain(fragment);
    expect(statements).not.toContain("ingest");
    expect(statements).not.toContain("cloudformation:");
  });

  it("gives nothing of catalog's to another service's function", () => {
    // Prepare
    const statements = JSON.stringify(statementsOf(synthesized, "sdp-test-ingest-consumeObservations"));
    // Act
    const mentionsCatalog = statements.includes("catalog");
    // Assess
    expect(mentionsCatalog).toBe(false);
    expect(statements).toContain("kinesis:GetRecords");
  });

  it("lets a tenant-stream consumer read every destination's stream of its table, and publish to the bus", () => {
    // Prepare
    const statements = JSON.stringify(statementsOf(synthesized, "sdp-test-catalog-publishOutbox"));
    // Act
    const readsTenantStreams = statements.includes(":table/sdp-test-*-catalog/stream/*");
    // Assess
    expect(readsTenantStreams).toBe(true);
    expect(statements).toContain("events:PutEvents");
  });
});

describe("destination provisioning", () => {
  it("ships the destination template as an asset and creates the CloudFormation role its resources need", () => {
    // Prepare
    const { platformTemplate, platform } = synthesized;
    // Act
    const types = new Set(Object.values(platform.destinationTemplateJson.Resources).map((r) => r.Type));
    // Assess
    expect([...types].sort()).toEqual([
      "AWS::DynamoDB::Table",
      "AWS::IoT::ThingGroup",
      "AWS::IoT::TopicRule",
      "AWS::Lambda::EventSourceMapping",
    ]);
    platformTemplate.hasResourceProperties("AWS::IAM::Role", {
      RoleName: "sdp-test-destination-stacks",
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: "cloudformation.amazonaws.com" } })],
      },
    });
    platformTemplate.hasOutput("DestinationTemplateUrl", Match.anyValue());
  });

  it("confines the CloudFormation role to destination names and to the tenant-stream consumers", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const policy = JSON.stringify(
      [...propertiesOf(platformTemplate, "AWS::IAM::Policy").entries()].find(([id]) =>
        id.startsWith("DestinationStackRole"),
      )?.[1],
    );
    // Assess
    expect(policy).toContain(":table/sdp-test-*");
    expect(policy).toContain('"Effect":"Deny"');
    expect(policy).toContain(":function:sdp-test-catalog-publishOutbox");
    expect(policy).toContain(":thinggroup/sdp-test-*");
    expect(policy).toContain(":rule/sdp_test_*");
    expect(policy).toContain("iam:PassRole");
  });
});
