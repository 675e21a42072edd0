import {
  type ContextDeadLetter,
  ContextUpdate,
  contextUpdatePartitionKey,
  isDomainError,
  type ObservedAttribute,
  type StaticContextAttribute,
} from "@sdp/contracts";
import { errorFields, log, Scope } from "@sdp/kernel";
import { type ActiveContext, expandTerm } from "../domain/jsonld";
import type { Attribute } from "../domain/model";
import type { DeadLetterSink } from "../streams/dead-letters";
import { type ApplyOutcome, applyObservations, type Observations } from "../temporal/domain/observations";
import type { TemporalDeps } from "../temporal/domain/ports";

/**
 * The ingest → context applier: the consumer of ingestion's `context-updates` stream. Each
 * `ContextUpdate` is applied to its destination's entity (see `applyObservations`: created on first
 * data, an attribute replaced only by a newer observation, older ones straight into history, a
 * redelivered update recognised by its `updateId` and applied once).
 *
 * Updates of one entity are applied in stream order; different entities concurrently. A record that
 * fails for a reason that may pass (throttling, a conflict that outlasted its retries) stops its
 * entity's later records and is reported, so the event source retries from it. A record that can
 * never be applied — not a valid update, an unknown destination, an entity that would grow too large —
 * goes to the dead-letter queue with the reason and is acknowledged: it never blocks its shard.
 */
export interface UpdateRecord {
  readonly stream: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Buffer;
  readonly arrivedAt: Date;
}

export interface ApplierDeps {
  readonly context: TemporalDeps;
  readonly deadLetters: DeadLetterSink;
}

export interface ApplierOutcome {
  /** Sequence numbers to report as batch item failures. */
  readonly failed: string[];
  readonly outcomes: Partial<Record<ApplyOutcome, number>>;
  readonly deadLettered: number;
}

type Verdict =
  | { readonly kind: "update"; readonly update: ContextUpdate }
  | {
      readonly kind: "poison";
      readonly reason: ContextDeadLetter["reason"];
      readonly detail: string;
      readonly tenant?: string;
    };

const CONCURRENCY = 8;

function decode(record: UpdateRecord): Verdict {
  let json: unknown;
  try {
    json = JSON.parse(record.data.toString("utf8"));
  } catch {
    return { kind: "poison", reason: "invalid-update", detail: "the record is not JSON" };
  }
  const parsed = ContextUpdate.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join(".") || "update"}: ${issue.message}`)
      .join("; ");
    return { kind: "poison", reason: "invalid-update", detail: `not a ContextUpdate: ${detail}` };
  }
  const update = parsed.data;
  if (contextUpdatePartitionKey(update) !== record.partitionKey) {
    return {
      kind: "poison",
      reason: "invalid-update",
      detail: `partition key ${record.partitionKey} is not the update's ${contextUpdatePartitionKey(update)}`,
      tenant: update.tenant,
    };
  }
  return { kind: "update", update };
}

function observed(attribute: ObservedAttribute): Attribute {
  switch (attribute.type) {
    case "Property":
      return {
        type: "Property",
        value: attribute.value,
        observedAt: attribute.observedAt,
        ...(attribute.unitCode === undefined ? {} : { unitCode: attribute.unitCode }),
      };
    case "GeoProperty":
      return { type: "GeoProperty", value: attribute.value, observedAt: attribute.observedAt };
    case "Relationship":
      return { type: "Relationship", object: attribute.object, observedAt: attribute.observedAt };
  }
}

function fixed(attribute: StaticContextAttribute): Attribute {
  switch (attribute.type) {
    case "Property":
      return {
        type: "Property",
        value: attribute.value,
        ...(attribute.unitCode === undefined ? {} : { unitCode: attribute.unitCode }),
      };
    case "GeoProperty":
      return { type: "GeoProperty", value: attribute.value };
    case "Relationship":
      return { type: "Relationship", object: attribute.object };
  }
}

