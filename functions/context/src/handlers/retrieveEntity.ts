import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { notFound } from "../domain/errors";
import { projectsAnything } from "../domain/render";
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
      const entity = await Entity.retrieve(deps, params.entityId);
      if (!projectsAnything(entity, view, query.attrs !== undefined))
        throw notFound(`nothing of entity ${params.entityId} matches the projection`);
      return reply.entity(entity, view);
    },
  );

export const handler = buildHandler();
