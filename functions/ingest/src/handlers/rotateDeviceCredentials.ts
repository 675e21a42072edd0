import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { Devices } from "../domain/devices";
import { requireDestination } from "../domain/errors";
import { ingestManifest } from "../manifest";
import { registryDeps } from "../wiring";

export const buildHandler = (deps = registryDeps()) =>
  httpRoute(routeOf(ingestManifest, "rotateDeviceCredentials"), async ({ params, tenant }) => {
    const provisioned = await Devices.rotateCredentials(deps, requireDestination(tenant), params.deviceId);
    return respond.created(provisioned, `/ingest/devices/${params.deviceId}`);
  });

export const handler = buildHandler();
