import type { ApiKeyRecord, TenantStatus } from "@sdp/contracts";

/** The authorizer's view of API keys: found by id alone, counted per minute, last use recorded. */
export interface ApiKeyLookup {
  get(keyId: string): Promise<ApiKeyRecord | undefined>;
  /**
   * Counts one request in the key's window if the count is below `limit`.
   * @returns the count after this request, or undefined when the window is already full.
   */
  count(keyId: string, window: number, limit: number, expiresAtEpoch: number): Promise<number | undefined>;
  /** Records the last use of a key. */
  touch(keyId: string, at: string): Promise<void>;
}

/** A destination's status, as the registry has it (undefined: no such destination). */
export interface DestinationStatus {
  status(slug: string): Promise<TenantStatus | undefined>;
}
