import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { MiddlewareObj } from "@middy/core";
import { createDocumentClient } from "@sdp/aws";
import {
  AUDIT_GENESIS_HASH,
  type AuditEntry,
  type AuditEvent,
  AuditTable,
  auditEntryHash,
  Env,
  type Principal,
  type RouteDeclaration,
  Stage,
  TenantSlug,
  tableName,
} from "@sdp/contracts";
import { type Clock, errorFields, loadConfig, log, systemClock } from "@sdp/kernel";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { z } from "zod";
import { principalFrom, TENANT_HEADER } from "./principal";
import { header } from "./request";

/** Where audit entries go (DESIGN §5). A port: the DynamoDB adapter below, or a fake in tests. */
export interface AuditLog {
  /** Appends to the destination's chain; resolves with the entry as stored. */
  append(tenant: string, event: AuditEvent): Promise<AuditEntry>;
}

export class AuditChainContention extends Error {
  constructor(tenant: string, attempts: number) {
    super(`could not append to the audit chain of ${tenant} after ${attempts} attempts`);
    this.name = "AuditChainContention";
  }
}

const Head = z.object({ seq: z.number().int().positive(), hash: z.string(), at: z.string() });

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function isStateChanging(method: string): boolean {
  return STATE_CHANGING.has(method.toUpperCase());
}

/**
 * The audit log in each destination's `tenants-audit` table. An append reads the chain's head, writes
 * the entry and moves the head in one transaction conditioned on the head it read, so two concurrent
 * writers can never both extend the same entry: the loser re-reads the head and tries again.
 */
export function buildDynamoDbAuditLog(
  client: DynamoDBDocumentClient,
  tableOf: (tenant: string) => string,
  options: { readonly maxAttempts?: number } = {},
): AuditLog {
  const maxAttempts = options.maxAttempts ?? 25;
  return {
    async append(tenant, event) {
      const table = tableOf(TenantSlug.parse(tenant));
      for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
        const { Item } = await client.send(
          new GetCommand({
            TableName: table,
            Key: { [AuditTable.pk]: AuditTable.headPk, [AuditTable.sk]: AuditTable.headSk },
            ConsistentRead: true,
          }),
        );
        const head = Item ? Head.parse(Item) : undefined;
        // Time never goes back along the chain, so the sort key order is the chain order.
        const at = head && head.at > event.at ? head.at : event.at;
        const seq = (head?.seq ?? 0) + 1;
        const unsigned = { ...event, at, seq, prevHash: head?.hash ?? AUDIT_GENESIS_HASH };
        const entry: AuditEntry = { ...unsigned, hash: auditEntryHash(unsigned) };
        try {
          await client.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: table,
                    Item: {
                      [AuditTable.pk]: AuditTable.logPk,
                      [AuditTable.sk]: AuditTable.entrySk(at, seq),
                      ...entry,
                    },
                    ConditionExpression: "attribute_not_exists(#pk)",
                    ExpressionAttributeNames: { "#pk": AuditTable.pk },
                  },
                },
                {
                  Put: {
                    TableName: table,
                    Item: {
                      [AuditTable.pk]: AuditTable.headPk,
                      [AuditTable.sk]: AuditTable.headSk,
                      seq,
                      hash: entry.hash,
                      at,
                    },
                    ...(head
                      ? {
                          ConditionExpression: "#seq = :seq AND #hash = :hash",
                          ExpressionAttributeNames: { "#seq": "seq", "#hash": "hash" },
                          ExpressionAttributeValues: { ":seq": head.seq, ":hash": head.hash },
                        }
                      : {
                          ConditionExpression: "attribute_not_exists(#pk)",
                          ExpressionAttributeNames: { "#pk": AuditTable.pk },
                        }),
                  },
                },
              ],
            }),
          );
          return entry;
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
          // A retried request whose first attempt committed finds the head at its own entry.
          const { Item: current } = await client.send(
            new GetCommand({
              TableName: table,
              Key: { [AuditTable.pk]: AuditTable.headPk, [AuditTable.sk]: AuditTable.headSk },
              ConsistentRead: true,
            }),
          );
          if (current?.hash === entry.hash) return entry;
          // Another writer moved the head (or the transaction collided with one): re-read and retry.
          const backoff = Math.min(200, 5 * attempt) + Math.random() * 20 * Math.min(attempt, 5);
          await new Promise((resolve) => setTimeout(resolve, backoff));
        }
      }
      throw new AuditChainContention(tenant, maxAttempts);
    },
  };
}

const AuditConfig = z.object({ [Env.stage]: Stage });
let defaultLog: AuditLog | undefined;

