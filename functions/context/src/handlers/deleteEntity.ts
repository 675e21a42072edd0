import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { ngsiRoute } from "../http/ngsi-route";
import { parseTypeSelector } from "../http/options";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(routeOf(contextManifest, "deleteEntity"), deps, {}, async ({ params, query, ctx, reply }) => {
    await Entity.remove(deps, params.entityId, parseTypeSelector(ctx, query.type));
    return reply.noContent();
  });

export const handler = buildHandler();
