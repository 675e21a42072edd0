import { routeOf } from "@sdp/lambda-kit";
import { Discovery } from "../domain/discovery";
import { ngsiRoute } from "../http/ngsi-route";
import { parseDetails } from "../http/options";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(routeOf(contextManifest, "listAttributes"), deps, {}, async ({ query, ctx, reply }) =>
    reply.json(await Discovery.attributes(deps, ctx, parseDetails(query.details))),
  );

export const handler = buildHandler();
