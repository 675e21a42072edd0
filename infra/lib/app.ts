import { type ServiceManifest, Stage, TenantSlug } from "@sdp/contracts";
import { type App, Validations } from "aws-cdk-lib";
import nag from "cdk-nag";
import { DestinationStack } from "./destination-stack";
import { Names } from "./model";
import { PlatformStack } from "./platform-stack";

export interface PlatformAppOptions {
  readonly manifests: readonly ServiceManifest[];
  readonly stage: string;
  /** A destination to add as its own stack, for an operator deploying it by hand with the CDK. */
  readonly destination?: string;
}

export interface PlatformApp {
  readonly platform: PlatformStack;
  readonly destination: DestinationStack | undefined;
}

/**
 * The stacks of one stage, built from the manifests, with cdk-nag's AWS Solutions checks on every stack:
 * an unacknowledged finding fails synthesis.
 */
export function definePlatformApp(app: App, options: PlatformAppOptions): PlatformApp {
  const stage = Stage.parse(options.stage);
  const platform = new PlatformStack(app, Names.platformStack(stage), {
    manifests: options.manifests,
    stage,
    description: `Smart Destination Platform (${stage}): control plane`,
  });
  let destination: DestinationStack | undefined;
  if (options.destination !== undefined) {
    const slug = TenantSlug.parse(options.destination);
    destination = new DestinationStack(app, Names.destinationStack(stage, slug), {
      manifests: options.manifests,
      stage,
      defaultSlug: slug,
      description: `Smart Destination Platform (${stage}): destination ${slug}`,
    });
    // Its mappings name platform functions and queues, which must exist first.
    destination.addStackDependency(platform);
  }
  Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app));
  return { platform, destination };
}
