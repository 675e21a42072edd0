import { readFileSync } from "node:fs";
import { destinationTemplate, TENANT_SLUG_PATTERN, withEventSourceDefaults } from "@sdp/contracts";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { DestinationStack } from "../lib/destination-stack";
import { synthesizeDestinationTemplate } from "../lib/destination-template";
import {
  catalogManifest,
  fakeManifests,
  ingestManifest,
  propertiesOf,
  type Synthesized,
  synthesize,
} from "./support/stacks";

const stage = "test";
const slugRef = { Ref: "TenantSlug" };
/** The name CloudFormation builds for a tenant table: `sdp-<stage>-<slug>-<service>[-<purpose>]`. */
const joinedName = (suffix: string) => ({ "Fn::Join": ["", [`sdp-${stage}-`, slugRef, suffix]] });

let synthesized: Synthesized;

beforeAll(() => {
  synthesized = synthesize(fakeManifests, { stage });
});

describe("destination template", () => {
  it("takes the slug as the TenantSlug parameter, constrained to the slug pattern", () => {
    // Prepare
    const { destinationTemplate: template } = synthesized;
    // Act
    const parameters = template.findParameters("TenantSlug");
    // Assess
    expect(parameters.TenantSlug).toMatchObject({
      Type: "String",
      AllowedPattern: TENANT_SLUG_PATTERN.source,
    });
    expect(parameters.TenantSlug).not.toHaveProperty("Default");
    expect(Object.keys(template.toJSON().Parameters ?? {})).toEqual(["TenantSlug"]);
  });

  it("creates every tenant-scope table of destinationTemplate() with its name joined from the slug", () => {
    // Prepare
    const { destinationTemplate: template } = synthesized;
    const declared = destinationTemplate(fakeManifests).tables;
    // Act
    const tables = [...propertiesOf(template, "AWS::DynamoDB::Table").values()];
    // Assess
    expect(tables).toHaveLength(declared.length);
    for (const spec of declared) {
      const suffix = `-${[spec.service, spec.purpose].filter(Boolean).join("-")}`;
      template.hasResourceProperties("AWS::DynamoDB::Table", {
        TableName: joinedName(suffix),
        KeySchema: [
          { AttributeName: spec.partitionKey.name, KeyType: "HASH" },
          ...(spec.sortKey ? [{ AttributeName: spec.sortKey.name, KeyType: "RANGE" }] : []),
        ],
        BillingMode: "PAY_PER_REQUEST",
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        ...(spec.stream ? { StreamSpecification: { StreamViewType: spec.stream } } : {}),
        ...(spec.ttlAttribute
          ? { TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true } }
          : { TimeToLiveSpecification: Match.absent() }),
      });
    }
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: joinedName("-catalog"),
      GlobalSecondaryIndexes: [
        {
          IndexName: "bySku",
          KeySchema: [
            { AttributeName: "sku", KeyType: "HASH" },
            { AttributeName: "pk", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    });
  });

  it("lets a destination's tables leave with it", () => {
    // Prepare
    const { destinationTemplate: template } = synthesized;
    // Act
    const tables = Object.values(template.findResources("AWS::DynamoDB::Table"));
    // Assess
    for (const table of tables) {
      expect(table).toMatchObject({ DeletionPolicy: "Delete" });
      expect(table.Properties).not.toHaveProperty("DeletionProtectionEnabled", true);
    }
  });

  it("maps tenant-table streams to the platform's functions by name, with the manifest's settings", () => {
    // Prepare
    const { destinationTemplate: template } = synthesized;
    const consumer = catalogManifest.streamConsumers[1];
    const settings = withEventSourceDefaults(consumer);
    // Act
    const mappings = [...propertiesOf(template, "AWS::Lambda::EventSourceMapping").values()];
    // Assess
    expect(mappings).toEqual([
      {
        FunctionName: "sdp-test-catalog-publishOutbox",
        EventSourceArn: { "Fn::GetAtt": [expect.stringMatching(/^Tablecatalog/), "StreamArn"] },
        BatchSize: settings.batchSize,
        MaximumBatchingWindowInSeconds: settings.maximumBatchingWindowSeconds,
        StartingPosition: settings.startingPosition,
        MaximumRetryAttempts: settings.maximumRetryAttempts,
        MaximumRecordAgeInSeconds: settings.maximumRecordAgeSeconds,
        BisectBatchOnFunctionError: settings.bisectBatchOnFunctionError,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        DestinationConfig: {
          OnFailure: {
            Destination: {
              "Fn::Join": [
                "",
                [
                  "arn:",
                  { Ref: "AWS::Partition" },
                  ":sqs:",
                  { Ref: "AWS::Region" },
                  ":",
                  { Ref: "AWS::AccountId" },
                  ":sdp-test-platform-catalog-dlq",
                ],
              ],
            },
          },
        },
        Tags: expect.any(Array),
      },
    ]);
  });

  it("gives the destination a thing group and a topic rule for dt/<slug>/# into the ingest stream", () => {
    // Prepare
    const { destinationTemplate: template } = synthesized;
    // Act
    const rules = [...propertiesOf(template, "AWS::IoT::TopicRule").values()];
    // Assess
    template.hasResourceProperties("AWS::IoT::ThingGroup", {
      ThingGroupName: { "Fn::Join": ["", [`sdp-${stage}-`, slugRef]] },
      ThingGroupProperties: { AttributePayload: { Attributes: { destination: slugRef } } },
    });
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      TopicRulePayload: {
        Sql: { "Fn::Join": ["", ["SELECT * FROM 'dt/", slugRef, "/#'"]] },
        Actions: [
          {
            Kinesis: {
              StreamName: "sdp-test-platform-ingest-observations",
              PartitionKey: ingestManifest.iotRules[0].partitionKey,
              RoleArn: expect.anything(),
            },
          },
        ],
        ErrorAction: { Sqs: { QueueUrl: expect.anything(), RoleArn: expect.anything(), UseBase64: false } },
      },
    });
    expect(JSON.stringify(rules[0]?.TopicRulePayload)).toContain("sdp-test-platform-ingest-iot-errors");
    expect(JSON.stringify(rules[0]?.TopicRulePayload)).toContain(":role/sdp-test-iot-rules");
  });

  it("is the template the platform ships as the SDP_DESTINATION_TEMPLATE asset", () => {
    // Prepare
    const { platform } = synthesized;
    const standalone = synthesizeDestinationTemplate(fakeManifests, stage);
    // Act
    const shipped = JSON.parse(readFileSync(standalone.templatePath, "utf8"));
    standalone.dispose();
    // Assess
    expect(shipped).toEqual(platform.destinationTemplateJson);
    expect(standalone.findings).toEqual([]);
  });

  it("has no bootstrap-version rule, so CloudFormation needs no SSM access to create it", () => {
    // Prepare
    const { destinationTemplate: template } = synthesized;
    // Act
    const json = template.toJSON();
    // Assess
    expect(json).not.toHaveProperty("Rules");
    expect(JSON.stringify(json)).not.toContain("BootstrapVersion");
  });
});

describe("a destination deployed by hand", () => {
  it("is added as its own stack when sdp:destination is given, with the slug as the parameter's default", () => {
    // Prepare
    const app = synthesize(fakeManifests, { stage, destination: "lanzarote" });
    // Act
    const template = app.destination ? Template.fromStack(app.destination) : undefined;
    // Assess
    expect(app.destination?.stackName).toBe("sdp-test-destination-lanzarote");
    expect(template?.findParameters("TenantSlug").TenantSlug).toMatchObject({ Default: "lanzarote" });
    expect(app.destination?.dependencies.map((d) => d.stackName)).toEqual(["sdp-test-platform"]);
  });

  it("rejects a slug the platform would not accept", () => {
    // Prepare
    const build = () => synthesize(fakeManifests, { stage, destination: "Not A Slug" });
    // Act + Assess
    expect(build).toThrow();
  });

  it("can be synthesized on its own in any app", () => {
    // Prepare
    const app = new App({ builtinCloudFormationValidation: false });
    // Act
    const stack = new DestinationStack(app, "Destination", { manifests: fakeManifests, stage });
    // Assess
    expect(Template.fromStack(stack).findParameters("TenantSlug")).toHaveProperty("TenantSlug");
  });
});
