import { AUTHORIZER_CONTEXT_PRINCIPAL, Principal, Problems, type RouteAuth } from "@sdp/contracts";
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

/** Functionality-level access: the principal kinds, roles and scopes a route admits. */
export function authorize(auth: RouteAuth, principal: Principal | undefined): void {
  if (auth.mode === "none") return;
  if (!principal) throw Problems.unauthenticated();
  if (!auth.principals.includes(principal.kind)) throw Problems.forbidden();
  if (principal.kind === "staff" && auth.staffRoles && !principal.roles.some((role) => auth.staffRoles?.includes(role as never))) {
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
export function resolveTenant(event: APIGatewayProxyEvent, principal: Principal | undefined): string | undefined {
  const named = header(event, TENANT_HEADER);
  if (!principal) return undefined;
  if (principal.kind === "platform-admin") return named;
  if (named !== undefined && named !== principal.tenant) {
    throw Problems.forbidden(`${TENANT_HEADER} does not match the destination of the credential`);
  }
  return principal.tenant;
}
