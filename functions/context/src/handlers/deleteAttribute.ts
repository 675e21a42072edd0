import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { expandAttributeId, parseDeleteAttribute } from "../domain/query";
import { ngsiRoute } from "../http/ngsi-route";
import { parseTypeSelector } from "../http/options";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(routeOf(contextManifest, "deleteAttribute"), deps, {}, async ({ params, query, ctx, reply }) => {
    const name = expandAttributeId(ctx, params.attrId);
    const which = parseDeleteAttribute(query);
    await Entity.deleteAttribute(deps, params.entityId, name, which, parseTypeSelector(ctx, query.type));
    return reply.noContent();
  });

export const handler = buildHandler();
