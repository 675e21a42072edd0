import { routeOf } from "@sdp/lambda-kit";
import { Entity } from "../domain/entity";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { contextDeps } from "../wiring";

export const buildHandler = (deps = contextDeps()) =>
  ngsiRoute(routeOf(contextManifest, "createEntity"), deps, { body: "object" }, async ({ payload, reply }) =>
    reply.created(await Entity.create(deps, payload)),
  );

export const handler = buildHandler();
