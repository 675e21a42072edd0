import type { ContextDeadLetter } from "@sdp/contracts";
import { errorFields, log, Scope } from "@sdp/kernel";
import type { Entity } from "../../domain/model";
import type { DeadLetterSink } from "../../streams/dead-letters";
import { diffEntity } from "./instances";
import type { HistoryStore } from "./ports";

/**
 * The history recorder: the consumer of the entities table's stream. Each change of an entity item
 * becomes attribute instances (see `diffEntity`); changes of other items (indexes, registries,
 * receipts) are ignored. Records of one entity are recorded in order; a record that fails stops its
 * entity's later records and is reported, so the event source retries from it (what was recorded is
 * recorded again identically). Records that can never be recorded go to the dead-letter queue.
 */
export type ChangeRecord =
  | {
      readonly kind: "change";
      readonly sequenceNumber: string;
      readonly tenant: string;
      readonly entityId: string;
      readonly before?: Entity;
      readonly after?: Entity;
      /** When the stream saw the change. */
      readonly changedAt: string;
    }
  | { readonly kind: "ignored"; readonly sequenceNumber: string }
  | { readonly kind: "poison"; readonly sequenceNumber: string; readonly letter: ContextDeadLetter };

export interface RecorderDeps {
  /** The history of the destination in scope. */
  readonly history: () => HistoryStore;
  readonly deadLetters: DeadLetterSink;
}

const CONCURRENCY = 8;

export async function recordChanges(deps: RecorderDeps, records: readonly ChangeRecord[]): Promise<string[]> {
  const failed = new Set<number>();
  const groups = new Map<string, number[]>();
  records.forEach((record, index) => {
    if (record.kind !== "change") return;
    const key = `${record.tenant}\u0000${record.entityId}`;
    groups.set(key, [...(groups.get(key) ?? []), index]);
  });
  const queue = [...groups.values()];
  const worker = async () => {
    for (let group = queue.shift(); group; group = queue.shift()) {
      for (const index of group) {
        const record = records[index];
        if (record?.kind !== "change") continue;
        try {
          const changes = diffEntity(record.entityId, record.before, record.after, record.changedAt);
          if (changes.instances.length === 0 && changes.series.length === 0 && !changes.head) continue;
          await Scope.run({ requestId: record.sequenceNumber, tenant: record.tenant }, () =>
            deps.history().record(changes),
          );
        } catch (error) {
          log.warn("entity change not recorded; it will be retried", {
            destination: record.tenant,
            sequenceNumber: record.sequenceNumber,
            ...errorFields(error),
          });
          failed.add(index);
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));

  const poison = records.flatMap((record, index) => (record.kind === "poison" ? [{ index, record }] : []));
  if (poison.length > 0) {
    try {
      await deps.deadLetters.send(poison.map((p) => p.record.letter));
      for (const { record } of poison) {
        log.warn("entity change dead-lettered", {
          reason: record.letter.reason,
          detail: record.letter.detail,
          sequenceNumber: record.sequenceNumber,
        });
      }
    } catch (error) {
      log.error("dead-letter queue unavailable; the records will be retried", errorFields(error));
      for (const { index } of poison) failed.add(index);
    }
  }
  return [...failed].sort((a, b) => a - b).flatMap((index) => records[index]?.sequenceNumber ?? []);
}
