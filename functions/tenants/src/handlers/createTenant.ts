import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { Tenant } from "../domain/tenant";
import { tenantsManifest } from "../manifest";
import { tenantDeps } from "../wiring";

export const buildHandler = (deps = tenantDeps()) =>
  httpRoute(routeOf(tenantsManifest, "createTenant"), async ({ body }) => {
    const tenant = await Tenant.create(deps, body);
    return respond.accepted(tenant, `/platform/tenants/${tenant.slug}`);
  });

export const handler = buildHandler();
