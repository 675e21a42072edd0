import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { requireDestination } from "../domain/errors";
import { Health } from "../domain/health";
import { ingestManifest } from "../manifest";
import { readerDeps } from "../wiring";

export const buildHandler = (deps = readerDeps()) =>
  httpRoute(routeOf(ingestManifest, "listAlerts"), async ({ tenant }) =>
    respond.ok(await Health.alerts(deps, requireDestination(tenant))),
  );

export const handler = buildHandler();
