import { invalidData } from "./errors";
import { type ActiveContext, compactTerm, expandTerm } from "./jsonld";
import { checkName } from "./normalize";
import type { View } from "./render";

/**
 * Projection of entity members (clause 4.21): `pick` keeps only the members it names, `omit` removes
 * them. Members are `id`, `type`, `scope` and attribute names (expanded with the requester's
 * @context). The entity API, the temporal API and subscriptions' notification parameters all read
 * them here, so they are checked alike.
 */
export type Projection = Pick<View, "pick" | "omit">;

/** The entity members that are not attributes; they are named as they are, never expanded. */
const ENTITY_MEMBERS: ReadonlySet<string> = new Set(["id", "type", "scope"]);

export type MembersResult =
  | { readonly ok: true; readonly members: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/** The members of a projection string: comma- or pipe-separated (clause 4.21), attribute names expanded. */
export function projectionMembers(ctx: ActiveContext, text: string): MembersResult {
  const members: string[] = [];
  for (const name of text.split(/[,|]/)) {
    const trimmed = name.trim();
    if (ENTITY_MEMBERS.has(trimmed)) {
      members.push(trimmed);
      continue;
    }
    // `{...}` selects members of linked entities, which only a join (not implemented) can retrieve.
    if (/[{}]/.test(trimmed)) {
      return {
        ok: false,
        reason: `${JSON.stringify(trimmed)}: linked entity projections need join, which is not supported`,
      };
    }
    const problem = checkName(trimmed);
    if (problem) return { ok: false, reason: `${JSON.stringify(trimmed)}: ${problem}` };
    members.push(expandTerm(ctx, trimmed));
  }
  return { ok: true, members };
}

/** A stored member as a requester reads it: attribute names compacted with its @context. */
export const compactMember = (ctx: ActiveContext, member: string): string =>
  ENTITY_MEMBERS.has(member) ? member : compactTerm(ctx, member);

/**
 * Which projection member conflicts with another (clause 4.21): `pick` and `omit` exclude each other,
 * and neither goes with `attrs` (`attributes` in notification parameters), its deprecated synonym.
 */
export function projectionConflict(
  given: { readonly attrs?: unknown; readonly pick?: unknown; readonly omit?: unknown },
  attrsName = "attrs",
): { readonly member: "pick" | "omit"; readonly reason: string } | undefined {
  if (given.pick !== undefined && given.omit !== undefined)
    return { member: "pick", reason: "pick and omit cannot be used together" };
  if (given.attrs !== undefined && given.pick !== undefined)
    return { member: "pick", reason: `pick cannot be used together with ${attrsName}` };
  if (given.attrs !== undefined && given.omit !== undefined)
    return { member: "omit", reason: `omit cannot be used together with ${attrsName}` };
  return undefined;
}

/**
 * The `pick` and `omit` of a request, checked against each other and against `attrs`; a problem is
 * BadRequestData naming `<where>.pick` or `<where>.omit`. `attrs` itself is left to the caller.
 */
export function parseProjection(
  ctx: ActiveContext,
  p: { readonly attrs?: string; readonly pick?: string; readonly omit?: string },
  where = "query",
): Projection {
  const invalid = (member: string, reason: string) =>
    invalidData([{ field: `${where}.${member}`, reason }], "invalid request");
  const conflict = projectionConflict(p);
  if (conflict) throw invalid(conflict.member, conflict.reason);
  const parse = (member: "pick" | "omit", text: string | undefined): ReadonlySet<string> | undefined => {
    if (text === undefined) return undefined;
    const parsed = projectionMembers(ctx, text);
    if (!parsed.ok) throw invalid(member, parsed.reason);
    return new Set(parsed.members);
  };
  const pick = parse("pick", p.pick);
  const omit = parse("omit", p.omit);
  return { ...(pick ? { pick } : {}), ...(omit ? { omit } : {}) };
}
