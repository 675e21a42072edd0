import { request as httpRequest } from "node:http";
import {
  API_BODY_LIMIT_BYTES,
  AUTHORIZER_CONTEXT_PRINCIPAL,
  gatewayProblem,
  PROBLEM_CONTENT_TYPE,
  type RouteAuth,
  type RouteDeclaration,
} from "@sdp/contracts";
import type { APIGatewayAuthorizerResult, APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { LambdaHandler } from "../lambda/invoke";
import { freePort } from "../net";
import { type FrontRoute, type RunningHttpFront, startHttpFront } from "./front";

const STAGE = "test";
const API_ARN_PREFIX = "arn:aws:execute-api:eu-west-1:000000000000:sdplocal00";
const AUTHORIZED: RouteAuth = { mode: "authorizer", principals: ["staff"] };
const OPEN: RouteAuth = { mode: "none" };
const PRINCIPAL = JSON.stringify({
  kind: "staff",
  id: "u-1",
  tenant: "valencia",
  roles: ["admin"],
  scopes: [],
});

function declaration(
  method: RouteDeclaration["method"],
  path: string,
  auth: RouteAuth,
  operationId: string,
): RouteDeclaration {
  return {
    operationId,
    summary: operationId,
    method,
    path,
    auth,
    handler: { file: "functions/test/handler.ts", export: operationId },
    responses: { 200: { description: "ok" } },
  };
}

function route(
  method: RouteDeclaration["method"],
  path: string,
  auth: RouteAuth,
  operationId: string,
  fn: LambdaHandler,
  timeoutMs?: number,
): FrontRoute {
  return {
    route: declaration(method, path, auth, operationId),
    service: "test",
    handler: async () => fn,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

const AuthorizerInput = z.object({ methodArn: z.string(), headers: z.record(z.string(), z.string()) });
const RecordedEvent = z.object({
  body: z.string().nullable(),
  isBase64Encoded: z.boolean(),
  pathParameters: z.record(z.string(), z.string()).nullable(),
  requestContext: z.object({ requestId: z.string() }).loose(),
});

function policy(effect: "Allow" | "Deny", resource: string | string[]) {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: effect, Action: "execute-api:Invoke", Resource: resource }],
  };
}

/** The authorizer answers by token, covering every outcome API Gateway distinguishes. */
async function authorizerFn(event: unknown): Promise<APIGatewayAuthorizerResult | Record<string, unknown>> {
  const { methodArn, headers } = AuthorizerInput.parse(event);
  const token = Object.entries(headers).find(([name]) => name.toLowerCase() === "authorization")?.[1] ?? "";
  switch (token) {
    case "Bearer allow":
      return {
        principalId: "u-1",
        policyDocument: policy("Allow", "arn:aws:execute-api:*:*:*/test/*"),
        context: { [AUTHORIZER_CONTEXT_PRINCIPAL]: PRINCIPAL, tenant: "valencia", level: 3, admin: true },
      };
    case "Bearer deny":
      return {
        principalId: "u-1",
        policyDocument: {
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: "execute-api:*", Resource: "*" },
            { Effect: "Deny", Action: "execute-api:Invoke", Resource: methodArn },
          ],
        },
      };
    case "Bearer scoped":
      return {
        principalId: "u-2",
        policyDocument: policy("Allow", `${API_ARN_PREFIX}/test/GET/platform/tenants/valencia/*`),
      };
    case "Bearer unauthorized":
      throw new Error("Unauthorized");
    case "Bearer invalid":
      return { principalId: "u-3" };
    default:
      throw new Error("token store unreachable at 10.0.0.7");
  }
}

