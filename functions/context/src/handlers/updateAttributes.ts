import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "updateAttributes"),
    deps,
    { body: "object" },
    async ({ params, payload, reply }) =>
      reply.updateResult(await Entity.updateAttributes(deps, params.entityId, payload)),
  );

export const handler = buildHandler();
