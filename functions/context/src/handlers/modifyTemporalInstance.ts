import { routeOf } from "@sdp/lambda-kit";
import { expandAttributeId } from "../domain/query";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { Temporal } from "../temporal/domain/temporal";
import { temporalDeps } from "../temporal/wiring";

export const buildHandler = (deps = temporalDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "modifyTemporalInstance"),
    deps,
    { body: "object", mergePatch: true },
    async ({ params, ctx, payload, reply }) => {
      const name = expandAttributeId(ctx, params.attrId);
      await Temporal.modifyInstance(deps, params.entityId, name, params.instanceId, payload);
      return reply.noContent();
    },
  );

export const handler = buildHandler();
