import {
  type ApiKey,
  type ApiKeyRecord,
  apiKeyPrefix,
  apiKeyState,
  DomainError,
  formatApiKey,
  hashApiKeySecret,
  type IssueApiKeyRequest,
  type IssuedApiKey,
  newApiKeySecret,
  Problems,
  type RotateApiKeyRequest,
} from "@sdp/contracts";
import { type Clock, newId, systemClock } from "@sdp/kernel";
import type { ApiKeyStore, SmeStore } from "./ports";

export interface ApiKeyDeps {
  readonly keys: ApiKeyStore;
  readonly smes: SmeStore;
  /** The `<env>` segment of every key: the deployment's stage. */
  readonly stage: string;
  /** The secret of the keyed hash (never stored with the keys). */
  readonly pepper: string;
  readonly clock?: Clock;
}

/** An SME may hold this many keys that are not revoked (one transaction revokes them all with the SME). */
export const MAX_LIVE_KEYS_PER_SME = 50;

function view(record: ApiKeyRecord, now: Date): ApiKey {
  const { hash: _hash, tenant: _tenant, createdBy: _by, ...shown } = record;
  return { ...shown, state: apiKeyState(record, now) };
}

function newKey(deps: ApiKeyDeps, fields: Omit<ApiKeyRecord, "keyId" | "prefix" | "hash">) {
  const keyId = newId().toLowerCase();
  const secret = newApiKeySecret();
  const record: ApiKeyRecord = {
    ...fields,
    keyId,
    prefix: apiKeyPrefix(deps.stage, keyId),
    hash: hashApiKeySecret(deps.pepper, keyId, secret),
  };
  return { record, key: formatApiKey(deps.stage, keyId, secret) };
}

const keyNotFound = (keyId: string) => Problems.notFound(`API key ${keyId}`);

/** API keys of SMEs (DESIGN §5): shown once, stored as a keyed hash, scoped, rate-limited, expiring. */
export const ApiKeys = {
  async issue(
    deps: ApiKeyDeps,
    tenant: string,
    smeId: string,
    request: IssueApiKeyRequest,
    by: string,
  ): Promise<IssuedApiKey> {
    const now = (deps.clock ?? systemClock).now();
    const existing = await deps.keys.listBySme(tenant, smeId);
    if (existing.filter((key) => key.revokedAt === undefined).length >= MAX_LIVE_KEYS_PER_SME) {
      throw new DomainError("too-many-keys", 409, "Conflict", {
        detail: `an SME may hold ${MAX_LIVE_KEYS_PER_SME} keys that are not revoked; revoke one first`,
      });
    }
    const { record, key } = newKey(deps, {
      tenant,
      smeId,
      ...(request.name ? { name: request.name } : {}),
      scopes: request.scopes,
      rateLimitPerMinute: request.rateLimitPerMinute,
      expiresAt: new Date(request.expiresAt).toISOString(),
      createdAt: now.toISOString(),
      createdBy: by,
    });
    if (!(await deps.keys.insert(record))) throw Problems.notFound(`SME ${smeId}`);
    return { ...view(record, now), key };
  },

  async list(deps: ApiKeyDeps, tenant: string, smeId: string): Promise<{ items: ApiKey[] }> {
    if (!(await deps.smes.get(tenant, smeId))) throw Problems.notFound(`SME ${smeId}`);
    const now = (deps.clock ?? systemClock).now();
    return { items: (await deps.keys.listBySme(tenant, smeId)).map((record) => view(record, now)) };
  },

  /**
   * Issues a successor with the same scopes, limit and expiry; the old key keeps working for the overlap
   * (never past its own expiry), so the SME can deploy the new one without downtime.
   */
  async rotate(
    deps: ApiKeyDeps,
    tenant: string,
    smeId: string,
    keyId: string,
    request: RotateApiKeyRequest,
    by: string,
  ): Promise<IssuedApiKey> {
    const now = (deps.clock ?? systemClock).now();
    const previous = await deps.keys.get(keyId);
    if (!previous || previous.tenant !== tenant || previous.smeId !== smeId) throw keyNotFound(keyId);
    const state = apiKeyState(previous, now);
    if (state !== "active" || previous.replacedBy !== undefined) {
      throw new DomainError("invalid-state", 409, "Conflict", {
        detail: `API key ${keyId} is ${previous.replacedBy ? "already rotated" : state}; issue a new key instead`,
      });
    }
    // The overlap never outlives the key itself.
    const validUntil = new Date(
      Math.min(now.getTime() + request.overlapSeconds * 1000, Date.parse(previous.expiresAt)),
    ).toISOString();
    const { record, key } = newKey(deps, {
      tenant,
      smeId,
      ...(previous.name ? { name: previous.name } : {}),
      scopes: previous.scopes,
      rateLimitPerMinute: previous.rateLimitPerMinute,
      expiresAt: previous.expiresAt,
      createdAt: now.toISOString(),
      createdBy: by,
      replaces: previous.keyId,
    });
    if (!(await deps.keys.rotate(previous, record, validUntil, now.toISOString()))) {
      throw new DomainError("conflict", 409, "Conflict", {
        detail: `API key ${keyId} changed meanwhile; it was not rotated`,
      });
    }
    return { ...view(record, now), key, previous: { keyId, validUntil } };
  },

  /** Revokes at once; revoking a revoked key again changes nothing and succeeds. */
  async revoke(deps: ApiKeyDeps, tenant: string, smeId: string, keyId: string, by: string): Promise<void> {
    const at = (deps.clock ?? systemClock).now().toISOString();
    if (await deps.keys.revoke(tenant, smeId, keyId, at, by)) return;
    const key = await deps.keys.get(keyId);
    if (key && key.tenant === tenant && key.smeId === smeId && key.revokedAt !== undefined) return;
    throw keyNotFound(keyId);
  },
};
