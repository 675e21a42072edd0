import { apiKeyState, type ParsedApiKey, type Principal, verifyApiKeySecret } from "@sdp/contracts";
import type { ApiKeyLookup } from "./ports";

export type KeyVerdict =
  | { readonly kind: "unknown" }
  | { readonly kind: "refused"; readonly tenant: string; readonly smeId: string; readonly reason: string }
  | { readonly kind: "admitted"; readonly principal: Principal; readonly retryAfterSeconds?: number };

export interface KeyCheckDeps {
  readonly keys: ApiKeyLookup;
  readonly pepper: string;
}

const WINDOW_MS = 60_000;

/**
 * Decides on a presented API key: known, matching its stored hash, neither revoked nor expired nor
 * rotated past its overlap — then counts it against its per-minute limit. A key over its limit is still
 * admitted, with the seconds until its window ends, because only the handler can answer 429.
 */
export async function checkApiKey(
  deps: KeyCheckDeps,
  presented: ParsedApiKey,
  now: Date,
): Promise<KeyVerdict> {
  const record = await deps.keys.get(presented.keyId);
  if (!record) return { kind: "unknown" };
  const refused = (reason: string) =>
    ({ kind: "refused", tenant: record.tenant, smeId: record.smeId, reason }) as const;
  if (!verifyApiKeySecret(deps.pepper, record.keyId, presented.secret, record.hash))
    return refused("key-secret-mismatch");
  const state = apiKeyState(record, now);
  if (state !== "active") return refused(`key-${state}`);
  const principal: Principal = {
    kind: "sme",
    tenant: record.tenant,
    id: record.smeId,
    roles: [],
    scopes: [...record.scopes],
    keyId: record.keyId,
  };
  const window = Math.floor(now.getTime() / WINDOW_MS);
  const windowEnd = (window + 1) * WINDOW_MS;
  const count = await deps.keys.count(
    record.keyId,
    window,
    record.rateLimitPerMinute,
    Math.ceil(windowEnd / 1000) + 120,
  );
  if (count === undefined) {
    return {
      kind: "admitted",
      principal,
      retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - now.getTime()) / 1000)),
    };
  }
  // The first request of a minute records the use: at most one extra write per key and minute.
  if (count === 1) await deps.keys.touch(record.keyId, now.toISOString());
  return { kind: "admitted", principal };
}
