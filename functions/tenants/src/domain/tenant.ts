import {
  type CreateTenantRequest,
  DestinationSettings,
  DomainError,
  Problems,
  type TenantExport,
  type Tenant as TenantRecord,
  type TenantStatus,
  type UpdateTenantRequest,
} from "@sdp/contracts";
import { type Clock, log, systemClock } from "@sdp/kernel";
import {
  type ArchiveStore,
  type DestinationProvisioner,
  type TableReader,
  TenantExistsError,
  type TenantStore,
} from "./ports";

export interface TenantDeps {
  readonly store: TenantStore;
  readonly clock?: Clock;
}

export interface ProvisioningDeps extends TenantDeps {
  readonly provisioner: DestinationProvisioner;
}

export interface OffboardingDeps extends ProvisioningDeps {
  readonly tables: TableReader;
  readonly archive: ArchiveStore;
}

/** Reasons shown to administrators stay short and free of internals. */
function failureReason(error: unknown): string {
  const name = error instanceof Error ? error.name : "Error";
  return `provisioning failed (${name}); resources were cleaned up, create the destination again to retry`;
}

const nowOf = (deps: TenantDeps) => (deps.clock ?? systemClock).now().toISOString();

const conflict = (slug: string, status: TenantStatus, action: string) =>
  new DomainError("invalid-state", 409, "Conflict", {
    detail: `destination ${slug} is ${status}; it cannot be ${action}`,
  });

/**
 * Where an export attempt writes: a key of its own, so a slower concurrent attempt can never overwrite
 * the archive whose checksum was recorded (the registry names the one that counts).
 */
export const archiveKey = (slug: string, at: string) => `${slug}/${slug}-${at.replaceAll(/[:.]/g, "")}.jsonl`;

/** JSON for archive lines: sets become arrays and binary values base64, as DynamoDB's JSON would have them. */
function archiveJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item instanceof Set) return [...item];
    if (item instanceof Uint8Array) return { $binary: Buffer.from(item).toString("base64") };
    return item;
  });
}

/**
 * States in which a destination's settings may change. Not while it is provisioning: every write of a
 * `provisioning` record reaches the registry's stream and would start provisioning again (settings
 * are given at onboarding for that). Not while its data is exported and removed, nor after (the
 * record then only documents what was archived).
 */
const CONFIGURABLE: readonly TenantStatus[] = ["active", "suspended", "failed"];
/** Attempts at a settings change that keeps meeting concurrent changes of the same record. */
const CONFIGURE_ATTEMPTS = 3;

/** Merge-patch of the settings: a value sets, `null` returns to the deployment's default. */
function mergedSettings(
  current: DestinationSettings | undefined,
  patch: UpdateTenantRequest["settings"],
): DestinationSettings {
  const merged: Record<string, unknown> = { ...current };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete merged[name];
    else if (value !== undefined) merged[name] = value;
  }
  return DestinationSettings.parse(merged);
}

