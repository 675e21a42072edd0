import middy from "@middy/core";
import {
  type DomainError,
  JSON_LD_CONTEXT_REL,
  MAX_BATCH_ENTITIES,
  NGSI_LD_MEDIA_TYPES,
  type Principal,
  RESULTS_COUNT_HEADER,
  type RouteDeclaration,
  TenantSlug,
} from "@sdp/contracts";
import { errorFields, log, Scope } from "@sdp/kernel";
import {
  authorize,
  header,
  issuesToFields,
  principalFrom,
  resolveTenant,
  TENANT_HEADER,
} from "@sdp/lambda-kit";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import type { z } from "zod";
import type { BatchOutcome } from "../domain/batch";
import { CORE_CONTEXT_URL } from "../domain/contexts";
import { asNgsiError, type Payload, type UpdateResult } from "../domain/entity";
import { invalidData, invalidParameters, ngsiError } from "../domain/errors";
import { type ActiveContext, compactTerm } from "../domain/jsonld";
import type { Entity, Json, JsonObject } from "../domain/model";
import { checkName, isUri } from "../domain/normalize";
import type { ContextDeps } from "../domain/ports";
import type { QueryResult } from "../domain/query";
import { renderEntity, renderFeature, type View } from "../domain/render";
import { linkedContext, negotiate, type Representation, readBody } from "./negotiation";

/**
 * The NGSI-LD edge of every handler: who may call and for which destination (lambda-kit's authorize
 * and resolveTenant), content negotiation, the @context of the request (Link header or inline), body
 * and query checks, and answers in the NGSI-LD representations with NGSI-LD errors. Handlers stay one
 * use case long.
 */
type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;
type Declared<R extends RouteDeclaration> = NonNullable<R["request"]>;

export interface RouteOptions {
  /** The shape of the body, when the route takes one. */
  readonly body?: "object" | "array";
  /** The route answers entities, which may be asked for as GeoJSON. */
  readonly geo?: boolean;
  /** The route accepts application/merge-patch+json. */
  readonly mergePatch?: boolean;
  /** The array body holds plain values (entity ids), not JSON-LD documents with an @context each. */
  readonly plainItems?: boolean;
}

export interface NgsiResponse {
  readonly status: number;
  readonly body?: Json;
  readonly headers?: Record<string, string>;
  /** How the body is written: an entity-like JSON-LD document, or plain JSON (results, errors). */
  readonly kind?: "document" | "plain";
}

export interface NgsiRequest<R extends RouteDeclaration> {
  readonly params: Infer<Declared<R>["params"]>;
  readonly query: Infer<Declared<R>["query"]>;
  readonly tenant: string;
  readonly principal: Principal | undefined;
  /** The request's active @context: from the Link header, the body (JSON-LD), or the core context. */
  readonly ctx: ActiveContext;
  /** The @context as the requester gave it (Link header URL or inline value), if any. */
  readonly contextRef: unknown;
  /** An object body with the context to read it with. */
  readonly payload: Payload;
  /** An array body (batch operations), each item with its context. */
  readonly payloads: Payload[];
  readonly reply: Reply;
}

/** Bodies the NGSI-LD routes accept: one entity is bounded by the store; a batch by Lambda's 6 MB. */
const SINGLE_BODY_LIMIT = 1024 * 1024;
const BATCH_BODY_LIMIT = 5 * 1024 * 1024;

const linkHeader = (url: string) =>
  `<${url}>; rel="${JSON_LD_CONTEXT_REL}"; type="${NGSI_LD_MEDIA_TYPES.jsonLd}"`;

export class Reply {
  constructor(
    private readonly event: APIGatewayProxyEvent,
    private readonly ctx: ActiveContext,
    readonly representation: Representation,
    /** What responses name as their @context: the requester's own, or the core context. */
    private readonly contextRef: unknown,
  ) {}

  private document(status: number, body: Json, headers: Record<string, string> = {}): NgsiResponse {
    return { status, body, headers, kind: "document" };
  }

  entity(entity: Entity, view: View & { geometryProperty: string }): NgsiResponse {
    if (this.representation === "geo")
      return this.document(200, renderFeature(entity, this.ctx, view, view.geometryProperty));
    return this.document(200, renderEntity(entity, this.ctx, view));
  }

