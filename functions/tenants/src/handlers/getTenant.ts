import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { Tenant } from "../domain/tenant";
import { tenantsManifest } from "../manifest";
import { tenantDeps } from "../wiring";

export const buildHandler = (deps = tenantDeps()) =>
  httpRoute(routeOf(tenantsManifest, "getTenant"), async ({ params }) =>
    respond.ok(await Tenant.get(deps, params.slug)),
  );

export const handler = buildHandler();
