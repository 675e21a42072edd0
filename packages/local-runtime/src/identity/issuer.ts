import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname } from "node:path";
import { DomainError, LocalSignInRequest, PROBLEM_CONTENT_TYPE, Problems } from "@sdp/contracts";
import { log } from "@sdp/kernel";
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  SignJWT,
} from "jose";
import { z } from "zod";
import type { SignIn } from "./sign-in";

/**
 * The local stand-in for Cognito (DESIGN §5): an OpenID issuer that signs tokens with one RS256 key
 * and publishes its JWKS, so the authorizer verifies local tokens with the same code it runs against
 * Cognito. The key is persisted so tokens outlive a restart of the platform.
 */
export interface SignOptions {
  readonly subject: string;
  /** Cognito puts the app client id here. */
  readonly audience: string;
  /** Seconds from now; zero or negative yields an already expired token, which tests need. */
  readonly expiresInSeconds: number;
}

export interface LocalIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly kid: string;
  sign(claims: Record<string, unknown>, options: SignOptions): Promise<string>;
  jwks(): JSONWebKeySet;
  openidConfiguration(): Record<string, unknown>;
  /** Serves the discovery document and the JWKS; suitable as `HttpFrontOptions.extra`. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export interface LocalIssuerOptions {
  /** Where the private JWK lives (created with mode 0600, its directory created). */
  readonly keyFile: string;
  /** The `iss` of every token, e.g. `http://127.0.0.1:4000`; discovery paths hang under it. */
  readonly issuer: string;
  /**
   * Enables `POST <issuer>/identity/token` (e-mail and password, as JSON): the local sign-in of people
   * in the local user directory, answering an ID token for `audience`.
   */
  readonly signIn?: { readonly check: SignIn; readonly audience: string; readonly expiresInSeconds?: number };
}

export const SIGNING_ALGORITHM = "RS256";

const StoredKey = z.object({
  kty: z.literal("RSA"),
  kid: z.string().min(1),
  alg: z.literal(SIGNING_ALGORITHM),
  n: z.string().min(1),
  e: z.string().min(1),
  d: z.string().min(1),
  p: z.string().min(1),
  q: z.string().min(1),
  dp: z.string().min(1),
  dq: z.string().min(1),
  qi: z.string().min(1),
});
type StoredKey = z.infer<typeof StoredKey>;

/** Claims the issuer sets itself; a caller's claim of the same name would forge identity or lifetime. */
const RESERVED = new Set(["iss", "sub", "aud", "iat", "exp", "nbf", "jti"]);

export async function openLocalIssuer(options: LocalIssuerOptions): Promise<LocalIssuer> {
  const issuer = options.issuer.replace(/\/+$/, "");
  const base = new URL(issuer);
  if (base.protocol !== "http:" && base.protocol !== "https:")
    throw new Error(`issuer must be an http(s) URL: ${issuer}`);
  const prefix = base.pathname.replace(/\/+$/, "");
  const jwksPath = `${prefix}/.well-known/jwks.json`;
  const discoveryPath = `${prefix}/.well-known/openid-configuration`;
  const tokenPath = `${prefix}/identity/token`;
  const jwksUri = `${issuer}/.well-known/jwks.json`;

  const stored = await loadOrCreateKey(options.keyFile);
  const privateKey = await importJWK(stored, SIGNING_ALGORITHM);
  const publicJwk: JWK = {
    kty: stored.kty,
    n: stored.n,
    e: stored.e,
    kid: stored.kid,
    alg: SIGNING_ALGORITHM,
    use: "sig",
  };
  const keySet = (): JSONWebKeySet => ({ keys: [{ ...publicJwk }] });

  const configuration = (): Record<string, unknown> => ({
    issuer,
    jwks_uri: jwksUri,
    // Tokens come from `sign` (the bootstrap the runtime prints) and from the local sign-in at
    // `/identity/token`, which is not an OAuth flow: no authorization or token endpoint is advertised.
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [SIGNING_ALGORITHM],
    claims_supported: [
      "iss",
      "sub",
      "aud",
      "iat",
      "exp",
      "jti",
      "token_use",
      "cognito:groups",
      "custom:tenant",
    ],
  });

  const signToken = async (claims: Record<string, unknown>, signOptions: SignOptions): Promise<string> => {
    if (!Number.isInteger(signOptions.expiresInSeconds))
      throw new Error("expiresInSeconds must be an integer");
    if (signOptions.subject === "" || signOptions.audience === "")
      throw new Error("subject and audience are required");
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = { token_use: "id", auth_time: now };
    for (const [name, value] of Object.entries(claims)) {
      if (!RESERVED.has(name)) payload[name] = value;
    }
    return new SignJWT(payload)
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: stored.kid, typ: "JWT" })
      .setIssuer(issuer)
      .setSubject(signOptions.subject)
      .setAudience(signOptions.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + signOptions.expiresInSeconds)
      .setJti(randomUUID())
      .sign(privateKey);
  };

  return {
    issuer,
    jwksUri,
    kid: stored.kid,
    sign: signToken,
    jwks: keySet,
    openidConfiguration: configuration,
    async handle(req, res) {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      if (path === tokenPath && options.signIn) {
        await signInEndpoint(req, res, options.signIn, (claims, subject, audience, expiresInSeconds) =>
          signToken(claims, { subject, audience, expiresInSeconds }),
        );
        return true;
      }
      const document = path === jwksPath ? keySet() : path === discoveryPath ? configuration() : undefined;
      if (document === undefined) return false;
      if (req.method !== "GET" && req.method !== "HEAD") {
        const body = JSON.stringify(Problems.methodNotAllowed(req.method ?? "", path).toProblem());
        res.writeHead(405, {
          "content-type": PROBLEM_CONTENT_TYPE,
          allow: "GET, HEAD",
          "content-length": Buffer.byteLength(body),
        });
        res.end(body);
        return true;
      }
      const body = JSON.stringify(document);
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        // Verifiers cache the key set; a short lifetime keeps a replaced key file visible soon.
        "cache-control": "public, max-age=300",
      });
      res.end(req.method === "HEAD" ? undefined : body);
      return true;
    },
  };
}