  entities(
    result: QueryResult,
    view: View & { geometryProperty: string },
    paging: { limit: number; offset: number; links: boolean },
  ): NgsiResponse {
    const headers: Record<string, string> = {};
    if (result.count !== undefined) headers[RESULTS_COUNT_HEADER] = String(result.count);
    const pages: string[] = [];
    if (paging.links && paging.limit > 0) {
      if (result.more) pages.push(this.pageLink(paging.offset + paging.limit, paging.limit, "next"));
      if (paging.offset > 0)
        pages.push(this.pageLink(Math.max(0, paging.offset - paging.limit), paging.limit, "prev"));
    }
    if (pages.length > 0) headers.link = pages.join(", ");
    if (this.representation === "geo") {
      const features = result.entities.map((e) => renderFeature(e, this.ctx, view, view.geometryProperty));
      return this.document(200, { type: "FeatureCollection", features }, headers);
    }
    return this.document(
      200,
      result.entities.map((e) => renderEntity(e, this.ctx, view)),
      headers,
    );
  }

  private pageLink(offset: number, limit: number, rel: "next" | "prev"): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(this.event.queryStringParameters ?? {})) {
      if (value !== undefined) params.set(name, value);
    }
    params.set("offset", String(offset));
    params.set("limit", String(limit));
    return `<${this.event.path}?${params.toString()}>; rel="${rel}"; type="${NGSI_LD_MEDIA_TYPES.jsonLd}"`;
  }

  json(body: Json): NgsiResponse {
    return this.document(200, body);
  }

  created(id: string, path = "/ngsi-ld/v1/entities/"): NgsiResponse {
    return { status: 201, headers: { location: `${path}${pathSegment(id)}` } };
  }

  noContent(): NgsiResponse {
    return { status: 204 };
  }

  /** 204 when every attribute was changed, else 207 with the UpdateResult. */
  updateResult(result: UpdateResult): NgsiResponse {
    if (result.notUpdated.length === 0) return this.noContent();
    return {
      status: 207,
      kind: "plain",
      body: {
        updated: result.updated.map((name) => compactTerm(this.ctx, name)),
        notUpdated: result.notUpdated.map((n) => ({
          attributeName: compactTerm(this.ctx, n.attributeName),
          reason: n.reason,
        })),
      },
    };
  }

  /** Batch answers (clause 6.14 to 6.17): 201/204 when all went well, else 207 with BatchOperationResult. */
  batch(outcome: BatchOutcome, operation: "create" | "upsert" | "update" | "merge" | "delete"): NgsiResponse {
    if (outcome.errors.length === 0) {
      if (operation === "create") return { status: 201, kind: "plain", body: outcome.success };
      if (operation === "upsert" && outcome.created.length > 0)
        return { status: 201, kind: "plain", body: outcome.created };
      return this.noContent();
    }
    return {
      status: 207,
      kind: "plain",
      body: {
        success: outcome.success,
        errors: outcome.errors.map(({ entityId, error }) => ({ entityId, error: problemOf(error) })),
      },
    };
  }

  /** The HTTP answer: JSON-LD documents get their @context in the body or a Link header. */
  toResult(response: NgsiResponse): APIGatewayProxyResult {
    const headers: Record<string, string> = { ...(response.headers ?? {}), ...tenantEcho(this.event) };
    if (response.body === undefined) return { statusCode: response.status, headers, body: "" };
    let body: unknown = response.body;
    if (response.kind === "plain") headers["content-type"] = NGSI_LD_MEDIA_TYPES.json;
    else if (this.representation === "ld") {
      headers["content-type"] = NGSI_LD_MEDIA_TYPES.jsonLd;
      const withContext = (doc: Json): unknown =>
        isObject(doc) ? { ...doc, "@context": this.contextRef } : doc;
      body = Array.isArray(response.body) ? response.body.map(withContext) : withContext(response.body);
    } else {
      headers["content-type"] =
        this.representation === "geo" ? NGSI_LD_MEDIA_TYPES.geoJson : NGSI_LD_MEDIA_TYPES.json;
      const link =
        typeof this.contextRef === "string" ? linkHeader(this.contextRef) : linkHeader(CORE_CONTEXT_URL);
      headers.link = headers.link ? `${headers.link}, ${link}` : link;
    }
    return { statusCode: response.status, headers, body: JSON.stringify(body) };
  }
}

/**
 * The destination a request named in NGSILD-Tenant, echoed in the answer (clause 6.3.14). Only a name
 * that can be a destination is echoed: the header is never a channel for arbitrary client text.
 */
function tenantEcho(event: APIGatewayProxyEvent): Record<string, string> {
  const named = header(event, TENANT_HEADER);
  return named !== undefined && TenantSlug.safeParse(named).success ? { [TENANT_HEADER]: named } : {};
}

