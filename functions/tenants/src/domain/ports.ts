import type { Tenant, TenantStatus } from "@sdp/contracts";

/** Where destinations are recorded. Owned by the domain; adapters implement it. */
export interface TenantStore {
  /** Records a new destination; fails with `TenantExistsError` if the slug is taken. */
  insert(tenant: Tenant): Promise<void>;
  get(slug: string): Promise<Tenant | undefined>;
  list(limit: number, cursor?: string): Promise<{ items: Tenant[]; nextCursor?: string }>;
  /**
   * Moves a destination from `from` to `to`; returns false (changing nothing) when it is no longer
   * in `from`, which makes repeated deliveries of the same event harmless.
   */
  transition(slug: string, from: TenantStatus, to: TenantStatus, changes: Partial<Tenant>): Promise<boolean>;
}

/** Creates and removes everything a destination needs (its per-tenant tables, and more later). */
export interface DestinationProvisioner {
  /** Idempotent: resources that already exist are accepted. Returns the names of the resources. */
  provision(slug: string): Promise<{ resources: string[] }>;
  /** Idempotent: resources already gone are ignored. */
  deprovision(slug: string): Promise<void>;
}

export class TenantExistsError extends Error {
  constructor(slug: string, options?: { cause?: unknown }) {
    super(`destination ${slug} exists`, options);
    this.name = "TenantExistsError";
  }
}
