import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "replaceEntity"),
    deps,
    { body: "object" },
    async ({ params, payload, reply }) => {
      await Entity.replace(deps, params.entityId, payload);
      return reply.noContent();
    },
  );

export const handler = buildHandler();
