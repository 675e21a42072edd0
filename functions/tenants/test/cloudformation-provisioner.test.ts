import {
  AlreadyExistsException,
  type CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
} from "@aws-sdk/client-cloudformation";
import { describe, expect, it } from "vitest";
import { buildCloudFormationProvisioner } from "../src/adapters/cloudformation-provisioner";

/** CloudFormation has no emulator here: a recording client answers from a script of stack states. */
function recordingClient(states: string[], createError?: Error) {
  const sent: Array<{ name: string; input: unknown }> = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      if (command instanceof CreateStackCommand && createError) throw createError;
      if (command instanceof DescribeStacksCommand) {
        const status = states.shift();
        if (status === undefined) throw new Error("Stack with id x does not exist");
        return { Stacks: [{ StackId: "arn:aws:cloudformation:eu-west-1:1:stack/x/1", StackStatus: status }] };
      }
      return {};
    },
  };
  return { client: client as unknown as CloudFormationClient, sent };
}

const options = {
  stage: "prod",
  templateUrl: "https://bucket.s3.eu-west-1.amazonaws.com/destination.json",
  roleArn: "arn:aws:iam::1:role/destination-deployer",
  pollIntervalMs: 1,
};

describe("CloudFormation destination provisioner", () => {
  it("creates the destination stack with the slug parameter and waits for completion", async () => {
    // Prepare
    const { client, sent } = recordingClient(["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]);
    // Act
    const result = await buildCloudFormationProvisioner(client, options).provision("villamar");
    // Assess
    expect(sent[0]).toEqual({
      name: "CreateStackCommand",
      input: {
        StackName: "sdp-prod-destination-villamar",
        TemplateURL: options.templateUrl,
        Parameters: [{ ParameterKey: "TenantSlug", ParameterValue: "villamar" }],
        RoleARN: options.roleArn,
        OnFailure: "DELETE",
        ClientRequestToken: "provision-villamar",
        Tags: [
          { Key: "sdp:stage", Value: "prod" },
          { Key: "sdp:destination", Value: "villamar" },
        ],
      },
    });
    expect(sent.slice(1).map((c) => c.name)).toEqual(["DescribeStacksCommand", "DescribeStacksCommand"]);
    expect(result.resources).toEqual(["arn:aws:cloudformation:eu-west-1:1:stack/x/1"]);
  });

  it("treats an existing stack as a retry and waits for it", async () => {
    // Prepare
    const exists = new AlreadyExistsException({ message: "exists", $metadata: {} });
    const { client, sent } = recordingClient(["CREATE_COMPLETE"], exists);
    // Act
    await buildCloudFormationProvisioner(client, options).provision("villamar");
    // Assess
    expect(sent.map((c) => c.name)).toEqual(["CreateStackCommand", "DescribeStacksCommand"]);
  });

  it("fails when the stack rolls back", async () => {
    // Prepare
    const { client } = recordingClient(["CREATE_IN_PROGRESS", "ROLLBACK_COMPLETE"]);
    // Act
    const attempt = buildCloudFormationProvisioner(client, options).provision("villamar");
    // Assess
    await expect(attempt).rejects.toThrow(/ROLLBACK_COMPLETE/);
  });

  it("deletes the stack with the same role and waits until it is gone", async () => {
    // Prepare
    const { client, sent } = recordingClient(["CREATE_COMPLETE", "DELETE_IN_PROGRESS"]);
    // Act
    await buildCloudFormationProvisioner(client, options).deprovision("villamar");
    // Assess
    expect(sent.map((c) => c.name)).toEqual([
      "DescribeStacksCommand",
      "DeleteStackCommand",
      "DescribeStacksCommand",
      "DescribeStacksCommand",
    ]);
    expect(sent[1]?.input).toEqual({ StackName: "sdp-prod-destination-villamar", RoleARN: options.roleArn });
    expect(sent[1]?.name).toBe(DeleteStackCommand.name);
  });
});
