import { routeOf } from "@sdp/lambda-kit";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { Subscriptions } from "../subscriptions/subscriptions";
import { subscriptionDeps } from "../subscriptions/wiring";

export const buildHandler = (deps = subscriptionDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "updateSubscription"),
    deps,
    { body: "object", mergePatch: true },
    async ({ params, payload, ctx, contextRef, reply }) => {
      await Subscriptions.update(deps, params.subscriptionId, { body: payload.body, ctx, contextRef });
      return reply.noContent();
    },
  );

export const handler = buildHandler();
