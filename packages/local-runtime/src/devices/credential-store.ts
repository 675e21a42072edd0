import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient, ensureTable } from "@sdp/aws";
import { hashLocalSecret, LocalBrokerCredential, PLATFORM_SCOPE, tableName } from "@sdp/contracts";
import type { BrokerIdentity } from "../iot/broker";

/**
 * The local stand-in for IoT Core's device identities: where AWS issues an X.509 certificate per thing,
 * the local broker accepts a username (the thing name) and a password. Credentials live in a DynamoDB
 * table the runtime creates (`sdp-local-platform-iot-credentials`), so the ingest service's local
 * identity adapter — a handler, configured with the table's name like any other resource — issues and
 * revokes them, and this authenticator reads them. Only a salted scrypt hash is stored; a password is
 * shown once, when issued.
 */
export const CREDENTIALS_TABLE_SPEC = {
  service: "iot",
  purpose: "credentials",
  partitionKey: { name: "username", type: "S" as const },
};

export function credentialsTableName(stage: string): string {
  return tableName(stage, PLATFORM_SCOPE, CREDENTIALS_TABLE_SPEC.service, CREDENTIALS_TABLE_SPEC.purpose);
}

/** How long a connected device may go on after its credential was revoked or re-issued. */
export const REVOCATION_CHECK_MS = 1_000;

export interface Authenticated {
  readonly identity: BrokerIdentity;
  readonly username: string;
  /** The credential's version when the session opened; a session outlives no other. */
  readonly version: string;
}

export interface DeviceCredentialStore {
  readonly table: string;
  authenticate(username: string | undefined, password: Buffer | undefined): Promise<Authenticated | null>;
  /** Whether a session opened with this credential version may go on (checked at most once a second). */
  isCurrent(username: string, version: string): Promise<boolean>;
  /** Issues (or re-issues, revoking the old one) a device's password. */
  issueDevice(tenant: string, thing: string): Promise<string>;
  revokeDevice(thing: string): Promise<void>;
  /**
   * Issues a password for one of the platform's own clients, valid while this process runs. Kept in
   * memory: nothing is written to DynamoDB at start-up (DynamoDB Local loses the position of stream
   * readers on still-empty streams when another table is written first).
   */
  issueService(name: string): Promise<string>;
}

function matches(actualHex: string, expectedHex: string): boolean {
  const actual = Buffer.from(actualHex, "hex");
  const expected = Buffer.from(expectedHex, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export async function openDeviceCredentialStore(options: {
  readonly client: DynamoDBClient;
  readonly table: string;
}): Promise<DeviceCredentialStore> {
  const { table } = options;
  await ensureTable(options.client, table, CREDENTIALS_TABLE_SPEC);
  const documents = createDocumentClient(options.client);
  const read = async (username: string) => {
    const { Item } = await documents.send(
      new GetCommand({ TableName: table, Key: { username }, ConsistentRead: true }),
    );
    const parsed = LocalBrokerCredential.safeParse(Item);
    return parsed.success ? parsed.data : undefined;
  };
  const issue = async (credential: Omit<LocalBrokerCredential, "salt" | "hash" | "version" | "issuedAt">) => {
    const secret = randomBytes(24).toString("base64url");
    const salt = randomBytes(16).toString("hex");
    const item: LocalBrokerCredential = {
      ...credential,
      salt,
      hash: await hashLocalSecret(secret, salt),
      version: randomUUID(),
      issuedAt: new Date().toISOString(),
    };
    await documents.send(new PutCommand({ TableName: table, Item: item }));
    return secret;
  };
  const current = new Map<string, { at: number; version: Promise<string | undefined> }>();
  const services = new Map<string, LocalBrokerCredential>();
  return {
    table,
    async authenticate(username, password) {
      if (!username || !password) return null;
      const credential = services.get(username) ?? (await read(username));
      if (!credential) return null;
      if (!matches(await hashLocalSecret(password.toString("utf8"), credential.salt), credential.hash))
        return null;
      const identity: BrokerIdentity =
        credential.kind === "device" && credential.tenant
          ? { kind: "device", tenant: credential.tenant, thing: credential.username }
          : { kind: "service", name: credential.username };
      return { identity, username, version: credential.version };
    },
    async isCurrent(username, version) {
      const service = services.get(username);
      if (service) return service.version === version;
      let entry = current.get(username);
      if (!entry || Date.now() - entry.at > REVOCATION_CHECK_MS) {
        entry = { at: Date.now(), version: read(username).then((credential) => credential?.version) };
        current.set(username, entry);
        // A failed read is not cached: the next message asks again.
        entry.version.catch(() => current.delete(username));
      }
      return (await entry.version) === version;
    },
    issueDevice: (tenant, thing) => issue({ username: thing, kind: "device", tenant }),
    async revokeDevice(thing) {
      await documents.send(new DeleteCommand({ TableName: table, Key: { username: thing } }));
    },
    async issueService(name) {
      const secret = randomBytes(24).toString("base64url");
      const salt = randomBytes(16).toString("hex");
      const version = randomUUID();
      const issuedAt = new Date().toISOString();
      services.set(name, {
        username: name,
        kind: "service",
        salt,
        hash: await hashLocalSecret(secret, salt),
        version,
        issuedAt,
      });
      return secret;
    },
  };
}
