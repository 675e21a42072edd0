import { type ActiveContext, type ContextLoader, EMPTY_CONTEXT, processContext } from "./jsonld";

/** The core @context every request gets, processed last so its terms win (clause 4.5.0). */
export const CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
const CORE_URL_PATTERN = /^https:\/\/uri\.etsi\.org\/ngsi-ld\/v1\/ngsi-ld-core-context(-v\d+\.\d+)?\.jsonld$/;

export const isCoreContextUrl = (url: string) => CORE_URL_PATTERN.test(url);

const MAX_ENTRIES_PER_TENANT = 64;

/**
 * Active contexts by the @context a request gave, cached per destination in the container's memory:
 * one destination's contexts never leak into another's, and a warm container processes a context once.
 */
export function contextCache(load: ContextLoader) {
  let core: Promise<ActiveContext> | undefined;
  const byTenant = new Map<string, Map<string, Promise<ActiveContext>>>();
  const coreContext = () => {
    core ??= processContext(EMPTY_CONTEXT, CORE_CONTEXT_URL, load).catch((error: unknown) => {
      core = undefined;
      throw error;
    });
    return core;
  };

  async function build(local: unknown): Promise<ActiveContext> {
    const entries = (Array.isArray(local) ? local : [local]).filter(
      (entry) => !(typeof entry === "string" && isCoreContextUrl(entry)),
    );
    const base = await coreContext();
    if (entries.length === 0) return base;
    const user = await processContext(EMPTY_CONTEXT, entries, load);
    const merged = await processContext(user, CORE_CONTEXT_URL, load);
    // The core's @vocab is only a default: a requester's own @vocab still applies to its terms.
    return { terms: merged.terms, vocab: user.vocab ?? base.vocab };
  }

  return {
    /** The active context for a request's @context (undefined: the core context alone). */
    async resolve(tenant: string, local: unknown): Promise<ActiveContext> {
      if (local === undefined) return coreContext();
      const key = JSON.stringify(local);
      let cache = byTenant.get(tenant);
      if (!cache) {
        cache = new Map();
        byTenant.set(tenant, cache);
      }
      const hit = cache.get(key);
      if (hit) {
        cache.delete(key);
        cache.set(key, hit);
        return hit;
      }
      const pending = build(local);
      cache.set(key, pending);
      if (cache.size > MAX_ENTRIES_PER_TENANT) cache.delete(cache.keys().next().value ?? "");
      // A failed resolution (e.g. an unavailable context) is not remembered: it may succeed later.
      pending.catch(() => cache?.delete(key));
      return pending;
    },
  };
}

export type ContextCache = ReturnType<typeof contextCache>;
