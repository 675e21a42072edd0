import { routeOf } from "@sdp/lambda-kit";
import { Discovery } from "../domain/discovery";
import { expandAttributeId } from "../domain/query";
import { ngsiRoute } from "../http/ngsi-route";
import { parseDetails } from "../http/options";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(routeOf(contextManifest, "getEntityType"), deps, {}, async ({ params, query, ctx, reply }) => {
    parseDetails(query.details);
    return reply.json(await Discovery.type(deps, ctx, expandAttributeId(ctx, params.type)));
  });

export const handler = buildHandler();
