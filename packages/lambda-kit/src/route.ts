import middy from "@middy/core";
import { type Principal, Problems, type RouteDeclaration } from "@sdp/contracts";
import { Scope } from "@sdp/kernel";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { z } from "zod";
import { type AuditTrailOptions, auditTrail } from "./audit";
import { problemResponses } from "./errors";
import { authorize, principalFrom, resolveTenant, retryAfterFrom } from "./principal";
import { parseRequest } from "./request";
import { type HttpResponse, toProxyResult } from "./response";

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;
type Declared<R extends RouteDeclaration> = NonNullable<R["request"]>;

/** What a use case receives: the validated request parts, the principal and the destination. */
export interface RouteInput<R extends RouteDeclaration> {
  readonly params: Infer<Declared<R>["params"]>;
  readonly query: Infer<Declared<R>["query"]>;
  readonly body: Infer<Declared<R>["body"]>;
  readonly principal: Principal | undefined;
  readonly tenant: string | undefined;
}

export interface HttpRouteOptions {
  /** The audit trail of state-changing calls (default: on, to the deployment's audit log). */
  readonly audit?: AuditTrailOptions;
}

/**
 * A thin Lambda handler for a manifest route: answer a throttled API key with 429, authorize, parse, run
 * one use case inside the request scope, answer, and audit state-changing calls. Cross-cutting work
 * lives in middleware, so handlers stay a few lines long.
 */
export function httpRoute<R extends RouteDeclaration>(
  route: R,
  useCase: (input: RouteInput<R>) => Promise<HttpResponse>,
  options: HttpRouteOptions = {},
) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(auditTrail(route, options.audit))
    .use(problemResponses())
    .handler(async (event, context) => {
      const retryAfter = retryAfterFrom(event);
      if (retryAfter !== undefined) throw Problems.rateLimited(retryAfter);
      const principal = principalFrom(event);
      authorize(route.auth, principal);
      const tenant = resolveTenant(event, principal);
      const parsed = parseRequest(route, event);
      const input = { ...parsed, principal, tenant } as RouteInput<R>;
      const scope = { requestId: context.awsRequestId, principal, tenant };
      return toProxyResult(await Scope.run(scope, () => useCase(input)));
    });
}

/** The route of a manifest by operation id, so a handler never repeats its path or schemas. */
export function routeOf<const M extends { routes?: readonly RouteDeclaration[] }, Id extends string>(
  manifest: M,
  operationId: Id,
): Extract<NonNullable<M["routes"]>[number], { operationId: Id }> {
  const route = manifest.routes?.find((candidate) => candidate.operationId === operationId);
  if (!route) throw new Error(`no route ${operationId} in manifest`);
  return route as Extract<NonNullable<M["routes"]>[number], { operationId: Id }>;
}
