import { randomBytes, randomUUID } from "node:crypto";
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { hashLocalSecret, type LocalBrokerCredential } from "@sdp/contracts";
import type { DeviceIdentityProvider } from "../domain/ports";

/**
 * Device identities on the local broker (DESIGN §5: username and password instead of a certificate):
 * the password is shown once, its salted scrypt hash goes to the credential table the broker's
 * authenticator reads. Deleting the item revokes it: the broker refuses new connections at once and
 * cuts off a connected device at its next message.
 */
export function buildLocalBrokerIdentityProvider(
  client: DynamoDBDocumentClient,
  table: string,
): DeviceIdentityProvider {
  return {
    async provision({ tenant, thingName }) {
      const password = randomBytes(24).toString("base64url");
      const salt = randomBytes(16).toString("hex");
      const credential: LocalBrokerCredential = {
        username: thingName,
        kind: "device",
        tenant,
        salt,
        hash: await hashLocalSecret(password, salt),
        version: randomUUID(),
        issuedAt: new Date().toISOString(),
      };
      await client.send(new PutCommand({ TableName: table, Item: credential }));
      return { kind: "password", clientId: thingName, username: thingName, password };
    },
    async revoke({ thingName }) {
      await client.send(new DeleteCommand({ TableName: table, Key: { username: thingName } }));
    },
  };
}
