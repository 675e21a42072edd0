import { routeOf } from "@sdp/lambda-kit";
import { Batch } from "../domain/batch";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(routeOf(contextManifest, "batchCreate"), deps, { body: "array" }, async ({ payloads, reply }) =>
    reply.batch(await Batch.create(deps, payloads), "create"),
  );

export const handler = buildHandler();
