import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient, createDynamoDbClient, ensureTable } from "@sdp/aws";
import {
  type ApiKeyRecord,
  ApiKeyTable,
  type AuditEvent,
  formatApiKey,
  hashApiKeySecret,
  newApiKeySecret,
  type TenantStatus,
} from "@sdp/contracts";
import type { AuditLog } from "@sdp/lambda-kit";
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { buildDynamoDbApiKeyLookup } from "../src/adapters/dynamodb-api-keys";
import { cachedDestinationStatus } from "../src/adapters/dynamodb-destination-status";
import { buildHandler } from "../src/authorize";

const pepper = "a-test-pepper-that-is-long-enough-0123456789";
const client = createDocumentClient();
let table: string;

beforeAll(async () => {
  table = `apikeys-${crypto.randomUUID()}`;
  await ensureTable(createDynamoDbClient(), table, {
    service: ApiKeyTable.service,
    purpose: ApiKeyTable.purpose,
    partitionKey: { name: ApiKeyTable.pk, type: "S" },
    sortKey: { name: ApiKeyTable.sk, type: "S" },
    ttlAttribute: ApiKeyTable.ttl,
  });
});

const lowerUlid = () => {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  return Array.from({ length: 26 }, () => alphabet[Math.floor(Math.random() * 32)]).join("");
};

/** Stores a key as the tenants service would and returns the key string an SME would send. */
async function storeKey(overrides: Partial<ApiKeyRecord> = {}, tenant = "villamar") {
  const keyId = lowerUlid();
  const secret = newApiKeySecret();
  const record: ApiKeyRecord = {
    keyId,
    tenant,
    smeId: "sme_01JABCDEFGHJKMNPQRSTVWXYZ0",
    prefix: `sdp_local_${keyId}`,
    hash: hashApiKeySecret(pepper, keyId, secret),
    scopes: ["context:read", "loyalty:earn"],
    rateLimitPerMinute: 100,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    createdAt: new Date().toISOString(),
    createdBy: "staff:u1",
    ...overrides,
  };
  await client.send(
    new PutCommand({
      TableName: table,
      Item: {
        pk: ApiKeyTable.keyPk(keyId),
        sk: ApiKeyTable.keySk,
        smeRef: `${tenant}#${record.smeId}`,
        ...record,
      },
    }),
  );
  return { keyId, key: formatApiKey("local", keyId, secret), secret };
}

function harness(options: { statuses?: Record<string, TenantStatus>; now?: () => Date } = {}) {
  const audited: Array<{ tenant: string; event: AuditEvent }> = [];
  const audit: AuditLog = {
    async append(tenant, auditEvent) {
      audited.push({ tenant, event: auditEvent });
      return { ...auditEvent, seq: audited.length, prevHash: "0".repeat(64), hash: "0".repeat(64) };
    },
  };
  const statuses = new Map<string, TenantStatus>(Object.entries(options.statuses ?? { villamar: "active" }));
  const handler = buildHandler({
    verifier: {
      verify: async () => {
        throw new Error("no tokens in this test");
      },
    },
    keys: buildDynamoDbApiKeyLookup(client, table),
    destinations: { status: async (slug) => statuses.get(slug) },
    audit,
    stage: "local",
    pepper,
    ...(options.now ? { clock: { now: options.now } } : {}),
  });
  return { handler, audited, statuses };
}

const event = (authorization: string): APIGatewayRequestAuthorizerEvent =>
  ({
    type: "REQUEST",
    methodArn: "arn:aws:execute-api:eu-west-1:000000000000:api123/local/POST/destination/things",
    resource: "/destination/things",
    httpMethod: "POST",
    headers: { Authorization: `Bearer ${authorization}` },
    requestContext: { requestId: "gw-9", identity: { sourceIp: "198.51.100.4", userAgent: "sme-client/2" } },
  }) as unknown as APIGatewayRequestAuthorizerEvent;

const principalOf = (result: { context?: Record<string, unknown> | null }) =>
  JSON.parse(String(result.context?.principal));

