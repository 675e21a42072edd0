import { destinationTemplate, Env, platformTableEnvName, tableName } from "@sdp/contracts";
import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { serviceManifests } from "../../functions/registry";
import { LAMBDA_RUNTIME } from "../lib/service-function";
import { methodsByRoute, propertiesOf, type Synthesized, synthesize } from "./support/stacks";

const stage = "dev";
let synthesized: Synthesized;

beforeAll(() => {
  synthesized = synthesize(serviceManifests, { stage });
});

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
                  "Fn::GetAtt": [Match.stringLikeRegexp("^DestinationStackRole"), "Arn"],
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
});
