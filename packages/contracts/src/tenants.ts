import { z } from "zod";
import { TenantSlug } from "./tenancy";

const LanguageTag = z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, "must be a language tag such as es or en-GB");
const TimeZone = z
  .string()
  .refine((zone) => Intl.supportedValuesOf("timeZone").includes(zone) || zone === "UTC", "must be an IANA time zone");

export const TenantTier = z.enum(["standard", "premium"]);
export type TenantTier = z.infer<typeof TenantTier>;

export const TenantStatus = z.enum(["provisioning", "active", "failed"]);
export type TenantStatus = z.infer<typeof TenantStatus>;

export const TenantContact = z.strictObject({
  name: z.string().min(1).max(200),
  email: z.email(),
});

/** Body of `POST /platform/tenants`. Unknown fields are refused, not ignored. */
export const CreateTenantRequest = z
  .strictObject({
    slug: TenantSlug,
    name: z.string().trim().min(1).max(120),
    defaultLanguage: LanguageTag.default("en"),
    languages: z.array(LanguageTag).max(20).optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as EUR").default("EUR"),
    timeZone: TimeZone.default("UTC"),
    tier: TenantTier.default("standard"),
    contact: TenantContact.optional(),
  })
  .transform((request) => ({
    ...request,
    languages: [...new Set([request.defaultLanguage, ...(request.languages ?? [])])],
  }));
export type CreateTenantRequest = z.infer<typeof CreateTenantRequest>;

export const Tenant = z.object({
  slug: TenantSlug,
  name: z.string(),
  defaultLanguage: LanguageTag,
  languages: z.array(LanguageTag),
  currency: z.string(),
  timeZone: z.string(),
  tier: TenantTier,
  contact: TenantContact.optional(),
  status: TenantStatus,
  statusReason: z.string().optional(),
  resources: z.array(z.string()),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Tenant = z.infer<typeof Tenant>;

export const TenantSlugParams = z.strictObject({ slug: TenantSlug });

export const ListTenantsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const TenantList = z.object({ items: z.array(Tenant), nextCursor: z.string().optional() });
export type TenantList = z.infer<typeof TenantList>;
