import { routeOf } from "@sdp/lambda-kit";
import { Batch } from "../domain/batch";
import { ngsiRoute } from "../http/ngsi-route";
import { parseUpsertMode } from "../http/options";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "batchUpsert"),
    deps,
    { body: "array" },
    async ({ query, payloads, reply }) =>
      reply.batch(await Batch.upsert(deps, payloads, parseUpsertMode(query.options)), "upsert"),
  );

export const handler = buildHandler();
