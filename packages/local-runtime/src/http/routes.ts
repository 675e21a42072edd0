import { createHash } from "node:crypto";

/**
 * The route table of the REST API: resources (path templates) holding methods, matched the way API
 * Gateway does it. A request path selects the most specific resource first and only then its method,
 * so a method missing on that resource is an error even when a less specific resource has it — the
 * cloud behaves the same, and a local fallback would hide a route that fails once deployed.
 */
type Segment =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "greedy"; readonly name: string };

/** Literal beats `{param}` beats `{proxy+}` at the first segment where two candidates differ. */
const SPECIFICITY: Record<Segment["kind"], number> = { literal: 0, param: 1, greedy: 2 };

export interface Resource<T> {
  /** The template as declared, e.g. `/platform/tenants/{slug}`. */
  readonly path: string;
  /** API Gateway's short resource id; stable so logs and events compare across restarts. */
  readonly id: string;
  readonly segments: readonly Segment[];
  readonly methods: ReadonlyMap<string, T>;
}

export type RouteMatch<T> =
  | {
      readonly kind: "found";
      readonly resource: Resource<T>;
      readonly target: T;
      readonly pathParameters: Record<string, string> | null;
    }
  | {
      readonly kind: "method-not-allowed";
      readonly resource: Resource<T>;
      readonly allowed: readonly string[];
    }
  | { readonly kind: "not-found" };

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}$/;

function parseTemplate(path: string): Segment[] {
  if (!path.startsWith("/")) throw new Error(`route path must start with "/": ${path}`);
  const parts = path === "/" ? [] : path.slice(1).split("/");
  return parts.map((part, index) => {
    if (part === "") throw new Error(`route path has an empty segment: ${path}`);
    const param = PARAM.exec(part);
    if (param) {
      const name = param[1] ?? "";
      if (param[2] === "+") {
        if (index !== parts.length - 1)
          throw new Error(`a greedy {${name}+} segment must come last: ${path}`);
        return { kind: "greedy", name };
      }
      return { kind: "param", name };
    }
    if (part.includes("{") || part.includes("}"))
      throw new Error(`route path has a malformed parameter: ${path}`);
    return { kind: "literal", value: part };
  });
}

function resourceId(path: string): string {
  return createHash("sha256")
    .update(path)
    .digest("base64url")
    .replace(/[-_]/g, "0")
    .slice(0, 6)
    .toLowerCase();
}

export class RouteTable<T> {
  private readonly resources: Resource<T>[];

  constructor(entries: readonly { readonly method: string; readonly path: string; readonly target: T }[]) {
    const byPath = new Map<string, { segments: Segment[]; methods: Map<string, T> }>();
    for (const entry of entries) {
      let resource = byPath.get(entry.path);
      if (!resource) {
        resource = { segments: parseTemplate(entry.path), methods: new Map() };
        byPath.set(entry.path, resource);
      }
      const method = entry.method.toUpperCase();
      if (resource.methods.has(method)) throw new Error(`duplicate route ${method} ${entry.path}`);
      resource.methods.set(method, entry.target);
    }
    this.resources = [...byPath].map(([path, r]) => ({ path, id: resourceId(path), ...r }));
  }

  /** `rawPath` is the request path as sent (percent-encoded, no query string). */
  match(method: string, rawPath: string): RouteMatch<T> {
    const segments = splitPath(rawPath);
    if (segments === undefined) return { kind: "not-found" };
    let best: { resource: Resource<T>; params: Record<string, string>; rank: number[] } | undefined;
    for (const resource of this.resources) {
      const params = bind(resource.segments, segments);
      if (params === undefined) continue;
      const rank = resource.segments.map((s) => SPECIFICITY[s.kind]);
      if (best === undefined || compareRanks(rank, best.rank) < 0) best = { resource, params, rank };
    }
    if (best === undefined) return { kind: "not-found" };
    const target = best.resource.methods.get(method.toUpperCase());
    if (target === undefined) {
      return {
        kind: "method-not-allowed",
        resource: best.resource,
        allowed: [...best.resource.methods.keys()].sort(),
      };
    }
    const pathParameters = Object.keys(best.params).length === 0 ? null : best.params;
    return { kind: "found", resource: best.resource, target, pathParameters };
  }
}

/** Decoded segments, or undefined when the path cannot belong to any resource. */
function splitPath(rawPath: string): string[] | undefined {
  if (!rawPath.startsWith("/")) return undefined;
  // API Gateway serves `/a/b/` as `/a/b`.
  const trimmed = rawPath.length > 1 && rawPath.endsWith("/") ? rawPath.slice(0, -1) : rawPath;
  if (trimmed === "/") return [];
  try {
    return trimmed
      .slice(1)
      .split("/")
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function bind(template: readonly Segment[], segments: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [index, segment] of template.entries()) {
    if (segment.kind === "greedy") {
      const rest = segments.slice(index);
      if (rest.length === 0 || rest.every((s) => s === "")) return undefined;
      params[segment.name] = rest.join("/");
      return params;
    }
    const value = segments[index];
    if (value === undefined || value === "") return undefined;
    if (segment.kind === "literal") {
      if (segment.value !== value) return undefined;
    } else {
      params[segment.name] = value;
    }
  }
  return template.length === segments.length ? params : undefined;
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    // A resource that ends earlier matched exactly; one that continues needed a greedy tail.
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    return x - y;
  }
  return 0;
}