export const Tenant = {
  /** Onboards a destination: recorded as `provisioning`; the registry's stream triggers provisioning. */
  async create(deps: TenantDeps, request: CreateTenantRequest): Promise<TenantRecord> {
    const now = nowOf(deps);
    const tenant: TenantRecord = {
      ...request,
      status: "provisioning",
      resources: [],
      createdAt: now,
      updatedAt: now,
    };
    try {
      await deps.store.insert(tenant);
    } catch (error) {
      if (error instanceof TenantExistsError) {
        throw new DomainError("tenant-exists", 409, "Conflict", {
          detail: `a destination with slug ${request.slug} already exists`,
          errors: [{ field: "body.slug", reason: "is already taken" }],
          cause: error,
        });
      }
      throw error;
    }
    return tenant;
  },

  async get(deps: TenantDeps, slug: string): Promise<TenantRecord> {
    const tenant = await deps.store.get(slug);
    if (!tenant) throw Problems.notFound(`destination ${slug}`);
    return tenant;
  },

  /**
   * Changes a destination's settings (`PATCH /platform/tenants/{slug}`). The write is conditioned on
   * the record read, so a concurrent change is never overwritten: the merge is retried on the new one.
   */
  async configure(deps: TenantDeps, slug: string, update: UpdateTenantRequest): Promise<TenantRecord> {
    for (let attempt = 0; attempt < CONFIGURE_ATTEMPTS; attempt++) {
      const tenant = await Tenant.get(deps, slug);
      if (!CONFIGURABLE.includes(tenant.status)) throw conflict(slug, tenant.status, "reconfigured");
      const settings = mergedSettings(tenant.settings, update.settings);
      const changed = await deps.store.replaceSettings(
        slug,
        settings,
        { seenUpdatedAt: tenant.updatedAt, statuses: CONFIGURABLE },
        nowOf(deps),
      );
      if (changed) {
        log.info("destination settings changed", { slug, settings });
        return Tenant.get(deps, slug);
      }
    }
    throw new DomainError("concurrent-change", 409, "Conflict", {
      detail: `destination ${slug} kept changing meanwhile; read it again and retry`,
    });
  },

  list(deps: TenantDeps, limit: number, cursor?: string) {
    return deps.store.list(limit, cursor);
  },

  /**
   * Provisions a destination that is `provisioning`: creates its resources, then marks it `active`.
   * On failure it removes what was created and marks it `failed` with the reason. Safe to run twice.
   */
  async provision(deps: ProvisioningDeps, slug: string): Promise<void> {
    const tenant = await deps.store.get(slug);
    if (tenant?.status !== "provisioning") return;
    let resources: string[];
    try {
      ({ resources } = await deps.provisioner.provision(slug));
    } catch (error) {
      log.error("destination provisioning failed", {
        slug,
        errorName: error instanceof Error ? error.name : "",
      });
      await deps.provisioner.deprovision(slug);
      await deps.store.transition(slug, "provisioning", "failed", {
        statusReason: failureReason(error),
        updatedAt: nowOf(deps),
      });
      return;
    }
    await deps.store.transition(slug, "provisioning", "active", { resources, updatedAt: nowOf(deps) });
    log.info("destination active", { slug, resources: resources.length });
  },

  /** Suspends an active destination; a suspended one is answered as it is. */
  async suspend(deps: TenantDeps, slug: string): Promise<TenantRecord> {
    return Tenant.move(deps, slug, "active", "suspended", "suspended");
  },

  /** Resumes a suspended destination; an active one is answered as it is. */
  async resume(deps: TenantDeps, slug: string): Promise<TenantRecord> {
    return Tenant.move(deps, slug, "suspended", "active", "resumed");
  },

  async move(
    deps: TenantDeps,
    slug: string,
    from: TenantStatus,
    to: TenantStatus,
    verb: string,
  ): Promise<TenantRecord> {
    if (await deps.store.transition(slug, from, to, { updatedAt: nowOf(deps) }))
      return Tenant.get(deps, slug);
    const tenant = await Tenant.get(deps, slug);
    if (tenant.status === to) return tenant;
    throw conflict(slug, tenant.status, verb);
  },

  /**
   * Starts offboarding: the destination refuses every principal at once, and the registry's stream
   * runs the export and removal. Asking again while it runs re-triggers it (a stuck run is retried).
   */
  async offboard(deps: TenantDeps, slug: string): Promise<TenantRecord> {
    const updatedAt = nowOf(deps);
    const moved = await deps.store.transition(
      slug,
      ["active", "suspended", "failed", "offboarding"],
      "offboarding",
      {
        updatedAt,
      },
    );
    const tenant = await Tenant.get(deps, slug);
    if (moved || tenant.status === "offboarded") return tenant;
    throw conflict(slug, tenant.status, "offboarded");
  },

  /**
   * Runs the offboarding of a destination in `offboarding`, one idempotent step at a time: export every
   * table to one archive (skipped once recorded), delete the tables, mark it `offboarded`.
   */
  async runOffboarding(deps: OffboardingDeps, slug: string): Promise<void> {
    const tenant = await deps.store.get(slug);
    if (tenant?.status !== "offboarding") return;
    if (!tenant.export) {
      const archive = await Tenant.exportTables(deps, slug);
      if (!(await deps.store.recordExport(slug, archive, nowOf(deps)))) return;
      log.info("destination exported", { slug, items: archive.items, bytes: archive.bytes });
    }
    await deps.provisioner.deprovision(slug);
    await deps.store.transition(slug, "offboarding", "offboarded", { resources: [], updatedAt: nowOf(deps) });
    log.info("destination offboarded", { slug });
  },

  /** Writes every table of the destination to one JSON Lines archive: a header, then one line per item. */
  async exportTables(deps: OffboardingDeps, slug: string): Promise<TenantExport> {
    const tables = await deps.provisioner.tables(slug);
    const counts = tables.map((name) => ({ name, items: 0 }));
    const createdAt = nowOf(deps);
    async function* lines() {
      yield `${archiveJson({ type: "header", destination: slug, exportedAt: createdAt, tables })}\n`;
      for (const count of counts) {
        for await (const item of deps.tables.items(count.name)) {
          count.items += 1;
          yield `${archiveJson({ type: "item", table: count.name, item })}\n`;
        }
      }
    }
    const written = await deps.archive.write(archiveKey(slug, createdAt), lines());
    return {
      ...written,
      format: "application/jsonl",
      tables: counts,
      items: counts.reduce((sum, count) => sum + count.items, 0),
      createdAt,
    };
  },

  async exportOf(deps: TenantDeps, slug: string): Promise<TenantExport> {
    const tenant = await Tenant.get(deps, slug);
    if (!tenant.export) {
      throw new DomainError("export-not-ready", 409, "Conflict", {
        detail: `destination ${slug} is ${tenant.status}; its export is made while it is offboarded`,
      });
    }
    return tenant.export;
  },
};
