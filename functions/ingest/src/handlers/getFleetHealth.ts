import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { requireDestination } from "../domain/errors";
import { Health } from "../domain/health";
import { ingestManifest } from "../manifest";
import { readerDeps } from "../wiring";

export const buildHandler = (deps = readerDeps()) =>
  httpRoute(routeOf(ingestManifest, "getFleetHealth"), async ({ query, tenant }) =>
    respond.ok(await Health.fleet(deps, requireDestination(tenant), query.limit, query.cursor)),
  );

export const handler = buildHandler();
