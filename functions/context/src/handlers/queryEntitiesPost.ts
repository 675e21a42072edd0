import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { parseQueryBody } from "../domain/query";
import { ngsiRoute } from "../http/ngsi-route";
import { parseView } from "../http/options";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "queryEntitiesPost"),
    deps,
    { body: "object", geo: true },
    async ({ query, payload, reply }) => {
      const { request, projection } = parseQueryBody(payload.ctx, payload.body, query);
      const view = parseView(payload.ctx, { ...query, ...projection });
      const result = await Entity.query(deps, request);
      return reply.entities(result, view, { limit: request.limit, offset: request.offset, links: false });
    },
  );

export const handler = buildHandler();
