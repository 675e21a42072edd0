import { httpRoute, routeOf } from "@sdp/lambda-kit";
import { Commands } from "../domain/commands";
import { requireDestination } from "../domain/errors";
import { ingestManifest } from "../manifest";
import { commandDeps } from "../wiring";

export const buildHandler = (deps = commandDeps()) =>
  httpRoute(routeOf(ingestManifest, "sendCommand"), async ({ params, body, tenant }) => {
    const command = await Commands.send(deps, requireDestination(tenant), params.deviceId, body);
    return {
      status: 202,
      body: command,
      headers: { location: `/ingest/devices/${params.deviceId}/commands/${command.commandId}` },
    };
  });

export const handler = buildHandler();
