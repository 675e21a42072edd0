import { routeOf } from "@sdp/lambda-kit";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { Subscriptions } from "../subscriptions/subscriptions";
import { subscriptionDeps } from "../subscriptions/wiring";

export const buildHandler = (deps = subscriptionDeps()) =>
  ngsiRoute(routeOf(contextManifest, "deleteSubscription"), deps, {}, async ({ params, reply }) => {
    await Subscriptions.remove(deps, params.subscriptionId);
    return reply.noContent();
  });

export const handler = buildHandler();
