import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { Devices } from "../domain/devices";
import { requireDestination } from "../domain/errors";
import { ingestManifest } from "../manifest";
import { readerDeps } from "../wiring";

export const buildHandler = (deps = readerDeps()) =>
  httpRoute(routeOf(ingestManifest, "listDevices"), async ({ query, tenant }) =>
    respond.ok(await Devices.list(deps, requireDestination(tenant), query.limit, query.cursor)),
  );

export const handler = buildHandler();
