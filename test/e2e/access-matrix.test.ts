import { API_KEY_SCOPES, type RouteDeclaration, type ServiceManifest } from "@sdp/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { serviceManifests } from "../../functions/registry";
import { newDataDir, type PlatformProcess, startPlatform } from "../support/platform-process";
import { signAs } from "../support/tokens";

/**
 * The isolation matrix (DESIGN §4, §5): every route of every manifest in the registry — including
 * services added after this test was written — called by every kind of principal of two destinations.
 * Each call must be admitted exactly when the route's `auth` declaration says so (401/403 otherwise),
 * and no answer to one destination's principal may carry the other destination's data.
 */
let platform: PlatformProcess;
const dataDir = newDataDir();
const DESTINATIONS = ["villamar", `matrix-${crypto.randomUUID().slice(0, 6)}`] as const;
type Destination = (typeof DESTINATIONS)[number];
const BATCH = 8;

interface Caller {
  readonly label: string;
  readonly kind: "platform-admin" | "staff" | "sme" | "tourist" | "anonymous";
  readonly destination?: Destination;
  readonly role?: string;
  /** The scopes of the caller's API key. */
  readonly scopes?: readonly string[];
  /** For SMEs: whether this caller stands for "the key has the route's scope". */
  readonly smeVariant?: "with-scope" | "without-scope";
  credential(route: RouteDeclaration): string | undefined;
}

/** What each destination holds for the matrix: a marker in its data, and the ids of its records. */
interface Fixture {
  readonly marker: string;
  readonly ids: Record<string, string>;
  readonly keys: { readonly all: string; readonly allBut: Record<string, string> };
}
const fixtures = new Map<Destination, Fixture>();

const admin = () => platform.summary.adminToken ?? "";
const Id = z.object({ id: z.string() });
const Key = z.object({ key: z.string(), keyId: z.string() });
const Invited = z.object({ user: z.object({ userId: z.string() }) });