function problemOf(error: DomainError, instance?: string): JsonObject {
  return {
    type: error.type,
    title: error.title,
    status: error.status,
    ...(error.detail === undefined ? {} : { detail: error.detail }),
    ...(instance === undefined ? {} : { instance }),
    ...(error.errors === undefined
      ? {}
      : { errors: error.errors.map((e) => ({ field: e.field, reason: e.reason })) }),
  };
}

function errorResult(error: unknown, event: APIGatewayProxyEvent): APIGatewayProxyResult {
  const instance = event.path;
  const known = asNgsiError(error);
  if (!known) log.error("unexpected error", errorFields(error));
  else if (known.status >= 500)
    log.error("request failed", { type: known.code, ...errorFields(known.cause) });
  const problem = known ?? ngsiError("InternalError", "the request could not be completed");
  return {
    statusCode: problem.status,
    headers: { "content-type": NGSI_LD_MEDIA_TYPES.json, ...problem.headers, ...tenantEcho(event) },
    body: JSON.stringify(problemOf(problem, instance)),
  };
}

function parsePart(location: string, schema: z.ZodType | undefined, value: unknown): unknown {
  if (!schema) return value;
  const result = schema.safeParse(value);
  if (!result.success) {
    const fields = issuesToFields(location, result.error);
    // A parameter the operation does not define is InvalidRequest (clause 6.3.20); bad values are BadRequestData.
    const unknown = fields.filter((f) => f.reason === "is not a known field");
    if (unknown.length > 0)
      throw invalidParameters(unknown.map((f) => ({ field: f.field, reason: "is not a known parameter" })));
    throw invalidData(fields, "invalid request");
  }
  return result.data;
}

