import { routeOf } from "@sdp/lambda-kit";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { Temporal } from "../temporal/domain/temporal";
import { temporalDeps } from "../temporal/wiring";

export const buildHandler = (deps = temporalDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "createTemporalEntity"),
    deps,
    { body: "object" },
    async ({ payload, reply }) => {
      const { id, outcome } = await Temporal.create(deps, payload);
      return outcome === "created" ? reply.created(id, "/ngsi-ld/v1/temporal/entities/") : reply.noContent();
    },
  );

export const handler = buildHandler();
