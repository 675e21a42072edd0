import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { parseQueryParameters } from "../domain/query";
import { ngsiRoute } from "../http/ngsi-route";
import { parseView } from "../http/options";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(routeOf(contextManifest, "queryEntities"), deps, { geo: true }, async ({ query, ctx, reply }) => {
    const request = parseQueryParameters(ctx, query);
    const view = parseView(ctx, query);
    const result = await Entity.query(deps, request);
    return reply.entities(result, view, { limit: request.limit, offset: request.offset, links: true });
  });

export const handler = buildHandler();
