import { routeOf } from "@sdp/lambda-kit";
import { expandAttributeId, parseDeleteAttribute } from "../domain/query";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { Temporal } from "../temporal/domain/temporal";
import { temporalDeps } from "../temporal/wiring";

export const buildHandler = (deps = temporalDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "deleteTemporalAttribute"),
    deps,
    {},
    async ({ params, query, ctx, reply }) => {
      const name = expandAttributeId(ctx, params.attrId);
      await Temporal.removeAttribute(deps, params.entityId, name, parseDeleteAttribute(query));
      return reply.noContent();
    },
  );

export const handler = buildHandler();
