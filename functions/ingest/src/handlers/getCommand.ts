import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { Commands } from "../domain/commands";
import { requireDestination } from "../domain/errors";
import { ingestManifest } from "../manifest";
import { readerDeps } from "../wiring";

export const buildHandler = (deps = readerDeps()) =>
  httpRoute(routeOf(ingestManifest, "getCommand"), async ({ params, tenant }) =>
    respond.ok(await Commands.get(deps, requireDestination(tenant), params.deviceId, params.commandId)),
  );

export const handler = buildHandler();
