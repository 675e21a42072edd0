import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { Tenant } from "../domain/tenant";
import { tenantsManifest } from "../manifest";
import { tenantDeps } from "../wiring";
import { auditBySlug } from "./support";

const deps = tenantDeps();

export const suspendTenant = httpRoute(
  routeOf(tenantsManifest, "suspendTenant"),
  async ({ params }) => respond.ok(await Tenant.suspend(deps, params.slug)),
  auditBySlug,
);

export const resumeTenant = httpRoute(
  routeOf(tenantsManifest, "resumeTenant"),
  async ({ params }) => respond.ok(await Tenant.resume(deps, params.slug)),
  auditBySlug,
);

export const offboardTenant = httpRoute(
  routeOf(tenantsManifest, "offboardTenant"),
  async ({ params }) =>
    respond.accepted(await Tenant.offboard(deps, params.slug), `/platform/tenants/${params.slug}`),
  auditBySlug,
);

export const getTenantExport = httpRoute(routeOf(tenantsManifest, "getTenantExport"), async ({ params }) =>
  respond.ok(await Tenant.exportOf(deps, params.slug)),
);
