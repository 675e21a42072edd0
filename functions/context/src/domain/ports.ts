import type { ContextCache } from "./contexts";
import type { BBox } from "./geo";
import type { Entity } from "./model";

/** What the store needs back to change an entity it returned: opaque to the domain. */
export interface Revision {
  readonly version: number;
  /** Index items the store keeps for this entity version. */
  readonly indexItems: readonly string[];
  /** Receipts of the last changes applied with one (idempotency keys, oldest first); see `create`. */
  readonly receipts?: readonly string[];
}

export interface StoredEntity {
  readonly entity: Entity;
  readonly revision: Revision;
}

/**
 * The entities of the destination in scope. Owned by the domain; the DynamoDB adapter implements it.
 * Every stream returns entities in ascending id order (byte order, as DynamoDB sorts keys), without
 * duplicates, so the domain can paginate and stop early.
 */
export interface EntityStore {
  get(id: string): Promise<StoredEntity | undefined>;
  getMany(ids: readonly string[]): Promise<StoredEntity[]>;
  /**
   * Fails with `EntityExistsError` when the id is taken. A `receipt` (an idempotency key such as a
   * context update's id) is kept with the entity in the same write, among the last `MAX_RECEIPTS`.
   */
  create(entity: Entity, receipt?: string): Promise<void>;
  /** Fails with `EntityChangedError` when the entity changed or vanished since `revision` was read. */
  update(entity: Entity, revision: Revision, receipt?: string): Promise<void>;
  /** Fails with `EntityChangedError` when the entity changed or vanished since `revision` was read. */
  delete(id: string, revision: Revision): Promise<void>;
  /** Entities having at least one of the types. */
  byTypes(types: readonly string[]): AsyncIterable<StoredEntity>;
  /**
   * Entities whose location may intersect the box (a superset: the caller filters exactly), or
   * undefined when the box is too large for the geo index to help.
   */
  byArea(box: BBox): AsyncIterable<StoredEntity> | undefined;
  /** Every entity: for queries that name no type, id or area (not a hot path). */
  all(): AsyncIterable<StoredEntity>;
  /** Every entity type ever stored (some may have no entities left). */
  types(): Promise<string[]>;
}

/** How many receipts an entity keeps: a change is recognised as applied among its last ones. */
export const MAX_RECEIPTS = 16;

export interface ContextDeps {
  /** The store of the destination in the request scope. */
  readonly store: () => EntityStore;
  /** Active @contexts by what requests send, cached per destination. */
  readonly contexts: ContextCache;
  readonly now?: () => string;
}

export class EntityExistsError extends Error {
  constructor(id: string) {
    super(`entity ${id} exists`);
    this.name = "EntityExistsError";
  }
}

export class EntityChangedError extends Error {
  constructor(id: string) {
    super(`entity ${id} changed concurrently`);
    this.name = "EntityChangedError";
  }
}

export class EntityTooLargeError extends Error {
  constructor(
    readonly id: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`entity ${id} needs ${bytes} bytes, more than ${limit}`);
    this.name = "EntityTooLargeError";
  }
}

/**
 * A read that would go on past the request's deadline: the answer could no longer reach the client
 * (API Gateway gives up at 29 s), and the work would only keep the table busy until Lambda stops it.
 */
export class ReadDeadlineError extends Error {
  constructor(readonly candidatesRead: number) {
    super(`the request's time ran out after ${candidatesRead} candidates were read`);
    this.name = "ReadDeadlineError";
  }
}

/** The destination has no context table: it was never provisioned, or it was removed. */
export class NonexistentTenantError extends Error {
  constructor(cause: unknown) {
    super("the destination has no context store", { cause });
    this.name = "NonexistentTenantError";
  }
}
