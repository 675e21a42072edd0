import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Annotations, Duration, Stack } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Code, Runtime } from "aws-cdk-lib/aws-lambda";
import { type BundlingOptions, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { FunctionSpec } from "./model";

/** The repository root: manifests name handler files relative to it, and it holds the lock file. */
export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/**
 * Node.js 24 is the newest LTS this aws-cdk-lib offers (`Runtime.NODEJS_24_X`); `NODEJS_LATEST` is not
 * used because it moves with the library and would change every function on an upgrade.
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

export const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: false,
  // The runtime ships SDK v3; bundling it would add megabytes to every cold start.
  externalModules: ["@aws-sdk/*"],
  mainFields: ["module", "main"],
  // Some dependencies are CommonJS and call require(); ESM output has no require unless given one.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  forceDockerBundling: false,
};

export interface ServiceFunctionProps {
  readonly spec: FunctionSpec;
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * A handler from a manifest as a Lambda function, with its own role (so grants are per function) and its
 * own log group with retention (so logs do not live forever).
 */
export class ServiceFunction extends Construct {
  readonly spec: FunctionSpec;
  readonly function: NodejsFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const { spec } = props;
    this.spec = spec;
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `Execution role of ${spec.name} (${spec.key})`,
    });
    const logGroup = new LogGroup(this, "Logs", { retention: RetentionDays.ONE_MONTH });
    logGroup.grantWrite(this.role);

    const entry = join(REPO_ROOT, spec.file);
    // NodejsFunction checks the entry file even when bundling is skipped (tests, `cdk ls`); handlers are
    // written in parallel with the infrastructure, so a missing one gets placeholder code there. When
    // this stack is bundled, NodejsFunction reports the missing file itself.
    const placeholder = !existsSync(entry) && !Stack.of(this).bundlingRequired;
    if (placeholder) {
      Annotations.of(this).addWarningV2(
        "sdp:handler-missing",
        `${spec.file} does not exist yet; placeholder code`,
      );
    }
    this.function = new NodejsFunction(this, "Function", {
      functionName: spec.name,
      description: spec.key,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      role: this.role,
      logGroup,
      environment: { ...props.environment },
      ...(placeholder
        ? { code: Code.fromInline("export {};"), handler: `index.${spec.export}` }
        : {
            entry,
            handler: spec.export,
            projectRoot: REPO_ROOT,
            depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
            bundling: BUNDLING,
          }),
    });
  }
}
