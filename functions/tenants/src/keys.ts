import { ApiKeyTable, AuditTable, DirectoryTable, TenantRegistry } from "@sdp/contracts";

/** Attribute and index names of the tenant registry table, shared by the manifest and the store. */
export const TenantKeys = {
  pk: TenantRegistry.pk,
  sk: TenantRegistry.sk,
  kind: TenantRegistry.kind,
  byKindIndex: TenantRegistry.byKindIndex,
} as const;

export const TENANTS_SERVICE = TenantRegistry.service;
/** Purpose of the platform table holding the registry (destinations and their SMEs). */
export const REGISTRY_TABLE = TenantRegistry.purpose;
/** Purpose of the platform table holding API keys and their rate-limit counters. */
export const API_KEYS_TABLE = ApiKeyTable.purpose;
/** Purpose of the platform table holding the local user directory (Cognito's stand-in). */
export const DIRECTORY_TABLE = DirectoryTable.purpose;
/** Purpose of each destination's audit log table. */
export const AUDIT_TABLE = AuditTable.purpose;
