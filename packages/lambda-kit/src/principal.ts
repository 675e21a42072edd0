import {
  AUTHORIZER_CONTEXT_PRINCIPAL,
  AUTHORIZER_CONTEXT_RETRY_AFTER,
  Principal,
  Problems,
  type RouteAuth,
  TenantSlug,
} from "@sdp/contracts";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { header } from "./request";

/** The header in which a platform administrator names the destination it acts on (NGSI-LD's name). */
export const TENANT_HEADER = "NGSILD-Tenant";

/** The principal the authorizer put in the request context, checked again rather than trusted blindly. */
export function principalFrom(event: APIGatewayProxyEvent): Principal | undefined {
  const serialized: unknown = event.requestContext.authorizer?.[AUTHORIZER_CONTEXT_PRINCIPAL];
  if (typeof serialized !== "string") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(serialized);
  } catch {
    return undefined;
  }
  const parsed = Principal.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The authorizer's throttling verdict (an API key over its rate limit): API Gateway authorizers cannot
 * answer 429, so the authorizer lets the request through with the number of seconds to wait and the
 * handler answers before doing anything else.
 */
export function retryAfterFrom(event: APIGatewayProxyEvent): number | undefined {
  const value: unknown = event.requestContext.authorizer?.[AUTHORIZER_CONTEXT_RETRY_AFTER];
  if (value === undefined || value === null || value === "") return undefined;
  const seconds = Number(value);
  return Number.isInteger(seconds) && seconds > 0 ? seconds : 1;
}

/** Functionality-level access: the principal kinds, roles and scopes a route admits. */
export function authorize(auth: RouteAuth, principal: Principal | undefined): void {
  if (auth.mode === "none") return;
  if (!principal) throw Problems.unauthenticated();
  if (!auth.principals.includes(principal.kind)) throw Problems.forbidden();
  if (
    principal.kind === "staff" &&
    auth.staffRoles &&
    !principal.roles.some((role) => auth.staffRoles?.includes(role as never))
  ) {
    throw Problems.forbidden("your role does not allow this action");
  }
  if (principal.kind === "sme" && auth.scope && !principal.scopes.includes(auth.scope)) {
    throw Problems.forbidden(`the API key lacks the scope ${auth.scope}`);
  }
}

/**
 * The destination a request acts on (DESIGN §4): always the principal's own; a platform administrator
 * may name one with the tenant header. A header naming another destination is refused, not ignored.
 */
export function resolveTenant(
  event: APIGatewayProxyEvent,
  principal: Principal | undefined,
): string | undefined {
  const named = header(event, TENANT_HEADER);
  if (!principal) return undefined;
  if (principal.kind === "platform-admin") {
    if (named === undefined) return undefined;
    // The name becomes part of table names: it must be a slug, whoever sends it.
    const slug = TenantSlug.safeParse(named);
    if (!slug.success) {
      throw Problems.validation([
        { field: `headers.${TENANT_HEADER}`, reason: "must be a destination slug" },
      ]);
    }
    return slug.data;
  }
  if (named !== undefined && named !== principal.tenant) {
    throw Problems.forbidden(`${TENANT_HEADER} does not match the destination of the credential`);
  }
  return principal.tenant;
}
