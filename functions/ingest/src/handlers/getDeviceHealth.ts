import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { requireDestination } from "../domain/errors";
import { Health } from "../domain/health";
import { ingestManifest } from "../manifest";
import { readerDeps } from "../wiring";

export const buildHandler = (deps = readerDeps()) =>
  httpRoute(routeOf(ingestManifest, "getDeviceHealth"), async ({ params, tenant }) =>
    respond.ok(await Health.device(deps, requireDestination(tenant), params.deviceId)),
  );

export const handler = buildHandler();