describe("the authorizer with API keys", () => {
  it("admits a valid key as its SME, with the key's scopes, and records its last use", async () => {
    // Prepare
    const { handler } = harness();
    const { key, keyId } = await storeKey();
    // Act
    const result = await handler(event(key));
    // Assess
    expect(result.policyDocument.Statement).toEqual([expect.objectContaining({ Effect: "Allow" })]);
    expect(principalOf(result)).toEqual({
      kind: "sme",
      tenant: "villamar",
      id: "sme_01JABCDEFGHJKMNPQRSTVWXYZ0",
      roles: [],
      scopes: ["context:read", "loyalty:earn"],
      keyId,
    });
    expect(result.context?.retryAfterSeconds).toBeUndefined();
    const { Item } = await client.send(
      new GetCommand({ TableName: table, Key: { pk: ApiKeyTable.keyPk(keyId), sk: "KEY" } }),
    );
    expect(Item?.lastUsedAt).toEqual(expect.stringMatching(/^\d{4}-/));
  });

  it("writes lastUsedAt at most once a minute", async () => {
    // Prepare
    const { handler } = harness();
    const { key, keyId } = await storeKey();
    await handler(event(key));
    await client.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...(
            await client.send(
              new GetCommand({ TableName: table, Key: { pk: ApiKeyTable.keyPk(keyId), sk: "KEY" } }),
            )
          ).Item,
          lastUsedAt: "2000-01-01T00:00:00.000Z",
        },
      }),
    );
    // Act
    await handler(event(key));
    // Assess
    const { Item } = await client.send(
      new GetCommand({ TableName: table, Key: { pk: ApiKeyTable.keyPk(keyId), sk: "KEY" } }),
    );
    expect(Item?.lastUsedAt).toBe("2000-01-01T00:00:00.000Z");
  });

  it.each([
    ["revoked", { revokedAt: new Date().toISOString() }, "key-revoked"],
    ["expired", { expiresAt: new Date(Date.now() - 1000).toISOString() }, "key-expired"],
    ["rotated past its overlap", { validUntil: new Date(Date.now() - 1000).toISOString() }, "key-rotated"],
  ])("refuses a %s key at once and audits it in the key's destination", async (_label, overrides, code) => {
    // Prepare
    const { handler, audited } = harness();
    const { key, keyId } = await storeKey(overrides);
    // Act
    const attempt = handler(event(key));
    // Assess
    await expect(attempt).rejects.toThrow(/^Unauthorized$/);
    expect(audited).toEqual([
      {
        tenant: "villamar",
        event: expect.objectContaining({
          actor: { kind: "sme", id: "sme_01JABCDEFGHJKMNPQRSTVWXYZ0", keyId },
          action: {
            operationId: "authorize",
            method: "POST",
            path: "/destination/things",
            resourceId: keyId,
          },
          source: { ip: "198.51.100.4", userAgent: "sme-client/2" },
          outcome: { status: 401, code },
        }),
      },
    ]);
  });

  it("admits a rotated key within its overlap", async () => {
    // Prepare
    const { handler } = harness();
    const { key } = await storeKey({
      validUntil: new Date(Date.now() + 60_000).toISOString(),
      replacedBy: lowerUlid(),
    });
    // Act
    const result = await handler(event(key));
    // Assess
    expect(principalOf(result).kind).toBe("sme");
  });

  it("refuses a wrong secret (audited), and an unknown, malformed or other-stage key (not audited)", async () => {
    // Prepare
    const { handler, audited } = harness();
    const { keyId } = await storeKey();
    const wrongSecret = formatApiKey("local", keyId, newApiKeySecret());
    const unknown = formatApiKey("local", lowerUlid(), newApiKeySecret());
    const otherStage = formatApiKey("prod", keyId, newApiKeySecret());
    // Act
    const attempts = await Promise.allSettled(
      [wrongSecret, unknown, otherStage, "sdp_local_short_x", `sdp_local_${keyId}_`].map((key) =>
        handler(event(key)),
      ),
    );
    // Assess
    expect(attempts.map((a) => (a.status === "rejected" ? String(a.reason) : "allowed"))).toEqual(
      Array.from({ length: 5 }, () => "Error: Unauthorized"),
    );
    expect(audited.map((a) => a.event.outcome)).toEqual([{ status: 401, code: "key-secret-mismatch" }]);
  });

  it("lets requests over the per-minute limit through with the seconds to wait, for the handler to answer 429", async () => {
    // Prepare
    const start = new Date("2030-01-01T10:00:15.000Z");
    const { handler } = harness({ now: () => start });
    const { key } = await storeKey({ rateLimitPerMinute: 2, expiresAt: "2031-01-01T00:00:00.000Z" });
    // Act
    const results = [];
    for (let n = 0; n < 4; n += 1) results.push(await handler(event(key)));
    const nextMinute = await harness({ now: () => new Date("2030-01-01T10:01:00.000Z") }).handler(event(key));
    // Assess
    expect(results.map((r) => r.context?.retryAfterSeconds)).toEqual([undefined, undefined, "45", "45"]);
    expect(results.every((r) => r.policyDocument.Statement[0]?.Effect === "Allow")).toBe(true);
    expect(nextMinute.context?.retryAfterSeconds).toBeUndefined();
  });

  it("denies every key of a suspended destination, and audits it", async () => {
    // Prepare
    const { handler, audited } = harness({ statuses: { "costa-azul": "suspended" } });
    const { key } = await storeKey({}, "costa-azul");
    // Act
    const result = await handler(event(key));
    // Assess
    expect(result.policyDocument.Statement).toEqual([expect.objectContaining({ Effect: "Deny" })]);
    expect(audited.map((a) => [a.tenant, a.event.outcome.code])).toEqual([
      ["costa-azul", "destination-suspended"],
    ]);
  });
});

describe("the destination status cache", () => {
  it("answers from memory for at most five seconds", async () => {
    // Prepare
    let reads = 0;
    let status: TenantStatus = "active";
    let now = 0;
    const cached = cachedDestinationStatus(
      {
        status: async () => {
          reads += 1;
          return status;
        },
      },
      60_000,
      () => now,
    );
    // Act
    const first = await cached.status("villamar");
    status = "suspended";
    now = 4_999;
    const stale = await cached.status("villamar");
    now = 5_000;
    const fresh = await cached.status("villamar");
    // Assess
    expect([first, stale, fresh, reads]).toEqual(["active", "active", "suspended", 2]);
  });
});
