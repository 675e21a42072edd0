import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { ngsiRoute } from "../http/ngsi-route";
import { parseTypeSelector } from "../http/options";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "updateAttributes"),
    deps,
    { body: "object" },
    async ({ params, query, ctx, payload, reply }) =>
      reply.updateResult(
        await Entity.updateAttributes(deps, params.entityId, payload, parseTypeSelector(ctx, query.type)),
      ),
  );

export const handler = buildHandler();
