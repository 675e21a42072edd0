import type { AuditPage, AuditQuery, AuditVerification } from "@sdp/contracts";
import type { AuditReader } from "./ports";

export interface AuditDeps {
  readonly audit: AuditReader;
}

/** Reading a destination's audit log (its writer is lambda-kit's audit trail, on every route). */
export const Audit = {
  page: (deps: AuditDeps, tenant: string, query: AuditQuery): Promise<AuditPage> =>
    deps.audit.page(tenant, query),
  verify: (deps: AuditDeps, tenant: string): Promise<AuditVerification> => deps.audit.verify(tenant),
};
