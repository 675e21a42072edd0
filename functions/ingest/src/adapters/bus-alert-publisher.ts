import type { EventBusPublisher } from "@sdp/aws";
import { ALERT_EVENT_SOURCE } from "../domain/alert-events";
import type { AlertEventPublisher } from "../domain/ports";

/** Alert events on the platform bus through the shared EventBridge adapter, as source `sdp.ingest`. */
export function buildBusAlertPublisher(bus: EventBusPublisher): AlertEventPublisher {
  return {
    publish: (events) =>
      bus.publishAll(
        events.map(({ detailType, detail }) => ({ source: ALERT_EVENT_SOURCE, detailType, detail })),
      ),
  };
}
