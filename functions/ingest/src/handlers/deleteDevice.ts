import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { Devices } from "../domain/devices";
import { requireDestination } from "../domain/errors";
import { ingestManifest } from "../manifest";
import { registryDeps } from "../wiring";

export const buildHandler = (deps = registryDeps()) =>
  httpRoute(routeOf(ingestManifest, "deleteDevice"), async ({ params, tenant }) => {
    await Devices.remove(deps, requireDestination(tenant), params.deviceId);
    return respond.noContent();
  });

export const handler = buildHandler();
