import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { ngsiRoute } from "../http/ngsi-route";
import { parseOptions, parseTypeSelector } from "../http/options";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "appendAttributes"),
    deps,
    { body: "object" },
    async ({ params, query, ctx, payload, reply }) => {
      const noOverwrite = parseOptions(query.options, ["noOverwrite"]).has("noOverwrite");
      const selector = parseTypeSelector(ctx, query.type);
      return reply.updateResult(
        await Entity.appendAttributes(deps, params.entityId, payload, noOverwrite, selector),
      );
    },
  );

export const handler = buildHandler();
