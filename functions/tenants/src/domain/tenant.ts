import { type CreateTenantRequest, DomainError, Problems, type Tenant as TenantRecord } from "@sdp/contracts";
import { type Clock, log, systemClock } from "@sdp/kernel";
import { type DestinationProvisioner, TenantExistsError, type TenantStore } from "./ports";

export interface TenantDeps {
  readonly store: TenantStore;
  readonly clock?: Clock;
}

export interface ProvisioningDeps extends TenantDeps {
  readonly provisioner: DestinationProvisioner;
}

/** Reasons shown to administrators stay short and free of internals. */
function failureReason(error: unknown): string {
  const name = error instanceof Error ? error.name : "Error";
  return `provisioning failed (${name}); resources were cleaned up, create the destination again to retry`;
}

export const Tenant = {
  /** Onboards a destination: recorded as `provisioning`; the registry's stream triggers provisioning. */
  async create(deps: TenantDeps, request: CreateTenantRequest): Promise<TenantRecord> {
    const now = (deps.clock ?? systemClock).now().toISOString();
    const tenant: TenantRecord = { ...request, status: "provisioning", resources: [], createdAt: now, updatedAt: now };
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

  list(deps: TenantDeps, limit: number, cursor?: string) {
    return deps.store.list(limit, cursor);
  },

  /**
   * Provisions a destination that is `provisioning`: creates its resources, then marks it `active`.
   * On failure it removes what was created and marks it `failed` with the reason. Safe to run twice.
   */
  async provision(deps: ProvisioningDeps, slug: string): Promise<void> {
    const tenant = await deps.store.get(slug);
    if (!tenant || tenant.status !== "provisioning") return;
    const now = () => (deps.clock ?? systemClock).now().toISOString();
    let resources: string[];
    try {
      ({ resources } = await deps.provisioner.provision(slug));
    } catch (error) {
      log.error("destination provisioning failed", { slug, errorName: error instanceof Error ? error.name : "" });
      await deps.provisioner.deprovision(slug);
      await deps.store.transition(slug, "provisioning", "failed", {
        statusReason: failureReason(error),
        updatedAt: now(),
      });
      return;
    }
    await deps.store.transition(slug, "provisioning", "active", { resources, updatedAt: now() });
    log.info("destination active", { slug, resources: resources.length });
  },
};
