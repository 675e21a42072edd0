import { createHash } from "node:crypto";
import { z } from "zod";
import { PrincipalKind } from "./principal";

/**
 * The per-destination audit log (DESIGN §5): every state-changing call, and every refused credential
 * that names a destination, is appended to `sdp-<stage>-<tenant>-tenants-audit`. Entries form a hash
 * chain: each stores the SHA-256 of its canonical content, which includes the previous entry's hash, so
 * changing, removing or reordering an entry breaks every link after it.
 */
export const AuditTable = {
  service: "tenants",
  purpose: "audit",
  pk: "pk",
  sk: "sk",
  /** Entries live in one partition, sorted by time then sequence (time never goes back along the chain). */
  logPk: "LOG",
  entrySk: (at: string, seq: number) => `${at}#${String(seq).padStart(12, "0")}`,
  /** The chain's head: the last sequence number and hash, moved in the same transaction as each append. */
  headPk: "HEAD",
  headSk: "HEAD",
} as const;

/** The hash of the (absent) entry before the first one. */
export const AUDIT_GENESIS_HASH = "0".repeat(64);

export const AuditActor = z.object({
  kind: z.union([PrincipalKind, z.literal("anonymous")]),
  id: z.string(),
  /** The API key used, for SMEs. */
  keyId: z.string().optional(),
});
export type AuditActor = z.infer<typeof AuditActor>;

/** What a caller hands the audit log: everything but the chain fields. */
export const AuditEvent = z.object({
  at: z.iso.datetime(),
  requestId: z.string(),
  actor: AuditActor,
  action: z.object({
    operationId: z.string(),
    method: z.string(),
    /** The route's resource path (`/destination/smes/{smeId}`), never the raw path. */
    path: z.string(),
    /** The record acted on, when the route names one. */
    resourceId: z.string().optional(),
  }),
  source: z.object({ ip: z.string(), userAgent: z.string().optional() }),
  outcome: z.object({ status: z.number().int(), code: z.string().optional() }),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

export const AuditEntry = AuditEvent.extend({
  seq: z.number().int().positive(),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** JSON with object keys sorted at every level and no insignificant whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(",")}]`;
  const entries = Object.entries(value)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
}

/** SHA-256 over the canonical form of the entry without its own hash (so with `seq` and `prevHash`). */
export function auditEntryHash(entry: Omit<AuditEntry, "hash"> & { readonly hash?: string }): string {
  const { hash: _ignored, ...content } = entry;
  return createHash("sha256").update(canonicalJson(content)).digest("hex");
}

export const AuditQuery = z
  .strictObject({
    from: z.iso.datetime().optional(),
    to: z.iso.datetime().optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(400).optional(),
  })
  .refine((query) => !query.from || !query.to || query.from <= query.to, {
    message: "must not be after to",
    path: ["from"],
  });
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditPage = z.object({ items: z.array(AuditEntry), nextCursor: z.string().optional() });
export type AuditPage = z.infer<typeof AuditPage>;

export const AuditVerification = z.object({
  valid: z.boolean(),
  entries: z.number().int().min(0),
  head: z.object({ seq: z.number().int(), hash: z.string() }).optional(),
  firstBroken: z
    .object({
      seq: z.number().int(),
      reason: z.enum(["hash-mismatch", "chain-broken", "sequence-gap", "head-mismatch", "malformed"]),
    })
    .optional(),
});
export type AuditVerification = z.infer<typeof AuditVerification>;

/** The running state of a chain walk, so a long chain can be checked page by page. */
export interface AuditChainWalk {
  entries: number;
  lastSeq: number;
  lastHash: string;
  firstBroken?: NonNullable<AuditVerification["firstBroken"]>;
}

export function startAuditWalk(): AuditChainWalk {
  return { entries: 0, lastSeq: 0, lastHash: AUDIT_GENESIS_HASH };
}

/**
 * Checks the next stored items of a chain, in sort-key order: each must parse as an entry, carry the
 * next sequence number, point at the previous entry's hash and hash to what it stores. Stops recording
 * at the first broken link (later ones are reported through it).
 */
export function walkAuditChain(walk: AuditChainWalk, items: readonly unknown[]): AuditChainWalk {
  for (const item of items) {
    if (walk.firstBroken) return walk;
    const parsed = AuditEntry.safeParse(item);
    const seq = walk.lastSeq + 1;
    if (!parsed.success) {
      walk.firstBroken = { seq, reason: "malformed" };
      return walk;
    }
    const entry = parsed.data;
    if (entry.seq !== seq) walk.firstBroken = { seq, reason: "sequence-gap" };
    else if (entry.prevHash !== walk.lastHash) walk.firstBroken = { seq, reason: "chain-broken" };
    else if (auditEntryHash(entry) !== entry.hash) walk.firstBroken = { seq, reason: "hash-mismatch" };
    if (walk.firstBroken) return walk;
    walk.entries += 1;
    walk.lastSeq = entry.seq;
    walk.lastHash = entry.hash;
  }
  return walk;
}

/** Ends a walk against the stored head: entries cut off the end of the chain show up here. */
export function finishAuditWalk(
  walk: AuditChainWalk,
  head: { seq: number; hash: string } | undefined,
): AuditVerification {
  const headOut = head ? { head: { seq: head.seq, hash: head.hash } } : {};
  if (walk.firstBroken)
    return { valid: false, entries: walk.entries, ...headOut, firstBroken: walk.firstBroken };
  const expected = head ?? { seq: 0, hash: AUDIT_GENESIS_HASH };
  if (expected.seq !== walk.lastSeq || expected.hash !== walk.lastHash) {
    return {
      valid: false,
      entries: walk.entries,
      ...headOut,
      firstBroken: { seq: walk.lastSeq + 1, reason: "head-mismatch" },
    };
  }
  return { valid: true, entries: walk.entries, ...headOut };
}
