import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { Tenant } from "../domain/tenant";
import { tenantsManifest } from "../manifest";
import { tenantDeps } from "../wiring";
import { auditBySlug } from "./support";

export const buildHandler = (deps = tenantDeps()) =>
  httpRoute(
    routeOf(tenantsManifest, "updateTenant"),
    async ({ params, body }) => respond.ok(await Tenant.configure(deps, params.slug, body)),
    auditBySlug,
  );

export const handler = buildHandler();
