import { routeOf } from "@sdp/lambda-kit";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { Temporal } from "../temporal/domain/temporal";
import { temporalDeps } from "../temporal/wiring";

export const buildHandler = (deps = temporalDeps()) =>
  ngsiRoute(routeOf(contextManifest, "deleteTemporalEntity"), deps, {}, async ({ params, reply }) => {
    await Temporal.remove(deps, params.entityId);
    return reply.noContent();
  });

export const handler = buildHandler();
