import { DomainError, type Principal, type RouteDeclaration } from "@sdp/contracts";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { httpRoute, respond } from "../src";

const route = {
  operationId: "createThing",
  summary: "test",
  method: "POST",
  path: "/things/{id}",
  auth: { mode: "authorizer", principals: ["staff", "platform-admin"], staffRoles: ["admin"] },
  handler: { file: "x.ts", export: "handler" },
  request: {
    params: z.strictObject({ id: z.string().regex(/^[a-z]+$/) }),
    body: z.strictObject({ name: z.string().min(1), count: z.number().int() }),
  },
  responses: { 201: { description: "created" } },
} as const satisfies RouteDeclaration;

const admin: Principal = { kind: "staff", id: "u1", tenant: "villamar", roles: ["admin"], scopes: [] };
const context = { awsRequestId: "req-1" } as Context;

function event(
  overrides: Partial<APIGatewayProxyEvent> & { principal?: Principal | null } = {},
): APIGatewayProxyEvent {
  const { principal = admin, ...rest } = overrides;
  return {
    body: JSON.stringify({ name: "a", count: 1 }),
    headers: { "Content-Type": "application/json" },
    multiValueHeaders: {},
    httpMethod: "POST",
    isBase64Encoded: false,
    path: "/things/abc",
    pathParameters: { id: "abc" },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    resource: "/things/{id}",
    requestContext: {
      authorizer: principal ? { principal: JSON.stringify(principal) } : null,
    } as APIGatewayProxyEvent["requestContext"],
    ...rest,
  };
}

const seen: unknown[] = [];
const handler = httpRoute(route, async (input) => {
  seen.push(input);
  if (input.body.name === "explode") throw new Error("secret internal detail");
  if (input.body.name === "domain")
    throw new DomainError("thing-locked", 423, "Locked", { detail: "locked" });
  return respond.created({ id: input.params.id, tenant: input.tenant }, `/things/${input.params.id}`);
});

async function call(e: APIGatewayProxyEvent) {
  const result = await handler(e, context);
  return {
    status: result.statusCode,
    body: result.body ? JSON.parse(result.body) : undefined,
    headers: result.headers,
  };
}

describe("httpRoute", () => {
  it("runs the use case with validated input and the principal's tenant", async () => {
    // Act
    const response = await call(event());
    // Assess
    expect(response).toMatchObject({ status: 201, body: { id: "abc", tenant: "villamar" } });
    expect(response.headers?.location).toBe("/things/abc");
  });

  it.each([
    ["malformed JSON", { body: "{not json" }, 400, "body"],
    ["an unknown field", { body: JSON.stringify({ name: "a", count: 1, admin: true }) }, 400, "body.admin"],
    ["a wrong type", { body: JSON.stringify({ name: "a", count: "1" }) }, 400, "body.count"],
    ["a missing body", { body: null }, 400, "body"],
    ["a bad path parameter", { pathParameters: { id: "ABC" } }, 400, "params.id"],
    ["a stray query parameter", { queryStringParameters: { debug: "1" } }, 400, "query.debug"],
  ])("answers %s with a problem naming the field", async (_label, overrides, status, field) => {
    // Act
    const response = await call(event(overrides as Partial<APIGatewayProxyEvent>));
    // Assess
    expect(response.status).toBe(status);
    expect(response.headers?.["content-type"]).toBe("application/problem+json");
    expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it("refuses a body that is not JSON by media type", async () => {
    // Act
    const response = await call(event({ headers: { "content-type": "text/plain" } }));
    // Assess
    expect(response.status).toBe(415);
  });

  it.each([
    ["no principal", { principal: null }, 401],
    [
      "a tourist",
      { principal: { kind: "tourist", id: "t", tenant: "villamar", roles: [], scopes: [] } },
      403,
    ],
    ["a viewer", { principal: { ...admin, roles: ["viewer"] } }, 403],
    [
      "a header naming another destination",
      { headers: { "content-type": "application/json", "NGSILD-Tenant": "other" } },
      403,
    ],
  ])("refuses %s", async (_label, overrides, status) => {
    // Act
    const response = await call(event(overrides as Partial<APIGatewayProxyEvent>));
    // Assess
    expect(response.status).toBe(status);
  });

  it("lets a platform admin act on a destination named by header", async () => {
    // Prepare
    const platformAdmin: Principal = { kind: "platform-admin", id: "p", roles: [], scopes: [] };
    // Act
    const response = await call(
      event({
        principal: platformAdmin,
        headers: { "content-type": "application/json", "ngsild-tenant": "other" },
      }),
    );
    // Assess
    expect(response.body.tenant).toBe("other");
  });

  it("maps a domain error to its problem and an unexpected one to a bare 500", async () => {
    // Act
    const domain = await call(event({ body: JSON.stringify({ name: "domain", count: 1 }) }));
    const unexpected = await call(event({ body: JSON.stringify({ name: "explode", count: 1 }) }));
    // Assess
    expect(domain).toMatchObject({ status: 423, body: { code: "thing-locked", detail: "locked" } });
    expect(unexpected.status).toBe(500);
    expect(JSON.stringify(unexpected.body)).not.toMatch(/secret/);
  });
});
