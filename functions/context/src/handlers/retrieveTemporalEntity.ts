import { routeOf } from "@sdp/lambda-kit";
import { parseProjection } from "../domain/projection";
import { expandNames } from "../domain/query";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { parseTemporalRequest } from "../temporal/domain/request";
import { Temporal } from "../temporal/domain/temporal";
import { parseRepresentation, temporalEntityResponse } from "../temporal/http/responses";
import { temporalDeps } from "../temporal/wiring";

export const buildHandler = (deps = temporalDeps()) =>
  ngsiRoute(routeOf(contextManifest, "retrieveTemporalEntity"), deps, {}, async ({ params, query, ctx }) => {
    const request = parseTemporalRequest(query, {
      ...parseRepresentation(query),
      ...parseProjection(ctx, query),
    });
    const attrs = query.attrs === undefined ? undefined : expandNames(ctx, query.attrs, "attrs");
    const result = await Temporal.retrieve(deps, params.entityId, attrs, request);
    return temporalEntityResponse(ctx, result, request);
  });

export const handler = buildHandler();
