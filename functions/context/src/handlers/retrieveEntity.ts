import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { ngsiRoute } from "../http/ngsi-route";
import { parseView } from "../http/options";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "retrieveEntity"),
    deps,
    { geo: true },
    async ({ params, query, ctx, reply }) => {
      const view = parseView(ctx, query);
      return reply.entity(await Entity.retrieve(deps, params.entityId), view);
    },
  );

export const handler = buildHandler();
