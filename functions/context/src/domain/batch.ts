import { type DomainError, isDomainError } from "@sdp/contracts";
import { errorFields, log } from "@sdp/kernel";
import { asNgsiError, Entity, EntityInternals, type Payload } from "./entity";
import { ngsiError } from "./errors";
import { isUri, parseEntity, payloadId } from "./normalize";
import { type ContextDeps, EntityExistsError } from "./ports";

/**
 * Batch entity operations (clause 5.6.7 to 5.6.10, 5.6.20): each entity succeeds or fails on its own,
 * and the answer lists both. A few run at a time, so a large batch neither floods the table nor waits
 * for one entity after another.
 */
export interface BatchOutcome {
  readonly success: string[];
  readonly errors: Array<{ entityId: string; error: DomainError }>;
  /** For upserts: the entities that did not exist before. */
  readonly created: string[];
}

const CONCURRENCY = 8;

/** The problem the request layer found with a batch item before any work (see `Payload.problem`). */
const problemOf = (item: unknown): DomainError | undefined =>
  typeof item === "object" && item !== null && "problem" in item && isDomainError(item.problem)
    ? item.problem
    : undefined;

/** The id an entity of the batch names (as `id` or `@id`), to report it by. */
const idOf = payloadId;

/**
 * Runs `work` on every item, a few at a time. Items naming the same entity run one after the other, in
 * the order given, so a batch that mentions an entity twice has a defined outcome.
 */
async function each<T>(
  items: readonly T[],
  work: (item: T) => Promise<"created" | "done">,
  idFor: (item: T) => string,
) {
  const results: Array<{ id: string; result: "created" | "done" | DomainError } | undefined> = items.map(
    () => undefined,
  );
  const groups = new Map<string, number[]>();
  items.forEach((item, index) => {
    const id = idFor(item);
    // Items without an id cannot collide: each is its own group.
    const key = id === "" ? `#${index}` : id;
    groups.set(key, [...(groups.get(key) ?? []), index]);
  });
  const queue = [...groups.values()];
  const run = async (index: number) => {
    const item = items[index];
    if (item === undefined) return;
    const id = idFor(item);
    try {
      const problem = problemOf(item);
      if (problem) throw problem;
      results[index] = { id, result: await work(item) };
    } catch (error) {
      const known = asNgsiError(error);
      if (!known) log.error("batch item failed", errorFields(error));
      results[index] = {
        id,
        result: known ?? ngsiError("InternalError", "the entity could not be processed"),
      };
    }
  };
  const worker = async () => {
    for (let group = queue.shift(); group; group = queue.shift()) {
      for (const index of group) await run(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
  const outcome: BatchOutcome = { success: [], errors: [], created: [] };
  for (const entry of results) {
    if (!entry) continue;
    const { id, result } = entry;
    if (result === "created" || result === "done") {
      outcome.success.push(id);
      if (result === "created") outcome.created.push(id);
    } else outcome.errors.push({ entityId: id, error: result });
  }
  return outcome;
}

export const Batch = {
  async create(deps: ContextDeps, items: readonly Payload[]): Promise<BatchOutcome> {
    return each(
      items,
      async (item) => {
        if (item.problem) throw item.problem;
        await Entity.create(deps, item);
        return "created";
      },
      (item) => idOf(item.body),
    );
  },

  /** Creates missing entities; existing ones are replaced, or with `update` get the attributes appended. */
  async upsert(
    deps: ContextDeps,
    items: readonly Payload[],
    mode: "replace" | "update",
  ): Promise<BatchOutcome> {
    return each(
      items,
      async (item) => {
        if (item.problem) throw item.problem;
        const input = parseEntity(item.body, item.ctx, { whole: true, partial: false });
        const id = input.id ?? "";
        const now = EntityInternals.timestamp(deps);
        try {
          await deps.store().create(EntityInternals.newEntity(input, now));
          return "created";
        } catch (error) {
          if (!(error instanceof EntityExistsError)) throw error;
        }
        if (mode === "update") await Entity.appendAttributes(deps, id, item, false);
        else await Entity.replace(deps, id, item);
        return "done";
      },
      (item) => idOf(item.body),
    );
  },

  /** Appends attributes to existing entities; with `noOverwrite`, existing attributes stay. */
  async update(deps: ContextDeps, items: readonly Payload[], noOverwrite: boolean): Promise<BatchOutcome> {
    return each(
      items,
      async (item) => {
        if (item.problem) throw item.problem;
        const id = idOf(item.body);
        if (!isUri(id)) throw ngsiError("BadRequestData", "each entity needs an id that is a URI");
        const result = await Entity.appendAttributes(deps, id, item, noOverwrite);
        // Attributes kept by noOverwrite make the entity's update incomplete: it is reported (207),
        // though the attributes it did not have were appended.
        if (result.notUpdated.length > 0) {
          const kept = [...new Set(result.notUpdated.map((n) => n.attributeName))].join(", ");
          throw ngsiError(
            "AlreadyExists",
            `kept by noOverwrite: ${kept}; any other attributes were appended`,
          );
        }
        return "done";
      },
      (item) => idOf(item.body),
    );
  },

  async merge(deps: ContextDeps, items: readonly Payload[]): Promise<BatchOutcome> {
    return each(
      items,
      async (item) => {
        if (item.problem) throw item.problem;
        const id = idOf(item.body);
        if (!isUri(id)) throw ngsiError("BadRequestData", "each entity needs an id that is a URI");
        await Entity.merge(deps, id, item);
        return "done";
      },
      (item) => idOf(item.body),
    );
  },

  async delete(deps: ContextDeps, ids: readonly string[]): Promise<BatchOutcome> {
    return each(
      ids,
      async (id) => {
        if (!isUri(id)) throw ngsiError("BadRequestData", `${JSON.stringify(id)} is not a URI`);
        await Entity.remove(deps, id);
        return "done";
      },
      (id) => id,
    );
  },
};
