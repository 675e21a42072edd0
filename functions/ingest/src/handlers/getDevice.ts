import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { Devices } from "../domain/devices";
import { requireDestination } from "../domain/errors";
import { ingestManifest } from "../manifest";
import { readerDeps } from "../wiring";

export const buildHandler = (deps = readerDeps()) =>
  httpRoute(routeOf(ingestManifest, "getDevice"), async ({ params, tenant }) =>
    respond.ok(await Devices.get(deps, requireDestination(tenant), params.deviceId)),
  );

export const handler = buildHandler();
