import {
  AlreadyExistsException,
  type CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import { destinationStackName } from "@sdp/contracts";
import type { DestinationProvisioner } from "../domain/ports";

export interface CloudFormationProvisionerOptions {
  readonly stage: string;
  /** S3 URL of the synthesized destination stack template. */
  readonly templateUrl: string;
  /** Service role CloudFormation assumes to create the destination's resources. */
  readonly roleArn: string;
  readonly pollIntervalMs?: number;
  readonly timeoutMs?: number;
}

const DONE = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE"]);
const FAILED = new Set([
  "CREATE_FAILED",
  "ROLLBACK_COMPLETE",
  "ROLLBACK_FAILED",
  "DELETE_COMPLETE",
  "DELETE_FAILED",
]);

export class DestinationStackError extends Error {
  constructor(stackName: string, status: string | undefined) {
    super(`stack ${stackName} ended in ${status ?? "an unknown state"}`);
    this.name = "DestinationStackError";
  }
}

/**
 * Provisions a destination in AWS by deploying the per-destination stack (one template for every
 * destination, the slug as parameter) and waiting for it to complete.
 */
export function buildCloudFormationProvisioner(
  client: CloudFormationClient,
  options: CloudFormationProvisionerOptions,
): DestinationProvisioner {
  const pollMs = options.pollIntervalMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 240_000;
  const describe = async (stackName: string): Promise<Stack | undefined> => {
    try {
      const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
      return Stacks?.[0];
    } catch (error) {
      if (error instanceof Error && /does not exist/.test(error.message)) return undefined;
      throw error;
    }
  };
  const waitFor = async (stackName: string, accept: (stack: Stack | undefined) => boolean) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stack = await describe(stackName);
      if (accept(stack)) return stack;
      if (stack && FAILED.has(stack.StackStatus ?? ""))
        throw new DestinationStackError(stackName, stack.StackStatus);
      // Still in progress past our budget: fail this attempt; the stream consumer retries later.
      if (Date.now() > deadline) throw new DestinationStackError(stackName, stack?.StackStatus);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };
  return {
    async provision(slug) {
      const stackName = destinationStackName(options.stage, slug);
      try {
        await client.send(
          new CreateStackCommand({
            StackName: stackName,
            TemplateURL: options.templateUrl,
            Parameters: [{ ParameterKey: "TenantSlug", ParameterValue: slug }],
            RoleARN: options.roleArn,
            OnFailure: "DELETE",
            ClientRequestToken: `provision-${slug}`,
            Tags: [
              { Key: "sdp:stage", Value: options.stage },
              { Key: "sdp:destination", Value: slug },
            ],
          }),
        );
      } catch (error) {
        if (!(error instanceof AlreadyExistsException)) throw error;
      }
      const stack = await waitFor(stackName, (s) => DONE.has(s?.StackStatus ?? ""));
      return { resources: [stack?.StackId ?? stackName] };
    },
    async deprovision(slug) {
      const stackName = destinationStackName(options.stage, slug);
      if (!(await describe(stackName))) return;
      await client.send(new DeleteStackCommand({ StackName: stackName, RoleARN: options.roleArn }));
      await waitFor(stackName, (s) => s === undefined || s.StackStatus === "DELETE_COMPLETE");
    },
    async tables(slug) {
      const stackName = destinationStackName(options.stage, slug);
      if (!(await describe(stackName))) return [];
      const { StackResources } = await client.send(
        new DescribeStackResourcesCommand({ StackName: stackName }),
      );
      return (StackResources ?? [])
        .filter((resource) => resource.ResourceType === "AWS::DynamoDB::Table" && resource.PhysicalResourceId)
        .map((resource) => resource.PhysicalResourceId ?? "");
    },
  };
}
