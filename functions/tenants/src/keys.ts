/** Attribute and index names of the tenant registry table, shared by the manifest and the store. */
export const TenantKeys = {
  pk: "pk",
  sk: "sk",
  kind: "kind",
  byKindIndex: "byKind",
} as const;

/** Purpose of the platform table holding the registry, as declared in the manifest. */
export const REGISTRY_TABLE = "registry";
export const TENANTS_SERVICE = "tenants";
