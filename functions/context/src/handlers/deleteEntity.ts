import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(routeOf(contextManifest, "deleteEntity"), deps, {}, async ({ params, reply }) => {
    await Entity.remove(deps, params.entityId);
    return reply.noContent();
  });

export const handler = buildHandler();
