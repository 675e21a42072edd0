import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { Tenant } from "../domain/tenant";
import { tenantsManifest } from "../manifest";
import { tenantDeps } from "../wiring";

export const buildHandler = (deps = tenantDeps()) =>
  httpRoute(routeOf(tenantsManifest, "listTenants"), async ({ query }) =>
    respond.ok(await Tenant.list(deps, query.limit, query.cursor)),
  );

export const handler = buildHandler();
