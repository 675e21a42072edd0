import {
  DomainError,
  type InvitedStaff,
  type InviteStaffRequest,
  type Principal,
  Problems,
  type StaffMember,
  type StaffRole,
} from "@sdp/contracts";
import { requireActiveDestination } from "./destination";
import { EmailTakenError, type TenantStore, type UserDirectory } from "./ports";

export interface StaffDeps {
  readonly directory: UserDirectory;
  readonly tenants: TenantStore;
}

const notStaff = (userId: string) => Problems.notFound(`staff member ${userId}`);

/** An administrator may not lock themselves out: their own admin role and account stay. */
function refuseSelfLockout(actor: Principal | undefined, userId: string, action: string) {
  if (actor?.kind === "staff" && actor.id === userId) {
    throw new DomainError("self-lockout", 409, "Conflict", {
      detail: `you cannot ${action} yourself; ask another administrator`,
    });
  }
}

/** Destination staff (DESIGN §5): invited by an administrator, with roles admin/operator/manager/viewer. */
export const Staff = {
  async invite(deps: StaffDeps, tenant: string, request: InviteStaffRequest): Promise<InvitedStaff> {
    await requireActiveDestination(deps.tenants, tenant);
    try {
      return await deps.directory.invite(tenant, request);
    } catch (error) {
      if (error instanceof EmailTakenError) {
        throw new DomainError("email-taken", 409, "Conflict", {
          detail: "a person with this e-mail address has an account",
          errors: [{ field: "body.email", reason: "already has an account" }],
          cause: error,
        });
      }
      throw error;
    }
  },

  async list(deps: StaffDeps, tenant: string): Promise<{ items: StaffMember[] }> {
    return { items: await deps.directory.list(tenant) };
  },

  async changeRoles(
    deps: StaffDeps,
    tenant: string,
    userId: string,
    roles: readonly StaffRole[],
    actor: Principal | undefined,
  ): Promise<StaffMember> {
    if (!roles.includes("admin")) refuseSelfLockout(actor, userId, "remove the admin role from");
    const member = await deps.directory.setRoles(tenant, userId, roles);
    if (!member) throw notStaff(userId);
    return member;
  },

  async remove(deps: StaffDeps, tenant: string, userId: string, actor: Principal | undefined): Promise<void> {
    refuseSelfLockout(actor, userId, "remove");
    if (!(await deps.directory.remove(tenant, userId))) throw notStaff(userId);
  },
};
