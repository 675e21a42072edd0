import {
  type Consent,
  type ConsentPurpose,
  type ConsentRequest,
  DomainError,
  hashPassword,
  Problems,
  type TouristExport,
  type TouristProfile,
  type TouristSignUpRequest,
} from "@sdp/contracts";
import { type Clock, newId, systemClock } from "@sdp/kernel";
import { requireActiveDestination } from "./destination";
import type { TenantStore, TouristStore } from "./ports";

export interface TouristDeps {
  readonly tourists: TouristStore;
  readonly tenants: TenantStore;
  readonly clock?: Clock;
}

const notFound = () => Problems.notFound("the tourist account");

/** The latest decision per purpose, from a history in any order. */
function latest(history: readonly Consent[]): Consent[] {
  const byPurpose = new Map<ConsentPurpose, Consent>();
  for (const consent of [...history].sort((a, b) => a.at.localeCompare(b.at)))
    byPurpose.set(consent.purpose, consent);
  return [...byPurpose.values()].sort((a, b) => a.purpose.localeCompare(b.purpose));
}

/**
 * Tourists of a destination (DESIGN §5): they sign up from the destination's app and are known by a
 * pseudonymous id of that destination only; consents are kept with time and version; they may take
 * their data with them and have it erased (which is announced so other services erase theirs).
 */
export const Tourists = {
  async signUp(deps: TouristDeps, request: TouristSignUpRequest): Promise<{ touristId: string }> {
    await requireActiveDestination(deps.tenants, request.destination);
    const touristId = newId("tr");
    const created = await deps.tourists.signUp(
      {
        tenant: request.destination,
        email: request.email,
        touristId,
        passwordHash: hashPassword(request.password),
      },
      {
        createdAt: (deps.clock ?? systemClock).now().toISOString(),
        ...(request.language ? { language: request.language } : {}),
      },
    );
    if (!created) {
      throw new DomainError("email-taken", 409, "Conflict", {
        detail: "this e-mail address has an account in this destination",
        errors: [{ field: "body.email", reason: "already has an account here" }],
      });
    }
    return { touristId };
  },

  async profile(deps: TouristDeps, tenant: string, touristId: string): Promise<TouristProfile> {
    const profile = await deps.tourists.profile(tenant, touristId);
    if (!profile) throw notFound();
    const consents = latest(await deps.tourists.consents(tenant, touristId));
    return {
      touristId,
      createdAt: profile.createdAt,
      ...(profile.language ? { language: profile.language } : {}),
      consents,
    };
  },

  async consent(
    deps: TouristDeps,
    tenant: string,
    touristId: string,
    purpose: ConsentPurpose,
    request: ConsentRequest,
  ): Promise<Consent> {
    const consent: Consent = { purpose, ...request, at: (deps.clock ?? systemClock).now().toISOString() };
    if (!(await deps.tourists.recordConsent(tenant, touristId, consent))) throw notFound();
    return consent;
  },

  async export(deps: TouristDeps, tenant: string, touristId: string): Promise<TouristExport> {
    const profile = await deps.tourists.profile(tenant, touristId);
    if (!profile) throw notFound();
    return {
      destination: tenant,
      exportedAt: (deps.clock ?? systemClock).now().toISOString(),
      profile: { touristId, ...profile },
      consentHistory: [...(await deps.tourists.consents(tenant, touristId))].sort((a, b) =>
        a.at.localeCompare(b.at),
      ),
    };
  },

  async erase(deps: TouristDeps, tenant: string, touristId: string): Promise<void> {
    const erasedAt = (deps.clock ?? systemClock).now().toISOString();
    if (!(await deps.tourists.erase(tenant, touristId, { tenant, touristId, erasedAt }))) throw notFound();
  },
};