/** The update as observations, names expanded with the core @context (ingestion sends short names). */
export function observationsOf(update: ContextUpdate, ctx: ActiveContext): Observations {
  const observedAttrs: Record<string, Attribute[]> = {};
  for (const [name, attribute] of Object.entries(update.attributes)) {
    observedAttrs[expandTerm(ctx, name)] = [observed(attribute)];
  }
  const statics: Record<string, Attribute> = {};
  for (const [name, attribute] of Object.entries(update.staticAttributes ?? {})) {
    statics[expandTerm(ctx, name)] = fixed(attribute);
  }
  return {
    entityId: update.entityId,
    types: [expandTerm(ctx, update.entityType)],
    observed: observedAttrs,
    statics,
    receipt: update.updateId,
    receivedAt: update.source.receivedAt,
    recordAll: false,
  };
}

/** Whether an error can never pass by retrying, and why. */
function permanent(error: unknown): { reason: ContextDeadLetter["reason"]; detail: string } | undefined {
  if (!isDomainError(error)) return undefined;
  if (error.code === "NonexistentTenant")
    return { reason: "unknown-destination", detail: "the destination has no context broker tables" };
  if (error.status === 413) return { reason: "entity-too-large", detail: error.detail ?? error.title };
  if (error.status >= 400 && error.status < 500)
    return { reason: "invalid-update", detail: error.detail ?? error.title };
  return undefined;
}

export async function applyUpdates(
  deps: ApplierDeps,
  records: readonly UpdateRecord[],
): Promise<ApplierOutcome> {
  const verdicts: Verdict[] = records.map(decode);
  const failed = new Set<number>();
  const outcomes: Partial<Record<ApplyOutcome, number>> = {};
  const groups = new Map<string, number[]>();
  verdicts.forEach((verdict, index) => {
    if (verdict.kind !== "update") return;
    const key = contextUpdatePartitionKey(verdict.update);
    groups.set(key, [...(groups.get(key) ?? []), index]);
  });
  const queue = [...groups.values()];
  const worker = async () => {
    for (let group = queue.shift(); group; group = queue.shift()) {
      for (const index of group) {
        const verdict = verdicts[index];
        if (verdict?.kind !== "update") continue;
        const { update } = verdict;
        try {
          const outcome = await Scope.run({ requestId: update.updateId, tenant: update.tenant }, async () => {
            const ctx = await deps.context.contexts.resolve(update.tenant, undefined);
            return applyObservations(deps.context, observationsOf(update, ctx));
          });
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        } catch (error) {
          const never = permanent(error);
          if (never) {
            verdicts[index] = { kind: "poison", ...never, tenant: update.tenant };
            continue;
          }
          log.warn("context update not applied; it will be retried", {
            destination: update.tenant,
            sequenceNumber: records[index]?.sequenceNumber,
            ...errorFields(error),
          });
          failed.add(index);
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));

  const now = new Date().toISOString();
  const poison = verdicts.flatMap((verdict, index) => {
    const record = records[index];
    if (verdict.kind !== "poison" || !record) return [];
    const letter: ContextDeadLetter = {
      kind: "context-update",
      reason: verdict.reason,
      detail: verdict.detail,
      source: record.stream,
      sequenceNumber: record.sequenceNumber,
      partitionKey: record.partitionKey,
      approximateArrivalTimestamp: record.arrivedAt.toISOString(),
      data: record.data.toString("base64"),
      ...(verdict.tenant ? { tenant: verdict.tenant } : {}),
      deadLetteredAt: now,
    };
    return [{ index, letter }];
  });
  let deadLettered = 0;
  if (poison.length > 0) {
    try {
      await deps.deadLetters.send(poison.map((p) => p.letter));
      deadLettered = poison.length;
      for (const { letter } of poison) {
        log.warn("context update dead-lettered", {
          reason: letter.reason,
          detail: letter.detail,
          partitionKey: letter.partitionKey,
          sequenceNumber: letter.sequenceNumber,
        });
      }
    } catch (error) {
      log.error("dead-letter queue unavailable; the records will be retried", errorFields(error));
      for (const { index } of poison) failed.add(index);
    }
  }
  return {
    failed: [...failed].sort((a, b) => a - b).flatMap((index) => records[index]?.sequenceNumber ?? []),
    outcomes,
    deadLettered,
  };
}
