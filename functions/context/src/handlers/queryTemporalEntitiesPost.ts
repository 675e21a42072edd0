import { routeOf } from "@sdp/lambda-kit";
import { expandNames } from "../domain/query";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { parseTemporalQueryBody } from "../temporal/domain/request";
import { Temporal } from "../temporal/domain/temporal";
import { parseRepresentation, temporalListResponse } from "../temporal/http/responses";
import { temporalDeps } from "../temporal/wiring";

export const buildHandler = (deps = temporalDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "queryTemporalEntitiesPost"),
    deps,
    { body: "object" },
    async ({ query, payload }) => {
      const { selection, temporal, attrs } = parseTemporalQueryBody(
        payload.ctx,
        payload.body,
        query,
        parseRepresentation(query),
      );
      const names = attrs === undefined ? undefined : expandNames(payload.ctx, attrs, "attrs");
      const result = await Temporal.query(deps, selection, names, temporal);
      return temporalListResponse(payload.ctx, result, temporal, {
        limit: selection.limit,
        offset: selection.offset,
      });
    },
  );

export const handler = buildHandler();
