import { DeleteCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient, createDynamoDbClient, ensureTable } from "@sdp/aws";
import {
  type AuditEntry,
  type AuditEvent,
  AuditTable,
  finishAuditWalk,
  type Principal,
  type RouteDeclaration,
  startAuditWalk,
  walkAuditChain,
} from "@sdp/contracts";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type AuditLog, buildDynamoDbAuditLog, httpRoute, respond } from "../src";

const route = {
  operationId: "createThing",
  summary: "test",
  method: "POST",
  path: "/things/{id}",
  auth: {
    mode: "authorizer",
    principals: ["staff", "platform-admin", "sme"],
    staffRoles: ["admin"],
    scope: "context:write",
  },
  handler: { file: "x.ts", export: "handler" },
  request: { params: z.strictObject({ id: z.string() }), body: z.strictObject({ name: z.string() }) },
  responses: { 201: { description: "created" } },
} as const satisfies RouteDeclaration;

const readRoute = {
  ...route,
  operationId: "readThing",
  method: "GET",
  request: { params: route.request.params },
} as const;

const admin: Principal = { kind: "staff", id: "u1", tenant: "villamar", roles: ["admin"], scopes: [] };
const context = { awsRequestId: "req-1" } as Context;

function event(
  options: {
    principal?: Principal;
    method?: string;
    headers?: Record<string, string>;
    authorizer?: Record<string, string>;
  } = {},
) {
  const principal = options.principal ?? admin;
  return {
    body: options.method === "GET" ? null : JSON.stringify({ name: "a" }),
    headers: { "content-type": "application/json", ...options.headers },
    multiValueHeaders: {},
    httpMethod: options.method ?? "POST",
    isBase64Encoded: false,
    path: "/things/abc",
    pathParameters: { id: "abc" },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    resource: "/things/{id}",
    requestContext: {
      requestId: "gw-1",
      identity: { sourceIp: "203.0.113.7", userAgent: "test-agent/1" },
      authorizer: { principal: JSON.stringify(principal), ...options.authorizer },
    },
  } as unknown as APIGatewayProxyEvent;
}

function recordingLog() {
  const appended: Array<{ tenant: string; event: AuditEvent }> = [];
  const log: AuditLog = {
    async append(tenant, auditEvent) {
      appended.push({ tenant, event: auditEvent });
      return { ...auditEvent, seq: appended.length, prevHash: "0".repeat(64), hash: "1".repeat(64) };
    },
  };
  return { log, appended };
}

describe("the audit trail of httpRoute", () => {
  it("records a successful state change: who, what, when, from where, outcome", async () => {
    // Prepare
    const { log, appended } = recordingLog();
    const handler = httpRoute(
      route,
      async ({ params }) => respond.created({ id: params.id }, `/things/${params.id}`),
      {
        audit: { log },
      },
    );
    // Act
    const result = await handler(event(), context);
    // Assess
    expect(result.statusCode).toBe(201);
    expect(appended).toEqual([
      {
        tenant: "villamar",
        event: {
          at: expect.stringMatching(/^\d{4}-/),
          requestId: "gw-1",
          actor: { kind: "staff", id: "u1" },
          action: { operationId: "createThing", method: "POST", path: "/things/{id}", resourceId: "abc" },
          source: { ip: "203.0.113.7", userAgent: "test-agent/1" },
          outcome: { status: 201 },
        },
      },
    ]);
  });

  it("records a refusal with its status and problem code, and ignores reads", async () => {
    // Prepare
    const { log, appended } = recordingLog();
    const handler = httpRoute(route, async () => respond.noContent(), { audit: { log } });
    const reader = httpRoute(readRoute, async () => respond.ok({}), { audit: { log } });
    const viewer: Principal = { ...admin, roles: ["viewer"] };
    // Act
    const refused = await handler(event({ principal: viewer }), context);
    await reader(event({ method: "GET" }), context);
    // Assess
    expect(refused.statusCode).toBe(403);
    expect(appended).toHaveLength(1);
    expect(appended[0]?.event.outcome).toEqual({ status: 403, code: "forbidden" });
  });

  it("puts a platform administrator's action in the log of the destination it concerns", async () => {
    // Prepare
    const { log, appended } = recordingLog();
    const platformAdmin: Principal = { kind: "platform-admin", id: "p", roles: [], scopes: [] };
    const handler = httpRoute(route, async () => respond.noContent(), {
      audit: { log, tenantOf: (e) => e.pathParameters?.id },
    });
    const byHeader = httpRoute(route, async () => respond.noContent(), { audit: { log } });
    // Act
    await handler({ ...event({ principal: platformAdmin }), pathParameters: { id: "costa-azul" } }, context);
    await byHeader(event({ principal: platformAdmin, headers: { "NGSILD-Tenant": "villamar" } }), context);
    // Assess
    expect(appended.map((a) => [a.tenant, a.event.actor.kind])).toEqual([
      ["costa-azul", "platform-admin"],
      ["villamar", "platform-admin"],
    ]);
  });

  it("answers 429 with Retry-After when the authorizer throttled the key, and audits it", async () => {
    // Prepare
    const { log, appended } = recordingLog();
    let ran = false;
    const handler = httpRoute(
      route,
      async () => {
        ran = true;
        return respond.noContent();
      },
      { audit: { log } },
    );
    const sme: Principal = {
      kind: "sme",
      id: "sme_1",
      tenant: "villamar",
      roles: [],
      scopes: ["context:write"],
      keyId: "k1",
    };
    // Act
    const result = await handler(event({ principal: sme, authorizer: { retryAfterSeconds: "17" } }), context);
    // Assess
    expect(result.statusCode).toBe(429);
    expect(result.headers?.["retry-after"]).toBe("17");
    expect(JSON.parse(result.body)).toMatchObject({ status: 429, code: "rate-limited" });
    expect(ran).toBe(false);
    expect(appended[0]?.event).toMatchObject({
      actor: { kind: "sme", id: "sme_1", keyId: "k1" },
      outcome: { status: 429 },
    });
  });

  it("refuses a platform administrator's tenant header that is not a slug", async () => {
    // Prepare
    const handler = httpRoute(route, async () => respond.noContent(), { audit: { log: false } });
    const platformAdmin: Principal = { kind: "platform-admin", id: "p", roles: [], scopes: [] };
    // Act
    const result = await handler(
      event({ principal: platformAdmin, headers: { "NGSILD-Tenant": "../other" } }),
      context,
    );
    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).errors).toEqual([
      { field: "headers.NGSILD-Tenant", reason: "must be a destination slug" },
    ]);
  });

  it("keeps answering when the audit log fails", async () => {
    // Prepare
    const failing: AuditLog = {
      append: async () => {
        throw new Error("audit down");
      },
    };
    const handler = httpRoute(route, async () => respond.noContent(), { audit: { log: failing } });
    // Act
    const result = await handler(event(), context);
    // Assess
    expect(result.statusCode).toBe(204);
  });
});

