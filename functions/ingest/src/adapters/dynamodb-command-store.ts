import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { Command } from "@sdp/contracts";
import type { CommandStore } from "../domain/ports";
import { HISTORY_RETENTION_SECONDS, IngestKeys, Partitions } from "../keys";
import { expiresIn, onTable, type TableOf, withoutKeys } from "./dynamodb-support";

const commandKey = (deviceId: string, commandId: string) => ({
  [IngestKeys.pk]: Partitions.commands(deviceId),
  [IngestKeys.sk]: commandId,
});

/** Commands in each destination's `ingest` table, one partition per device, kept 30 days. */
export function buildDynamoDbCommandStore(client: DynamoDBDocumentClient, tableOf: TableOf): CommandStore {
  return {
    async insert(tenant, command) {
      await onTable(tenant, () =>
        client.send(
          new PutCommand({
            TableName: tableOf(tenant),
            Item: {
              ...commandKey(command.deviceId, command.commandId),
              ...command,
              [IngestKeys.ttl]: expiresIn(HISTORY_RETENTION_SECONDS),
            },
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": IngestKeys.pk },
          }),
        ),
      );
    },

    async get(tenant, deviceId, commandId) {
      const { Item } = await onTable(tenant, () =>
        client.send(
          new GetCommand({
            TableName: tableOf(tenant),
            Key: commandKey(deviceId, commandId),
            ConsistentRead: true,
          }),
        ),
      );
      return Item ? Command.parse(withoutKeys(Item)) : undefined;
    },

    async markDispatched(tenant, deviceId, commandId, outcome) {
      const sent = "sentAt" in outcome;
      try {
        await onTable(tenant, () =>
          client.send(
            new UpdateCommand({
              TableName: tableOf(tenant),
              Key: commandKey(deviceId, commandId),
              UpdateExpression: sent
                ? "SET #status = :status, sentAt = :at"
                : "SET #status = :status, failure = :failure",
              // An acknowledgement may already have arrived: it is not overwritten.
              ConditionExpression: "#status = :pending",
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: {
                ":pending": "pending",
                ...(sent
                  ? { ":status": "sent", ":at": outcome.sentAt }
                  : { ":status": "failed", ":failure": outcome.failure }),
              },
            }),
          ),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async acknowledge(tenant, deviceId, commandId, result, at) {
      try {
        await onTable(tenant, () =>
          client.send(
            new UpdateCommand({
              TableName: tableOf(tenant),
              Key: commandKey(deviceId, commandId),
              UpdateExpression: "SET #status = :status, acknowledgedAt = :at, #result = :result",
              ConditionExpression: "attribute_exists(#pk)",
              ExpressionAttributeNames: { "#status": "status", "#result": "result", "#pk": IngestKeys.pk },
              ExpressionAttributeValues: { ":status": "acknowledged", ":at": at, ":result": result ?? "" },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}
