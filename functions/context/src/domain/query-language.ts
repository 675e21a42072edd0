import { ngsiError } from "./errors";

/**
 * The NGSI-LD query language (clause 4.9): `q=temperature>20;(status=="open"|status=="busy")`.
 * `;` is AND and binds tighter than `|` (OR); parentheses group. A term is an attribute path alone
 * (existence), `!path` (absence), or `path <op> value` with ==, !=, >, >=, <, <=, ~= and !~=.
 * A path is `attr(.subAttr)*([key])*`: dots go into sub-attributes, brackets into the JSON value.
 * Names are kept as written; the caller expands them with the request's @context.
 */
export type Literal =
  | { kind: "number"; value: number }
  /** `iri`: the value expanded as a term with the request's @context, for VocabProperty terms. */
  | { kind: "string"; value: string; iri?: string }
  | { kind: "boolean"; value: boolean }
  | { kind: "datetime"; value: string; time: number }
  /** An unquoted token that is neither a number, a boolean nor a date: a URI or bare word. */
  | { kind: "token"; value: string; iri?: string };

export type Operand =
  | { kind: "single"; value: Literal }
  | { kind: "list"; values: Literal[] }
  | { kind: "range"; from: Literal; to: Literal }
  | { kind: "pattern"; regex: RegExp };

export interface AttributePath {
  /** The attribute, then sub-attribute names. */
  readonly names: string[];
  /** Keys into the (JSON) value, from `[a][b]` or `[a.b]`. */
  readonly keys: string[];
  readonly text: string;
}

export type Operator = "==" | "!=" | ">" | ">=" | "<" | "<=" | "~=" | "!~=";

export type QueryExpression =
  | { kind: "and"; terms: QueryExpression[] }
  | { kind: "or"; terms: QueryExpression[] }
  | { kind: "exists"; path: AttributePath; negated: boolean }
  | { kind: "compare"; path: AttributePath; operator: Operator; operand: Operand };

const MAX_QUERY_LENGTH = 4_000;
const MAX_PATTERN_LENGTH = 256;
const OPERATORS: readonly Operator[] = ["!~=", "==", "!=", ">=", "<=", "~=", ">", "<"];
const NAME_STOP = new Set([".", "[", "]", "=", "!", "<", ">", "~", ";", "|", "(", ")", '"', " "]);
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?$/;
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

const invalid = (detail: string) => ngsiError("BadRequestData", `invalid q: ${detail}`);

