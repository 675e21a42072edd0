import { routeOf } from "@sdp/lambda-kit";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { Temporal } from "../temporal/domain/temporal";
import { temporalDeps } from "../temporal/wiring";

export const buildHandler = (deps = temporalDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "appendTemporalAttributes"),
    deps,
    { body: "object" },
    async ({ params, payload, reply }) => {
      await Temporal.append(deps, params.entityId, payload);
      return reply.noContent();
    },
  );

export const handler = buildHandler();
