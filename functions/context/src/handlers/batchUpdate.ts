import { routeOf } from "@sdp/lambda-kit";
import { Batch } from "../domain/batch";
import { ngsiRoute } from "../http/ngsi-route";
import { parseOptions } from "../http/options";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "batchUpdate"),
    deps,
    { body: "array" },
    async ({ query, payloads, reply }) => {
      const noOverwrite = parseOptions(query.options, ["noOverwrite"]).has("noOverwrite");
      return reply.batch(await Batch.update(deps, payloads, noOverwrite), "update");
    },
  );

export const handler = buildHandler();
