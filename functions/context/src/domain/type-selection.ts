import { ngsiError } from "./errors";

/**
 * The entity type selection language (clause 4.17): `A,B` and `A|B` select either type, `A;B`
 * entities with both, parentheses group; AND binds tighter than OR.
 */
export type TypeExpression =
  | { kind: "type"; name: string }
  | { kind: "and"; terms: TypeExpression[] }
  | { kind: "or"; terms: TypeExpression[] };

const STOP = new Set([",", "|", ";", "(", ")"]);
const MAX_LENGTH = 2_000;

const invalid = (detail: string) => ngsiError("BadRequestData", `invalid type selection: ${detail}`);

export function parseTypeSelection(text: string): TypeExpression {
  if (text.trim() === "") throw invalid("it is empty");
  if (text.length > MAX_LENGTH) throw invalid(`longer than ${MAX_LENGTH} characters`);
  let position = 0;
  const or = (): TypeExpression => {
    const terms = [and()];
    while (text[position] === "," || text[position] === "|") {
      position++;
      terms.push(and());
    }
    return terms.length === 1 && terms[0] ? terms[0] : { kind: "or", terms };
  };
  const and = (): TypeExpression => {
    const terms = [unary()];
    while (text[position] === ";") {
      position++;
      terms.push(unary());
    }
    return terms.length === 1 && terms[0] ? terms[0] : { kind: "and", terms };
  };
  const unary = (): TypeExpression => {
    if (text[position] === "(") {
      position++;
      const inner = or();
      if (text[position] !== ")") throw invalid(`missing ")" at position ${position}`);
      position++;
      return inner;
    }
    const start = position;
    while (position < text.length && !STOP.has(text[position] ?? "")) position++;
    const name = text.slice(start, position).trim();
    if (name === "" || /\s/.test(name)) throw invalid(`a type name is expected at position ${start}`);
    return { kind: "type", name };
  };
  const expression = or();
  if (position < text.length)
    throw invalid(`unexpected ${JSON.stringify(text[position])} at position ${position}`);
  return expression;
}

export function mapTypes(expression: TypeExpression, f: (name: string) => string): TypeExpression {
  if (expression.kind === "type") return { kind: "type", name: f(expression.name) };
  return { kind: expression.kind, terms: expression.terms.map((t) => mapTypes(t, f)) };
}

export function matchesTypes(expression: TypeExpression, types: readonly string[]): boolean {
  switch (expression.kind) {
    case "type":
      return types.includes(expression.name);
    case "and":
      return expression.terms.every((t) => matchesTypes(t, types));
    case "or":
      return expression.terms.some((t) => matchesTypes(t, types));
  }
}

/**
 * A set of types such that every matching entity has at least one of them: the partitions of the
 * type index a query must read. For AND it is enough to read the smallest operand's set.
 */
export function candidateTypes(expression: TypeExpression): string[] {
  switch (expression.kind) {
    case "type":
      return [expression.name];
    case "or":
      return [...new Set(expression.terms.flatMap(candidateTypes))];
    case "and": {
      const sets = expression.terms.map(candidateTypes);
      return sets.reduce((best, set) => (set.length < best.length ? set : best));
    }
  }
}
