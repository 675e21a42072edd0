import { App } from "aws-cdk-lib";
import { serviceManifests } from "../../functions/registry";
import { definePlatformApp } from "../lib/app";

// CDK's built-in CloudFormation schema validation takes ~20 s to start and only warns; the infra tests
// run it on both templates instead, so synth stays quick.
const app = new App({ builtinCloudFormationValidation: false });
const stage: unknown = app.node.tryGetContext("sdp:stage") ?? "dev";
const destination: unknown = app.node.tryGetContext("sdp:destination");

definePlatformApp(app, {
  manifests: serviceManifests,
  stage: String(stage),
  ...(typeof destination === "string" && destination !== "" ? { destination } : {}),
});
app.synth();