function ok(body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode: 200,
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

async function problemOf(response: Response) {
  expect(response.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
  return response.json();
}

/** Sends headers exactly as given — repeated lines and original casing — which fetch cannot do. */
function rawRequest(url: string, path: string, headers: Record<string, string | string[]>) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest(`${url}${path}`, { method: "GET", headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
      req.on("error", reject);
      req.end();
    },
  );
}

describe("HTTP front", () => {
  let front: RunningHttpFront;
  const proxyEvents: unknown[] = [];
  const authorizerEvents: unknown[] = [];
  const record: LambdaHandler = async (event) => {
    proxyEvents.push(event);
    return ok({ received: true }, { "X-Handler": "yes" });
  };

  beforeAll(async () => {
    // Prepare: one front with a route for every behaviour under test.
    front = await startHttpFront({
      port: await freePort(),
      stage: STAGE,
      authorizer: {
        name: "sdp-test-authorizer",
        handler: async () => async (event) => {
          authorizerEvents.push(event);
          return authorizerFn(event);
        },
      },
      routes: [
        route("GET", "/platform/tenants/{slug}/items/{itemId}", AUTHORIZED, "getItem", async (event) => {
          proxyEvents.push(event);
          return {
            statusCode: 200,
            headers: { "Content-Type": "application/json", "Set-Cookie": "ignored=1" },
            multiValueHeaders: { "Set-Cookie": ["a=1", "b=2"] },
            body: JSON.stringify({ ok: true }),
          };
        }),
        route("POST", "/platform/tenants/{slug}/items", AUTHORIZED, "createItem", record),
        route("GET", "/public/ping", OPEN, "ping", record),
        route("POST", "/public/upload", OPEN, "upload", record),
        route("GET", "/public/malformed", OPEN, "malformed", async () => ({
          statusCode: 200,
          body: { secret: "hunter2" },
        })),
        route("GET", "/public/extra-key", OPEN, "extraKey", async () => ({
          statusCode: 200,
          body: "",
          debug: "hunter2",
        })),
        route("GET", "/public/crash", OPEN, "crash", async () => {
          throw new Error("connection postgres://admin:hunter2@db failed");
        }),
        route(
          "GET",
          "/public/slow",
          OPEN,
          "slow",
          () => new Promise((resolve) => setTimeout(() => resolve(ok({})), 2_000)),
          150,
        ),
        route("GET", "/public/image", OPEN, "image", async () => ({
          statusCode: 200,
          headers: { "content-type": "image/png" },
          body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]).toString("base64"),
          isBase64Encoded: true,
        })),
        route("GET", "/files/{proxy+}", OPEN, "files", record),
        route("GET", "/files/readme", OPEN, "readme", async () => ok({ readme: true })),
      ],
    });
  });

  afterAll(async () => {
    await front.stop();
  });

  beforeEach(() => {
    proxyEvents.length = 0;
    authorizerEvents.length = 0;
  });

  it("delivers the event API Gateway sends, with the authorizer context", async () => {
    // Act
    const response = await rawRequest(
      front.url,
      "/platform/tenants/valencia/items/caf%C3%A9%20bar?tag=a&tag=b&q=x%20y",
      {
        Authorization: "Bearer allow",
        "X-Multi": ["one", "two"],
        "User-Agent": "front-test/1.0",
      },
    );

    // Assess: the answer
    expect(response.status).toBe(200);
    expect(response.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(response.headers["content-type"]).toBe("application/json");
    const event = RecordedEvent.parse(proxyEvents[0]);
    expect(response.headers["x-request-id"]).toBe(event.requestContext.requestId);

    // Assess: the full event
    const port = String(front.port);
    expect(proxyEvents[0]).toEqual({
      resource: "/platform/tenants/{slug}/items/{itemId}",
      path: "/platform/tenants/valencia/items/caf%C3%A9%20bar",
      httpMethod: "GET",
      headers: {
        Authorization: "Bearer allow",
        "X-Multi": "two",
        "User-Agent": "front-test/1.0",
        Host: `127.0.0.1:${port}`,
        Connection: "keep-alive",
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Port": port,
        "X-Forwarded-Proto": "http",
        "X-Amzn-Trace-Id": expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
      },
      multiValueHeaders: {
        Authorization: ["Bearer allow"],
        "X-Multi": ["one", "two"],
        "User-Agent": ["front-test/1.0"],
        Host: [`127.0.0.1:${port}`],
        Connection: ["keep-alive"],
        "X-Forwarded-For": ["127.0.0.1"],
        "X-Forwarded-Port": [port],
        "X-Forwarded-Proto": ["http"],
        "X-Amzn-Trace-Id": [expect.stringMatching(/^Root=1-/)],
      },
      queryStringParameters: { tag: "b", q: "x y" },
      multiValueQueryStringParameters: { tag: ["a", "b"], q: ["x y"] },
      pathParameters: { slug: "valencia", itemId: "café bar" },
      stageVariables: null,
      requestContext: {
        resourceId: expect.stringMatching(/^[a-z0-9]{6}$/),
        resourcePath: "/platform/tenants/{slug}/items/{itemId}",
        httpMethod: "GET",
        extendedRequestId: expect.stringMatching(/^[A-Za-z0-9+/]{14}==$/),
        requestTime: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        path: "/test/platform/tenants/valencia/items/caf%C3%A9%20bar",
        accountId: "000000000000",
        protocol: "HTTP/1.1",
        stage: "test",
        domainPrefix: "127",
        requestTimeEpoch: expect.any(Number),
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        identity: {
          cognitoIdentityPoolId: null,
          accountId: null,
          cognitoIdentityId: null,
          caller: null,
          sourceIp: "127.0.0.1",
          principalOrgId: null,
          accessKey: null,
          cognitoAuthenticationType: null,
          cognitoAuthenticationProvider: null,
          userArn: null,
          userAgent: "front-test/1.0",
          user: null,
          apiKey: null,
          apiKeyId: null,
          clientCert: null,
        },
        domainName: `127.0.0.1:${port}`,
        apiId: "sdplocal00",
        authorizer: {
          principalId: "u-1",
          integrationLatency: expect.any(Number),
          [AUTHORIZER_CONTEXT_PRINCIPAL]: PRINCIPAL,
          tenant: "valencia",
          level: "3",
          admin: "true",
        },
      },
      body: null,
      isBase64Encoded: false,
    });
  });

  it("calls the authorizer with a REQUEST event for the method ARN", async () => {
    // Act
    const response = await fetch(`${front.url}/platform/tenants/valencia/items?dry=1`, {
      method: "POST",
      headers: { authorization: "Bearer allow", "content-type": "application/json" },
      body: JSON.stringify({ name: "x" }),
    });

    // Assess
    expect(response.status).toBe(200);
    expect(authorizerEvents).toHaveLength(1);
    const event = RecordedEvent.parse(proxyEvents[0]);
    expect(authorizerEvents[0]).toEqual({
      type: "REQUEST",
      methodArn: `${API_ARN_PREFIX}/test/POST/platform/tenants/valencia/items`,
      resource: "/platform/tenants/{slug}/items",
      path: "/platform/tenants/valencia/items",
      httpMethod: "POST",
      headers: expect.objectContaining({ authorization: "Bearer allow" }),
      multiValueHeaders: expect.objectContaining({ authorization: ["Bearer allow"] }),
      queryStringParameters: { dry: "1" },
      multiValueQueryStringParameters: { dry: ["1"] },
      pathParameters: { slug: "valencia" },
      stageVariables: null,
      requestContext: expect.objectContaining({
        requestId: event.requestContext.requestId,
        resourcePath: "/platform/tenants/{slug}/items",
        path: "/test/platform/tenants/valencia/items",
        stage: "test",
      }),
    });
    const authorizerEvent = z
      .object({ requestContext: z.record(z.string(), z.unknown()) })
      .parse(authorizerEvents[0]);
    expect(authorizerEvent.requestContext).not.toHaveProperty("authorizer");
    expect(event.body).toBe('{"name":"x"}');
    expect(event.isBase64Encoded).toBe(false);
  });

  it("answers 401 without calling the authorizer when the Authorization header is missing", async () => {
    // Prepare
    const before = front.stats().authorizerInvocations;

    // Act
    const missing = await fetch(`${front.url}/platform/tenants/valencia/items/1`);
    const empty = await fetch(`${front.url}/platform/tenants/valencia/items/1`, {
      headers: { authorization: " " },
    });

    // Assess
    expect(missing.status).toBe(401);
    expect(await problemOf(missing)).toEqual(gatewayProblem("UNAUTHORIZED"));
    expect(empty.status).toBe(401);
    expect(authorizerEvents).toHaveLength(0);
    expect(front.stats().authorizerInvocations).toBe(before);
    expect(proxyEvents).toHaveLength(0);
  });

  it("answers 401 when the authorizer throws Unauthorized", async () => {
    // Act
    const response = await fetch(`${front.url}/platform/tenants/valencia/items/1`, {
      headers: { authorization: "Bearer unauthorized" },
    });

    // Assess
    expect(response.status).toBe(401);
    expect(await problemOf(response)).toEqual(gatewayProblem("UNAUTHORIZED"));
    expect(authorizerEvents).toHaveLength(1);
    expect(proxyEvents).toHaveLength(0);
  });

  it("answers 403 when the policy denies the method, an explicit Deny winning over Allow", async () => {
    // Act
    const response = await fetch(`${front.url}/platform/tenants/valencia/items/1`, {
      headers: { authorization: "Bearer deny" },
    });

    // Assess
    expect(response.status).toBe(403);
    expect(await problemOf(response)).toEqual(gatewayProblem("ACCESS_DENIED"));
    expect(proxyEvents).toHaveLength(0);
  });

  it("evaluates the policy's resource against the method ARN of each request", async () => {
    // Act
    const own = await fetch(`${front.url}/platform/tenants/valencia/items/1`, {
      headers: { authorization: "Bearer scoped" },
    });
    const other = await fetch(`${front.url}/platform/tenants/madrid/items/1`, {
      headers: { authorization: "Bearer scoped" },
    });

    // Assess
    expect(own.status).toBe(200);
    expect(other.status).toBe(403);
  });

  it("answers a bare 500 when the authorizer fails or returns no policy", async () => {
    // Act
    const failing = await fetch(`${front.url}/platform/tenants/valencia/items/1`, {
      headers: { authorization: "Bearer x" },
    });
    const invalid = await fetch(`${front.url}/platform/tenants/valencia/items/1`, {
      headers: { authorization: "Bearer invalid" },
    });

    // Assess
    expect(failing.status).toBe(500);
    const body = await failing.text();
    expect(JSON.parse(body)).toEqual(gatewayProblem("DEFAULT_5XX"));
    expect(body).not.toContain("10.0.0.7");
    expect(invalid.status).toBe(500);
    expect(proxyEvents).toHaveLength(0);
  });

  it("skips the authorizer on a route with auth none", async () => {
    // Act
    const response = await fetch(`${front.url}/public/ping`, { headers: { authorization: "Bearer allow" } });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get("x-handler")).toBe("yes");
    expect(authorizerEvents).toHaveLength(0);
    const event = z.object({ requestContext: z.record(z.string(), z.unknown()) }).parse(proxyEvents[0]);
    expect(event.requestContext).not.toHaveProperty("authorizer");
  });

  it("answers 404 for an unknown path and 405 for a known path with another method", async () => {
    // Act
    const unknown = await fetch(`${front.url}/nowhere/at/all`);
    const wrongMethod = await fetch(`${front.url}/platform/tenants/valencia/items`, {
      method: "DELETE",
      headers: { authorization: "Bearer allow" },
    });

    // Assess
    expect(unknown.status).toBe(404);
    expect(await problemOf(unknown)).toEqual(gatewayProblem("MISSING_AUTHENTICATION_TOKEN"));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    expect(await problemOf(wrongMethod)).toMatchObject({ status: 405, code: "method-not-allowed" });
    expect(authorizerEvents).toHaveLength(0);
  });

  it("answers 502 without internals when the function's response is malformed or it throws", async () => {
    // Act
    const responses = await Promise.all(
      ["/public/malformed", "/public/extra-key", "/public/crash"].map((path) => fetch(`${front.url}${path}`)),
    );

    // Assess
    for (const response of responses) {
      expect(response.status).toBe(502);
      expect(response.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
      const body = await response.text();
      expect(JSON.parse(body)).toEqual(gatewayProblem("INTEGRATION_FAILURE"));
      expect(body).not.toMatch(/hunter2|postgres|Error/);
    }
  });

  it("answers 504 when the function outlives its timeout", async () => {
    // Act
    const started = Date.now();
    const response = await fetch(`${front.url}/public/slow`);

    // Assess
    expect(response.status).toBe(504);
    expect(await problemOf(response)).toEqual(gatewayProblem("INTEGRATION_TIMEOUT"));
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("refuses a body over the limit with 413 without invoking the function", async () => {
    // Prepare
    const body = Buffer.alloc(11 * 1024 * 1024, 0x61);
    const before = front.stats().handlerInvocations;

    // Act
    const response = await fetch(`${front.url}/public/upload`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body,
    });

    // Assess
    expect(response.status).toBe(413);
    expect(await problemOf(response)).toEqual(gatewayProblem("REQUEST_TOO_LARGE"));
    expect(front.stats().handlerInvocations).toBe(before);
  });

  it("refuses a streamed body as soon as it crosses the limit", async () => {
    // Prepare: a chunked upload with no declared length, larger than the limit.
    const chunk = new Uint8Array(1024 * 1024).fill(0x62);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= API_BODY_LIMIT_BYTES + 2 * chunk.length) {
          controller.close();
          return;
        }
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });

    // Act
    const init: RequestInit & { duplex: "half" } = {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: stream,
      duplex: "half",
    };
    const response = await fetch(`${front.url}/public/upload`, init);

    // Assess
    expect(response.status).toBe(413);
    expect(proxyEvents).toHaveLength(0);
  });

  it("passes a binary body base64-encoded and a text body as is", async () => {
    // Prepare
    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f]);

    // Act
    const binary = await fetch(`${front.url}/public/upload`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
    });
    const text = await fetch(`${front.url}/public/upload`, {
      method: "POST",
      headers: { "content-type": "application/ld+json; charset=utf-8" },
      body: '{"name":"Plaça"}',
    });

    // Assess
    expect(binary.status).toBe(200);
    expect(text.status).toBe(200);
    const [binaryEvent, textEvent] = proxyEvents.map((e) => RecordedEvent.parse(e));
    expect(binaryEvent).toMatchObject({ body: bytes.toString("base64"), isBase64Encoded: true });
    expect(textEvent).toMatchObject({ body: '{"name":"Plaça"}', isBase64Encoded: false });
  });

  it("decodes a base64 response body to bytes", async () => {
    // Act
    const response = await fetch(`${front.url}/public/image`);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await response.arrayBuffer())).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]),
    );
  });

  it("routes greedy {proxy+} paths, a literal resource taking precedence", async () => {
    // Act
    const greedy = await fetch(`${front.url}/files/docs/2024/report%20final.pdf`);
    const literal = await fetch(`${front.url}/files/readme`);

    // Assess
    expect(greedy.status).toBe(200);
    expect(RecordedEvent.parse(proxyEvents[0]).pathParameters).toEqual({
      proxy: "docs/2024/report final.pdf",
    });
    expect(await literal.json()).toEqual({ readme: true });
  });
});

