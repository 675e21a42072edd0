import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { errorFields, log } from "@sdp/kernel";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { z } from "zod";
import type { EventPublisher } from "../domain/ports";
import { eventPublisher } from "../wiring";

const OutboxItem = z.object({
  kind: z.literal("outbox"),
  eventId: z.string(),
  source: z.string(),
  detailType: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

/**
 * Publishes the outbox items of the directory table (DESIGN §6): each domain event was written in the
 * transaction of the change it announces, and reaches the bus at least once. Other records are ignored.
 */
export const buildHandler =
  (publisher: EventPublisher = eventPublisher()) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const batchItemFailures: DynamoDBBatchResponse["batchItemFailures"] = [];
    for (const record of event.Records) {
      if (record.eventName !== "INSERT" || !record.dynamodb?.NewImage) continue;
      const item = OutboxItem.safeParse(
        unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>),
      );
      if (!item.success) continue;
      try {
        const { source, detailType, detail, eventId } = item.data;
        await publisher.publish({ source, detailType, detail: { ...detail, eventId } });
      } catch (error) {
        log.error("outbox publication failed", { eventId: item.data.eventId, ...errorFields(error) });
        batchItemFailures.push({ itemIdentifier: record.dynamodb.SequenceNumber ?? "" });
      }
    }
    return { batchItemFailures };
  };

export const handler = buildHandler();
