import { createDocumentClient } from "@sdp/aws";
import { CreateTenantRequest, UpdateTenantRequest } from "@sdp/contracts";
import { describe, expect, it } from "vitest";
import { buildDynamoDbTenantStore } from "../src/adapters/dynamodb-tenant-store";
import { Tenant } from "../src/domain/tenant";
import { freshPlatformTables, uniqueSlug } from "./support";

async function registry() {
  const tables = await freshPlatformTables();
  return { store: buildDynamoDbTenantStore(createDocumentClient(), tables.registry) };
}

const onboarding = (slug: string, extra: Record<string, unknown> = {}) =>
  CreateTenantRequest.parse({ slug, name: "Settings test", ...extra });

const issuesOf = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  (result.error?.issues ?? []).map((issue) => issue.path.join("."));

describe("the settings of a destination", () => {
  it("are taken at onboarding and returned when the destination is read", async () => {
    // Prepare
    const deps = await registry();
    const slug = uniqueSlug();
    // Act
    const created = await Tenant.create(deps, onboarding(slug, { settings: { historyRetentionDays: 90 } }));
    const read = await Tenant.get(deps, slug);
    // Assess
    expect(created.settings).toEqual({ historyRetentionDays: 90 });
    expect(read.settings).toEqual({ historyRetentionDays: 90 });
  });

  it("change with a merge-patch: a value sets the retention, null returns it to the default", async () => {
    // Prepare
    const deps = await registry();
    const slug = uniqueSlug();
    const created = await Tenant.create(deps, onboarding(slug));
    await deps.store.transition(slug, "provisioning", "active", {});
    // Act
    const set = await Tenant.configure(
      deps,
      slug,
      UpdateTenantRequest.parse({ settings: { historyRetentionDays: 30 } }),
    );
    const changed = await Tenant.configure(
      deps,
      slug,
      UpdateTenantRequest.parse({ settings: { historyRetentionDays: 3650 } }),
    );
    const unset = await Tenant.configure(
      deps,
      slug,
      UpdateTenantRequest.parse({ settings: { historyRetentionDays: null } }),
    );
    // Assess
    expect(created.settings).toBeUndefined();
    expect(set.settings).toEqual({ historyRetentionDays: 30 });
    expect(changed.settings).toEqual({ historyRetentionDays: 3650 });
    expect(unset.settings).toBeUndefined();
    expect((await Tenant.get(deps, slug)).settings).toBeUndefined();
    expect(set.updatedAt >= created.updatedAt).toBe(true);
  });

  it("keep the rest of the record and the status as they are", async () => {
    // Prepare
    const deps = await registry();
    const slug = uniqueSlug();
    await Tenant.create(deps, onboarding(slug, { tier: "premium", timeZone: "Europe/Madrid" }));
    await deps.store.transition(slug, "provisioning", "active", { resources: ["a-table"] });
    await Tenant.suspend(deps, slug);
    // Act
    const configured = await Tenant.configure(
      deps,
      slug,
      UpdateTenantRequest.parse({ settings: { historyRetentionDays: 7 } }),
    );
    // Assess
    expect(configured).toMatchObject({
      slug,
      status: "suspended",
      tier: "premium",
      timeZone: "Europe/Madrid",
      resources: ["a-table"],
      settings: { historyRetentionDays: 7 },
    });
  });

  it("cannot change while the destination is provisioning or offboarding, nor of an unknown one", async () => {
    // Prepare
    const deps = await registry();
    const [provisioning, leaving] = [uniqueSlug(), uniqueSlug()];
    for (const slug of [provisioning, leaving])
      await Tenant.create(deps, onboarding(slug, { settings: { historyRetentionDays: 10 } }));
    await deps.store.transition(leaving, "provisioning", "offboarding", {});
    const update = UpdateTenantRequest.parse({ settings: { historyRetentionDays: 20 } });
    // Act: settled together, so no refusal waits unobserved while another is asserted
    const [whileProvisioning, whileOffboarding, unknown] = await Promise.allSettled([
      Tenant.configure(deps, provisioning, update),
      Tenant.configure(deps, leaving, update),
      Tenant.configure(deps, uniqueSlug(), update),
    ]);
    // Assess
    expect(whileProvisioning).toMatchObject({
      status: "rejected",
      reason: { status: 409, code: "invalid-state" },
    });
    expect(whileOffboarding).toMatchObject({
      status: "rejected",
      reason: { status: 409, code: "invalid-state" },
    });
    expect(unknown).toMatchObject({ status: "rejected", reason: { status: 404 } });
    expect((await Tenant.get(deps, provisioning)).settings).toEqual({ historyRetentionDays: 10 });
    expect((await Tenant.get(deps, leaving)).settings).toEqual({ historyRetentionDays: 10 });
  });

  it("are replaced only over the record they were read from: a stale write changes nothing", async () => {
    // Prepare
    const deps = await registry();
    const slug = uniqueSlug();
    await Tenant.create(deps, onboarding(slug));
    await deps.store.transition(slug, "provisioning", "active", { updatedAt: "2024-01-01T00:00:00.000Z" });
    await Tenant.configure(deps, slug, UpdateTenantRequest.parse({ settings: { historyRetentionDays: 30 } }));
    // Act
    const stale = await deps.store.replaceSettings(
      slug,
      { historyRetentionDays: 1 },
      { seenUpdatedAt: "2024-01-01T00:00:00.000Z", statuses: ["active"] },
      "2099-01-01T00:00:00.000Z",
    );
    // Assess
    expect(stale).toBe(false);
    expect((await Tenant.get(deps, slug)).settings).toEqual({ historyRetentionDays: 30 });
  });

  it("refuse a retention that is not a whole number of days from 1 to 36,500, naming the field", () => {
    // Act
    const invalid = [0, 36_501, 1.5, "30", -1].map((days) =>
      CreateTenantRequest.safeParse({ slug: "tvalid", name: "x", settings: { historyRetentionDays: days } }),
    );
    const unknownSetting = CreateTenantRequest.safeParse({
      slug: "tvalid",
      name: "x",
      settings: { retention: 30 },
    });
    const bounds = [1, 36_500].map(
      (days) => UpdateTenantRequest.safeParse({ settings: { historyRetentionDays: days } }).success,
    );
    const emptyPatch = UpdateTenantRequest.safeParse({ settings: {} });
    const noSettings = UpdateTenantRequest.safeParse({});
    const patchTooLong = UpdateTenantRequest.safeParse({ settings: { historyRetentionDays: 40_000 } });
    // Assess
    for (const result of invalid) {
      expect(result.success).toBe(false);
      expect(issuesOf(result)).toEqual(["settings.historyRetentionDays"]);
    }
    expect(unknownSetting.success).toBe(false);
    expect(bounds).toEqual([true, true]);
    expect(issuesOf(emptyPatch)).toEqual(["settings"]);
    expect(issuesOf(noSettings)).toEqual(["settings"]);
    expect(issuesOf(patchTooLong)).toEqual(["settings.historyRetentionDays"]);
  });
});
