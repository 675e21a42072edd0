import { type IoTClient, ResourceNotFoundException } from "@aws-sdk/client-iot";
import { describe, expect, it } from "vitest";
import { buildIotCoreIdentityProvider } from "../src/adapters/iot-core-identity";

/** IoT Core has no emulator here: a recording client answers from a script, keyed by command name. */
function recordingClient(answers: Record<string, (input: unknown) => unknown> = {}) {
  const sent: Array<{ name: string; input: unknown }> = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      const name = command.constructor.name;
      sent.push({ name, input: command.input });
      const answer = answers[name];
      return answer ? answer(command.input) : {};
    },
  };
  return { client: client as unknown as IoTClient, sent };
}

const certificateId = "a".repeat(64);
const certificateArn = `arn:aws:iot:eu-west-1:123456789012:cert/${certificateId}`;
const keys = () => ({
  certificateArn,
  certificateId,
  certificatePem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  keyPair: { PublicKey: "-----BEGIN PUBLIC KEY-----", PrivateKey: "-----BEGIN RSA PRIVATE KEY-----" },
});
const options = { stage: "prod", policyName: "sdp-prod-devices" };
const uniqueThing = () => `villamar_pc-${crypto.randomUUID().slice(0, 8)}`;

describe("the IoT Core device identity provider", () => {
  it("creates the thing with its destination, an active certificate, the policy, the attachment and the group", async () => {
    // Prepare
    const { client, sent } = recordingClient({ CreateKeysAndCertificateCommand: keys });
    const thingName = uniqueThing();
    // Act
    const credentials = await buildIotCoreIdentityProvider(client, options).provision({
      tenant: "villamar",
      deviceId: thingName.slice("villamar_".length),
      thingName,
    });
    // Assess
    expect(sent).toEqual([
      {
        name: "CreateThingCommand",
        input: {
          thingName,
          attributePayload: {
            attributes: { destination: "villamar", device: thingName.slice("villamar_".length) },
          },
        },
      },
      { name: "CreateKeysAndCertificateCommand", input: { setAsActive: true } },
      { name: "AttachPolicyCommand", input: { policyName: "sdp-prod-devices", target: certificateArn } },
      { name: "AttachThingPrincipalCommand", input: { thingName, principal: certificateArn } },
      { name: "AddThingToThingGroupCommand", input: { thingGroupName: "sdp-prod-villamar", thingName } },
    ]);
    expect(credentials).toEqual({
      kind: "x509",
      clientId: thingName,
      certificateArn,
      certificateId,
      certificatePem: keys().certificatePem,
      privateKey: keys().keyPair.PrivateKey,
      publicKey: keys().keyPair.PublicKey,
    });
  });

  it("revokes the certificate first, then detaches and deletes it, the group membership and the thing", async () => {
    // Prepare
    const { client, sent } = recordingClient({
      ListThingPrincipalsCommand: () => ({ principals: [certificateArn] }),
    });
    const thingName = uniqueThing();
    // Act
    await buildIotCoreIdentityProvider(client, options).revoke({ tenant: "villamar", thingName });
    // Assess
    expect(sent).toEqual([
      { name: "ListThingPrincipalsCommand", input: { thingName } },
      { name: "UpdateCertificateCommand", input: { certificateId, newStatus: "REVOKED" } },
      { name: "DetachThingPrincipalCommand", input: { thingName, principal: certificateArn } },
      { name: "DetachPolicyCommand", input: { policyName: "sdp-prod-devices", target: certificateArn } },
      { name: "DeleteCertificateCommand", input: { certificateId } },
      { name: "RemoveThingFromThingGroupCommand", input: { thingGroupName: "sdp-prod-villamar", thingName } },
      { name: "DeleteThingCommand", input: { thingName } },
    ]);
  });

  it("undoes what it created when a step fails, and fails", async () => {
    // Prepare
    const { client, sent } = recordingClient({
      CreateKeysAndCertificateCommand: keys,
      AttachPolicyCommand: () => {
        throw new Error("policy missing");
      },
      ListThingPrincipalsCommand: () => ({ principals: [] }),
    });
    const thingName = uniqueThing();
    // Act
    const attempt = buildIotCoreIdentityProvider(client, options).provision({
      tenant: "villamar",
      deviceId: "x",
      thingName,
    });
    // Assess
    await expect(attempt).rejects.toThrow("policy missing");
    expect(sent.map((command) => command.name)).toEqual([
      "CreateThingCommand",
      "CreateKeysAndCertificateCommand",
      "AttachPolicyCommand",
      "ListThingPrincipalsCommand",
      "RemoveThingFromThingGroupCommand",
      "DeleteThingCommand",
    ]);
  });

  it("treats a thing that is already gone as revoked", async () => {
    // Prepare
    const { client, sent } = recordingClient({
      ListThingPrincipalsCommand: () => {
        throw new ResourceNotFoundException({ message: "gone", $metadata: {} });
      },
      RemoveThingFromThingGroupCommand: () => {
        throw new ResourceNotFoundException({ message: "gone", $metadata: {} });
      },
      DeleteThingCommand: () => {
        throw new ResourceNotFoundException({ message: "gone", $metadata: {} });
      },
    });
    // Act
    const attempt = buildIotCoreIdentityProvider(client, options).revoke({
      tenant: "villamar",
      thingName: uniqueThing(),
    });
    // Assess
    await expect(attempt).resolves.toBeUndefined();
    expect(sent.map((command) => command.name)).not.toContain("UpdateCertificateCommand");
  });
});
