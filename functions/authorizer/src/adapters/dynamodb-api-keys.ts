import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ApiKeyRecord, ApiKeyTable } from "@sdp/contracts";
import { z } from "zod";
import type { ApiKeyLookup } from "../ports";

const Counted = z.object({ count: z.number().int() });

/** API keys and their per-minute counters in the tenants service's `apikeys` table. */
export function buildDynamoDbApiKeyLookup(client: DynamoDBDocumentClient, table: string): ApiKeyLookup {
  const keyKey = (keyId: string) => ({
    [ApiKeyTable.pk]: ApiKeyTable.keyPk(keyId),
    [ApiKeyTable.sk]: ApiKeyTable.keySk,
  });
  return {
    async get(keyId) {
      // Strongly consistent: a key revoked a moment ago must not work a moment later.
      const { Item } = await client.send(
        new GetCommand({ TableName: table, Key: keyKey(keyId), ConsistentRead: true }),
      );
      if (!Item) return undefined;
      const parsed = ApiKeyRecord.safeParse(Item);
      return parsed.success ? parsed.data : undefined;
    },
    async count(keyId, window, limit, expiresAtEpoch) {
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: table,
            Key: { [ApiKeyTable.pk]: ApiKeyTable.keyPk(keyId), [ApiKeyTable.sk]: ApiKeyTable.rateSk(window) },
            UpdateExpression: "ADD #count :one SET #ttl = :ttl",
            ConditionExpression: "attribute_not_exists(#count) OR #count < :limit",
            ExpressionAttributeNames: { "#count": "count", "#ttl": ApiKeyTable.ttl },
            ExpressionAttributeValues: { ":one": 1, ":ttl": expiresAtEpoch, ":limit": limit },
            ReturnValues: "UPDATED_NEW",
          }),
        );
        return Counted.parse(Attributes).count;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },
    async touch(keyId, at) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: keyKey(keyId),
            UpdateExpression: "SET #lastUsedAt = :at",
            ConditionExpression: "attribute_exists(#pk)",
            ExpressionAttributeNames: { "#lastUsedAt": "lastUsedAt", "#pk": ApiKeyTable.pk },
            ExpressionAttributeValues: { ":at": at },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
}