/** The audit log of the deployment, configured from the environment on first use. */
export function auditLogFromEnv(): AuditLog {
  if (!defaultLog) {
    const stage = loadConfig(AuditConfig)[Env.stage];
    defaultLog = buildDynamoDbAuditLog(createDocumentClient(), (tenant) =>
      tableName(stage, tenant, AuditTable.service, AuditTable.purpose),
    );
  }
  return defaultLog;
}

/** The audit actor of a principal (or of nobody). */
export function auditActor(principal: Principal | undefined): AuditEvent["actor"] {
  if (!principal) return { kind: "anonymous", id: "anonymous" };
  return { kind: principal.kind, id: principal.id, ...(principal.keyId ? { keyId: principal.keyId } : {}) };
}

export interface AuditTrailOptions {
  /** The audit log; default the deployment's, from the environment. `false` turns auditing off. */
  readonly log?: AuditLog | (() => AuditLog) | false;
  /**
   * The destination an action concerns when it is not the caller's own: a platform administrator's
   * action on `/platform/tenants/{slug}` goes to that destination's log.
   */
  readonly tenantOf?: (event: APIGatewayProxyEvent) => string | undefined;
  readonly clock?: Clock;
}

/** The destination named by the request: the route's own choice, else the principal's or the header's. */
function auditTenant(event: APIGatewayProxyEvent, options: AuditTrailOptions): string | undefined {
  const principal = principalFrom(event);
  const candidates = [
    options.tenantOf?.(event),
    principal?.kind === "platform-admin" ? header(event, TENANT_HEADER) : principal?.tenant,
  ];
  for (const candidate of candidates) {
    if (candidate !== undefined && TenantSlug.safeParse(candidate).success) return candidate;
  }
  return undefined;
}

/** The record acted on: the last path parameter of the route, else the id a creation answered with. */
function resourceIdOf(
  route: RouteDeclaration,
  event: APIGatewayProxyEvent,
  response: APIGatewayProxyResult | undefined,
) {
  const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? "");
  const last = names.at(-1);
  const fromPath = last === undefined ? undefined : event.pathParameters?.[last];
  if (fromPath !== undefined) return fromPath.slice(0, 200);
  const location = response?.headers?.location ?? response?.headers?.Location;
  if (typeof location === "string" && response && response.statusCode < 300) {
    return location.split("/").filter(Boolean).at(-1)?.slice(0, 200);
  }
  return undefined;
}

function problemCode(response: APIGatewayProxyResult | undefined): string | undefined {
  if (!response || response.statusCode < 400) return undefined;
  try {
    const parsed = z.object({ code: z.string() }).safeParse(JSON.parse(response.body));
    return parsed.success ? parsed.data.code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Middleware that appends every state-changing call — answered or refused — to the audit log of the
 * destination it concerns: who, what, when, from where and with which outcome. Runs after the error
 * mapper, so it sees the status the caller gets. A failed append is logged, never turned into a
 * different answer: the change (or refusal) it records has already happened.
 */
export function auditTrail(
  route: RouteDeclaration,
  options: AuditTrailOptions = {},
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context> {
  const record = async (
    event: APIGatewayProxyEvent,
    response: APIGatewayProxyResult | undefined,
    context: Context,
  ) => {
    if (options.log === false || !isStateChanging(event.httpMethod ?? route.method)) return;
    const tenant = auditTenant(event, options);
    if (tenant === undefined) return;
    const identity = event.requestContext?.identity;
    const resourceId = resourceIdOf(route, event, response);
    const code = problemCode(response);
    const auditEvent: AuditEvent = {
      at: (options.clock ?? systemClock).now().toISOString(),
      requestId: event.requestContext?.requestId ?? context.awsRequestId,
      actor: auditActor(principalFrom(event)),
      action: {
        operationId: route.operationId,
        method: route.method,
        path: route.path,
        ...(resourceId === undefined ? {} : { resourceId }),
      },
      source: {
        ip: identity?.sourceIp ?? "unknown",
        ...(identity?.userAgent ? { userAgent: identity.userAgent.slice(0, 256) } : {}),
      },
      outcome: { status: response?.statusCode ?? 500, ...(code ? { code } : {}) },
    };
    try {
      const target =
        options.log === undefined
          ? auditLogFromEnv()
          : typeof options.log === "function"
            ? options.log()
            : options.log;
      await target.append(tenant, auditEvent);
    } catch (error) {
      // A destination without an audit table (a platform administrator named one that does not exist,
      // or one already offboarded) has no log to keep; anything else is a failure to look at.
      const missing = error instanceof Error && error.name === "ResourceNotFoundException";
      const report = missing ? log.warn : log.error;
      report(missing ? "no audit log for the destination" : "audit append failed", {
        operationId: route.operationId,
        auditTenant: tenant,
        ...errorFields(error),
      });
    }
  };
  return {
    after: async (request) => record(request.event, request.response ?? undefined, request.context),
    onError: async (request) => record(request.event, request.response ?? undefined, request.context),
  };
}
