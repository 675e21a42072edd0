import { invalidData } from "./errors";

/**
 * Entity scopes (clause 4.18) and the scope query language (clause 4.19).
 *
 * A scope is a path of levels, `/Madrid/Gardens/ParqueNorte`; an entity may have several. Each level is
 * made of Unicode letters, numbers and `_` (the ABNF of clause 4.18). A scope query selects entities by
 * their scopes: `/A/B` that exact scope, `+` any one level (`/Madrid/+/ParqueNorte`), a final `#` the
 * scope and every scope below it (`/CompanyA/#` matches `/CompanyA` and `/CompanyA/OrganizationB/UnitC`;
 * `/#` matches any entity that has a scope). `;` is AND, `,` and `|` are OR, parentheses group; AND binds
 * tighter than OR, as in the type selection language.
 */
export type ScopeExpression =
  | {
      kind: "scope";
      /** The levels to match, `+` standing for any one level. */
      levels: string[];
      /** A final `#`: the scope itself and everything below it. */
      descendants: boolean;
    }
  | { kind: "and"; terms: ScopeExpression[] }
  | { kind: "or"; terms: ScopeExpression[] };

const LEVEL = /^[\p{L}\p{N}_]+$/u;
const MAX_SCOPE_LENGTH = 512;
/** The most scopes one entity may carry: each is matched on every query that asks for scopes. */
export const MAX_SCOPES = 100;
const MAX_QUERY_LENGTH = 2_000;
const STOP = new Set([",", "|", ";", "(", ")"]);

/** Why a scope is not valid, or undefined when it is. */
export function checkScope(scope: string): string | undefined {
  if (scope.length > MAX_SCOPE_LENGTH)
    return `a scope must not be longer than ${MAX_SCOPE_LENGTH} characters`;
  if (!scope.startsWith("/")) return `${JSON.stringify(scope)} must start with "/", as in /Madrid/Gardens`;
  const levels = scope.slice(1).split("/");
  if (levels.some((level) => level === ""))
    return `${JSON.stringify(scope)} has an empty level (a scope is /level/level…, without a trailing "/")`;
  const bad = levels.find((level) => !LEVEL.test(level));
  if (bad !== undefined)
    return `${JSON.stringify(scope)}: the level ${JSON.stringify(bad)} may only hold letters, digits and _`;
  return undefined;
}

/**
 * The scopes of an entity payload (`"scope": "/A/B"` or `["/A/B", "/C"]`), in the order given without
 * repeats, or the reason they are refused.
 */
export function parseScopes(value: unknown): { ok: true; scopes: string[] } | { ok: false; reason: string } {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === "string")) {
    return {
      ok: false,
      reason: "must be a scope such as /Madrid/Gardens/ParqueNorte or a non-empty array of scopes",
    };
  }
  if (list.length > MAX_SCOPES) return { ok: false, reason: `must not list more than ${MAX_SCOPES} scopes` };
  for (const scope of list) {
    const problem = checkScope(scope);
    if (problem) return { ok: false, reason: problem };
  }
  return { ok: true, scopes: [...new Set(list)] };
}

/** Parses a scope query; a problem is BadRequestData naming `field` (the parameter or body member). */
export function parseScopeQuery(text: string, field = "scopeQ"): ScopeExpression {
  const invalid = (reason: string) => invalidData([{ field, reason }], "invalid query");
  if (text.trim() === "") throw invalid("is empty");
  if (text.length > MAX_QUERY_LENGTH) throw invalid(`is longer than ${MAX_QUERY_LENGTH} characters`);
  let position = 0;
  const or = (): ScopeExpression => {
    const terms = [and()];
    while (text[position] === "," || text[position] === "|") {
      position++;
      terms.push(and());
    }
    return terms.length === 1 && terms[0] ? terms[0] : { kind: "or", terms };
  };
  const and = (): ScopeExpression => {
    const terms = [unary()];
    while (text[position] === ";") {
      position++;
      terms.push(unary());
    }
    return terms.length === 1 && terms[0] ? terms[0] : { kind: "and", terms };
  };
  const unary = (): ScopeExpression => {
    if (text[position] === "(") {
      position++;
      const inner = or();
      if (text[position] !== ")") throw invalid(`a ")" is missing at position ${position}`);
      position++;
      return inner;
    }
    const start = position;
    while (position < text.length && !STOP.has(text[position] ?? "")) position++;
    return pattern(text.slice(start, position), start);
  };
  const pattern = (token: string, at: number): ScopeExpression => {
    if (token === "") throw invalid(`a scope such as /Madrid/# is expected at position ${at}`);
    if (!token.startsWith("/"))
      throw invalid(`${JSON.stringify(token)} at position ${at} must start with "/", as in /Madrid/#`);
    const levels = token.slice(1).split("/");
    const descendants = levels.at(-1) === "#";
    if (descendants) levels.pop();
    for (const level of levels) {
      if (level === "+") continue;
      if (level === "#")
        throw invalid(`${JSON.stringify(token)}: "#" may only be the last level, as in /Madrid/#`);
      if (level === "" || !LEVEL.test(level)) {
        throw invalid(
          `${JSON.stringify(token)}: each level is letters, digits and _, or + for any one level, or a final #`,
        );
      }
    }
    return { kind: "scope", levels, descendants };
  };
  const expression = or();
  if (position < text.length)
    throw invalid(`unexpected ${JSON.stringify(text[position])} at position ${position}`);
  return expression;
}

function matchesPattern(levels: readonly string[], descendants: boolean, scope: string): boolean {
  const actual = scope.slice(1).split("/");
  if (descendants ? actual.length < levels.length : actual.length !== levels.length) return false;
  return levels.every((level, index) => level === "+" || level === actual[index]);
}

/** Whether an entity with these scopes (none: an entity without scope) is selected by the query. */
export function matchesScopes(expression: ScopeExpression, scopes: readonly string[]): boolean {
  switch (expression.kind) {
    case "scope":
      return scopes.some((scope) => matchesPattern(expression.levels, expression.descendants, scope));
    case "and":
      return expression.terms.every((t) => matchesScopes(t, scopes));
    case "or":
      return expression.terms.some((t) => matchesScopes(t, scopes));
  }
}
