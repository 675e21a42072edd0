import { createHmac, randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { StaffRole } from "./principal";
import { Stage, TenantSlug } from "./tenancy";
import { SmeId } from "./tenants";

/**
 * Identity contracts shared by the tenants service (which issues API keys and keeps the directory), the
 * authorizer (which verifies them) and the local issuer (which signs people in locally). DESIGN §5.
 */

/** Environment variables of identity and lifecycle (names shared by infra and functions, DESIGN §6). */
export const IdentityEnv = {
  /**
   * Secret of the keyed hash of API key secrets (at least 32 characters). In AWS it comes from Secrets
   * Manager; locally it is generated once into the data directory.
   */
  apiKeyPepper: "SDP_API_KEY_PEPPER",
  /** `file` (a directory, locally) or `s3` (a bucket) for destination export archives. */
  archiveStore: "SDP_ARCHIVE_STORE",
  /** With `file`: a `file:` URL of the directory that receives archives. */
  archiveDir: "SDP_ARCHIVE_DIR",
  /** With `s3`: the bucket that receives archives. */
  archiveBucket: "SDP_ARCHIVE_BUCKET",
  /** `cognito` or `local`: where staff accounts live. */
  userDirectory: "SDP_USER_DIRECTORY",
  /** With `cognito`: the staff user pool. */
  userPoolId: "SDP_USER_POOL_ID",
} as const;

// ---------------------------------------------------------------------------------------------------
// API keys

export const API_KEY_SCOPES = [
  "context:read",
  "context:write",
  "ingest:write",
  "loyalty:earn",
  "loyalty:redeem",
  "payments:write",
] as const;
export const ApiKeyScope = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

/** A key id: a lower-case ULID, so it sorts by creation and never contains the `_` separator. */
export const ApiKeyId = z.string().regex(/^[0-9a-hjkmnp-tv-z]{26}$/, "is not an API key id");

const API_KEY_PATTERN = /^sdp_([a-z][a-z0-9]{0,15})_([0-9a-hjkmnp-tv-z]{26})_([0-9a-f]{64})$/;

export interface ParsedApiKey {
  readonly env: string;
  readonly keyId: string;
  readonly secret: string;
}

/** `sdp_<env>_<keyId>_<secret>`; undefined for anything else, so callers refuse it without detail. */
export function parseApiKey(value: string): ParsedApiKey | undefined {
  const match = API_KEY_PATTERN.exec(value);
  if (!match) return undefined;
  const [, env, keyId, secret] = match;
  if (env === undefined || keyId === undefined || secret === undefined) return undefined;
  return { env, keyId, secret };
}

export function isApiKeyShaped(value: string): boolean {
  return value.startsWith("sdp_");
}

export function formatApiKey(env: string, keyId: string, secret: string): string {
  Stage.parse(env);
  return `sdp_${env}_${keyId}_${secret}`;
}

/** The part of a key that may be shown again: everything but the secret. */
export function apiKeyPrefix(env: string, keyId: string): string {
  return `sdp_${env}_${keyId}`;
}

/** 256 random bits, hex. */
export function newApiKeySecret(): string {
  return randomBytes(32).toString("hex");
}

/**
 * The stored form of a secret: HMAC-SHA256 under the platform's pepper, bound to the key id so a hash
 * copied onto another key's record verifies nothing. A leaked table alone reveals no usable key.
 */
export function hashApiKeySecret(pepper: string, keyId: string, secret: string): string {
  return createHmac("sha256", pepper).update(`${keyId}.${secret}`).digest("hex");
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function verifyApiKeySecret(
  pepper: string,
  keyId: string,
  secret: string,
  storedHash: string,
): boolean {
  const presented = Buffer.from(hashApiKeySecret(pepper, keyId, secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

export const ApiKeyPepper = z.string().min(32, "must be at least 32 characters");

/**
 * Layout of the platform table `sdp-<stage>-platform-tenants-apikeys`: one item per key
 * (`KEY#<keyId>` / `KEY`), and next to it one rate-limit counter per key per minute
 * (`KEY#<keyId>` / `RATE#<minute>`, expiring by TTL). The authorizer finds a key by id alone; the
 * sparse index `bySme` (only key items carry `smeRef`) lists an SME's keys inside its destination.
 */
export const ApiKeyTable = {
  service: "tenants",
  purpose: "apikeys",
  pk: "pk",
  sk: "sk",
  ttl: "expiresAtEpoch",
  smeRef: "smeRef",
  bySmeIndex: "bySme",
  keyPk: (keyId: string) => `KEY#${keyId}`,
  keySk: "KEY",
  rateSk: (window: number) => `RATE#${window}`,
  smeRefOf: (tenant: string, smeId: string) => `${tenant}#${smeId}`,
} as const;

/** A key item as stored (without table keys). The hash never leaves the store. */
export const ApiKeyRecord = z.object({
  keyId: ApiKeyId,
  tenant: z.string(),
  smeId: SmeId,
  name: z.string().optional(),
  prefix: z.string(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  scopes: z.array(ApiKeyScope),
  rateLimitPerMinute: z.number().int().positive(),
  expiresAt: z.iso.datetime(),
  createdAt: z.iso.datetime(),
  createdBy: z.string(),
  lastUsedAt: z.iso.datetime().optional(),
  revokedAt: z.iso.datetime().optional(),
  /** Set by a rotation: the key keeps working until then, its successor from the rotation on. */
  validUntil: z.iso.datetime().optional(),
  replacedBy: ApiKeyId.optional(),
  replaces: ApiKeyId.optional(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecord>;

export type ApiKeyState = "active" | "expired" | "revoked" | "rotated";

/** Whether a key admits a request at `now`: revoked, expired and rotated-past-overlap keys do not. */
export function apiKeyState(
  record: Pick<ApiKeyRecord, "revokedAt" | "expiresAt" | "validUntil">,
  now: Date,
): ApiKeyState {
  if (record.revokedAt !== undefined) return "revoked";
  if (Date.parse(record.expiresAt) <= now.getTime()) return "expired";
  if (record.validUntil !== undefined && Date.parse(record.validUntil) <= now.getTime()) return "rotated";
  return "active";
}

const MAX_KEY_LIFETIME_DAYS = 730;

/** Body of `POST /destination/smes/{smeId}/keys`. */
export const IssueApiKeyRequest = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  scopes: z
    .array(ApiKeyScope)
    .min(1)
    .max(API_KEY_SCOPES.length)
    .refine((scopes) => new Set(scopes).size === scopes.length, "must not repeat a scope"),
  /** When the key stops working; at most two years ahead. */
  expiresAt: z.iso
    .datetime()
    .refine((at) => Date.parse(at) > Date.now(), "must be in the future")
    .refine(
      (at) => Date.parse(at) <= Date.now() + MAX_KEY_LIFETIME_DAYS * 86_400_000,
      "must be at most two years ahead",
    ),
  rateLimitPerMinute: z.number().int().min(1).max(100_000).default(600),
});
export type IssueApiKeyRequest = z.infer<typeof IssueApiKeyRequest>;

/** Body of `POST /destination/smes/{smeId}/keys/{keyId}/rotate`. */
export const RotateApiKeyRequest = z.strictObject({
  /** How long the old key keeps working, in seconds (at most 7 days; 0 ends it at once). */
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(86_400),
});
export type RotateApiKeyRequest = z.infer<typeof RotateApiKeyRequest>;

export const ApiKeyParams = z.strictObject({ smeId: SmeId, keyId: ApiKeyId });

/** A key as the API shows it: never the secret nor its hash. */
export const ApiKey = z.object({
  keyId: ApiKeyId,
  smeId: SmeId,
  name: z.string().optional(),
  prefix: z.string(),
  scopes: z.array(ApiKeyScope),
  rateLimitPerMinute: z.number().int(),
  expiresAt: z.iso.datetime(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().optional(),
  revokedAt: z.iso.datetime().optional(),
  validUntil: z.iso.datetime().optional(),
  replacedBy: ApiKeyId.optional(),
  replaces: ApiKeyId.optional(),
  state: z.enum(["active", "expired", "revoked", "rotated"]),
});
export type ApiKey = z.infer<typeof ApiKey>;

/** The answer to issuing or rotating: the whole key, shown this once. */
export const IssuedApiKey = ApiKey.extend({
  key: z.string(),
  previous: z.object({ keyId: ApiKeyId, validUntil: z.iso.datetime() }).optional(),
});
export type IssuedApiKey = z.infer<typeof IssuedApiKey>;

export const ApiKeyList = z.object({ items: z.array(ApiKey) });

// ---------------------------------------------------------------------------------------------------
// The authorizer's verdicts that only a handler can answer

/**
 * Context key of a throttling verdict: API Gateway authorizers can only answer 401, 403 and 500, so an
 * API key over its rate limit is let through with this key set and lambda-kit answers 429.
 */
export const AUTHORIZER_CONTEXT_RETRY_AFTER = "retryAfterSeconds";

// ---------------------------------------------------------------------------------------------------
// Staff and the user directory

export const StaffUserId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "is not a user id");

/** Body of `POST /destination/staff`. */
export const InviteStaffRequest = z.strictObject({
  email: z.email().transform((email) => email.toLowerCase()),
  name: z.string().trim().min(1).max(200).optional(),
  roles: z
    .array(StaffRole)
    .min(1)
    .refine((roles) => new Set(roles).size === roles.length, "must not repeat a role"),
});
export type InviteStaffRequest = z.infer<typeof InviteStaffRequest>;

/** Body of `PUT /destination/staff/{userId}/roles`. */
export const ChangeStaffRolesRequest = z.strictObject({
  roles: z
    .array(StaffRole)
    .min(1)
    .refine((roles) => new Set(roles).size === roles.length, "must not repeat a role"),
});
export type ChangeStaffRolesRequest = z.infer<typeof ChangeStaffRolesRequest>;

export const StaffParams = z.strictObject({ userId: StaffUserId });

export const StaffMember = z.object({
  userId: StaffUserId,
  email: z.email(),
  name: z.string().optional(),
  roles: z.array(StaffRole),
  status: z.enum(["invited", "active", "disabled"]),
  createdAt: z.iso.datetime(),
});
export type StaffMember = z.infer<typeof StaffMember>;

export const InvitedStaff = z.object({
  user: StaffMember,
  /**
   * Only from the local directory, which sends no mail: the one-time password to sign in with. Cognito
   * mails it to the person instead.
   */
  temporaryPassword: z.string().optional(),
});
export type InvitedStaff = z.infer<typeof InvitedStaff>;

export const StaffList = z.object({ items: z.array(StaffMember) });

/**
 * Layout of the platform table `sdp-<stage>-platform-tenants-directory`: the local stand-in for the
 * Cognito user pool. One item per person (`USER#<email>` / `PROFILE`); the index `byTenant` lists a
 * destination's staff. The local issuer's sign-in reads it too.
 */
export const DirectoryTable = {
  service: "tenants",
  purpose: "directory",
  pk: "pk",
  sk: "sk",
  tenant: "tenant",
  userId: "userId",
  byTenantIndex: "byTenant",
  userPk: (email: string) => `USER#${email.toLowerCase()}`,
  profileSk: "PROFILE",
} as const;

export const DirectoryRecord = z.object({
  userId: StaffUserId,
  email: z.email(),
  name: z.string().optional(),
  tenant: z.string(),
  roles: z.array(StaffRole),
  status: z.enum(["invited", "active", "disabled"]),
  passwordHash: z.string(),
  createdAt: z.iso.datetime(),
});
export type DirectoryRecord = z.infer<typeof DirectoryRecord>;

/** `scrypt$<salt>$<hash>`, both base64url: the local directory's password hash. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32);
  return `scrypt$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [scheme, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, "base64url");
  const actual = scryptSync(password, Buffer.from(salt, "base64url"), expected.length);
  return expected.length > 0 && timingSafeEqual(actual, expected);
}

/**
 * Body of the local issuer's `POST /identity/token`. Staff sign in with e-mail and password; a tourist
 * also names the destination whose app they use (a tourist account belongs to one destination).
 */
export const LocalSignInRequest = z.strictObject({
  email: z.email().transform((email) => email.toLowerCase()),
  password: z.string().min(1).max(200),
  destination: TenantSlug.optional(),
});

// ---------------------------------------------------------------------------------------------------
// Tourists

export const TouristId = z.string().regex(/^tr_[0-9A-HJKMNP-TV-Z]{26}$/, "is not a tourist id");

/** Layout of tourists in the `directory` table: a login per destination and e-mail, data per tourist id. */
export const TouristKeys = {
  loginPk: (tenant: string, email: string) => `TOURISTLOGIN#${tenant}#${email.toLowerCase()}`,
  loginSk: "LOGIN",
  touristPk: (tenant: string, touristId: string) => `TOURIST#${tenant}#${touristId}`,
  profileSk: "PROFILE",
  consentSk: (purpose: string, at: string) => `CONSENT#${purpose}#${at}`,
  consentPrefix: "CONSENT#",
  outboxPk: (eventId: string) => `OUTBOX#${eventId}`,
  outboxSk: "EVENT",
} as const;

export const TouristLogin = z.object({
  tenant: z.string(),
  email: z.email(),
  touristId: TouristId,
  passwordHash: z.string(),
});
export type TouristLogin = z.infer<typeof TouristLogin>;

/** Body of `POST /tourist/signup`, sent by a destination's app. */
export const TouristSignUpRequest = z.strictObject({
  destination: TenantSlug,
  email: z.email().transform((email) => email.toLowerCase()),
  password: z
    .string()
    .min(12, "must be at least 12 characters")
    .max(200)
    .regex(/[a-z]/, "must contain a lower-case letter")
    .regex(/[A-Z]/, "must contain an upper-case letter")
    .regex(/[0-9]/, "must contain a digit"),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, "must be a language tag such as es or en-GB")
    .optional(),
});
export type TouristSignUpRequest = z.infer<typeof TouristSignUpRequest>;

export const ConsentPurpose = z.enum(["marketing", "analytics", "location", "loyalty"]);
export type ConsentPurpose = z.infer<typeof ConsentPurpose>;

/** Body of `PUT /tourist/me/consents/{purpose}`: the decision and the version of the text agreed to. */
export const ConsentRequest = z.strictObject({
  granted: z.boolean(),
  version: z.string().trim().min(1).max(40),
});
export type ConsentRequest = z.infer<typeof ConsentRequest>;

export const ConsentParams = z.strictObject({ purpose: ConsentPurpose });

export const Consent = z.object({
  purpose: ConsentPurpose,
  granted: z.boolean(),
  version: z.string(),
  at: z.iso.datetime(),
});
export type Consent = z.infer<typeof Consent>;

export const TouristProfile = z.object({
  touristId: TouristId,
  language: z.string().optional(),
  createdAt: z.iso.datetime(),
  /** The latest decision per purpose. */
  consents: z.array(Consent),
});
export type TouristProfile = z.infer<typeof TouristProfile>;

/** Everything the platform holds about a tourist in a destination (GDPR access and portability). */
export const TouristExport = z.object({
  destination: z.string(),
  exportedAt: z.iso.datetime(),
  profile: TouristProfile.omit({ consents: true }).extend({ email: z.email() }),
  consentHistory: z.array(Consent),
});
export type TouristExport = z.infer<typeof TouristExport>;

/** The domain event announcing that a tourist's data was erased: consumers erase theirs. */
export const TOURIST_ERASED = { source: "sdp.tenants", detailType: "TouristErased" } as const;
export const TouristErased = z.object({
  tenant: z.string(),
  touristId: TouristId,
  erasedAt: z.iso.datetime(),
});
export type TouristErased = z.infer<typeof TouristErased>;