const SIGN_IN_BODY_LIMIT = 16 * 1024;

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = "application/json",
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

function sendProblem(res: ServerResponse, error: DomainError): void {
  sendJson(res, error.status, error.toProblem(), PROBLEM_CONTENT_TYPE);
}

async function readSmallBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > SIGN_IN_BODY_LIMIT) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The local sign-in: checks an e-mail and password against the local directory and answers an ID token
 * as Cognito's InitiateAuth would. Every failure of the credentials is the same 401.
 */
async function signInEndpoint(
  req: IncomingMessage,
  res: ServerResponse,
  signIn: NonNullable<LocalIssuerOptions["signIn"]>,
  sign: (
    claims: Record<string, unknown>,
    subject: string,
    audience: string,
    expiresInSeconds: number,
  ) => Promise<string>,
): Promise<void> {
  if (req.method !== "POST") {
    sendProblem(res, Problems.methodNotAllowed(req.method ?? "", "/identity/token"));
    return;
  }
  const text = await readSmallBody(req);
  if (text === undefined) {
    sendProblem(res, Problems.payloadTooLarge(SIGN_IN_BODY_LIMIT));
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    sendProblem(res, Problems.malformedJson(error));
    return;
  }
  const parsed = LocalSignInRequest.safeParse(value);
  if (!parsed.success) {
    sendProblem(
      res,
      Problems.validation(
        parsed.error.issues.map((issue) => ({
          field: ["body", ...issue.path.map(String)].join("."),
          reason: issue.message,
        })),
      ),
    );
    return;
  }
  const person = await signIn.check(parsed.data.email, parsed.data.password, parsed.data.destination);
  if (!person) {
    sendProblem(
      res,
      new DomainError("invalid-credentials", 401, "Unauthenticated", {
        detail: "the e-mail or password is wrong",
      }),
    );
    return;
  }
  const expiresIn = signIn.expiresInSeconds ?? 3600;
  const token = await sign(person.claims, person.subject, signIn.audience, expiresIn);
  log.info("local sign-in", { subject: person.subject });
  sendJson(res, 200, { id_token: token, token_type: "Bearer", expires_in: expiresIn });
}

async function loadOrCreateKey(keyFile: string): Promise<StoredKey> {
  if (existsSync(keyFile)) return readKey(keyFile);
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: "RSA", n: jwk.n ?? "", e: jwk.e ?? "" });
  const stored = StoredKey.parse({ ...jwk, kid, alg: SIGNING_ALGORITHM });
  const temporary = `${keyFile}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  // The umask may have narrowed the mode further but never widened it; make it exact.
  chmodSync(temporary, 0o600);
  try {
    // link() fails if the file appeared meanwhile, so two processes starting together agree on one key.
    linkSync(temporary, keyFile);
    log.info("local issuer created a signing key", { kid });
    return stored;
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "EEXIST") return readKey(keyFile);
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

function readKey(keyFile: string): StoredKey {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(keyFile, "utf8"));
  } catch (error) {
    throw new Error(`the issuer key file ${keyFile} is not valid JSON; remove it to generate a new key`, {
      cause: error,
    });
  }
  const parsed = StoredKey.safeParse(value);
  if (!parsed.success) {
    throw new Error(
      `the issuer key file ${keyFile} does not hold an RS256 private JWK; remove it to generate a new key`,
    );
  }
  return parsed.data;
}
