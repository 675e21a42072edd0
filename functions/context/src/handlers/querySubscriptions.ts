import { routeOf } from "@sdp/lambda-kit";
import { ngsiRoute } from "../http/ngsi-route";
import { contextManifest } from "../manifest";
import { readOptions, subscriptionPage } from "../subscriptions/responses";
import { Subscriptions } from "../subscriptions/subscriptions";
import { subscriptionDeps } from "../subscriptions/wiring";

export const buildHandler = (deps = subscriptionDeps()) =>
  ngsiRoute(routeOf(contextManifest, "querySubscriptions"), deps, {}, async ({ query, ctx }) =>
    subscriptionPage(await Subscriptions.query(deps, query, ctx, readOptions(query.options)), query),
  );

export const handler = buildHandler();
