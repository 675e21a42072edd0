import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { EventPublisher } from "../domain/ports";

/** Puts domain events on the platform bus; a rejected entry fails the call, so the stream retries it. */
export function buildEventBridgePublisher(client: EventBridgeClient, busName: string): EventPublisher {
  return {
    async publish(event) {
      const result = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: busName,
              Source: event.source,
              DetailType: event.detailType,
              Detail: JSON.stringify(event.detail),
            },
          ],
        }),
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        throw new Error(`the bus refused the event: ${result.Entries?.[0]?.ErrorCode ?? "unknown"}`);
      }
    },
  };
}
