import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PLATFORM_ADMIN_GROUP, TokenClaims } from "@sdp/contracts";
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RunningHttpFront, startHttpFront } from "../http/front";
import { freePort } from "../net";
import { type LocalIssuer, openLocalIssuer } from "./issuer";

const AUDIENCE = "sdp-local-app";

/** Serves the issuer's documents the way the runtime does: as the HTTP front's `extra`. */
async function serve(issuer: LocalIssuer, port: number): Promise<RunningHttpFront> {
  return startHttpFront({ port, stage: "local", routes: [], extra: (req, res) => issuer.handle(req, res) });
}

describe("local OpenID issuer", () => {
  let dir: string;
  let keyFile: string;
  let port: number;
  let issuerUrl: string;
  let issuer: LocalIssuer;
  let front: RunningHttpFront;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sdp-issuer-"));
    keyFile = join(dir, "nested", "identity", "signing-key.json");
    port = await freePort();
    issuerUrl = `http://127.0.0.1:${port}`;
    issuer = await openLocalIssuer({ keyFile, issuer: issuerUrl });
    front = await serve(issuer, port);
  });

  afterEach(async () => {
    await front.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("signs tokens that verify against the JWKS served over HTTP", async () => {
    // Prepare
    const claims = { [TokenClaims.groups]: [PLATFORM_ADMIN_GROUP], [TokenClaims.tenant]: "valencia" };

    // Act
    const token = await issuer.sign(claims, {
      subject: "user-1",
      audience: AUDIENCE,
      expiresInSeconds: 3600,
    });
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
      issuer: issuerUrl,
      audience: AUDIENCE,
    });

    // Assess
    expect(protectedHeader).toEqual({ alg: "RS256", kid: issuer.kid, typ: "JWT" });
    expect(payload).toMatchObject({
      iss: issuerUrl,
      aud: AUDIENCE,
      sub: "user-1",
      token_use: "id",
      "cognito:groups": ["platform-admin"],
      "custom:tenant": "valencia",
    });
    expect(payload.exp).toBe((payload.iat ?? 0) + 3600);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("serves the discovery document and refuses other methods on it", async () => {
    // Act
    const discovery = await fetch(`${issuerUrl}/.well-known/openid-configuration`);
    const jwks = await fetch(issuer.jwksUri);
    const post = await fetch(issuer.jwksUri, { method: "POST" });
    const elsewhere = await fetch(`${issuerUrl}/.well-known/other`);

    // Assess
    expect(discovery.status).toBe(200);
    expect(await discovery.json()).toMatchObject({
      issuer: issuerUrl,
      jwks_uri: `${issuerUrl}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ["RS256"],
    });
    const keySet = await jwks.json();
    expect(keySet).toEqual(issuer.jwks());
    expect(JSON.stringify(keySet)).not.toMatch(/"(d|p|q|dp|dq|qi)"/);
    expect(post.status).toBe(405);
    expect(elsewhere.status).toBe(404);
  });

  it("refuses a tampered token, an expired token and a token for another audience", async () => {
    // Prepare
    const jwks = createRemoteJWKSet(new URL(issuer.jwksUri));
    const token = await issuer.sign(
      { [TokenClaims.tenant]: "valencia" },
      { subject: "u", audience: AUDIENCE, expiresInSeconds: 600 },
    );
    const [header, payload, signature] = token.split(".");
    const forged = Buffer.from(payload ?? "", "base64url")
      .toString()
      .replace("valencia", "madrid");
    const tampered = `${header}.${Buffer.from(forged).toString("base64url")}.${signature}`;
    const expired = await issuer.sign({}, { subject: "u", audience: AUDIENCE, expiresInSeconds: -60 });

    // Act
    // Settled together, so no rejection waits unobserved while another is asserted.
    const [verifyTampered, verifyExpired, verifyAudience] = await Promise.allSettled([
      jwtVerify(tampered, jwks, { issuer: issuerUrl, audience: AUDIENCE }),
      jwtVerify(expired, jwks, { issuer: issuerUrl, audience: AUDIENCE }),
      jwtVerify(token, jwks, { issuer: issuerUrl, audience: "another-app" }),
    ]);

    // Assess
    expect(verifyTampered).toMatchObject({
      status: "rejected",
      reason: expect.any(errors.JWSSignatureVerificationFailed),
    });
    expect(verifyExpired).toMatchObject({ status: "rejected", reason: expect.any(errors.JWTExpired) });
    expect(verifyAudience).toMatchObject({
      status: "rejected",
      reason: expect.any(errors.JWTClaimValidationFailed),
    });
  });

  it("does not let claims override the registered ones", async () => {
    // Act
    const token = await issuer.sign(
      { iss: "https://evil.example", sub: "admin", exp: 9_999_999_999 },
      { subject: "u", audience: AUDIENCE, expiresInSeconds: 60 },
    );
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
      audience: AUDIENCE,
    });

    // Assess
    expect(payload.iss).toBe(issuerUrl);
    expect(payload.sub).toBe("u");
    expect(payload.exp).toBe((payload.iat ?? 0) + 60);
  });

  it("persists the key with mode 0600 and keeps old tokens valid after a restart", async () => {
    // Prepare
    const token = await issuer.sign({}, { subject: "u", audience: AUDIENCE, expiresInSeconds: 600 });
    const kid = issuer.kid;
    await front.stop();

    // Act
    issuer = await openLocalIssuer({ keyFile, issuer: issuerUrl });
    front = await serve(issuer, port);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
      issuer: issuerUrl,
      audience: AUDIENCE,
    });

    // Assess
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(issuer.kid).toBe(kid);
    expect(decodeProtectedHeader(token).kid).toBe(kid);
    expect(payload.sub).toBe("u");
  });

  it("agrees on one key when two issuers create it at the same time", async () => {
    // Prepare
    const fresh = join(dir, "race", "key.json");

    // Act
    const [a, b] = await Promise.all([
      openLocalIssuer({ keyFile: fresh, issuer: issuerUrl }),
      openLocalIssuer({ keyFile: fresh, issuer: issuerUrl }),
    ]);

    // Assess
    expect(a.kid).toBe(b.kid);
    expect(a.jwks()).toEqual(b.jwks());
  });

  it("refuses to start on a corrupt key file instead of replacing the key", async () => {
    // Prepare
    const other = join(dir, "corrupt.json");
    await writeFile(other, '{"kty":"RSA"}');

    // Act
    const opening = openLocalIssuer({ keyFile: other, issuer: issuerUrl });

    // Assess
    await expect(opening).rejects.toThrow(/does not hold an RS256 private JWK/);
    expect(await readFile(other, "utf8")).toBe('{"kty":"RSA"}');
  });

  it("serves its documents under an issuer with a path, as Cognito's issuer has", async () => {
    // Prepare
    const pathIssuer = await openLocalIssuer({ keyFile, issuer: `${issuerUrl}/eu-west-1_local/` });
    const pathFront = await serve(pathIssuer, await freePort());
    const url = new URL(pathIssuer.jwksUri);
    url.port = String(pathFront.port);

    try {
      // Act
      const response = await fetch(url);

      // Assess
      expect(pathIssuer.issuer).toBe(`${issuerUrl}/eu-west-1_local`);
      expect(pathIssuer.jwksUri).toBe(`${issuerUrl}/eu-west-1_local/.well-known/jwks.json`);
      expect(await response.json()).toEqual(pathIssuer.jwks());
    } finally {
      await pathFront.stop();
    }
  });
});
