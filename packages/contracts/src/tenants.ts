import { z } from "zod";
import { TenantSlug } from "./tenancy";

const LanguageTag = z
  .string()
  .regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, "must be a language tag such as es or en-GB");
const TimeZone = z
  .string()
  .refine(
    (zone) => Intl.supportedValuesOf("timeZone").includes(zone) || zone === "UTC",
    "must be an IANA time zone",
  );

export const TenantTier = z.enum(["standard", "premium"]);
export type TenantTier = z.infer<typeof TenantTier>;

/**
 * Every state a destination goes through. `suspended` refuses every principal of the destination but
 * keeps its data; `offboarding` exports and removes its tables; `offboarded` is final (the slug stays
 * taken, so the archive keeps naming one destination).
 */
export const TenantStatus = z.enum([
  "provisioning",
  "active",
  "failed",
  "suspended",
  "offboarding",
  "offboarded",
]);
export type TenantStatus = z.infer<typeof TenantStatus>;

/** Where the export of an offboarded destination went: one JSON Lines archive of every tenant table. */
export const TenantExport = z.object({
  location: z.string(),
  format: z.literal("application/jsonl"),
  tables: z.array(z.object({ name: z.string(), items: z.number().int().min(0) })),
  items: z.number().int().min(0),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.iso.datetime(),
});
export type TenantExport = z.infer<typeof TenantExport>;

export const TenantContact = z.strictObject({
  name: z.string().min(1).max(200),
  email: z.email(),
});

/**
 * Bounds of a destination's history retention, in days (the context service's temporal API keeps each
 * attribute instance this long after its time; docs/context-broker.md, "Retention").
 */
export const HistoryRetentionDays = z.number().int().min(1).max(36_500);

const settingsFields = { historyRetentionDays: HistoryRetentionDays.optional() };

/**
 * Settings of a destination that other services apply (each setting absent: the deployment's default),
 * as the registry holds them. A published contract: the context service reads `historyRetentionDays`.
 */
export const DestinationSettings = z.object(settingsFields);
export type DestinationSettings = z.infer<typeof DestinationSettings>;

/** Body of `POST /platform/tenants`. Unknown fields are refused, not ignored. */
export const CreateTenantRequest = z
  .strictObject({
    slug: TenantSlug,
    name: z.string().trim().min(1).max(120),
    defaultLanguage: LanguageTag.default("en"),
    languages: z.array(LanguageTag).max(20).optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as EUR")
      .default("EUR"),
    timeZone: TimeZone.default("UTC"),
    tier: TenantTier.default("standard"),
    contact: TenantContact.optional(),
    settings: z.strictObject(settingsFields).optional(),
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
  settings: DestinationSettings.optional(),
  status: TenantStatus,
  statusReason: z.string().optional(),
  resources: z.array(z.string()),
  export: TenantExport.optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Tenant = z.infer<typeof Tenant>;

/**
 * Body of `PATCH /platform/tenants/{slug}` (merge-patch semantics): each setting given is changed, a
 * `null` one returns to the deployment's default, an absent one stays as it is.
 */
export const UpdateTenantRequest = z.strictObject({
  settings: z
    .strictObject({ historyRetentionDays: HistoryRetentionDays.nullable().optional() })
    .refine((settings) => Object.keys(settings).length > 0, "must change at least one setting"),
});
export type UpdateTenantRequest = z.infer<typeof UpdateTenantRequest>;

export const TenantSlugParams = z.strictObject({ slug: TenantSlug });

export const ListTenantsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const TenantList = z.object({ items: z.array(Tenant), nextCursor: z.string().optional() });
export type TenantList = z.infer<typeof TenantList>;

/**
 * Layout of the platform registry table `sdp-<stage>-platform-tenants-registry`, shared by the tenants
 * service (which writes it) and the authorizer (which reads a destination's status).
 */
export const TenantRegistry = {
  service: "tenants",
  purpose: "registry",
  pk: "pk",
  sk: "sk",
  kind: "kind",
  byKindIndex: "byKind",
  tenantPk: (slug: string) => `TENANT#${slug}`,
  profileSk: "PROFILE",
} as const;

export const SmeCategory = z.enum([
  "accommodation",
  "food-and-drink",
  "retail",
  "culture",
  "activities",
  "transport",
  "services",
  "other",
]);
export type SmeCategory = z.infer<typeof SmeCategory>;

const SmeAddress = z.strictObject({
  street: z.string().trim().min(1).max(200),
  postalCode: z.string().trim().min(1).max(20),
  locality: z.string().trim().min(1).max(100),
  region: z.string().trim().min(1).max(100).optional(),
  country: z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code such as ES"),
});

/** A GeoJSON point, as NGSI-LD's `location` property: `[longitude, latitude]`. */
const GeoPoint = z.strictObject({
  type: z.literal("Point"),
  coordinates: z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]),
});

const SmeContact = z.strictObject({
  name: z.string().trim().min(1).max(200),
  email: z.email(),
  phone: z
    .string()
    .regex(/^\+[1-9][0-9]{6,14}$/, "must be an E.164 number such as +34600111222")
    .optional(),
});

/** A tax id as registries print it; stored upper-case without spaces so duplicates are found. */
const TaxId = z
  .string()
  .transform((value) => value.replaceAll(/[\s.]/g, "").toUpperCase())
  .pipe(z.string().regex(/^[A-Z0-9][A-Z0-9-]{3,29}$/, "must be 4 to 30 letters, digits or dashes"));

const SmeFields = {
  legalName: z.string().trim().min(1).max(200),
  tradeName: z.string().trim().min(1).max(200).optional(),
  taxId: TaxId,
  category: SmeCategory,
  address: SmeAddress,
  location: GeoPoint,
  contact: SmeContact,
};

/** Body of `POST /destination/smes`. */
export const CreateSmeRequest = z.strictObject(SmeFields);
export type CreateSmeRequest = z.infer<typeof CreateSmeRequest>;

/** Body of `PATCH /destination/smes/{smeId}`: any subset of the fields, at least one. */
export const UpdateSmeRequest = z
  .strictObject({
    legalName: SmeFields.legalName.optional(),
    tradeName: SmeFields.tradeName,
    taxId: TaxId.optional(),
    category: SmeCategory.optional(),
    address: SmeAddress.optional(),
    location: GeoPoint.optional(),
    contact: SmeContact.optional(),
  })
  .refine(
    (update) => Object.values(update).some((value) => value !== undefined),
    "must change at least one field",
  );
export type UpdateSmeRequest = z.infer<typeof UpdateSmeRequest>;

export const SmeId = z.string().regex(/^sme_[0-9A-HJKMNP-TV-Z]{26}$/, "is not an SME id");

export const Sme = z.object({
  id: SmeId,
  legalName: z.string(),
  tradeName: z.string().optional(),
  taxId: z.string(),
  category: SmeCategory,
  address: SmeAddress,
  location: GeoPoint,
  contact: SmeContact,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Sme = z.infer<typeof Sme>;

export const SmeParams = z.strictObject({ smeId: SmeId });

export const ListSmesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(400).optional(),
});

export const SmeList = z.object({ items: z.array(Sme), nextCursor: z.string().optional() });
export type SmeList = z.infer<typeof SmeList>;