async function call(
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${platform.summary.api}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

async function json<T>(
  schema: z.ZodType<T>,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<T> {
  const answer = await call(method, path, token, body);
  if (answer.status >= 300) throw new Error(`${method} ${path}: HTTP ${answer.status} ${answer.text}`);
  return schema.parse(JSON.parse(answer.text));
}

async function waitActive(slug: string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const tenant = await json(z.object({ status: z.string() }), "GET", `/platform/tenants/${slug}`, admin());
    if (tenant.status === "active") return;
    if (tenant.status !== "provisioning") throw new Error(`${slug} is ${tenant.status}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${slug} did not become active`);
}

/** Each destination gets an SME, keys and a staff member whose names carry its marker. */
async function prepare(destination: Destination): Promise<Fixture> {
  const marker = `MARKER-${destination}-${crypto.randomUUID()}`;
  const staffToken = await signAs(dataDir, platform.summary.issuer, {
    "cognito:groups": ["admin"],
    "custom:tenant": destination,
  });
  const sme = await json(Id, "POST", "/destination/smes", staffToken, {
    legalName: `SME ${marker}`,
    taxId: `B${Math.floor(Math.random() * 1e8)}`,
    category: "retail",
    address: { street: `Calle ${marker}`, postalCode: "29600", locality: "Villamar", country: "ES" },
    location: { type: "Point", coordinates: [-4.88, 36.51] },
    contact: { name: marker, email: "shop@example.com" },
  });
  const issue = (scopes: readonly string[]) =>
    json(Key, "POST", `/destination/smes/${sme.id}/keys`, staffToken, {
      name: marker,
      scopes,
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      rateLimitPerMinute: 100_000,
    });
  const all = await issue(API_KEY_SCOPES);
  const allBut: Record<string, string> = {};
  for (const scope of API_KEY_SCOPES)
    allBut[scope] = (await issue(API_KEY_SCOPES.filter((s) => s !== scope))).key;
  const invited = await json(Invited, "POST", "/destination/staff", staffToken, {
    email: `${marker.toLowerCase()}@${destination}.example`,
    roles: ["viewer"],
  });
  return {
    marker,
    ids: { slug: destination, smeId: sme.id, keyId: all.keyId, userId: invited.user.userId },
    keys: { all: all.key, allBut },
  };
}

function callers(tokens: Map<string, string>): Caller[] {
  const token = (name: string) => () => tokens.get(name);
  const list: Caller[] = [
    { label: "platform admin", kind: "platform-admin", credential: () => admin() },
    { label: "anonymous", kind: "anonymous", credential: () => undefined },
  ];
  for (const destination of DESTINATIONS) {
    for (const role of ["admin", "operator", "manager", "viewer"]) {
      list.push({
        label: `${destination} ${role}`,
        kind: "staff",
        destination,
        role,
        credential: token(`${destination}:${role}`),
      });
    }
    list.push({
      label: `${destination} tourist`,
      kind: "tourist",
      destination,
      credential: token(`${destination}:tourist`),
    });
    const fixture = () => {
      const found = fixtures.get(destination);
      if (!found) throw new Error(`no fixture for ${destination}`);
      return found;
    };
    list.push({
      label: `${destination} SME key with the route's scope`,
      kind: "sme",
      destination,
      smeVariant: "with-scope",
      credential: () => fixture().keys.all,
    });
    list.push({
      label: `${destination} SME key without the route's scope`,
      kind: "sme",
      destination,
      smeVariant: "without-scope",
      credential: (route) => {
        const scope = route.auth.mode === "authorizer" ? route.auth.scope : undefined;
        const keys = fixture().keys.allBut;
        return keys[scope ?? API_KEY_SCOPES[0]] ?? keys[API_KEY_SCOPES[0]];
      },
    });
  }
  return list;
}

/** What the route's declaration admits for this caller: `true`, or the refusal status. */
function expected(route: RouteDeclaration, caller: Caller): true | 401 | 403 {
  const auth = route.auth;
  if (auth.mode === "none") return true;
  if (caller.kind === "anonymous") return 401;
  if (!auth.principals.includes(caller.kind)) return 403;
  if (caller.kind === "staff" && auth.staffRoles && !auth.staffRoles.some((role) => role === caller.role))
    return 403;
  if (caller.kind === "sme" && auth.scope && caller.smeVariant === "without-scope") return 403;
  return true;
}

const other = (destination: Destination): Destination =>
  destination === DESTINATIONS[0] ? DESTINATIONS[1] : DESTINATIONS[0];

/**
 * The request a caller makes: path parameters name the *other* destination's records (a cross-tenant
 * attempt that must find nothing), a slug that does not exist on state-changing platform routes (so the
 * matrix never suspends or removes a destination), an empty JSON object as body.
 */
function requestFor(route: RouteDeclaration, caller: Caller) {
  const own = caller.destination ?? DESTINATIONS[0];
  const target = fixtures.get(other(own))?.ids ?? {};
  const mutating = route.method !== "GET";
  const path = route.path.replace(/\{([^}]+)\}/g, (_whole, name: string) => {
    if (name === "slug") return mutating ? "matrix-nowhere" : other(own);
    return encodeURIComponent(target[name] ?? `urn:ngsi-ld:Matrix:${name}`);
  });
  const headers: Record<string, string> = caller.kind === "platform-admin" ? { "NGSILD-Tenant": own } : {};
  return { path, body: route.request?.body ? {} : undefined, headers };
}

interface Outcome {
  readonly service: string;
  readonly route: RouteDeclaration;
  readonly caller: Caller;
  readonly status: number;
  readonly text: string;
}

let outcomes: Outcome[] = [];

beforeAll(async () => {
  platform = await startPlatform(dataDir);
  const second = DESTINATIONS[1];
  const created = await call("POST", "/platform/tenants", admin(), {
    slug: second,
    name: "Matrix second destination",
  });
  if (created.status !== 202) throw new Error(`onboarding ${second}: HTTP ${created.status} ${created.text}`);
  await Promise.all(DESTINATIONS.map((slug) => waitActive(slug)));
  for (const destination of DESTINATIONS) fixtures.set(destination, await prepare(destination));

  const tokens = new Map<string, string>();
  for (const destination of DESTINATIONS) {
    for (const role of ["admin", "operator", "manager", "viewer"]) {
      tokens.set(
        `${destination}:${role}`,
        await signAs(dataDir, platform.summary.issuer, {
          "cognito:groups": [role],
          "custom:tenant": destination,
        }),
      );
    }
    tokens.set(
      `${destination}:tourist`,
      await signAs(dataDir, platform.summary.issuer, {
        "custom:tenant": destination,
        "custom:kind": "tourist",
      }),
    );
  }

  const cases = serviceManifests.flatMap((manifest: ServiceManifest) =>
    (manifest.routes ?? []).flatMap((route) =>
      callers(tokens).map((caller) => ({ service: manifest.service, route, caller })),
    ),
  );
  const results: Outcome[] = [];
  for (let start = 0; start < cases.length; start += BATCH) {
    const batch = cases.slice(start, start + BATCH);
    results.push(
      ...(await Promise.all(
        batch.map(async ({ service, route, caller }) => {
          const request = requestFor(route, caller);
          const answer = await call(
            route.method,
            request.path,
            caller.credential(route),
            request.body,
            request.headers,
          );
          return { service, route, caller, ...answer };
        }),
      )),
    );
  }
  outcomes = results;
}, 300_000);

afterAll(async () => {
  await platform?.stop();
});

describe("the access matrix", () => {
  it("covers every route of every registered service with every kind of principal", () => {
    // Prepare
    const routes = serviceManifests.flatMap((m) => (m.routes ?? []).map((r) => `${r.method} ${r.path}`));
    // Act
    const covered = new Set(outcomes.map((o) => `${o.route.method} ${o.route.path}`));
    const perRoute = outcomes.filter((o) => o.route.operationId === "listSmes").length;
    // Assess
    expect([...covered].sort()).toEqual([...new Set(routes)].sort());
    expect(perRoute).toBe(2 + DESTINATIONS.length * 7);
  });

  it.each(serviceManifests.filter((m) => (m.routes ?? []).length > 0).map((m) => [m.service]))(
    "%s: each principal gets exactly what the route's auth admits",
    (service) => {
      // Act
      const wrong = outcomes
        .filter((o) => o.service === service)
        .flatMap((o) => {
          const want = expected(o.route, o.caller);
          const refused = o.status === 401 || o.status === 403;
          const ok = want === true ? !refused : o.status === want;
          return ok
            ? []
            : [
                `${o.route.method} ${o.route.path} as ${o.caller.label}: got ${o.status}, want ${want === true ? "admitted" : want}`,
              ];
        });
      // Assess
      expect(wrong).toEqual([]);
    },
  );

  it("never answers one destination's principal with the other destination's data", () => {
    // Act
    const leaks = outcomes.flatMap((o) => {
      if (o.caller.destination === undefined) return [];
      const foreign = fixtures.get(other(o.caller.destination))?.marker ?? "(none)";
      return o.text.includes(foreign)
        ? [`${o.route.method} ${o.route.path} as ${o.caller.label} (${o.status})`]
        : [];
    });
    // Assess
    expect(leaks).toEqual([]);
  });

  it("lets no cross-destination attempt on a record succeed", () => {
    // Act
    const crossed = outcomes.flatMap((o) => {
      if (o.caller.destination === undefined || !/\{(smeId|keyId|userId)\}/.test(o.route.path)) return [];
      return o.status < 300 ? [`${o.route.method} ${o.route.path} as ${o.caller.label}: ${o.status}`] : [];
    });
    // Assess
    expect(crossed).toEqual([]);
  });

  it("sees each destination's own marker where its staff list it (the matrix would notice a blind API)", async () => {
    // Act
    const seen = await Promise.all(
      DESTINATIONS.map(async (destination) => {
        const token = await signAs(dataDir, platform.summary.issuer, {
          "cognito:groups": ["viewer"],
          "custom:tenant": destination,
        });
        const answer = await call("GET", "/destination/smes?limit=100", token);
        return answer.text.includes(fixtures.get(destination)?.marker ?? "(none)");
      }),
    );
    // Assess
    expect(seen).toEqual([true, true]);
  });
});
