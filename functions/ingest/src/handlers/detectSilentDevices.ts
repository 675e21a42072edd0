import { log } from "@sdp/kernel";
import { Health } from "../domain/health";
import { monitorDeps } from "../wiring";

/**
 * The schedule that turns a silent device into an alert (and clears alerts of devices heard of again),
 * then publishes the alert events waiting in each destination's outbox.
 */
export const buildHandler =
  (deps = monitorDeps()) =>
  async () => {
    const result = await Health.detectSilenceEverywhere(deps);
    const { raised, cleared, published, unpublished, failed } = result;
    if (raised + cleared + published + unpublished + failed > 0) log.info("silence check", { ...result });
  };

export const handler = buildHandler();
