import { ngsiError } from "./errors";

/**
 * The part of JSON-LD 1.1 context processing and IRI expansion/compaction that NGSI-LD needs: term
 * definitions (strings or objects with @id/@type/@container), prefixes and compact IRIs, @vocab, and
 * contexts referenced by URL — loaded through a port, never from the network. Values are not
 * expanded: NGSI-LD keeps Property values as plain JSON, so a payload round-trips unchanged.
 */
export interface TermDefinition {
  /** The IRI (or keyword, for aliases such as `"id": "@id"`) the term stands for. */
  readonly id: string;
  readonly typeMapping?: string;
  readonly container?: string;
  /** Whether the term may be used as the prefix of a compact IRI when compacting. */
  readonly prefix: boolean;
}

export interface ActiveContext {
  readonly terms: ReadonlyMap<string, TermDefinition>;
  readonly vocab: string | undefined;
}

/** Loads the document behind a context URL; undefined when it cannot be obtained. */
export type ContextLoader = (url: string) => Promise<unknown>;

export const EMPTY_CONTEXT: ActiveContext = { terms: new Map(), vocab: undefined };

const MAX_REMOTE_CONTEXTS = 16;
const GEN_DELIMS = new Set([":", "/", "?", "#", "[", "]", "@"]);
const IGNORED_KEYWORDS = new Set([
  "@version",
  "@protected",
  "@base",
  "@language",
  "@direction",
  "@propagate",
  "@import",
  "@context",
]);
const ABSOLUTE_URL = /^https?:\/\/[^\s]+$/i;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const invalidContext = (detail: string) => ngsiError("BadRequestData", `invalid @context: ${detail}`);

interface Processing {
  readonly load: ContextLoader;
  readonly seen: string[];
}

/** Applies a local context (URL, object, null, or an array of them) on top of an active context. */
export async function processContext(
  active: ActiveContext,
  local: unknown,
  load: ContextLoader,
): Promise<ActiveContext> {
  return process(active, local, { load, seen: [] });
}

async function process(active: ActiveContext, local: unknown, state: Processing): Promise<ActiveContext> {
  let result: ActiveContext = active;
  for (const item of Array.isArray(local) ? local : [local]) {
    if (item === null) {
      result = EMPTY_CONTEXT;
    } else if (typeof item === "string") {
      if (!ABSOLUTE_URL.test(item)) throw invalidContext(`${item} is not an absolute http(s) URL`);
      if (state.seen.length >= MAX_REMOTE_CONTEXTS) throw invalidContext("too many nested remote contexts");
      if (state.seen.includes(item)) throw invalidContext(`${item} includes itself`);
      const document = await state.load(item);
      if (document === undefined) {
        throw ngsiError("LdContextNotAvailable", `the @context ${item} could not be retrieved`);
      }
      if (!isObject(document) || !("@context" in document))
        throw invalidContext(`${item} has no @context member`);
      result = await process(result, document["@context"], { ...state, seen: [...state.seen, item] });
    } else if (isObject(item)) {
      result = define(result, item);
    } else {
      throw invalidContext("an entry is neither a URL, an object nor null");
    }
  }
  return result;
}