function destination(event: APIGatewayProxyEvent, principal: Principal | undefined): string {
  const tenant = resolveTenant(event, principal);
  if (tenant === undefined) {
    throw ngsiError(
      "BadRequestData",
      "a platform administrator must name the destination in the NGSILD-Tenant header",
    );
  }
  // A name that cannot be a destination cannot have a table either; never build a table name from it.
  if (!TenantSlug.safeParse(tenant).success)
    throw ngsiError("NonexistentTenant", `there is no destination ${tenant}`);
  return tenant;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Time kept to render and send an answer once the reads stop. */
const ANSWER_MARGIN_MS = 1_500;
/** API Gateway's integration timeout: past it nobody waits for the answer, whatever Lambda allows. */
const GATEWAY_TIMEOUT_MS = 29_000;

/** When this request's reads must stop for its answer to still reach the client. */
function answerDeadline(context: Context): number | undefined {
  if (typeof context.getRemainingTimeInMillis !== "function") return undefined;
  const remaining = Math.min(context.getRemainingTimeInMillis(), GATEWAY_TIMEOUT_MS);
  return Date.now() + remaining - ANSWER_MARGIN_MS;
}

export function ngsiRoute<R extends RouteDeclaration>(
  route: R,
  deps: Pick<ContextDeps, "contexts">,
  options: RouteOptions,
  useCase: (request: NgsiRequest<R>) => Promise<NgsiResponse>,
) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>().handler(async (event, context) => {
    try {
      const principal = principalFrom(event);
      authorize(route.auth, principal);
      const tenant = destination(event, principal);
      const representation = negotiate(event, options.geo === true);
      const params = parsePart("params", route.request?.params, event.pathParameters ?? {});
      // An entity id is a URI: one in the path that is not can name no entity, so the request is
      // bad data (400) rather than a lookup of an unknown resource (404).
      if (isObject(params) && typeof params.entityId === "string" && !isUri(params.entityId)) {
        throw invalidData([{ field: "params.entityId", reason: "must be a URI" }], "invalid request");
      }
      // Likewise an attribute name that is no name (or a JSON-LD keyword) names no attribute.
      if (isObject(params) && typeof params.attrId === "string") {
        const problem = params.attrId.startsWith("@")
          ? "must be an attribute name, not a JSON-LD keyword"
          : checkName(params.attrId);
        if (problem !== undefined)
          throw invalidData([{ field: "params.attrId", reason: problem }], "invalid request");
      }
      const rawQuery = event.queryStringParameters ?? {};
      if (!route.request?.query && Object.keys(rawQuery).length > 0) {
        throw invalidParameters(
          Object.keys(rawQuery).map((name) => ({
            field: `query.${name}`,
            reason: "is not a known parameter",
          })),
        );
      }
      const query = parsePart("query", route.request?.query, rawQuery);
      const link = linkedContext(event);
      const body = options.body
        ? readBody(
            event,
            options.body === "array" ? BATCH_BODY_LIMIT : SINGLE_BODY_LIMIT,
            options.mergePatch === true,
          )
        : undefined;
      if (!options.body && event.body !== null && event.body !== "") {
        throw ngsiError("BadRequestData", "this operation takes no body");
      }
      const deadline = answerDeadline(context);
      return await Scope.run({ requestId: context.awsRequestId, principal, tenant, deadline }, async () => {
        const contextOf = (item: unknown, where: string): unknown => {
          if (body?.mediaType !== "ld") {
            if (isObject(item) && "@context" in item) {
              throw ngsiError(
                "BadRequestData",
                `${where} has an @context: send it as ${NGSI_LD_MEDIA_TYPES.jsonLd}, or name it in a Link header`,
              );
            }
            return link;
          }
          if (link !== undefined) {
            throw ngsiError(
              "BadRequestData",
              `with ${NGSI_LD_MEDIA_TYPES.jsonLd} the @context goes in the body, not in a Link header`,
            );
          }
          if (!isObject(item) || !("@context" in item)) {
            throw ngsiError(
              "BadRequestData",
              `${where} has no @context, which ${NGSI_LD_MEDIA_TYPES.jsonLd} requires`,
            );
          }
          return item["@context"];
        };
        let ctxValue: unknown = link;
        let payload: Payload | undefined;
        let payloads: Payload[] = [];
        if (body && options.body === "object") {
          if (!isObject(body.value)) throw ngsiError("BadRequestData", "the body must be a JSON object");
          ctxValue = contextOf(body.value, "the body");
          payload = { body: body.value, ctx: await deps.contexts.resolve(tenant, ctxValue) };
        } else if (body && options.body === "array") {
          if (!Array.isArray(body.value)) throw ngsiError("BadRequestData", "the body must be a JSON array");
          if (body.value.length === 0 || body.value.length > MAX_BATCH_ENTITIES) {
            throw ngsiError(
              "BadRequestData",
              `a batch must hold between 1 and ${MAX_BATCH_ENTITIES} entities`,
            );
          }
          // A null item fails the whole request, like an empty array.
          if (body.value.some((item) => item === null)) {
            throw ngsiError("BadRequestData", "a batch must not hold null items");
          }
          if (options.plainItems) {
            const plain = await deps.contexts.resolve(tenant, link);
            payloads = body.value.map((item) => ({ body: item, ctx: plain }));
          } else {
            if (body.mediaType === "ld" && link !== undefined) {
              throw ngsiError(
                "BadRequestData",
                `with ${NGSI_LD_MEDIA_TYPES.jsonLd} the @context goes in the body, not in a Link header`,
              );
            }
            // An entity whose @context is missing, misplaced or unresolvable fails alone, as any invalid entity of
            // a batch does: the others still go ahead, and the answer reports it among the errors.
            payloads = await Promise.all(
              body.value.map(async (item, index): Promise<Payload> => {
                try {
                  const itemContext = contextOf(item, `entity ${index}`);
                  return { body: item, ctx: await deps.contexts.resolve(tenant, itemContext) };
                } catch (error) {
                  const problem = asNgsiError(error);
                  if (!problem) throw error;
                  return { body: item, ctx: await deps.contexts.resolve(tenant, undefined), problem };
                }
              }),
            );
          }
        }
        const ctx = payload?.ctx ?? (await deps.contexts.resolve(tenant, ctxValue));
        const reply = new Reply(event, ctx, representation, ctxValue ?? CORE_CONTEXT_URL);
        const request = {
          params,
          query,
          tenant,
          principal,
          ctx,
          contextRef: ctxValue,
          payload: payload ?? { body: undefined, ctx },
          payloads,
          reply,
        } as NgsiRequest<R>;
        return reply.toResult(await useCase(request));
      });
    } catch (error) {
      return errorResult(error, event);
    }
  });
}

/**
 * An id as a URI path segment (RFC 3986 clause 3.3): the characters a segment allows (`pchar`:
 * unreserved, sub-delims, `:` and `@`) stay as they are, so `urn:ngsi-ld:Beach:1` reads as given in a
 * `Location`; anything else (space, `/`, `?`, `#`, `%`, non-ASCII…) is percent-encoded.
 */
export const pathSegment = (id: string): string =>
  encodeURIComponent(id).replace(/%(24|26|2B|2C|3A|3B|3D|40)/g, (escaped) => decodeURIComponent(escaped));
