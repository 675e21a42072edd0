import { PLATFORM_ADMIN_GROUP, type Principal, StaffRole, TenantSlug, TokenClaims } from "@sdp/contracts";
import type { JWTPayload } from "jose";
import { z } from "zod";

const Claims = z.object({
  sub: z.string().min(1),
  [TokenClaims.groups]: z.array(z.string()).default([]),
  [TokenClaims.tenant]: TenantSlug.optional(),
  [TokenClaims.principalKind]: z.enum(["staff", "tourist"]).optional(),
});

/**
 * Maps verified token claims to a principal. Platform administrators are marked by their group; every
 * other person belongs to exactly one destination, named by the tenant claim.
 * @returns undefined when the claims do not describe a principal the platform knows.
 */
export function principalFromClaims(payload: JWTPayload): Principal | undefined {
  const parsed = Claims.safeParse(payload);
  if (!parsed.success) return undefined;
  const claims = parsed.data;
  const groups = claims[TokenClaims.groups];
  const tenant = claims[TokenClaims.tenant];
  if (groups.includes(PLATFORM_ADMIN_GROUP)) {
    return { kind: "platform-admin", id: claims.sub, roles: [PLATFORM_ADMIN_GROUP], scopes: [] };
  }
  if (tenant === undefined) return undefined;
  if (claims[TokenClaims.principalKind] === "tourist") {
    return { kind: "tourist", id: claims.sub, tenant, roles: [], scopes: [] };
  }
  const roles = groups.filter((group) => StaffRole.safeParse(group).success);
  if (roles.length === 0) return undefined;
  return { kind: "staff", id: claims.sub, tenant, roles, scopes: [] };
}
