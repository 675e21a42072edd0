import { log } from "@sdp/kernel";
import type { Context } from "aws-lambda";
import { Notifier } from "../subscriptions/notifier";
import { notifierDeps } from "../subscriptions/wiring";

const MARGIN_MS = 5_000;

/** The minute schedule: notifications of the periodic subscriptions whose time has come. */
export const buildHandler =
  (deps = notifierDeps()) =>
  async (_event: unknown, context: Context) => {
    const deadline = Date.now() + Math.max(1_000, context.getRemainingTimeInMillis() - MARGIN_MS);
    const result = await Notifier.periodic(deps, deadline);
    if (result.runs + result.skipped > 0) log.info("periodic notifications", result);
  };

export const handler = buildHandler();