describe("HTTP front lifecycle", () => {
  it("stops promptly with an idle keep-alive connection open", async () => {
    // Prepare
    const front = await startHttpFront({
      port: await freePort(),
      stage: STAGE,
      routes: [route("GET", "/ping", OPEN, "ping", async () => ok({ pong: true }))],
    });
    const response = await fetch(`${front.url}/ping`);
    await response.text();

    // Act
    const started = Date.now();
    await front.stop();

    // Assess
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(fetch(`${front.url}/ping`)).rejects.toThrow();
  });

  it("lets extra answer first, and serves the API when it declines", async () => {
    // Prepare
    const front = await startHttpFront({
      port: await freePort(),
      stage: STAGE,
      routes: [route("GET", "/ping", OPEN, "ping", async () => ok({ pong: true }))],
      extra: async (req, res) => {
        if (req.url !== "/health") return false;
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
        return true;
      },
    });

    try {
      // Act
      const health = await fetch(`${front.url}/health`);
      const ping = await fetch(`${front.url}/ping`);

      // Assess
      expect(await health.json()).toEqual({ status: "ok" });
      expect(health.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(await ping.json()).toEqual({ pong: true });
    } finally {
      await front.stop();
    }
  });

  it("lets go of a request whose client disconnects mid-body", async () => {
    // Prepare
    const invoked: unknown[] = [];
    const front = await startHttpFront({
      port: await freePort(),
      stage: STAGE,
      routes: [route("POST", "/upload", OPEN, "upload", async (event) => invoked.push(event))],
    });

    try {
      // Act: announce 1 MB, send 10 bytes, hang up.
      await new Promise<void>((resolve) => {
        const req = httpRequest(`${front.url}/upload`, {
          method: "POST",
          headers: { "content-length": String(1024 * 1024) },
        });
        req.on("error", () => resolve());
        req.write("0123456789", () => setTimeout(() => req.destroy(), 50));
        req.on("close", () => resolve());
      });
      const deadline = Date.now() + 2_000;
      while (front.stats().inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

      // Assess
      expect(front.stats().inFlight).toBe(0);
      expect(invoked).toHaveLength(0);
    } finally {
      await front.stop();
    }
  });

  it("refuses to start when a route needs an authorizer and none is configured", async () => {
    // Act
    const starting = startHttpFront({
      port: await freePort(),
      stage: STAGE,
      routes: [route("GET", "/secret", AUTHORIZED, "secret", async () => ok({}))],
    });

    // Assess
    await expect(starting).rejects.toThrow(/authorizer/);
  });
});
