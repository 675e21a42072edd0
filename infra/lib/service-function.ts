import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Annotations, Duration, Stack } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { HandlerBundles } from "./bundles";
import type { FunctionSpec } from "./model";

/** The repository root: manifests name handler files relative to it, and it holds the lock file. */
export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/**
 * Node.js 24 is the newest LTS this aws-cdk-lib offers (`Runtime.NODEJS_24_X`); `NODEJS_LATEST` is not
 * used because it moves with the library and would change every function on an upgrade.
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

export interface ServiceFunctionProps {
  readonly spec: FunctionSpec;
  readonly environment: Readonly<Record<string, string>>;
  /** Where the handler's bundle comes from when this stack is bundled. */
  readonly bundles: HandlerBundles;
}

/**
 * A handler from a manifest as a Lambda function, with its own role (so grants are per function) and its
 * own log group with retention (so logs do not live forever).
 */
export class ServiceFunction extends Construct {
  readonly spec: FunctionSpec;
  readonly function: LambdaFunction;
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

    // Bundling is skipped when synthesis does not need the code (tests, `cdk ls`): the function gets
    // placeholder code. Handlers are written in parallel with the infrastructure, so a missing file is
    // a warning there; when this stack is bundled, esbuild reports it as an error.
    const bundled = Stack.of(this).bundlingRequired;
    if (!existsSync(join(REPO_ROOT, spec.file))) {
      Annotations.of(this).addWarningV2("sdp:handler-missing", `${spec.file} does not exist yet`);
    }
    this.function = new LambdaFunction(this, "Function", {
      functionName: spec.name,
      description: spec.key,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      role: this.role,
      logGroup,
      environment: { ...props.environment },
      code: bundled ? Code.fromAsset(props.bundles.directoryFor(spec)) : Code.fromInline("export {};"),
      handler: `index.${spec.export}`,
    });
  }
}
