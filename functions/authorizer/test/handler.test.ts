import { createServer, type Server } from "node:http";
import type { AuditEvent, TenantStatus } from "@sdp/contracts";
import type { AuditLog } from "@sdp/lambda-kit";
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHandler, buildJwtVerifier } from "../src/authorize";

const issuer = "http://issuer.test";
const audience = "sdp-test";
let server: Server;
let jwksUrl: string;
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
let privateKey: PrivateKey;
let foreignKey: PrivateKey;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  privateKey = pair.privateKey;
  foreignKey = (await generateKeyPair("RS256")).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  jwksUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/jwks.json`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function token(
  claims: JWTPayload,
  options: { key?: PrivateKey; exp?: string | number; iss?: string } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .setIssuer(options.iss ?? issuer)
    .setAudience(audience)
    .setSubject("user-1")
    .setIssuedAt()
    .setExpirationTime(options.exp ?? "5m")
    .sign(options.key ?? privateKey);
}

const event = (authorization?: string): APIGatewayRequestAuthorizerEvent =>
  ({
    type: "REQUEST",
    methodArn: "arn:aws:execute-api:eu-west-1:000000000000:api123/local/GET/platform/tenants",
    headers: authorization ? { Authorization: authorization } : {},
  }) as APIGatewayRequestAuthorizerEvent;

const statuses = new Map<string, TenantStatus>([["villamar", "active"]]);
const audited: Array<{ tenant: string; event: AuditEvent }> = [];
const audit: AuditLog = {
  async append(tenant, auditEvent) {
    audited.push({ tenant, event: auditEvent });
    return { ...auditEvent, seq: 1, prevHash: "0".repeat(64), hash: "0".repeat(64) };
  },
};

const handler = () =>
  buildHandler({
    verifier: buildJwtVerifier({
      SDP_TOKEN_ISSUER: issuer,
      SDP_JWKS_URL: jwksUrl,
      SDP_TOKEN_AUDIENCE: audience,
    }),
    keys: {
      get: async () => undefined,
      count: async () => 1,
      touch: async () => {},
    },
    destinations: { status: async (slug) => statuses.get(slug) },
    audit,
    stage: "local",
    pepper: "p".repeat(32),
  });

describe("authorizer", () => {
  it("allows the whole API for a valid token and passes the principal in the context", async () => {
    // Prepare
    const jwt = await token({ "cognito:groups": ["platform-admin"] });
    // Act
    const result = await handler()(event(`Bearer ${jwt}`));
    // Assess
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: "execute-api:Invoke",
        Effect: "Allow",
        Resource: "arn:aws:execute-api:eu-west-1:000000000000:api123/local/*",
      },
    ]);
    expect(JSON.parse(String(result.context?.principal))).toEqual({
      kind: "platform-admin",
      id: "user-1",
      roles: ["platform-admin"],
      scopes: [],
    });
  });

  it("denies the principals of a destination that is not active, and audits the refusal", async () => {
    // Prepare
    statuses.set("costa-azul", "suspended");
    const jwt = await token({ "cognito:groups": ["admin"], "custom:tenant": "costa-azul" });
    const unknown = await token({ "cognito:groups": ["admin"], "custom:tenant": "nowhere-town" });
    audited.length = 0;
    // Act
    const suspended = await handler()(event(`Bearer ${jwt}`));
    const gone = await handler()(event(`Bearer ${unknown}`));
    // Assess
    expect(suspended.policyDocument.Statement).toEqual([expect.objectContaining({ Effect: "Deny" })]);
    expect(suspended.context).toBeUndefined();
    expect(gone.policyDocument.Statement).toEqual([expect.objectContaining({ Effect: "Deny" })]);
    // A destination that does not exist has no log to write to.
    expect(audited.map((a) => [a.tenant, a.event.outcome])).toEqual([
      ["costa-azul", { status: 403, code: "destination-suspended" }],
    ]);
  });

  it.each([
    ["no header", async () => undefined],
    ["not a bearer", async () => "Basic abc"],
    [
      "a tampered token",
      async () =>
        `Bearer ${(await token({ "cognito:groups": ["viewer"], "custom:tenant": "villamar" })).replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ sub: "x", "cognito:groups": ["platform-admin"], iss: issuer, aud: audience, exp: 9999999999 })).toString("base64url")}.`)}`,
    ],
    [
      "an expired token",
      async () =>
        `Bearer ${await token({ "cognito:groups": ["platform-admin"] }, { exp: Math.floor(Date.now() / 1000) - 60 })}`,
    ],
    [
      "another issuer's key",
      async () => `Bearer ${await token({ "cognito:groups": ["platform-admin"] }, { key: foreignKey })}`,
    ],
    [
      "another issuer",
      async () => `Bearer ${await token({ "cognito:groups": ["platform-admin"] }, { iss: "http://evil" })}`,
    ],
    ["claims that name no principal", async () => `Bearer ${await token({ "cognito:groups": ["viewer"] })}`],
  ])("answers Unauthorized for %s", async (_label, authorization) => {
    // Prepare
    const header = await authorization();
    // Act
    const attempt = handler()(event(header));
    // Assess
    await expect(attempt).rejects.toThrow(/^Unauthorized$/);
  });
});
