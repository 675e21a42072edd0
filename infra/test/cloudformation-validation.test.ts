import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { serviceManifests } from "../../functions/registry";
import { definePlatformApp } from "../lib/app";
import { fakeManifests } from "./support/stacks";

interface Report {
  readonly pluginReports: readonly {
    readonly pluginName?: string;
    readonly violations?: readonly unknown[];
  }[];
}

/**
 * CDK's own CloudFormation schema validation is off in `npm run synth` (it takes ~20 s to start), so it
 * runs here, once, over both stacks of both manifest sets; `sdp:destination` puts the destination stack
 * into the same app.
 */
describe("CloudFormation schema validation", () => {
  it("finds nothing in the platform and destination templates", { timeout: 180_000 }, () => {
    // Prepare
    const apps = [serviceManifests, fakeManifests].map((manifests) => {
      const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
      definePlatformApp(app, { manifests, stage: "test", destination: "lanzarote" });
      return app;
    });
    // Act
    const reports = apps.map((app) => {
      const assembly = app.synth();
      const report: Report = JSON.parse(
        readFileSync(join(assembly.directory, "validation-report.json"), "utf8"),
      );
      return report.pluginReports.flatMap((plugin) => plugin.violations ?? []);
    });
    // Assess
    expect(reports).toEqual([[], []]);
  });
});
