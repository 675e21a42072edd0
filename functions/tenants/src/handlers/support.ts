import { Problems } from "@sdp/contracts";
import { TENANT_HEADER } from "@sdp/lambda-kit";
import type { APIGatewayProxyEvent } from "aws-lambda";

/**
 * The destination a `/destination/...` request acts on: the principal's own, or the one a platform
 * administrator named in the tenant header (required for them).
 */
export function destinationOf(input: { readonly tenant: string | undefined }): string {
  if (input.tenant === undefined) throw Problems.tenantRequired(TENANT_HEADER);
  return input.tenant;
}

/** Platform administrators' actions on `/platform/tenants/{slug}/...` belong in that destination's log. */
export const auditBySlug = {
  audit: { tenantOf: (event: APIGatewayProxyEvent) => event.pathParameters?.slug },
};
