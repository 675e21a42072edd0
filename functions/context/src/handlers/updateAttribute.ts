import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { expandAttributeId } from "../domain/query";
import { ngsiRoute } from "../http/ngsi-route";
import { parseTypeSelector } from "../http/options";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "updateAttribute"),
    deps,
    { body: "object", mergePatch: true },
    async ({ params, query, ctx, payload, reply }) => {
      const name = expandAttributeId(ctx, params.attrId);
      await Entity.updateAttribute(deps, params.entityId, name, payload, parseTypeSelector(ctx, query.type));
      return reply.noContent();
    },
  );

export const handler = buildHandler();
