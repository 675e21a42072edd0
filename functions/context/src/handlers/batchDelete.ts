import { routeOf } from "@sdp/lambda-kit";
import { Batch } from "../domain/batch";
import { parseIdList } from "../domain/query";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "batchDelete"),
    deps,
    { body: "array", plainItems: true },
    async ({ payloads, reply }) =>
      reply.batch(await Batch.delete(deps, parseIdList(payloads.map((p) => p.body))), "delete"),
  );

export const handler = buildHandler();
