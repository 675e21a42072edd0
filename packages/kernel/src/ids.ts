import { monotonicFactory } from "ulid";

const nextUlid = monotonicFactory();

/** A sortable unique id (ULID), optionally prefixed by its kind, e.g. `req_01J...`. */
export function newId(prefix?: string): string {
  const id = nextUlid();
  return prefix === undefined ? id : `${prefix}_${id}`;
}
