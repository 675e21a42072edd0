import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { Audit } from "../domain/audit";
import { tenantsManifest } from "../manifest";
import { auditDeps } from "../wiring";
import { destinationOf } from "./support";

const deps = auditDeps();

export const listAudit = httpRoute(routeOf(tenantsManifest, "listAudit"), async (input) =>
  respond.ok(await Audit.page(deps, destinationOf(input), input.query)),
);

export const verifyAudit = httpRoute(routeOf(tenantsManifest, "verifyAudit"), async (input) =>
  respond.ok(await Audit.verify(deps, destinationOf(input))),
);
