import { randomUUID } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
  validateHeaderName,
  validateHeaderValue,
} from "node:http";
import {
  API_BODY_LIMIT_BYTES,
  GATEWAY_PROBLEM_HEADERS,
  type GatewayResponseType,
  gatewayProblem,
  type ProblemDetails,
  Problems,
  type RouteDeclaration,
} from "@sdp/contracts";
import { errorFields, log } from "@sdp/kernel";
import { z } from "zod";
import { invokeHandler, type LambdaHandler, LambdaTimeoutError } from "../lambda/invoke";
import { discardBody, readBody } from "./body";
import {
  type ApiIdentity,
  type AuthorizerGrant,
  buildAuthorizerEvent,
  buildProxyEvent,
  type MatchedResource,
  methodArn,
  newExtendedRequestId,
  type RequestFacts,
} from "./events";
import { AuthorizerResult, isInvokeAllowed, stringifyContext } from "./policy";
import { RouteTable } from "./routes";

export interface FrontRoute {
  readonly route: RouteDeclaration;
  readonly service: string;
  readonly handler: () => Promise<LambdaHandler>;
  /** The function's timeout; API Gateway's 29 s integration timeout caps it. */
  readonly timeoutMs?: number;
}

export interface FrontAuthorizer {
  /** The authorizer's function name, as Lambda would report it. */
  readonly name: string;
  readonly handler: () => Promise<LambdaHandler>;
  /** Default 10 s. */
  readonly timeoutMs?: number;
  /**
   * API Gateway's authorizer result cache, keyed by the identity source (the Authorization header).
   * Default 0 (off). Turn it on to reproduce the cloud's behaviour of evaluating one cached policy
   * against every method the same credential calls.
   */
  readonly resultsCacheTtlSeconds?: number;
}

export interface HttpFrontOptions {
  readonly port: number;
  readonly host?: string;
  /** Appears in `requestContext.stage`, `requestContext.path` and the method ARN. */
  readonly stage: string;
  readonly routes: readonly FrontRoute[];
  readonly authorizer?: FrontAuthorizer;
  /** Runs first for every request (for /health, /.well-known/*); returns true if it answered. */
  readonly extra?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** Default `API_BODY_LIMIT_BYTES` (10 MB), API Gateway's payload limit. */
  readonly bodyLimitBytes?: number;
  /** The REST API's identity in ARNs and request contexts; defaults suit a local account. */
  readonly api?: Partial<Omit<ApiIdentity, "stage">>;
}

// A type alias rather than an interface so it fits health reports' `Record<string, unknown>`.
export type HttpFrontStats = {
  readonly requests: number;
  readonly inFlight: number;
  readonly authorizerInvocations: number;
  readonly authorizerCacheHits: number;
  readonly handlerInvocations: number;
  /** Responses by HTTP status. */
  readonly responses: Readonly<Record<string, number>>;
};

export interface RunningHttpFront {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  stats(): HttpFrontStats;
}

/** API Gateway's hard integration timeout for REST APIs. */
export const INTEGRATION_TIMEOUT_MS = 29_000;
const DEFAULT_FUNCTION_TIMEOUT_MS = 10_000;
const AUTHORIZER_CACHE_ENTRIES = 1_000;

const HeaderValue = z.union([z.string(), z.number(), z.boolean()]);

/**
 * A Lambda proxy result as API Gateway accepts it. Unknown keys, a non-string body or a missing status
 * make API Gateway answer 502 ("Malformed Lambda proxy response"), and so does the local front.
 */
const ProxyResult = z.strictObject({
  statusCode: z.number().int().min(200).max(599),
  headers: z.record(z.string(), HeaderValue).nullish(),
  multiValueHeaders: z.record(z.string(), z.array(HeaderValue)).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().nullish(),
});
type ProxyResult = z.infer<typeof ProxyResult>;

