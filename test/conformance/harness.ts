import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect } from "vitest";
import { newDataDir, type PlatformProcess, startPlatform } from "../support/platform-process";

/**
 * The harness of the NGSI-LD conformance files: each file starts the real platform (`npm start`) once
 * and talks to its broker over HTTP as a platform administrator of the demo destination, the way the
 * ETSI test suite drives a broker under test. Cases are named by the suite's test-case ids
 * (e.g. `001_01_01`) so a reader can hold each one against the suite; the payloads are our own.
 */

export const CORE_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
/** A bundled Smart Data Models context: the broker resolves it offline, like the suite's test context. */
export const SDM_CONTEXT = "https://smart-data-models.github.io/dataModel.PointOfInterest/context.jsonld";
export const ERRORS = "https://uri.etsi.org/ngsi-ld/errors/";
/** Generous: a loaded machine starts DynamoDB Local's JVM slowly, and each file starts its own platform. */
const START_TIMEOUT_MS = 180_000;
export const LINK_REL = "http://www.w3.org/ns/json-ld#context";

export const linkTo = (url: string) => `<${url}>; rel="${LINK_REL}"; type="application/ld+json"`;

export type Json = Record<string, unknown>;

export interface BrokerResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed body; `undefined` when there is none. */
  readonly body: unknown;
  readonly text: string;
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Sent as given (not JSON-encoded) when a string. */
  readonly raw?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  /** Defaults to the demo destination; `null` sends no NGSILD-Tenant header. */
  readonly tenant?: string | null;
}

export interface Notification {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Json;
}

export interface Broker {
  /** The platform process and its runtime.json summary. */
  readonly platform: () => PlatformProcess;
  request(method: string, path: string, options?: RequestOptions): Promise<BrokerResponse>;
  /** A URL on a local HTTP server that records every notification it receives (answering 204). */
  readonly receiverUrl: (path: string) => string;
  /** Notifications received on a path of the receiver so far. */
  readonly received: (path: string) => Notification[];
}

/** The path of an entity under `/ngsi-ld/v1`, its id encoded as a path segment. */
export const entityPath = (id: string) => `/entities/${encodeURIComponent(id)}`;

/** An NGSI-LD ProblemDetails answer: the status, the error type of clause 5.5.2 and a title. */
export function expectProblem(response: BrokerResponse, status: number, type: string): void {
  expect(response.status, response.text).toBe(status);
  const problem = asObject(response.body);
  expect(problem.type).toBe(`${ERRORS}${type}`);
  expect(typeof problem.title === "string" && problem.title.length > 0, response.text).toBe(true);
}

/** An id unique to this run: `urn:ngsi-ld:<type>:<uuid>`. */
export const uniqueId = (type: string) => `urn:ngsi-ld:${type}:${crypto.randomUUID()}`;
/** A type name unique to this run, so queries by type see only the entities of one case. */
export const uniqueType = (base: string) => `${base}${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;

export function asObject(value: unknown): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error(`expected a JSON object, got ${JSON.stringify(value)}`);
  return Object.fromEntries(Object.entries(value));
}

export function asArray(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error(`expected a JSON array, got ${JSON.stringify(value)}`);
  return value;
}

/** Polls until the probe answers something other than `undefined`. */
export async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts the platform and a notification receiver for the calling test file. */
export function useBroker(): Broker {
  const dataDir = newDataDir();
  let platform: PlatformProcess | undefined;
  let receiver: Server | undefined;
  let receiverBase = "";
  const notifications: Notification[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let text = "";
      req.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      req.on("end", () => {
        let body: Json = {};
        try {
          body = asObject(JSON.parse(text || "{}"));
        } catch {
          body = { unparsable: text };
        }
        notifications.push({ path: req.url ?? "/", headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    const server = receiver;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    receiverBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    platform = await startPlatform(dataDir, START_TIMEOUT_MS);
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    await platform?.stop();
    const server = receiver;
    if (server) await new Promise((resolve) => server.close(resolve));
  });

  const running = () => {
    if (!platform) throw new Error("the platform is not started (use the broker inside tests)");
    return platform;
  };

  return {
    platform: running,
    receiverUrl: (path) => `${receiverBase}${path.startsWith("/") ? path : `/${path}`}`,
    received: (path) => notifications.filter((n) => n.path === path),
    async request(method, path, options = {}) {
      const { summary } = running();
      const adminToken = summary.adminToken;
      if (!adminToken) throw new Error("runtime.json names no admin token");
      const url = new URL(`${summary.api}/ngsi-ld/v1${path}`);
      for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
      const tenant = options.tenant === undefined ? (summary.demoTenant ?? null) : options.tenant;
      const payload =
        options.raw !== undefined
          ? options.raw
          : options.body === undefined
            ? undefined
            : JSON.stringify(options.body);
      const headers: Record<string, string> = {
        authorization: `Bearer ${adminToken}`,
        ...(tenant === null ? {} : { "NGSILD-Tenant": tenant }),
        ...(payload === undefined ? {} : { "content-type": "application/json" }),
        ...options.headers,
      };
      const response = await fetch(url, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
      });
      const text = await response.text();
      let body: unknown;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      return { status: response.status, headers: response.headers, body, text };
    },
  };
}
