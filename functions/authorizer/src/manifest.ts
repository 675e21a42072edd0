import { ApiKeyTable, AuditTable, defineService, TenantRegistry } from "@sdp/contracts";

/**
 * The API Gateway request authorizer: turns a credential into a principal (DESIGN §5). It owns no
 * table: it reads and writes the tenants service's `apikeys`, reads its `registry` and appends to each
 * destination's `tenants-audit`, as its `reads` declare for infra's grants.
 */
export const authorizerManifest = defineService({
  service: "authorizer",
  description: "Turns API keys and tokens into principals for every route",
  authorizer: {
    file: "functions/authorizer/src/handler.ts",
    export: "handler",
    memoryMb: 256,
    timeoutSeconds: 5,
    capabilities: ["hash-api-keys"],
  },
  reads: [
    {
      service: ApiKeyTable.service,
      tablePurpose: ApiKeyTable.purpose,
      scope: "platform",
      also: ["update"],
      why: "finds API keys by id, counts requests per key and minute and records lastUsedAt (UpdateItem)",
    },
    {
      service: TenantRegistry.service,
      tablePurpose: TenantRegistry.purpose,
      scope: "platform",
      why: "reads a destination's status to refuse the principals of a suspended or departed one",
    },
    {
      service: AuditTable.service,
      tablePurpose: AuditTable.purpose,
      scope: "tenant",
      also: ["put"],
      why: "appends refused credentials that name a destination to its audit chain",
    },
  ],
});
