import { App, Stack, Validations } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import nag from "cdk-nag";
import { describe, expect, it } from "vitest";
import { serviceManifests } from "../../functions/registry";
import { synthesizeDestinationTemplate } from "../lib/destination-template";
import { grantWithWildcards } from "../lib/nag";
import { fakeManifests, synthesize } from "./support/stacks";

/** Rule ids and places of cdk-nag findings nobody acknowledged. */
const findings = (stack: Stack) =>
  new nag.AwsSolutionsChecks().validateScope(stack).violations.map((violation) => ({
    rule: violation.ruleName,
    at: violation.violatingResources.map((resource) => resource.constructPath),
  }));

describe("cdk-nag AWS Solutions checks", () => {
  it.each([
    ["the real manifests", serviceManifests],
    ["the fake manifests", fakeManifests],
  ])("find nothing unacknowledged in the platform stack of %s", (_, manifests) => {
    // Prepare
    const { platform } = synthesize(manifests);
    // Act
    const found = findings(platform);
    // Assess
    expect(found).toEqual([]);
  });

  it.each([
    ["the real manifests", serviceManifests],
    ["the fake manifests", fakeManifests],
  ])("find nothing unacknowledged in the destination stack of %s", (_, manifests) => {
    // Prepare
    const synthesized = synthesizeDestinationTemplate(manifests, "test");
    // Act
    const found = synthesized.findings;
    synthesized.dispose();
    // Assess
    expect(found).toEqual([]);
  });

  it("run as part of synthesis, so an unacknowledged finding fails it", () => {
    // Prepare
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, "Probe");
    const role = new Role(stack, "Role", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });
    role.addToPolicy(
      new PolicyStatement({ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::bucket/*"] }),
    );
    Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app));
    // Act
    const synth = () => app.synth();
    // Assess
    expect(synth).toThrow(/AwsSolutions-IAM5/);
  });

  it("acknowledge exactly the wildcard resources granted through grantWithWildcards", () => {
    // Prepare
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, "Probe");
    const role = new Role(stack, "Role", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });
    const table = stack.formatArn({ service: "dynamodb", resource: "table", resourceName: "sdp-x-*-svc" });
    grantWithWildcards(role, { actions: ["dynamodb:GetItem"], resources: [table] }, "per-tenant tables");
    role.addToPolicy(new PolicyStatement({ actions: ["dynamodb:PutItem"], resources: [`${table}-other`] }));
    // Act
    const found = findings(stack);
    // Assess
    expect(found.map((f) => f.rule)).toEqual([
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/sdp-x-*-svc-other]",
    ]);
  });
});
