import { createDocumentClient, createDynamoDbClient, ensureTable } from "@sdp/aws";
import { type CreateSmeRequest, CreateSmeRequest as CreateSmeSchema, platformTables } from "@sdp/contracts";
import { buildDynamoDbApiKeyStore } from "../src/adapters/dynamodb-api-key-store";
import { buildDynamoDbSmeStore } from "../src/adapters/dynamodb-sme-store";
import { buildDynamoDbTenantStore } from "../src/adapters/dynamodb-tenant-store";
import type { ApiKeyDeps } from "../src/domain/api-keys";
import type { SmeDeps } from "../src/domain/smes";
import { Tenant } from "../src/domain/tenant";
import { tenantsManifest } from "../src/manifest";

/** Fresh platform tables of the tenants service on the shared DynamoDB Local, under unique names. */
export async function freshPlatformTables() {
  const client = createDynamoDbClient();
  const suffix = crypto.randomUUID().slice(0, 8);
  const names: Record<string, string> = {};
  for (const spec of platformTables([tenantsManifest])) {
    const name = `t-${spec.purpose}-${suffix}`;
    await ensureTable(client, name, spec);
    names[spec.purpose] = name;
  }
  const table = (purpose: string) => {
    const name = names[purpose];
    if (!name) throw new Error(`no platform table ${purpose}`);
    return name;
  };
  return { registry: table("registry"), apiKeys: table("apikeys"), directory: table("directory") };
}

export const uniqueSlug = () => `t${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;

/** Fresh platform tables with one active destination in the registry. */
export async function activeDestination() {
  const tables = await freshPlatformTables();
  const client = createDocumentClient();
  const tenants = buildDynamoDbTenantStore(client, tables.registry);
  const slug = uniqueSlug();
  await Tenant.create(
    { store: tenants },
    {
      slug,
      name: "T",
      defaultLanguage: "es",
      languages: ["es"],
      currency: "EUR",
      timeZone: "UTC",
      tier: "standard",
    },
  );
  await tenants.transition(slug, "provisioning", "active", {});
  return { tables, client, tenants, slug };
}

/** SME and key dependencies over fresh tables, with one active destination. */
export async function smeWorld() {
  const { tables, client, tenants, slug } = await activeDestination();
  const smes = buildDynamoDbSmeStore(client, tables);
  const keys = buildDynamoDbApiKeyStore(client, tables);
  const deps: SmeDeps & ApiKeyDeps = {
    smes,
    keys,
    tenants,
    stage: "test",
    pepper: "a-test-pepper-that-is-long-enough-0123456789",
  };
  return { tables, tenants, smes, keys, deps, slug };
}

export function smeRequest(
  overrides: Partial<Record<keyof CreateSmeRequest, unknown>> = {},
): CreateSmeRequest {
  return CreateSmeSchema.parse({
    legalName: "Hotel Mar Azul S.L.",
    taxId: `B${Math.floor(Math.random() * 1e8)}`,
    category: "accommodation",
    address: { street: "Paseo Marítimo 1", postalCode: "29600", locality: "Villamar", country: "ES" },
    location: { type: "Point", coordinates: [-4.88, 36.51] },
    contact: { name: "Ana", email: "ana@marazul.example" },
    ...overrides,
  });
}
