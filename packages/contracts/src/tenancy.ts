import { z } from "zod";

/** DESIGN §4: a destination is named by a slug. */
export const TENANT_SLUG_PATTERN = /^[a-z][a-z0-9-]{2,39}$/;

/** Slugs that would collide with platform-level names (table prefixes, hostnames). */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set(["platform", "admin", "api", "www", "sdp", "aws"]);

export const TenantSlug = z
  .string()
  .regex(TENANT_SLUG_PATTERN, "must match ^[a-z][a-z0-9-]{2,39}$")
  .refine((slug) => !RESERVED_SLUGS.has(slug), "is reserved by the platform");
export type TenantSlug = z.infer<typeof TenantSlug>;

export const Stage = z.string().regex(/^[a-z][a-z0-9]{0,15}$/, "stage must be lower-case alphanumeric");
export type Stage = z.infer<typeof Stage>;

/** The scope segment used for platform (control-plane) tables instead of a tenant slug. */
export const PLATFORM_SCOPE = "platform";

/**
 * Physical DynamoDB table name: `sdp-<stage>-<tenant>-<service>[-<purpose>]` (DESIGN §4).
 * Callers pass a tenant taken from the authenticated principal, never from request input.
 */
export function tableName(stage: string, scope: string, service: string, purpose?: string): string {
  return ["sdp", stage, scope, service, purpose]
    .filter((part) => part !== undefined && part !== "")
    .join("-");
}

/** The per-destination CloudFormation stack: created by the tenants provisioner, granted by infra. */
export function destinationStackName(stage: string, slug: string): string {
  return `sdp-${stage}-destination-${slug}`;
}

/** Physical name of a platform-scope Kinesis stream or queue, following the table convention. */
export function platformResourceName(stage: string, service: string, purpose: string): string {
  return tableName(stage, PLATFORM_SCOPE, service, purpose);
}
