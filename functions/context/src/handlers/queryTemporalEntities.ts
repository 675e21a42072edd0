import { routeOf } from "@sdp/lambda-kit";
import { parseProjection } from "../domain/projection";
import { expandNames, parseQueryParameters } from "../domain/query";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { parseTemporalRequest } from "../temporal/domain/request";
import { Temporal } from "../temporal/domain/temporal";
import { parseRepresentation, temporalListResponse } from "../temporal/http/responses";
import { temporalDeps } from "../temporal/wiring";

export const buildHandler = (deps = temporalDeps()) =>
  ngsiRoute(routeOf(contextManifest, "queryTemporalEntities"), deps, {}, async ({ query, ctx }) => {
    const request = parseTemporalRequest(query, {
      ...parseRepresentation(query),
      ...parseProjection(ctx, query),
    });
    const selection = parseQueryParameters(ctx, query);
    const attrs = query.attrs === undefined ? undefined : expandNames(ctx, query.attrs, "attrs");
    const result = await Temporal.query(deps, selection, attrs, request);
    return temporalListResponse(ctx, result, request, {
      limit: selection.limit,
      offset: selection.offset,
      links: query,
    });
  });

export const handler = buildHandler();