async function auditTable() {
  const table = `audit-${crypto.randomUUID()}`;
  await ensureTable(createDynamoDbClient(), table, {
    service: "tenants",
    purpose: "audit",
    partitionKey: { name: "pk", type: "S" },
    sortKey: { name: "sk", type: "S" },
  });
  return table;
}

const sampleEvent = (n: number): AuditEvent => ({
  at: new Date().toISOString(),
  requestId: `r${n}`,
  actor: { kind: "staff", id: `u${n}` },
  action: { operationId: "op", method: "POST", path: "/p" },
  source: { ip: "127.0.0.1" },
  outcome: { status: 201 },
});

async function readChain(table: string) {
  const client = createDocumentClient();
  const { Items } = await client.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: "pk = :log",
      ExpressionAttributeValues: { ":log": AuditTable.logPk },
      ConsistentRead: true,
    }),
  );
  const head = (
    await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: "pk = :head",
        ExpressionAttributeValues: { ":head": AuditTable.headPk },
      }),
    )
  ).Items?.[0];
  const parsedHead = z.object({ seq: z.number(), hash: z.string() }).optional().parse(head);
  return { items: Items ?? [], head: parsedHead };
}

describe("the DynamoDB audit log", () => {
  it("keeps one unbroken chain under concurrent writers", async () => {
    // Prepare
    const table = await auditTable();
    const log = buildDynamoDbAuditLog(createDocumentClient(), () => table);
    // Act
    const entries: AuditEntry[] = await Promise.all(
      Array.from({ length: 12 }, (_, n) => log.append("villamar", sampleEvent(n))),
    );
    // Assess
    expect(entries.map((e) => e.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 12 }, (_, n) => n + 1),
    );
    const { items, head } = await readChain(table);
    expect(finishAuditWalk(walkAuditChain(startAuditWalk(), items), head)).toEqual({
      valid: true,
      entries: 12,
      head: { seq: 12, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
  });

  it("lets verification find the first entry that was changed, removed or cut off", async () => {
    // Prepare
    const table = await auditTable();
    const client = createDocumentClient();
    const log = buildDynamoDbAuditLog(client, () => table);
    const written: AuditEntry[] = [];
    for (let n = 0; n < 5; n += 1) written.push(await log.append("villamar", sampleEvent(n)));
    const key = (entry: AuditEntry) => ({
      pk: AuditTable.logPk,
      sk: AuditTable.entrySk(entry.at, entry.seq),
    });
    const third = written[2];
    const fifth = written[4];
    if (!third || !fifth) throw new Error("entries missing");
    // Act
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: key(third),
        UpdateExpression: "SET outcome = :o",
        ExpressionAttributeValues: { ":o": { status: 200 } },
      }),
    );
    const tampered = await readChain(table);
    await client.send(new DeleteCommand({ TableName: table, Key: key(fifth) }));
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: key(third),
        UpdateExpression: "SET outcome = :o",
        ExpressionAttributeValues: { ":o": third.outcome },
      }),
    );
    const truncated = await readChain(table);
    // Assess
    expect(
      finishAuditWalk(walkAuditChain(startAuditWalk(), tampered.items), tampered.head).firstBroken,
    ).toEqual({
      seq: 3,
      reason: "hash-mismatch",
    });
    expect(
      finishAuditWalk(walkAuditChain(startAuditWalk(), truncated.items), truncated.head).firstBroken,
    ).toEqual({
      seq: 5,
      reason: "head-mismatch",
    });
  });
});