function define(active: ActiveContext, local: Record<string, unknown>): ActiveContext {
  const terms = new Map(active.terms);
  let vocab = active.vocab;
  if ("@vocab" in local) {
    const value = local["@vocab"];
    if (value === null) vocab = undefined;
    else if (typeof value === "string") vocab = expand({ terms, vocab }, value, true);
    else throw invalidContext("@vocab must be a string or null");
  }
  const defined = new Map<string, boolean>();
  const create = (term: string): void => {
    const state = defined.get(term);
    if (state === true) return;
    if (state === false) throw invalidContext(`the term ${term} is defined cyclically`);
    defined.set(term, false);
    const value = local[term];
    if (value === null) {
      terms.delete(term);
    } else if (typeof value === "string") {
      const id = iriOf(term, value);
      terms.set(term, { id, prefix: !id.startsWith("@") && GEN_DELIMS.has(id.at(-1) ?? "") });
    } else if (isObject(value)) {
      if ("@reverse" in value)
        throw invalidContext(`the term ${term} uses @reverse, which NGSI-LD does not use`);
      const idValue = value["@id"];
      if (idValue === null) {
        terms.delete(term);
      } else {
        if (idValue !== undefined && typeof idValue !== "string")
          throw invalidContext(`@id of ${term} is not a string`);
        const id = iriOf(term, idValue);
        const type = value["@type"];
        if (type !== undefined && typeof type !== "string")
          throw invalidContext(`@type of ${term} is not a string`);
        const container = value["@container"];
        const containerText = Array.isArray(container)
          ? container.filter((c) => typeof c === "string").join(",")
          : container;
        if (containerText !== undefined && typeof containerText !== "string") {
          throw invalidContext(`@container of ${term} is not a string`);
        }
        terms.set(term, {
          id,
          ...(type === undefined
            ? {}
            : { typeMapping: type.startsWith("@") ? type : expand({ terms, vocab }, type, true) }),
          ...(containerText === undefined ? {} : { container: containerText }),
          prefix: value["@prefix"] === true,
        });
      }
    } else {
      throw invalidContext(`the definition of ${term} is neither a string, an object nor null`);
    }
    defined.set(term, true);
  };
  /** The IRI a definition maps to, defining first any term of this context it builds on. */
  const iriOf = (term: string, value: string | undefined): string => {
    const source = value ?? term;
    if (source.startsWith("@")) return source;
    const colon = source.indexOf(":");
    if (colon > 0) {
      const prefix = source.slice(0, colon);
      if (prefix !== term && prefix in local && !IGNORED_KEYWORDS.has(prefix)) create(prefix);
      return expand({ terms, vocab }, source, false);
    }
    if (source !== term) {
      if (source in local) create(source);
      const target = terms.get(source);
      if (target) return target.id;
    }
    if (vocab !== undefined) return `${vocab}${source}`;
    throw invalidContext(`the term ${term} has no IRI and there is no @vocab`);
  };
  for (const key of Object.keys(local)) {
    if (key === "@vocab" || IGNORED_KEYWORDS.has(key)) continue;
    if (key.startsWith("@")) throw invalidContext(`the keyword ${key} is not supported`);
    if (key === "") throw invalidContext("an empty term");
    create(key);
  }
  return { terms, vocab };
}

function expand(active: ActiveContext, value: string, vocab: boolean): string {
  if (value.startsWith("@")) return value;
  if (vocab) {
    const term = active.terms.get(value);
    if (term) return term.id;
  }
  const colon = value.indexOf(":");
  if (colon > 0) {
    const prefix = value.slice(0, colon);
    const suffix = value.slice(colon + 1);
    if (prefix === "_" || suffix.startsWith("//")) return value;
    const definition = active.terms.get(prefix);
    if (definition && !definition.id.startsWith("@")) return `${definition.id}${suffix}`;
    return value;
  }
  if (vocab && active.vocab !== undefined) return `${active.vocab}${value}`;
  return value;
}

/** Expands a property or type name (vocabulary-relative, as JSON-LD does for keys and @type values). */
export function expandTerm(active: ActiveContext, value: string): string {
  return expand(active, value, true);
}

const inverses = new WeakMap<ActiveContext, Map<string, string>>();

function preferred(a: string | undefined, b: string): string {
  if (a === undefined) return b;
  if (b.length !== a.length) return b.length < a.length ? b : a;
  return b < a ? b : a;
}

function inverseOf(active: ActiveContext): Map<string, string> {
  let inverse = inverses.get(active);
  if (!inverse) {
    inverse = new Map();
    for (const [term, definition] of active.terms) {
      if (definition.id.startsWith("@")) continue;
      inverse.set(definition.id, preferred(inverse.get(definition.id), term));
    }
    inverses.set(active, inverse);
  }
  return inverse;
}

/** Compacts an IRI to the shortest name the context gives it: a term, a @vocab suffix or a compact IRI. */
export function compactTerm(active: ActiveContext, iri: string): string {
  const term = inverseOf(active).get(iri);
  if (term !== undefined) return term;
  const vocab = active.vocab;
  if (vocab !== undefined && iri.startsWith(vocab) && iri.length > vocab.length) {
    const suffix = iri.slice(vocab.length);
    if (!active.terms.has(suffix) && !suffix.includes(":")) return suffix;
  }
  let best: string | undefined;
  for (const [name, definition] of active.terms) {
    if (!definition.prefix || !iri.startsWith(definition.id) || iri.length === definition.id.length) continue;
    const candidate = `${name}:${iri.slice(definition.id.length)}`;
    const clash = active.terms.get(candidate);
    if (clash && clash.id !== iri) continue;
    best = preferred(best, candidate);
  }
  return best ?? iri;
}
