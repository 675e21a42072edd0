import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";

/** A domain event for the platform bus (DESIGN §6). */
export interface BusEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
}

/** PutEvents takes at most this many entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/** Puts domain events on the platform bus, the one adapter every service publishes through. */
export interface EventBusPublisher {
  /** One event; throws if the bus refused it (a stream consumer then retries the record). */
  publish(event: BusEvent): Promise<void>;
  /**
   * Many events, 10 per PutEvents call. Returns the indexes of the events the bus did not accept (a
   * refused entry, or every entry of a call that failed), so the caller keeps those for a later try.
   */
  publishAll(events: readonly BusEvent[]): Promise<{ readonly failed: ReadonlySet<number> }>;
}

/** Configured by the environment only (`AWS_ENDPOINT_URL_EVENTBRIDGE` reaches the local stand-in). */
export function createEventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient({ maxAttempts: 3 });
}

export function buildEventBridgePublisher(client: EventBridgeClient, busName: string): EventBusPublisher {
  const entry = (event: BusEvent) => ({
    EventBusName: busName,
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
  });

  return {
    async publish(event) {
      const result = await client.send(new PutEventsCommand({ Entries: [entry(event)] }));
      if ((result.FailedEntryCount ?? 0) > 0) {
        throw new Error(`the bus refused the event: ${result.Entries?.[0]?.ErrorCode ?? "unknown"}`);
      }
    },

    async publishAll(events) {
      const failed = new Set<number>();
      for (let start = 0; start < events.length; start += PUT_EVENTS_MAX_ENTRIES) {
        const chunk = events.slice(start, start + PUT_EVENTS_MAX_ENTRIES);
        try {
          const result = await client.send(new PutEventsCommand({ Entries: chunk.map(entry) }));
          // Result entries are in the order of the request; one without an EventId was refused.
          chunk.forEach((_, offset) => {
            if (!result.Entries?.[offset]?.EventId) failed.add(start + offset);
          });
        } catch {
          // The call failed as a whole (the bus is unreachable, throttling past the SDK's retries):
          // none of its entries is known to be accepted, and neither is any later one.
          for (let index = start; index < events.length; index += 1) failed.add(index);
          break;
        }
      }
      return { failed };
    },
  };
}
