import { DomainError, Problems } from "@sdp/contracts";
import type { TenantStore } from "./ports";

/**
 * A destination that may receive new records: it must exist and be active. Its own staff reach this
 * only through an active destination (the authorizer refuses the others); a platform administrator may
 * name any slug, so the check matters for them.
 */
export async function requireActiveDestination(tenants: TenantStore, slug: string): Promise<void> {
  const tenant = await tenants.get(slug);
  if (!tenant) throw Problems.notFound(`destination ${slug}`);
  if (tenant.status !== "active") {
    throw new DomainError("invalid-state", 409, "Conflict", {
      detail: `destination ${slug} is ${tenant.status}`,
    });
  }
}

/** Who did something, as records keep it: `<kind>:<id>`. */
export const actorRef = (principal: { kind: string; id: string } | undefined) =>
  principal ? `${principal.kind}:${principal.id}` : "anonymous";
