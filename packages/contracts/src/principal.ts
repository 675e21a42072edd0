import { z } from "zod";
import { TenantSlug } from "./tenancy";

export const StaffRole = z.enum(["admin", "operator", "manager", "viewer"]);
export type StaffRole = z.infer<typeof StaffRole>;

export const PrincipalKind = z.enum(["platform-admin", "staff", "sme", "tourist"]);
export type PrincipalKind = z.infer<typeof PrincipalKind>;

/**
 * Who is calling, as established by the authorizer (DESIGN §5). The tenant of a request always
 * comes from here, never from the body. A platform administrator has no tenant of its own.
 */
export const Principal = z.object({
  kind: PrincipalKind,
  id: z.string().min(1),
  tenant: TenantSlug.optional(),
  roles: z.array(z.string()),
  scopes: z.array(z.string()),
  /** For an SME: the API key that authenticated the request (audited, never secret). */
  keyId: z.string().optional(),
});
export type Principal = z.infer<typeof Principal>;

/** Key of the serialized principal in the API Gateway authorizer context. */
export const AUTHORIZER_CONTEXT_PRINCIPAL = "principal";

/** Group name that marks a platform administrator in the identity provider. */
export const PLATFORM_ADMIN_GROUP = "platform-admin";

/** Token claims the platform reads: Cognito's group claim and a custom tenant attribute. */
export const TokenClaims = {
  groups: "cognito:groups",
  tenant: "custom:tenant",
  principalKind: "custom:kind",
} as const;
