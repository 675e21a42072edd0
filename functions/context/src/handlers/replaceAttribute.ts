import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { expandAttributeId } from "../domain/query";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "replaceAttribute"),
    deps,
    { body: "object" },
    async ({ params, ctx, payload, reply }) => {
      await Entity.replaceAttribute(deps, params.entityId, expandAttributeId(ctx, params.attrId), payload);
      return reply.noContent();
    },
  );

export const handler = buildHandler();
