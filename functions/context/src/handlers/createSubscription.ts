import { routeOf } from "@sdp/lambda-kit";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { SUBSCRIPTIONS_PATH } from "../subscriptions/responses";
import { Subscriptions } from "../subscriptions/subscriptions";
import { subscriptionDeps } from "../subscriptions/wiring";

export const buildHandler = (deps = subscriptionDeps()) =>
  ngsiRoute(
    routeOf(contextManifest, "createSubscription"),
    deps,
    { body: "object" },
    async ({ payload, ctx, contextRef, reply }) => {
      const id = await Subscriptions.create(deps, { body: payload.body, ctx, contextRef });
      return reply.created(id, `${SUBSCRIPTIONS_PATH}/`);
    },
  );

export const handler = buildHandler();
