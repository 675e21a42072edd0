import {
  CreateTenantRequest,
  defineService,
  ListTenantsQuery,
  Tenant,
  TenantList,
  TenantSlugParams,
} from "@sdp/contracts";
import { REGISTRY_TABLE, TENANTS_SERVICE, TenantKeys } from "./keys";

const admin = { mode: "authorizer", principals: ["platform-admin"] } as const;
const handler = (name: string) => ({ file: `functions/tenants/src/handlers/${name}.ts`, export: "handler" });

/** The control plane's tenant registry: destinations, and the provisioning of their resources. */
export const tenantsManifest = defineService({
  service: TENANTS_SERVICE,
  description: "Destinations (tenants) of the platform and the provisioning of their resources",
  tables: [
    {
      purpose: REGISTRY_TABLE,
      scope: "platform",
      partitionKey: { name: TenantKeys.pk, type: "S" },
      sortKey: { name: TenantKeys.sk, type: "S" },
      indexes: [
        {
          name: TenantKeys.byKindIndex,
          partitionKey: { name: TenantKeys.kind, type: "S" },
          sortKey: { name: TenantKeys.pk, type: "S" },
          projection: "ALL",
        },
      ],
      stream: "NEW_AND_OLD_IMAGES",
    },
    {
      // Each destination's own audit log (DESIGN §5): hash-chained entries, one partition per day.
      purpose: "audit",
      scope: "tenant",
      partitionKey: { name: TenantKeys.pk, type: "S" },
      sortKey: { name: TenantKeys.sk, type: "S" },
    },
  ],
  queues: [{ purpose: "provisioning-dlq" }],
  routes: [
    {
      operationId: "createTenant",
      summary: "Onboard a destination and provision its resources",
      method: "POST",
      path: "/platform/tenants",
      auth: admin,
      handler: handler("createTenant"),
      request: { body: CreateTenantRequest },
      responses: {
        202: { description: "Accepted; provisioning runs in the background", schema: Tenant },
        409: { description: "A destination with this slug exists" },
      },
    },
    {
      operationId: "listTenants",
      summary: "List destinations",
      method: "GET",
      path: "/platform/tenants",
      auth: admin,
      handler: handler("listTenants"),
      request: { query: ListTenantsQuery },
      responses: { 200: { description: "A page of destinations", schema: TenantList } },
    },
    {
      operationId: "getTenant",
      summary: "Read a destination and its provisioning status",
      method: "GET",
      path: "/platform/tenants/{slug}",
      auth: admin,
      handler: handler("getTenant"),
      request: { params: TenantSlugParams },
      responses: { 200: { description: "The destination", schema: Tenant }, 404: { description: "Unknown slug" } },
    },
  ],
  streamConsumers: [
    {
      name: "provisionDestination",
      source: { kind: "dynamodb", tablePurpose: REGISTRY_TABLE, scope: "platform" },
      handler: { ...handler("provisionDestination"), timeoutSeconds: 300, capabilities: ["provision-destinations"] },
      batchSize: 10,
      startingPosition: "TRIM_HORIZON",
      maximumRetryAttempts: 3,
      bisectBatchOnFunctionError: true,
      reportBatchItemFailures: true,
      onFailureQueue: "provisioning-dlq",
    },
  ],
});
