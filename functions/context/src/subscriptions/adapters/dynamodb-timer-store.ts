import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { TimerKeys } from "../../keys";
import type { Timer, TimerStore } from "../ports";

/**
 * The next run of every periodic subscription, in one platform table (`pk=<destination>`,
 * `sk=<subscription id>`, `due`). It holds nothing but these timers, one per periodic subscription in
 * the deployment, so the minute schedule reads it whole with a filtered Scan.
 */
const TimerItem = z.object({ pk: z.string(), sk: z.string(), due: z.string() });

export function buildDynamoDbTimerStore(client: DynamoDBDocumentClient, table: string): TimerStore {
  const key = (tenant: string, id: string) => ({ [TimerKeys.pk]: tenant, [TimerKeys.sk]: id });
  return {
    async set(tenant, subscriptionId, due) {
      await client.send(new PutCommand({ TableName: table, Item: { ...key(tenant, subscriptionId), due } }));
    },
    async remove(tenant, subscriptionId) {
      await client.send(new DeleteCommand({ TableName: table, Key: key(tenant, subscriptionId) }));
    },
    async *due(now) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: table,
            FilterExpression: "#due <= :now",
            ExpressionAttributeNames: { "#due": "due" },
            ExpressionAttributeValues: { ":now": now },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          const timer = TimerItem.parse(item);
          const out: Timer = { tenant: timer.pk, subscriptionId: timer.sk, due: timer.due };
          yield out;
        }
        start = page.LastEvaluatedKey;
      } while (start);
    },
    async advance(timer, next) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: key(timer.tenant, timer.subscriptionId),
            UpdateExpression: "SET #due = :next",
            ConditionExpression: "#due = :due",
            ExpressionAttributeNames: { "#due": "due" },
            ExpressionAttributeValues: { ":next": next, ":due": timer.due },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}