/** Headers the gateway owns on the way out: framing is recomputed, never copied from the function. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"]);

type AuthorizeOutcome =
  | { readonly kind: "granted"; readonly grant: AuthorizerGrant }
  | { readonly kind: "refused"; readonly response: GatewayResponseType };

export async function startHttpFront(options: HttpFrontOptions): Promise<RunningHttpFront> {
  const host = options.host ?? "127.0.0.1";
  const limit = options.bodyLimitBytes ?? API_BODY_LIMIT_BYTES;
  const authorizer = options.authorizer;
  const needsAuthorizer = options.routes.filter((r) => r.route.auth.mode === "authorizer");
  if (needsAuthorizer.length > 0 && !authorizer) {
    throw new Error(
      `routes need an authorizer but none is configured: ${needsAuthorizer.map((r) => r.route.operationId).join(", ")}`,
    );
  }
  const table = new RouteTable(
    options.routes.map((target) => ({ method: target.route.method, path: target.route.path, target })),
  );
  const apiBase = {
    apiId: options.api?.apiId ?? "sdplocal00",
    accountId: options.api?.accountId ?? "000000000000",
    region: options.api?.region ?? process.env.AWS_REGION ?? "eu-west-1",
  };
  const api: ApiIdentity = { ...apiBase, stage: options.stage };

  const counters = {
    requests: 0,
    inFlight: 0,
    authorizerInvocations: 0,
    authorizerCacheHits: 0,
    handlerInvocations: 0,
  };
  const responses: Record<string, number> = {};
  const cache = new Map<string, { readonly result: AuthorizerResult; readonly expiresAt: number }>();

  async function authorize(
    request: RequestFacts,
    match: MatchedResource,
    authorization: string,
  ): Promise<AuthorizeOutcome> {
    if (!authorizer) return { kind: "refused", response: "DEFAULT_5XX" };
    const arn = methodArn(api, request.method, request.path);
    const ttlMs = (authorizer.resultsCacheTtlSeconds ?? 0) * 1000;
    const cached = ttlMs > 0 ? cache.get(authorization) : undefined;
    let result: AuthorizerResult;
    let latency = 0;
    if (cached && cached.expiresAt > Date.now()) {
      counters.authorizerCacheHits++;
      result = cached.result;
    } else {
      const event = buildAuthorizerEvent({ api, request, match });
      const started = performance.now();
      let raw: unknown;
      try {
        const handler = await authorizer.handler();
        counters.authorizerInvocations++;
        raw = overTheWire(
          await invokeHandler(handler, overTheWire(event), {
            functionName: authorizer.name,
            timeoutMs: Math.min(authorizer.timeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS, INTEGRATION_TIMEOUT_MS),
          }),
        );
      } catch (error) {
        // The one error message API Gateway turns into 401 rather than a configuration failure.
        if (errorMessage(error) === "Unauthorized") return { kind: "refused", response: "UNAUTHORIZED" };
        log.error("authorizer failed", {
          requestId: request.requestId,
          authorizer: authorizer.name,
          ...errorFields(error),
        });
        return { kind: "refused", response: "DEFAULT_5XX" };
      }
      latency = Math.round(performance.now() - started);
      const parsed = AuthorizerResult.safeParse(raw);
      if (!parsed.success) {
        log.error("authorizer returned an invalid result", {
          requestId: request.requestId,
          authorizer: authorizer.name,
          issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
        });
        return { kind: "refused", response: "DEFAULT_5XX" };
      }
      result = parsed.data;
      if (ttlMs > 0) {
        if (cache.size >= AUTHORIZER_CACHE_ENTRIES) cache.delete(cache.keys().next().value ?? "");
        cache.set(authorization, { result, expiresAt: Date.now() + ttlMs });
      }
    }
    if (!isInvokeAllowed(result.policyDocument, arn)) return { kind: "refused", response: "ACCESS_DENIED" };
    return {
      kind: "granted",
      grant: {
        principalId: result.principalId,
        integrationLatency: latency,
        context: stringifyContext(result.context),
      },
    };
  }

  async function integrate(
    res: ServerResponse,
    target: FrontRoute,
    event: unknown,
    request: RequestFacts,
  ): Promise<void> {
    const functionName = `sdp-${options.stage}-${target.service}-${target.route.operationId}`;
    const timeoutMs = Math.min(
      target.timeoutMs ?? (target.route.handler.timeoutSeconds ?? 10) * 1000,
      INTEGRATION_TIMEOUT_MS,
    );
    let raw: unknown;
    try {
      const handler = await target.handler();
      counters.handlerInvocations++;
      raw = overTheWire(
        await invokeHandler(handler, event, {
          functionName,
          timeoutMs,
          ...(target.route.handler.memoryMb === undefined ? {} : { memoryMb: target.route.handler.memoryMb }),
        }),
      );
    } catch (error) {
      if (error instanceof LambdaTimeoutError) {
        log.error("integration timed out", { requestId: request.requestId, functionName, timeoutMs });
        return sendProblem(res, gatewayProblem("INTEGRATION_TIMEOUT"));
      }
      log.error("function failed", { requestId: request.requestId, functionName, ...errorFields(error) });
      return sendProblem(res, gatewayProblem("INTEGRATION_FAILURE"));
    }
    const parsed = ProxyResult.safeParse(raw);
    const written = parsed.success ? outgoing(parsed.data) : undefined;
    if (!parsed.success || written === undefined) {
      log.error("malformed Lambda proxy response", {
        requestId: request.requestId,
        functionName,
        ...(parsed.success
          ? { issues: ["invalid header"] }
          : { issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) }),
      });
      return sendProblem(res, gatewayProblem("INTEGRATION_FAILURE"));
    }
    for (const [name, value] of written.headers) res.setHeader(name, value);
    // The gateway's ids win over any the function set.
    res.setHeader("x-request-id", request.requestId);
    res.setHeader("x-amzn-requestid", request.requestId);
    const bodyless = written.status === 204 || written.status === 304;
    if (!bodyless) res.setHeader("content-length", written.body.length);
    res.writeHead(written.status);
    res.end(bodyless ? undefined : written.body);
  }

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    facts: RequestFacts,
    note: (resource: string) => void,
  ) {
    if (options.extra && (await options.extra(req, res))) return;
    const match = table.match(facts.method, facts.path);
    if (match.kind === "not-found") return sendGateway(res, "MISSING_AUTHENTICATION_TOKEN");
    note(match.resource.path);
    if (match.kind === "method-not-allowed") {
      return sendProblem(res, Problems.methodNotAllowed(facts.method, match.resource.path).toProblem(), {
        allow: match.allowed.join(", "),
      });
    }
    const read = await readBody(req, limit);
    if (read.kind === "too-large") {
      await discardBody(req);
      return sendGateway(res, "REQUEST_TOO_LARGE", { connection: "close" });
    }
    const matched: MatchedResource = {
      resource: match.resource.path,
      resourceId: match.resource.id,
      pathParameters: match.pathParameters,
    };
    let grant: AuthorizerGrant | undefined;
    if (match.target.route.auth.mode === "authorizer") {
      // The identity source: without it API Gateway answers 401 and never calls the authorizer.
      const authorization = req.headers.authorization;
      if (authorization === undefined || authorization.trim() === "") return sendGateway(res, "UNAUTHORIZED");
      const outcome = await authorize(facts, matched, authorization);
      if (outcome.kind === "refused") return sendGateway(res, outcome.response);
      grant = outcome.grant;
    }
    const event = buildProxyEvent({
      api,
      request: facts,
      match: matched,
      body: read.body,
      ...(grant ? { authorizer: grant } : {}),
    });
    await integrate(res, match.target, overTheWire(event), facts);
  }

  const server = createServer({ keepAlive: true }, (req, res) => {
    const receivedAt = new Date();
    const started = performance.now();
    const rawUrl = req.url ?? "/";
    const queryAt = rawUrl.indexOf("?");
    const facts: RequestFacts = {
      method: (req.method ?? "GET").toUpperCase(),
      path: queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt),
      query: queryAt === -1 ? "" : rawUrl.slice(queryAt + 1),
      rawHeaders: req.rawHeaders,
      sourceIp: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
      localPort: req.socket.localPort ?? 0,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: randomUUID(),
      extendedRequestId: newExtendedRequestId(),
      receivedAt,
    };
    let resource: string | undefined;
    counters.requests++;
    counters.inFlight++;
    res.setHeader("x-request-id", facts.requestId);
    res.setHeader("x-amzn-requestid", facts.requestId);
    res.setHeader("x-amz-apigw-id", facts.extendedRequestId);
    res.once("close", () => {
      counters.inFlight--;
      const status = String(res.statusCode);
      responses[status] = (responses[status] ?? 0) + 1;
      // The resource template, never the raw path: paths can carry personal data.
      log.info("api request", {
        requestId: facts.requestId,
        method: facts.method,
        resource: resource ?? null,
        status: res.statusCode,
        latencyMs: Math.round(performance.now() - started),
      });
    });
    serve(req, res, facts, (r) => {
      resource = r;
    }).catch((error: unknown) => {
      log.error("http front failed", { requestId: facts.requestId, ...errorFields(error) });
      if (res.headersSent) res.destroy();
      else sendGateway(res, "DEFAULT_5XX");
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = address !== null && typeof address === "object" ? address.port : options.port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log.info("http front listening", { url, stage: options.stage, routes: options.routes.length });

  return {
    url,
    port,
    stats: () => ({ ...counters, responses: { ...responses } }),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Idle keep-alive sockets and in-flight requests alike, so stop never waits on a client.
        server.closeAllConnections();
      }),
  };
}

function sendGateway(
  res: ServerResponse,
  type: GatewayResponseType,
  headers: OutgoingHttpHeaders = {},
): void {
  sendProblem(res, gatewayProblem(type), headers);
}

function sendProblem(res: ServerResponse, problem: ProblemDetails, headers: OutgoingHttpHeaders = {}): void {
  const body = Buffer.from(JSON.stringify(problem));
  res.writeHead(problem.status, { ...GATEWAY_PROBLEM_HEADERS, "content-length": body.length, ...headers });
  res.end(body);
}

/** The function's answer as it goes on the wire, or undefined when a header cannot be sent. */
function outgoing(
  result: ProxyResult,
): { status: number; headers: [string, string | string[]][]; body: Buffer } | undefined {
  // API Gateway merges both maps; a name present in multiValueHeaders takes its values from there.
  const merged = new Map<string, [string, string[]]>();
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    merged.set(name.toLowerCase(), [name, values.map(String)]);
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (!merged.has(name.toLowerCase())) merged.set(name.toLowerCase(), [name, [String(value)]]);
  }
  for (const hop of HOP_BY_HOP) merged.delete(hop);
  if (!merged.has("content-type")) merged.set("content-type", ["Content-Type", ["application/json"]]);
  const headers: [string, string | string[]][] = [];
  try {
    for (const [name, values] of merged.values()) {
      validateHeaderName(name);
      for (const value of values) validateHeaderValue(name, value);
      headers.push([name, values.length === 1 ? (values[0] ?? "") : values]);
    }
  } catch {
    return undefined;
  }
  const text = result.body ?? "";
  const body = result.isBase64Encoded ? Buffer.from(text, "base64") : Buffer.from(text, "utf8");
  return { status: result.statusCode, headers, body };
}

/**
 * Events and results cross a JSON boundary in Lambda; doing the same here drops undefined keys and
 * class instances exactly as the cloud would, and keeps the function from sharing objects with us.
 */
function overTheWire(value: unknown): unknown {
  const text = JSON.stringify(value);
  if (text === undefined) return null;
  const parsed: unknown = JSON.parse(text);
  return parsed;
}

function errorMessage(error: unknown): string | undefined {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : undefined;
}
