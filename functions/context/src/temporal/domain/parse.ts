import { type InvalidField, isDomainError } from "@sdp/contracts";
import { invalidData } from "../../domain/errors";
import type { ActiveContext } from "../../domain/jsonld";
import type { Attribute, AttributePatch } from "../../domain/model";
import { parseAttribute, parseEntity } from "../../domain/normalize";

/**
 * Reads entities in temporal representation (clause 5.6.11, 5.6.12): `id`, `type` and, per attribute,
 * one instance or an array of instances in normalized form, each with its `observedAt` (its place in
 * the attribute's history). Instances are checked exactly as the entity API checks attributes, and
 * every problem is reported with the instance it concerns.
 */
export interface TemporalInput {
  readonly id?: string;
  readonly types?: string[];
  /** Instances by expanded attribute name. */
  readonly attrs: Record<string, Attribute[]>;
}

const HEAD_MEMBERS = new Set([
  "id",
  "type",
  "@id",
  "@type",
  "@context",
  "createdAt",
  "modifiedAt",
  "deletedAt",
  "scope",
]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function parseTemporalEntity(
  raw: unknown,
  ctx: ActiveContext,
  options: { whole: boolean; expectedId?: string },
): TemporalInput {
  if (!isObject(raw)) throw invalidData([{ field: "body", reason: "an entity must be a JSON object" }]);
  const problems: InvalidField[] = [];
  const collect = (work: () => void, rename: (field: string) => string = (f) => f) => {
    try {
      work();
    } catch (error) {
      if (!isDomainError(error) || !error.errors) throw error;
      problems.push(...error.errors.map((e) => ({ field: rename(e.field), reason: e.reason })));
    }
  };
  const head: Record<string, unknown> = {};
  for (const key of ["id", "type", "@id", "@type", "scope"]) if (key in raw) head[key] = raw[key];
  let id: string | undefined;
  let types: string[] | undefined;
  collect(() => {
    const input = parseEntity(head, ctx, {
      whole: options.whole,
      partial: false,
      ...(options.expectedId === undefined ? {} : { expectedId: options.expectedId }),
    });
    id = input.id;
    types = input.types;
    // The history keeps attribute instances only: scopes are set through the entity API.
    if (input.scope !== undefined)
      problems.push({
        field: "scope",
        reason: "is not kept by the temporal API: set it with the entity API",
      });
  });
  const attrs: Record<string, Attribute[]> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (HEAD_MEMBERS.has(key)) continue;
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) {
      problems.push({ field: key, reason: "must hold at least one attribute instance" });
      continue;
    }
    list.forEach((item, index) => {
      const field = Array.isArray(value) ? `${key}[${index}]` : key;
      collect(
        () => {
          const parsed = parseEntity({ [key]: item }, ctx, { whole: false, partial: false });
          for (const [name, updates] of Object.entries(parsed.attrs)) {
            for (const update of updates) {
              if (update.kind !== "set") continue;
              if (update.instance.observedAt === undefined) {
                problems.push({
                  field: `${field}.observedAt`,
                  reason: "is required: it places the instance in the attribute's history",
                });
                continue;
              }
              attrs[name] = [...(attrs[name] ?? []), update.instance];
            }
          }
        },
        (f) => (f === key ? field : f.startsWith(`${key}.`) ? `${field}${f.slice(key.length)}` : f),
      );
    });
  }
  if (problems.length > 0) throw invalidData(problems);
  if (Object.keys(attrs).length === 0 && !options.whole) {
    throw invalidData([{ field: "body", reason: "names no attribute instance" }]);
  }
  return { ...(id === undefined ? {} : { id }), ...(types === undefined ? {} : { types }), attrs };
}

/** The members a PATCH of an attribute instance (clause 5.6.13) changes. */
export function parseInstancePatch(raw: unknown, name: string, ctx: ActiveContext): AttributePatch {
  const update = parseAttribute(raw, name, ctx, true);
  if (update.kind === "delete")
    throw invalidData([
      { field: "body", reason: "an instance is deleted with DELETE, not the NGSI-LD Null" },
    ]);
  if (update.kind === "set") {
    const { sub, ...rest } = update.instance;
    const patch: AttributePatch = { ...rest, sub: {} };
    for (const [subName, value] of Object.entries(sub ?? {})) {
      patch.sub[subName] = { ...value, sub: {} };
    }
    return patch;
  }
  return update.patch;
}
