import { createDocumentClient, createDynamoDbClient, ensureTable } from "@sdp/aws";
import { destinationTemplate, type Principal, tableName } from "@sdp/contracts";
import { Scope } from "@sdp/kernel";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { bundledContextLoader } from "../src/adapters/bundled-contexts";
import { buildDynamoDbEntityStore } from "../src/adapters/dynamodb-entity-store";
import { contextCache } from "../src/domain/contexts";
import type { ContextDeps } from "../src/domain/ports";
import { CONTEXT_SERVICE, ENTITIES_TABLE } from "../src/keys";
import { contextManifest } from "../src/manifest";

export const TEST_STAGE = "test";

export const uniqueSlug = () => `t${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
export const uniqueId = (type = "Thing") => `urn:ngsi-ld:${type}:${crypto.randomUUID()}`;

const [entitiesSpec] = destinationTemplate([contextManifest]).tables;

/** A destination with its context table created from the manifest's declaration, as the provisioner does. */
export async function freshTenant(): Promise<{ slug: string; table: string }> {
  if (!entitiesSpec) throw new Error("the context manifest declares no tenant table");
  const slug = uniqueSlug();
  const table = tableName(TEST_STAGE, slug, CONTEXT_SERVICE, ENTITIES_TABLE);
  await ensureTable(createDynamoDbClient(), table, entitiesSpec);
  return { slug, table };
}

const client = createDocumentClient();

/** The broker's dependencies against DynamoDB Local; the table follows the tenant in scope. */
export function testDeps(now?: () => string): ContextDeps {
  return {
    store: () =>
      buildDynamoDbEntityStore(
        client,
        tableName(TEST_STAGE, Scope.tenant(), CONTEXT_SERVICE, ENTITIES_TABLE),
      ),
    contexts: contextCache(bundledContextLoader),
    ...(now ? { now } : {}),
  };
}

export function inTenant<T>(slug: string, work: () => Promise<T>): Promise<T> {
  return Scope.run({ requestId: "test", tenant: slug }, work);
}

export const staff = (tenant: string, roles: string[] = ["operator"]): Principal => ({
  kind: "staff",
  id: `user-${tenant}`,
  tenant,
  roles,
  scopes: [],
});

export const platformAdmin: Principal = {
  kind: "platform-admin",
  id: "admin",
  roles: ["platform-admin"],
  scopes: [],
};

export interface EventInput {
  readonly method?: string;
  readonly path?: string;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly principal?: Principal | null;
}

/** An API Gateway proxy event as the front sends it, with the authorizer's principal. */
export function event(input: EventInput): APIGatewayProxyEvent {
  const principal = input.principal === undefined ? null : input.principal;
  const body =
    input.body === undefined
      ? null
      : typeof input.body === "string"
        ? input.body
        : JSON.stringify(input.body);
  return {
    body,
    headers: {
      ...(body === null || Object.keys(input.headers ?? {}).some((h) => h.toLowerCase() === "content-type")
        ? {}
        : { "Content-Type": "application/json" }),
      ...input.headers,
    },
    multiValueHeaders: {},
    httpMethod: input.method ?? "GET",
    isBase64Encoded: false,
    path: input.path ?? "/ngsi-ld/v1/entities",
    pathParameters: input.pathParameters ?? null,
    queryStringParameters: input.query ?? null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    resource: "/ngsi-ld/v1/entities",
    requestContext: {
      authorizer: principal ? { principal: JSON.stringify(principal) } : null,
    } as APIGatewayProxyEvent["requestContext"],
  };
}

const lambdaContext = { awsRequestId: "req-test" } as Context;

export type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export async function call(handler: Handler, input: EventInput, lambda: Context = lambdaContext) {
  const result = await handler(event(input), lambda);
  const parsed: unknown = result.body ? JSON.parse(result.body) : undefined;
  return { status: result.statusCode, headers: result.headers ?? {}, body: parsed };
}
