import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServiceManifest } from "@sdp/contracts";
import { App, BootstraplessSynthesizer } from "aws-cdk-lib";
import nag from "cdk-nag";
import { DestinationStack } from "./destination-stack";

export interface SynthesizedDestination {
  readonly templatePath: string;
  readonly template: DestinationTemplateJson;
  /** cdk-nag findings without an acknowledgment; the caller reports them, since this App is not the CLI's. */
  readonly findings: readonly string[];
  /** Removes the temporary directory, once the template has been staged elsewhere. */
  readonly dispose: () => void;
}

export interface DestinationTemplateJson {
  readonly Parameters?: Readonly<Record<string, unknown>>;
  readonly Resources: Readonly<Record<string, { readonly Type: string; readonly Properties?: unknown }>>;
}

/**
 * Synthesizes the destination stack in an App of its own, into a temporary directory, so that its
 * template can ship as a file asset of the platform stack and be handed to CreateStack as a TemplateURL.
 * No bootstrap-version rule: the provisioner's CloudFormation role should not need to read SSM.
 */
export function synthesizeDestinationTemplate(
  manifests: readonly ServiceManifest[],
  stage: string,
): SynthesizedDestination {
  const outdir = mkdtempSync(join(tmpdir(), "sdp-destination-"));
  const app = new App({
    outdir,
    analyticsReporting: false,
    // CDK's schema validation costs ~20 s per process; the infra tests run it on this template instead.
    builtinCloudFormationValidation: false,
  });
  const stack = new DestinationStack(app, "Destination", {
    manifests,
    stage,
    synthesizer: new BootstraplessSynthesizer(),
    description: `Smart Destination Platform (${stage}): one destination's resources`,
  });
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const report = new nag.AwsSolutionsChecks().validateScope(stack);
  const findings = report.violations.map(
    (violation) =>
      `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(", ")}: ${violation.description}`,
  );
  return {
    templatePath: artifact.templateFullPath,
    template: artifact.template,
    findings,
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
