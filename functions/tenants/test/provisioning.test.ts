import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { createDocumentClient, createDynamoDbClient, ensureTable } from "@sdp/aws";
import { type DestinationTemplate, platformTables, tableName } from "@sdp/contracts";
import { describe, expect, it } from "vitest";
import { buildDynamoDbProvisioner } from "../src/adapters/dynamodb-provisioner";
import { buildDynamoDbTenantStore } from "../src/adapters/dynamodb-tenant-store";
import type { DestinationProvisioner } from "../src/domain/ports";
import { Tenant } from "../src/domain/tenant";
import { tenantsManifest } from "../src/manifest";

const [registrySpec] = platformTables([tenantsManifest]);
const template: DestinationTemplate = {
  version: 1,
  tables: [
    { service: "svc", purpose: "", partitionKey: { name: "pk", type: "S" }, stream: "NEW_IMAGE" },
    {
      service: "svc",
      purpose: "history",
      partitionKey: { name: "pk", type: "S" },
      sortKey: { name: "sk", type: "S" },
      ttlAttribute: "expiresAt",
    },
  ],
};

async function freshStore() {
  const table = `registry-${crypto.randomUUID()}`;
  if (!registrySpec) throw new Error("the tenants manifest declares no platform table");
  await ensureTable(createDynamoDbClient(), table, registrySpec);
  return buildDynamoDbTenantStore(createDocumentClient(), table);
}

const uniqueSlug = () => `t${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
const request = (slug: string) => ({
  slug,
  name: "Test destination",
  defaultLanguage: "es",
  languages: ["es", "en"],
  currency: "EUR",
  timeZone: "Europe/Madrid",
  tier: "standard" as const,
});

describe("provisioning a destination's tables", () => {
  it("creates every table of the template, marks the destination active, and is idempotent", async () => {
    // Prepare
    const stage = `s${crypto.randomUUID().slice(0, 6)}`;
    const store = await freshStore();
    const provisioner = buildDynamoDbProvisioner(createDynamoDbClient(), template, stage);
    const slug = uniqueSlug();
    await Tenant.create({ store }, request(slug));
    // Act
    await Tenant.provision({ store, provisioner }, slug);
    await Tenant.provision({ store, provisioner }, slug);
    const again = await provisioner.provision(slug);
    // Assess
    const names = [tableName(stage, slug, "svc", ""), tableName(stage, slug, "svc", "history")];
    expect(again.resources).toEqual(names);
    const tenant = await store.get(slug);
    expect(tenant?.status).toBe("active");
    expect(tenant?.resources).toEqual(names);
    const { Table } = await createDynamoDbClient().send(new DescribeTableCommand({ TableName: names[0] }));
    expect(Table?.StreamSpecification?.StreamViewType).toBe("NEW_IMAGE");
    await provisioner.deprovision(slug);
  });

  it("marks the destination failed with a reason and removes what it created when a step fails", async () => {
    // Prepare
    const store = await freshStore();
    const slug = uniqueSlug();
    const calls: string[] = [];
    const provisioner: DestinationProvisioner = {
      provision: async () => {
        calls.push("provision");
        throw new Error("boom");
      },
      deprovision: async () => {
        calls.push("deprovision");
      },
      tables: async () => [],
    };
    await Tenant.create({ store }, request(slug));
    // Act
    await Tenant.provision({ store, provisioner }, slug);
    // Assess
    const tenant = await store.get(slug);
    expect(tenant?.status).toBe("failed");
    expect(tenant?.statusReason).toMatch(/provisioning failed/);
    expect(tenant?.statusReason).not.toMatch(/boom/);
    expect(calls).toEqual(["provision", "deprovision"]);
  });

  it("refuses a duplicate slug with 409 and keeps the first record unchanged", async () => {
    // Prepare
    const store = await freshStore();
    const slug = uniqueSlug();
    await Tenant.create({ store }, request(slug));
    // Act
    const attempt = Tenant.create({ store }, { ...request(slug), name: "Impostor" });
    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 409, code: "tenant-exists" });
    expect((await store.get(slug))?.name).toBe("Test destination");
  });

  it("lets a failed onboarding be retried under the same slug", async () => {
    // Prepare
    const store = await freshStore();
    const slug = uniqueSlug();
    await Tenant.create({ store }, request(slug));
    await store.transition(slug, "provisioning", "failed", { statusReason: "x" });
    // Act
    const retried = await Tenant.create({ store }, request(slug));
    // Assess
    expect(retried.status).toBe("provisioning");
    expect((await store.get(slug))?.status).toBe("provisioning");
  });

  it("pages through destinations with an opaque cursor and refuses a forged one", async () => {
    // Prepare
    const store = await freshStore();
    const slugs = [uniqueSlug(), uniqueSlug(), uniqueSlug()];
    for (const slug of slugs) await Tenant.create({ store }, request(slug));
    // Act
    const first = await Tenant.list({ store }, 2);
    const second = await Tenant.list({ store }, 2, first.nextCursor);
    // Assess
    expect([...first.items, ...second.items].map((t) => t.slug).sort()).toEqual([...slugs].sort());
    await expect(Tenant.list({ store }, 2, "bm90LWEtY3Vyc29y")).rejects.toMatchObject({ status: 400 });
  });
});
