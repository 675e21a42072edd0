import type {
  ApiKeyRecord,
  AuditPage,
  AuditQuery,
  AuditVerification,
  Consent,
  DestinationSettings,
  Sme,
  StaffMember,
  StaffRole,
  Tenant,
  TenantExport,
  TenantStatus,
  TouristErased,
  TouristLogin,
} from "@sdp/contracts";

/** Where destinations are recorded. Owned by the domain; adapters implement it. */
export interface TenantStore {
  /** Records a new destination; fails with `TenantExistsError` if the slug is taken. */
  insert(tenant: Tenant): Promise<void>;
  get(slug: string): Promise<Tenant | undefined>;
  list(limit: number, cursor?: string): Promise<{ items: Tenant[]; nextCursor?: string }>;
  /**
   * Moves a destination from `from` (one state or any of several) to `to`; returns false (changing
   * nothing) when it is in none of them, which makes repeated deliveries of the same event harmless.
   */
  transition(
    slug: string,
    from: TenantStatus | readonly TenantStatus[],
    to: TenantStatus,
    changes: Partial<Tenant>,
  ): Promise<boolean>;
  /**
   * Replaces the destination's settings (none: removes them) if it is still in one of `statuses` and
   * unchanged since `seenUpdatedAt`; false (changing nothing) otherwise.
   */
  replaceSettings(
    slug: string,
    settings: DestinationSettings,
    condition: { readonly seenUpdatedAt: string; readonly statuses: readonly TenantStatus[] },
    updatedAt: string,
  ): Promise<boolean>;
  /** Records where the export went, once: false if the destination is not offboarding or has one. */
  recordExport(slug: string, archive: TenantExport, updatedAt: string): Promise<boolean>;
}

/** Creates and removes everything a destination needs (its per-tenant tables, and more later). */
export interface DestinationProvisioner {
  /** Idempotent: resources that already exist are accepted. Returns the names of the resources. */
  provision(slug: string): Promise<{ resources: string[] }>;
  /** Idempotent: resources already gone are ignored. */
  deprovision(slug: string): Promise<void>;
  /** The physical names of the destination's tables that exist now. */
  tables(slug: string): Promise<string[]>;
}

/** Reads every item of a table, page by page. */
export interface TableReader {
  items(table: string): AsyncIterable<Record<string, unknown>>;
}

/** Where export archives go: a directory locally, an S3 bucket in AWS. */
export interface ArchiveStore {
  /** Writes (or overwrites) the archive `key` from the lines, each ending in a newline. */
  write(
    key: string,
    lines: AsyncIterable<string>,
  ): Promise<{ location: string; bytes: number; sha256: string }>;
}

/** The SMEs of each destination. Every call names the destination; no record of another is reachable. */
export interface SmeStore {
  /** Fails with `TaxIdTakenError` when another SME of the destination has the tax id. */
  insert(tenant: string, sme: Sme): Promise<void>;
  get(tenant: string, smeId: string): Promise<Sme | undefined>;
  list(tenant: string, limit: number, cursor?: string): Promise<{ items: Sme[]; nextCursor?: string }>;
  /**
   * Replaces an SME if it is unchanged since `previous` was read. Fails with `TaxIdTakenError`, or
   * returns false when it changed or disappeared meanwhile.
   */
  replace(tenant: string, previous: Sme, next: Sme): Promise<boolean>;
  /** How many keys were ever issued to the SME (counted in the transaction that stores each key). */
  issuedKeys(tenant: string, smeId: string): Promise<number>;
  /**
   * Removes an SME and revokes the given keys in one transaction, if exactly `issuedKeys` keys were
   * issued to it (so none can be issued meanwhile and outlive it); false otherwise.
   */
  remove(
    tenant: string,
    sme: Sme,
    revokeKeys: readonly string[],
    at: string,
    by: string,
    issuedKeys: number,
  ): Promise<boolean>;
}

/** API keys, found by id; writes are conditioned on the key belonging to the destination and SME. */
export interface ApiKeyStore {
  /** Stores a new key if the SME still exists in the destination; false otherwise. */
  insert(record: ApiKeyRecord): Promise<boolean>;
  get(keyId: string): Promise<ApiKeyRecord | undefined>;
  listBySme(tenant: string, smeId: string): Promise<ApiKeyRecord[]>;
  /**
   * Stores `next` and limits `previous` to `validUntil` in one transaction, if `previous` is still
   * active and not rotated; false otherwise.
   */
  rotate(previous: ApiKeyRecord, next: ApiKeyRecord, validUntil: string, now: string): Promise<boolean>;
  /** Revokes a key of the destination's SME; false if it is not one, or already revoked. */
  revoke(tenant: string, smeId: string, keyId: string, at: string, by: string): Promise<boolean>;
}

/** A destination's audit log, for reading and checking (the writer lives in lambda-kit). */
export interface AuditReader {
  page(tenant: string, query: AuditQuery): Promise<AuditPage>;
  verify(tenant: string): Promise<AuditVerification>;
}

/** Staff accounts: Cognito in AWS, a platform table locally. */
export interface UserDirectory {
  /** Creates the account; fails with `EmailTakenError` when the address has one. */
  invite(
    tenant: string,
    person: { email: string; name?: string; roles: readonly StaffRole[] },
  ): Promise<{ user: StaffMember; temporaryPassword?: string }>;
  list(tenant: string): Promise<StaffMember[]>;
  get(tenant: string, userId: string): Promise<StaffMember | undefined>;
  setRoles(tenant: string, userId: string, roles: readonly StaffRole[]): Promise<StaffMember | undefined>;
  /** False when the person is not staff of the destination. */
  remove(tenant: string, userId: string): Promise<boolean>;
}

/** Tourists of each destination: a login, a pseudonymous profile and the history of their consents. */
export interface TouristStore {
  /** Creates the login and the profile together; false when the e-mail has an account in the destination. */
  signUp(login: TouristLogin, profile: { createdAt: string; language?: string }): Promise<boolean>;
  profile(
    tenant: string,
    touristId: string,
  ): Promise<{ email: string; createdAt: string; language?: string } | undefined>;
  /** Appends a consent decision if the tourist still exists; false otherwise. */
  recordConsent(tenant: string, touristId: string, consent: Consent): Promise<boolean>;
  consents(tenant: string, touristId: string): Promise<Consent[]>;
  /**
   * Removes everything held about the tourist and, in the transaction that removes the profile,
   * records the event announcing it (outbox). False when there was nothing to erase.
   */
  erase(tenant: string, touristId: string, event: TouristErased): Promise<boolean>;
}

/** Publishes domain events written to an outbox (DESIGN §6). */
export interface EventPublisher {
  publish(event: { source: string; detailType: string; detail: unknown }): Promise<void>;
}

export class TenantExistsError extends Error {
  constructor(slug: string, options?: { cause?: unknown }) {
    super(`destination ${slug} exists`, options);
    this.name = "TenantExistsError";
  }
}

export class TaxIdTakenError extends Error {
  constructor(options?: { cause?: unknown }) {
    super("tax id taken", options);
    this.name = "TaxIdTakenError";
  }
}

export class EmailTakenError extends Error {
  constructor(options?: { cause?: unknown }) {
    super("e-mail address taken", options);
    this.name = "EmailTakenError";
  }
}
