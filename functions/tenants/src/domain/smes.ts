import {
  type CreateSmeRequest,
  DomainError,
  Problems,
  type Sme,
  type UpdateSmeRequest,
} from "@sdp/contracts";
import { type Clock, newId, systemClock } from "@sdp/kernel";
import { requireActiveDestination } from "./destination";
import { type ApiKeyStore, type SmeStore, TaxIdTakenError, type TenantStore } from "./ports";

export interface SmeDeps {
  readonly smes: SmeStore;
  readonly keys: ApiKeyStore;
  readonly tenants: TenantStore;
  readonly clock?: Clock;
}

const taxIdTaken = (cause: unknown) =>
  new DomainError("tax-id-taken", 409, "Conflict", {
    detail: "another SME of this destination has this tax id",
    errors: [{ field: "body.taxId", reason: "is already registered in this destination" }],
    cause,
  });

const changedMeanwhile = () =>
  new DomainError("conflict", 409, "Conflict", {
    detail: "the SME changed meanwhile; read it again and retry",
  });

/** The SMEs a destination registers (DESIGN §1: hotels, shops, restaurants, museums…). */
export const Smes = {
  async create(deps: SmeDeps, tenant: string, request: CreateSmeRequest): Promise<Sme> {
    await requireActiveDestination(deps.tenants, tenant);
    const now = (deps.clock ?? systemClock).now().toISOString();
    const sme: Sme = { id: newId("sme"), ...request, createdAt: now, updatedAt: now };
    try {
      await deps.smes.insert(tenant, sme);
    } catch (error) {
      if (error instanceof TaxIdTakenError) throw taxIdTaken(error);
      throw error;
    }
    return sme;
  },

  async get(deps: SmeDeps, tenant: string, smeId: string): Promise<Sme> {
    const sme = await deps.smes.get(tenant, smeId);
    if (!sme) throw Problems.notFound(`SME ${smeId}`);
    return sme;
  },

  list(deps: SmeDeps, tenant: string, limit: number, cursor?: string) {
    return deps.smes.list(tenant, limit, cursor);
  },

  async update(deps: SmeDeps, tenant: string, smeId: string, patch: UpdateSmeRequest): Promise<Sme> {
    const current = await Smes.get(deps, tenant, smeId);
    const changes = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    const next: Sme = { ...current, ...changes, updatedAt: (deps.clock ?? systemClock).now().toISOString() };
    try {
      if (!(await deps.smes.replace(tenant, current, next))) throw changedMeanwhile();
    } catch (error) {
      if (error instanceof TaxIdTakenError) throw taxIdTaken(error);
      throw error;
    }
    return next;
  },

  /**
   * Removes an SME and revokes every key it still has, in one transaction. The keys are listed from an
   * index that may lag a moment: the listing is repeated until it holds every key the SME counts, and
   * the removal is conditioned on that count, so no key can be missed or issued meanwhile.
   */
  async remove(deps: SmeDeps, tenant: string, smeId: string, by: string): Promise<void> {
    const sme = await Smes.get(deps, tenant, smeId);
    const issued = await deps.smes.issuedKeys(tenant, smeId);
    let keys = await deps.keys.listBySme(tenant, smeId);
    for (let attempt = 0; keys.length < issued && attempt < 20; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      keys = await deps.keys.listBySme(tenant, smeId);
    }
    if (keys.length < issued) throw changedMeanwhile();
    const live = keys.filter((key) => key.revokedAt === undefined).map((key) => key.keyId);
    const at = (deps.clock ?? systemClock).now().toISOString();
    if (!(await deps.smes.remove(tenant, sme, live, at, by, issued))) throw changedMeanwhile();
  },
};
