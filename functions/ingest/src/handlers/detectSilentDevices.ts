import { log } from "@sdp/kernel";
import { Health } from "../domain/health";
import { monitorDeps } from "../wiring";

/** The schedule that turns a silent device into an alert (and clears alerts of devices heard of again). */
export const buildHandler =
  (deps = monitorDeps()) =>
  async () => {
    const result = await Health.detectSilenceEverywhere(deps);
    if (result.raised + result.cleared + result.failed > 0) log.info("silence check", result);
  };

export const handler = buildHandler();
