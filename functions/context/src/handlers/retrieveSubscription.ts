import { routeOf } from "@sdp/lambda-kit";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { readOptions } from "../subscriptions/responses";
import { Subscriptions } from "../subscriptions/subscriptions";
import { subscriptionDeps } from "../subscriptions/wiring";

export const buildHandler = (deps = subscriptionDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "retrieveSubscription"),
    deps,
    {},
    async ({ params, query, ctx, reply }) =>
      reply.json(await Subscriptions.retrieve(deps, params.subscriptionId, ctx, readOptions(query.options))),
  );

export const handler = buildHandler();
