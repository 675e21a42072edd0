import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "mergeEntity"),
    deps,
    { body: "object", mergePatch: true },
    async ({ params, payload, reply }) => {
      await Entity.merge(deps, params.entityId, payload);
      return reply.noContent();
    },
  );

export const handler = buildHandler();