/** Refuses the regular expressions most prone to catastrophic backtracking (nested quantifiers). */
function safeRegex(source: string): RegExp {
  if (source.length > MAX_PATTERN_LENGTH)
    throw invalid(`a pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  if (/\((?:[^()\\]|\\.)*[*+}](?:[^()\\]|\\.)*\)\s*[*+{]/.test(source)) {
    throw invalid(`the pattern ${source} nests quantifiers, which is not allowed`);
  }
  try {
    return new RegExp(source, "u");
  } catch {
    throw invalid(`${source} is not a valid regular expression`);
  }
}

export function literalOf(text: string, quoted: boolean): Literal {
  if (quoted) return { kind: "string", value: text };
  if (text === "true" || text === "false") return { kind: "boolean", value: text === "true" };
  if (NUMBER.test(text)) return { kind: "number", value: Number(text) };
  if (DATETIME.test(text) || DATE.test(text)) {
    const time = Date.parse(DATE.test(text) ? `${text}T00:00:00Z` : text);
    if (!Number.isNaN(time)) return { kind: "datetime", value: text, time };
  }
  if (TIME.test(text)) return { kind: "string", value: text };
  return { kind: "token", value: text };
}

class Parser {
  private position = 0;
  constructor(private readonly text: string) {}

  parse(): QueryExpression {
    const expression = this.or();
    if (this.position < this.text.length) {
      throw invalid(`unexpected ${JSON.stringify(this.text[this.position])} at position ${this.position}`);
    }
    return expression;
  }

  private peek(): string | undefined {
    return this.text[this.position];
  }

  private or(): QueryExpression {
    const terms = [this.and()];
    while (this.peek() === "|") {
      this.position++;
      terms.push(this.and());
    }
    return terms.length === 1 && terms[0] ? terms[0] : { kind: "or", terms };
  }

  private and(): QueryExpression {
    const terms = [this.unary()];
    while (this.peek() === ";") {
      this.position++;
      terms.push(this.unary());
    }
    return terms.length === 1 && terms[0] ? terms[0] : { kind: "and", terms };
  }

  private unary(): QueryExpression {
    if (this.peek() === "(") {
      this.position++;
      const inner = this.or();
      if (this.peek() !== ")") throw invalid(`missing ")" at position ${this.position}`);
      this.position++;
      return inner;
    }
    if (
      this.peek() === "!" &&
      !this.text.startsWith("!~=", this.position) &&
      this.text[this.position + 1] !== "="
    ) {
      this.position++;
      return { kind: "exists", path: this.path(), negated: true };
    }
    const path = this.path();
    const operator = OPERATORS.find((op) => this.text.startsWith(op, this.position));
    if (!operator) return { kind: "exists", path, negated: false };
    this.position += operator.length;
    return { kind: "compare", path, operator, operand: this.operand(operator) };
  }

  private name(): string {
    const start = this.position;
    while (this.position < this.text.length && !NAME_STOP.has(this.text[this.position] ?? ""))
      this.position++;
    if (this.position === start) {
      const found = this.peek();
      throw invalid(
        found === undefined
          ? "an attribute name is missing at the end"
          : `an attribute name is expected at position ${start}`,
      );
    }
    return this.text.slice(start, this.position);
  }

  /** A full IRI as attribute name: its last segment may still carry `.subAttribute` parts. */
  private iri(): string[] | undefined {
    const rest = this.text.slice(this.position);
    const match = /^https?:\/\/[^[\]=!<>~;|()"\s]+/i.exec(rest);
    if (!match) return undefined;
    const token = match[0];
    this.position += token.length;
    const cut = Math.max(token.lastIndexOf("/"), token.lastIndexOf("#")) + 1;
    const [first = "", ...subs] = token.slice(cut).split(".");
    if (first === "" || subs.some((s) => s === "")) throw invalid(`${token} is not an attribute path`);
    return [`${token.slice(0, cut)}${first}`, ...subs];
  }

  private path(): AttributePath {
    const start = this.position;
    const iri = this.iri();
    if (iri) return { names: iri, keys: this.keys(), text: this.text.slice(start, this.position) };
    const names = [this.name()];
    while (this.peek() === ".") {
      this.position++;
      names.push(this.name());
    }
    const keys = this.keys();
    return { names, keys, text: this.text.slice(start, this.position) };
  }

  private keys(): string[] {
    const keys: string[] = [];
    while (this.peek() === "[") {
      this.position++;
      const close = this.text.indexOf("]", this.position);
      if (close === -1) throw invalid(`missing "]" after position ${this.position}`);
      const inner = this.text.slice(this.position, close);
      if (inner === "" || inner.split(".").some((k) => k === "")) throw invalid(`an empty key in [${inner}]`);
      keys.push(...inner.split("."));
      this.position = close + 1;
    }
    return keys;
  }

  private operand(operator: Operator): Operand {
    if (operator === "~=" || operator === "!~=") {
      const { text } = this.value(true);
      return { kind: "pattern", regex: safeRegex(text) };
    }
    const first = this.value(false);
    if (!first.quoted) {
      const range = first.text.indexOf("..");
      if (range !== -1) {
        if (operator !== "==" && operator !== "!=") throw invalid(`a range needs == or !=, not ${operator}`);
        return {
          kind: "range",
          from: literalOf(first.text.slice(0, range), false),
          to: literalOf(first.text.slice(range + 2), false),
        };
      }
    }
    if (this.peek() !== ",") return { kind: "single", value: literalOf(first.text, first.quoted) };
    if (operator !== "==" && operator !== "!=")
      throw invalid(`a list of values needs == or !=, not ${operator}`);
    const values = [literalOf(first.text, first.quoted)];
    while (this.peek() === ",") {
      this.position++;
      const next = this.value(false);
      values.push(literalOf(next.text, next.quoted));
    }
    return { kind: "list", values };
  }

  private value(pattern: boolean): { text: string; quoted: boolean } {
    if (this.peek() === '"') {
      let out = "";
      this.position++;
      while (this.position < this.text.length) {
        const c = this.text[this.position] ?? "";
        if (c === "\\" && this.position + 1 < this.text.length) {
          const next = this.text[this.position + 1] ?? "";
          // Inside a pattern, escapes other than \" belong to the regular expression.
          out += pattern && next !== '"' ? `\\${next}` : next;
          this.position += 2;
          continue;
        }
        if (c === '"') {
          this.position++;
          return { text: out, quoted: true };
        }
        out += c;
        this.position++;
      }
      throw invalid("a quoted value is not closed");
    }
    const start = this.position;
    const stops = pattern ? [";", "|", ")"] : [";", "|", ")", ","];
    while (this.position < this.text.length && !stops.includes(this.text[this.position] ?? ""))
      this.position++;
    const text = this.text.slice(start, this.position);
    if (text === "") throw invalid(`a value is expected at position ${start}`);
    return { text, quoted: false };
  }
}

export function parseQuery(text: string): QueryExpression {
  if (text.trim() === "") throw invalid("the query is empty");
  if (text.length > MAX_QUERY_LENGTH) throw invalid(`longer than ${MAX_QUERY_LENGTH} characters`);
  return new Parser(text).parse();
}

/** Every attribute path in an expression, so the caller can expand their names once. */
export function pathsOf(expression: QueryExpression): AttributePath[] {
  switch (expression.kind) {
    case "and":
    case "or":
      return expression.terms.flatMap(pathsOf);
    default:
      return [expression.path];
  }
}

// ---- evaluation ---------------------------------------------------------------------------------

/** What a path resolves to in one entity: every candidate value (any match satisfies a comparison). */
export type PathResolver = (path: AttributePath) => { exists: boolean; values: unknown[] };

/**
 * A VocabProperty term as the resolver returns it: stored expanded, so it is compared with the query
 * value expanded by the query's @context (`Literal.iri`), as entity type names are.
 */
export class VocabTerm {
  constructor(readonly iri: string) {}
}

type Scalar = string | number | boolean | VocabTerm;

function scalarOf(value: unknown): Scalar | undefined {
  if (value instanceof VocabTerm) return value;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  // A typed literal such as {"@type": "DateTime", "@value": "..."} compares by its value.
  if (typeof value === "object" && value !== null && "@value" in value) {
    const inner = (value as { "@value": unknown })["@value"];
    if (typeof inner === "string" || typeof inner === "number" || typeof inner === "boolean") return inner;
  }
  return undefined;
}

/** -1, 0, 1, or undefined when the two are not comparable (different kinds). */
function compare(target: Scalar, literal: Literal): number | undefined {
  const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
  if (target instanceof VocabTerm) {
    if (literal.kind !== "string" && literal.kind !== "token") return undefined;
    const iri = literal.iri ?? literal.value;
    return target.iri < iri ? -1 : target.iri > iri ? 1 : 0;
  }
  switch (literal.kind) {
    case "number":
      return typeof target === "number" ? sign(target - literal.value) : undefined;
    case "boolean":
      return typeof target === "boolean" ? (target === literal.value ? 0 : undefined) : undefined;
    case "datetime": {
      if (typeof target !== "string") return undefined;
      const time = Date.parse(DATE.test(target) ? `${target}T00:00:00Z` : target);
      return Number.isNaN(time) ? undefined : sign(time - literal.time);
    }
    case "string":
    case "token":
      return typeof target === "string"
        ? target < literal.value
          ? -1
          : target > literal.value
            ? 1
            : 0
        : undefined;
  }
}

function matchesOperand(target: Scalar, operator: Operator, operand: Operand): boolean {
  switch (operand.kind) {
    case "pattern":
      if (target instanceof VocabTerm) return operand.regex.test(target.iri);
      return typeof target === "string" && operand.regex.test(target);
    case "list":
      return operand.values.some((v) => compare(target, v) === 0);
    case "range": {
      const low = compare(target, operand.from);
      const high = compare(target, operand.to);
      return low !== undefined && high !== undefined && low >= 0 && high <= 0;
    }
    case "single": {
      const c = compare(target, operand.value);
      if (c === undefined) return false;
      switch (operator) {
        case "==":
          return c === 0;
        case "!=":
          return c !== 0;
        case ">":
          return c > 0;
        case ">=":
          return c >= 0;
        case "<":
          return c < 0;
        case "<=":
          return c <= 0;
        default:
          return false;
      }
    }
  }
}

function flatten(values: unknown[]): Scalar[] {
  return values
    .flatMap((v) => (Array.isArray(v) ? flatten(v) : [scalarOf(v)]))
    .filter((v) => v !== undefined);
}

export function evaluate(expression: QueryExpression, resolve: PathResolver): boolean {
  switch (expression.kind) {
    case "and":
      return expression.terms.every((t) => evaluate(t, resolve));
    case "or":
      return expression.terms.some((t) => evaluate(t, resolve));
    case "exists":
      return resolve(expression.path).exists !== expression.negated;
    case "compare": {
      const resolved = resolve(expression.path);
      if (!resolved.exists) return false;
      const targets = flatten(resolved.values);
      // The negative operators hold when no value matches the positive form.
      if (expression.operator === "!=" && expression.operand.kind !== "single") {
        return targets.length > 0 && !targets.some((t) => matchesOperand(t, "==", expression.operand));
      }
      if (expression.operator === "!~=") {
        return targets.length > 0 && !targets.some((t) => matchesOperand(t, "~=", expression.operand));
      }
      if (expression.operator === "!=") {
        return targets.length > 0 && !targets.some((t) => matchesOperand(t, "==", expression.operand));
      }
      return targets.some((t) => matchesOperand(t, expression.operator, expression.operand));
    }
  }
}
