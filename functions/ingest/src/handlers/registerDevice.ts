import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { Devices } from "../domain/devices";
import { requireDestination } from "../domain/errors";
import { ingestManifest } from "../manifest";
import { registryDeps } from "../wiring";

export const buildHandler = (deps = registryDeps()) =>
  httpRoute(routeOf(ingestManifest, "registerDevice"), async ({ body, tenant }) => {
    const provisioned = await Devices.register(deps, requireDestination(tenant), body);
    return respond.created(provisioned, `/ingest/devices/${provisioned.device.deviceId}`);
  });

export const handler = buildHandler();
