import { randomBytes } from "node:crypto";
import type {
  APIGatewayEventIdentity,
  APIGatewayEventRequestContextWithAuthorizer,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
} from "aws-lambda";

/**
 * Builders for the events API Gateway (REST API, payload format 1.0) sends to a Lambda proxy
 * integration and to a REQUEST authorizer. They take plain facts about the request so tests can
 * build events without a socket.
 */

/** The REST API as AWS would name it: these feed ARNs and the request context. */
export interface ApiIdentity {
  readonly stage: string;
  readonly apiId: string;
  readonly accountId: string;
  readonly region: string;
}

/** What arrived on the wire. */
export interface RequestFacts {
  readonly method: string;
  /** The path as sent: percent-encoded, without the query string (API Gateway passes it so). */
  readonly path: string;
  /** The query string as sent, without the `?`; empty when none. */
  readonly query: string;
  /** Node's `rawHeaders`: name/value pairs in arrival order with the casing the client used. */
  readonly rawHeaders: readonly string[];
  readonly sourceIp: string;
  /** The port the client connected to, reported in `X-Forwarded-Port`. */
  readonly localPort: number;
  readonly protocol: string;
  readonly requestId: string;
  readonly extendedRequestId: string;
  readonly receivedAt: Date;
}

/** The resource a request matched. */
export interface MatchedResource {
  readonly resource: string;
  readonly resourceId: string;
  readonly pathParameters: Readonly<Record<string, string>> | null;
}

/** What a REST API puts in `requestContext.authorizer` after a Lambda authorizer allowed the call. */
export interface AuthorizerGrant {
  readonly principalId: string;
  readonly integrationLatency: number;
  /** The authorizer's context, its values already turned into strings as API Gateway does. */
  readonly context: Readonly<Record<string, string>>;
}

export interface ProxyEventInput {
  readonly api: ApiIdentity;
  readonly request: RequestFacts;
  readonly match: MatchedResource;
  /** The raw body bytes; empty or null means no body. */
  readonly body: Buffer | null;
  readonly authorizer?: AuthorizerGrant;
}

export interface AuthorizerEventInput {
  readonly api: ApiIdentity;
  readonly request: RequestFacts;
  readonly match: MatchedResource;
}

export function buildProxyEvent(input: ProxyEventInput): APIGatewayProxyEvent {
  const { request, match } = input;
  const headers = gatewayHeaders(request);
  const query = queryParameters(request.query);
  const body = encodeBody(input.body, firstHeader(headers.single, "content-type"));
  const base = requestContext(input.api, request, match, headers.single);
  const authorizer = input.authorizer
    ? {
        principalId: input.authorizer.principalId,
        integrationLatency: input.authorizer.integrationLatency,
        ...input.authorizer.context,
      }
    : undefined;
  return {
    resource: match.resource,
    path: request.path,
    httpMethod: request.method,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: match.pathParameters === null ? null : { ...match.pathParameters },
    stageVariables: null,
    // A route without an authorizer has no `authorizer` key in AWS; undefined vanishes on the JSON
    // boundary every event crosses before it reaches a handler.
    requestContext: { ...base, authorizer },
    body: body.body,
    isBase64Encoded: body.isBase64Encoded,
  };
}

export function buildAuthorizerEvent(input: AuthorizerEventInput): APIGatewayRequestAuthorizerEvent {
  const { request, match } = input;
  const headers = gatewayHeaders(request);
  const query = queryParameters(request.query);
  return {
    type: "REQUEST",
    methodArn: methodArn(input.api, request.method, request.path),
    resource: match.resource,
    path: request.path,
    httpMethod: request.method,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: match.pathParameters === null ? null : { ...match.pathParameters },
    stageVariables: null,
    requestContext: { ...requestContext(input.api, request, match, headers.single), authorizer: undefined },
  };
}

