/** Attribute and index names of the tenant registry table, shared by the manifest and the store. */
export const TenantKeys = {
  pk: "pk",
  sk: "sk",
  kind: "kind",
  byKindIndex: "byKind",
} as const;
