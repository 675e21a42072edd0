import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { tenantsManifest } from "../manifest";

/** Tells a caller which principal its credential stands for (apps and SMEs check their setup with it). */
export const handler = httpRoute(routeOf(tenantsManifest, "whoami"), async ({ principal, tenant }) =>
  respond.ok({ principal, ...(tenant ? { tenant } : {}) }),
);