/** `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path without leading slash>`. */
export function methodArn(api: ApiIdentity, method: string, path: string): string {
  return `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/${method.toUpperCase()}/${path.replace(/^\//, "")}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** API Gateway's `requestTime`: `dd/MMM/yyyy:HH:mm:ss +0000`, always UTC. */
export function formatRequestTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const month = MONTHS[date.getUTCMonth()] ?? "Jan";
  return `${two(date.getUTCDate())}/${month}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** A value shaped like API Gateway's `extendedRequestId` (e.g. `BQGojGgdIAMFvqQ=`). */
export function newExtendedRequestId(): string {
  return randomBytes(10).toString("base64");
}

/** An X-Ray trace header of the kind API Gateway adds when the client sent none. */
function traceId(at: Date): string {
  const epoch = Math.floor(at.getTime() / 1000)
    .toString(16)
    .padStart(8, "0");
  return `Root=1-${epoch}-${randomBytes(12).toString("hex")}`;
}

function requestContext(
  api: ApiIdentity,
  request: RequestFacts,
  match: MatchedResource,
  headers: Record<string, string>,
): Omit<APIGatewayEventRequestContextWithAuthorizer<undefined>, "authorizer"> {
  const domainName = firstHeader(headers, "host") ?? `${api.apiId}.execute-api.${api.region}.amazonaws.com`;
  return {
    resourceId: match.resourceId,
    resourcePath: match.resource,
    httpMethod: request.method,
    extendedRequestId: request.extendedRequestId,
    requestTime: formatRequestTime(request.receivedAt),
    path: `/${api.stage}${request.path}`,
    accountId: api.accountId,
    protocol: request.protocol,
    stage: api.stage,
    domainPrefix: domainName.split(".")[0] ?? domainName,
    requestTimeEpoch: request.receivedAt.getTime(),
    requestId: request.requestId,
    identity: identity(request.sourceIp, firstHeader(headers, "user-agent") ?? null),
    domainName,
    apiId: api.apiId,
  };
}

function identity(sourceIp: string, userAgent: string | null): APIGatewayEventIdentity {
  return {
    cognitoIdentityPoolId: null,
    accountId: null,
    cognitoIdentityId: null,
    caller: null,
    sourceIp,
    principalOrgId: null,
    accessKey: null,
    cognitoAuthenticationType: null,
    cognitoAuthenticationProvider: null,
    userArn: null,
    userAgent,
    user: null,
    apiKey: null,
    apiKeyId: null,
    clientCert: null,
  };
}

interface HeaderMaps {
  readonly single: Record<string, string>;
  readonly multi: Record<string, string[]>;
}

/**
 * Headers as API Gateway passes them: names keep the casing the client sent (the first spelling
 * wins when a name repeats in another case), `headers` holds the last value of a repeated header and
 * `multiValueHeaders` all of them; the `X-Forwarded-*` and trace headers API Gateway adds are added.
 */
function gatewayHeaders(request: RequestFacts): HeaderMaps {
  const multi: Record<string, string[]> = {};
  const spelling = new Map<string, string>();
  const add = (name: string, value: string) => {
    const lower = name.toLowerCase();
    const key = spelling.get(lower) ?? name;
    spelling.set(lower, key);
    const values = multi[key] ?? [];
    values.push(value);
    multi[key] = values;
  };
  const set = (name: string, value: string) => {
    const key = spelling.get(name.toLowerCase()) ?? name;
    spelling.set(name.toLowerCase(), key);
    multi[key] = [value];
  };
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    add(request.rawHeaders[i] ?? "", request.rawHeaders[i + 1] ?? "");
  }
  const forwardedFor = multi[spelling.get("x-forwarded-for") ?? ""];
  set("X-Forwarded-For", [...(forwardedFor ?? []), request.sourceIp].join(", "));
  set("X-Forwarded-Port", String(request.localPort));
  set("X-Forwarded-Proto", "http");
  if (!spelling.has("x-amzn-trace-id")) set("X-Amzn-Trace-Id", traceId(request.receivedAt));
  const single: Record<string, string> = {};
  for (const [name, values] of Object.entries(multi)) {
    const last = values.at(-1);
    if (last !== undefined) single[name] = last;
  }
  return { single, multi };
}

/** Case-insensitive header lookup: handlers cannot rely on a casing, and neither can the gateway. */
export function firstHeader(
  headers: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === lower) return value;
  }
  return undefined;
}

function queryParameters(query: string): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  const params = new URLSearchParams(query);
  const multi: Record<string, string[]> = {};
  for (const [name, value] of params) {
    const values = multi[name] ?? [];
    values.push(value);
    multi[name] = values;
  }
  if (Object.keys(multi).length === 0) return { single: null, multi: null };
  const single: Record<string, string> = {};
  for (const [name, values] of Object.entries(multi)) {
    const last = values.at(-1);
    if (last !== undefined) single[name] = last;
  }
  return { single, multi };
}

const TEXT_TYPES = new Set([
  "application/json",
  "application/xml",
  "application/javascript",
  "application/x-www-form-urlencoded",
  "application/graphql",
  "application/yaml",
]);

/** Text bodies travel as strings; everything else as base64, as with binary media types enabled. */
export function isTextContentType(contentType: string): boolean {
  const type = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return type.startsWith("text/") || TEXT_TYPES.has(type) || type.endsWith("+json") || type.endsWith("+xml");
}

function encodeBody(
  body: Buffer | null,
  contentType: string | undefined,
): { body: string | null; isBase64Encoded: boolean } {
  if (body === null || body.length === 0) return { body: null, isBase64Encoded: false };
  const text =
    contentType === undefined
      ? decodeUtf8(body)
      : isTextContentType(contentType)
        ? body.toString("utf8")
        : undefined;
  return text === undefined
    ? { body: body.toString("base64"), isBase64Encoded: true }
    : { body: text, isBase64Encoded: false };
}

/** Without a content type, a body is text only if it is valid UTF-8. */
function decodeUtf8(body: Buffer): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}
