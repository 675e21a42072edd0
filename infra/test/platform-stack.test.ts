import {
  Env,
  GatewayResponses,
  gatewayProblem,
  IdentityEnv,
  IotEnv,
  PLATFORM_ADMIN_GROUP,
  platformStreamEnvName,
  platformTableEnvName,
  StaffRole,
  withEventSourceDefaults,
} from "@sdp/contracts";
import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { IOT_DATA_ENDPOINT_CONTEXT, IOT_DATA_ENDPOINT_PARAMETER } from "../lib/capabilities";
import { functionSpecs } from "../lib/model";
import {
  actionsOf,
  catalogManifest,
  environmentsOf,
  fakeManifests,
  ingestManifest,
  methodsByRoute,
  propertiesOf,
  type Synthesized,
  statementsOf as statementsIn,
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
    // Functions in a service's nested stack see the platform's resources through `referenceto…` parameters.
    const mentions = (value: unknown, pattern: RegExp) => expect(JSON.stringify(value)).toMatch(pattern);
    for (const env of variables.values()) {
      expect(env).toMatchObject({
        [Env.stage]: stage,
        [Env.destinationProvisioner]: "cloudformation",
        [Env.destinationTemplate]: { "Fn::Sub": expect.stringMatching(/^https:\/\/s3\..*\.json$/) },
      });
      mentions(env[Env.tokenIssuer], /StaffPool\w*"?,?"?ProviderURL/);
      mentions(env[Env.jwksUrl], /StaffPool.*ProviderURL.*jwks\.json/);
      mentions(env[Env.tokenAudience], /StaffPoolStaffClient/);
      mentions(env[Env.destinationStackRoleArn], /DestinationStackRole\w*"?,?"?Arn/);
      mentions(env[Env.eventBus], /Bus/);
    }
    const catalogTable = platformTableEnvName("catalog", "index");
    expect(variables.get("sdp-test-catalog-listItems")?.[catalogTable]).toBe(
      "sdp-test-platform-catalog-index",
    );
    expect(variables.get("sdp-test-ingest-consumeObservations")).not.toHaveProperty(catalogTable);
    // The authorizer host declares that it reads catalog's index table.
    expect(variables.get("sdp-test-gatekeeper-authorize")?.[catalogTable]).toBe(
      "sdp-test-platform-catalog-index",
    );
    expect(
      variables.get("sdp-test-ingest-consumeObservations")?.[platformStreamEnvName("ingest", "observations")],
    ).toBe("sdp-test-platform-ingest-observations");
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
      {
        id: "Consumer-catalog-observed",
        consumer: catalogManifest.streamConsumers[2],
        fn: "FncatalogonObservation",
      },
    ];
    // Act
    const found = declared.map(({ id }) =>
      [...mappings.entries()].find(([logicalId]) => logicalId.startsWith(id.replace(/-/g, ""))),
    );
    // Assess
    expect(mappings.size).toBe(3);
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
        ...(settings.reportBatchItemFailures ? { FunctionResponseTypes: ["ReportBatchItemFailures"] } : {}),
        DestinationConfig: {
          OnFailure: { Destination: { Ref: expect.stringMatching(/^referenceto\w*Queue\w*Arn$/) } },
        },
      });
    });
    // Another service's stream, by its owner's name for it.
    expect(found[2]?.[1]?.EventSourceArn).toEqual({
      Ref: expect.stringMatching(/^referenceto\w*Streamingestobservations\w*Arn$/),
    });
    expect(found[0]?.[1]?.EventSourceArn).toEqual({
      Ref: expect.stringMatching(/^referenceto\w*Tablecatalogindex\w*StreamArn$/),
    });
    expect(found[1]?.[1]?.EventSourceArn).toEqual({
      Ref: expect.stringMatching(/^referenceto\w*Streamingestobservations\w*Arn$/),
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
      EventBusName: { Ref: Match.stringLikeRegexp("^referenceto\\w*Bus") },
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
  const statementsOf = (synthesizedStack: Synthesized, functionName: string) =>
    statementsIn(synthesizedStack.platformTemplate, functionName);

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

describe("access across services", () => {
  it("lets a consumer of another service's stream read it, names it, and nothing else of that service's", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    const streamVariable = platformStreamEnvName("ingest", "observations");
    // Act
    const statements = statementsIn(platformTemplate, "sdp-test-catalog-onObservation");
    const onStream = statements.filter((s) =>
      JSON.stringify(s.Resource).includes("Streamingestobservations"),
    );
    const environments = environmentsOf(platformTemplate);
    // Assess
    expect(environments.get("sdp-test-catalog-onObservation")?.[streamVariable]).toBe(
      "sdp-test-platform-ingest-observations",
    );
    expect(environments.get("sdp-test-catalog-listItems")).not.toHaveProperty(streamVariable);
    expect(onStream.flatMap(actionsOf)).toContain("kinesis:GetRecords");
    expect(onStream.flatMap(actionsOf).filter((a) => /Put|Write/.test(a))).toEqual([]);
    expect(JSON.stringify(statementsIn(platformTemplate, "sdp-test-catalog-listItems"))).not.toContain(
      "ingest",
    );
  });

  it("grants a declared read of another service's tables, and only the writes declared", () => {
    // Prepare
    const { platformTemplate } = synthesized;
    // Act
    const statements = statementsIn(platformTemplate, "sdp-test-gatekeeper-authorize");
    const on = (fragment: string) =>
      statements
        .filter((s) => JSON.stringify(s.Resource).includes(fragment))
        .flatMap(actionsOf)
        .sort();
    // Assess
    const reads = [
      "dynamodb:BatchGetItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:Query",
      "dynamodb:Scan",
    ];
    expect(on("Tablecatalogindex")).toEqual([...reads, "dynamodb:UpdateItem"].sort());
    expect(on("/index/byOwner")).toEqual(reads);
    expect(on(":table/sdp-test-*-catalog-history")).toEqual([...reads, "dynamodb:PutItem"].sort());
    expect(JSON.stringify(statements)).not.toMatch(/DeleteItem|BatchWriteItem/);
  });
});

describe("capabilities", () => {
  it("creates the device IoT policy, and tells only the handlers that manage devices its name", () => {
    // Prepare
    const { parentTemplate, platformTemplate } = synthesized;
    // Act
    const policies = [...propertiesOf(parentTemplate, "AWS::IoT::Policy").values()];
    const environments = environmentsOf(platformTemplate);
    const managers = [...environments].filter(([, env]) => IotEnv.devicePolicy in env).map(([name]) => name);
    // Assess
    expect(policies.map((p) => p.PolicyName)).toEqual(["sdp-test-devices"]);
    expect(managers).toEqual(["sdp-test-catalog-expire"]);
    expect(environments.get("sdp-test-catalog-expire")).toMatchObject({
      [IotEnv.identityProvider]: "iot",
      [IotEnv.devicePolicy]: { Ref: expect.stringMatching(/^referenceto\w*IotDevicePolicy\w*Ref$/) },
    });
    expect(JSON.stringify(statementsIn(platformTemplate, "sdp-test-catalog-expire"))).toContain(
      "iot:CreateKeysAndCertificate",
    );
  });

  it("asks for the IoT data endpoint as a deployment parameter when sdp:iotDataEndpoint is not given", () => {
    // Prepare
    const { parentTemplate, platformTemplate } = synthesized;
    // Act
    const parameter = parentTemplate.findParameters(IOT_DATA_ENDPOINT_PARAMETER);
    const env = environmentsOf(platformTemplate).get("sdp-test-ingest-consumeObservations");
    // Assess
    expect(parameter[IOT_DATA_ENDPOINT_PARAMETER]).not.toHaveProperty("Default");
    expect(env?.[IotEnv.publisher]).toBe("iot-data");
    expect(JSON.stringify(env?.[Env.endpointIotData])).toMatch(/"https:\/\/".*IotDataEndpoint/);
  });

  it.each([["abc123-ats.iot.eu-west-1.amazonaws.com"], ["https://abc123-ats.iot.eu-west-1.amazonaws.com/"]])(
    "takes the IoT data endpoint from sdp:iotDataEndpoint (%s)",
    (given) => {
      // Prepare
      const withEndpoint = synthesize(fakeManifests, {
        stage,
        context: { [IOT_DATA_ENDPOINT_CONTEXT]: given },
      });
      // Act
      const env = environmentsOf(withEndpoint.platformTemplate).get("sdp-test-ingest-consumeObservations");
      // Assess
      expect(env?.[Env.endpointIotData]).toBe("https://abc123-ats.iot.eu-west-1.amazonaws.com");
      expect(withEndpoint.parentTemplate.findParameters(IOT_DATA_ENDPOINT_PARAMETER)).toEqual({});
    },
  );

  it("refuses an sdp:iotDataEndpoint that is not a host name", () => {
    // Act
    const build = () =>
      synthesize(fakeManifests, { stage, context: { [IOT_DATA_ENDPOINT_CONTEXT]: "not a host" } });
    // Assess
    expect(build).toThrow(/sdp:iotDataEndpoint must be the host name/);
  });

  it("keeps the API key pepper in a retained, generated secret that only the declaring handler is given", () => {
    // Prepare
    const { parentTemplate, platformTemplate } = synthesized;
    // Act
    const holders = [...environmentsOf(platformTemplate)].filter(
      ([, env]) => IdentityEnv.apiKeyPepper in env,
    );
    // Assess
    expect(holders.map(([name]) => name)).toEqual(["sdp-test-gatekeeper-authorize"]);
    expect(JSON.stringify(holders[0]?.[1][IdentityEnv.apiKeyPepper])).toContain("{{resolve:secretsmanager:");
    parentTemplate.hasResource("AWS::SecretsManager::Secret", {
      DeletionPolicy: "Retain",
      Properties: {
        Name: "sdp-test-api-key-pepper",
        GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
      },
    });
    parentTemplate.resourceCountIs("AWS::SecretsManager::RotationSchedule", 0);
  });
});
