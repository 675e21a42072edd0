import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { ApiKeyRecord, ApiKeyTable, TenantRegistry } from "@sdp/contracts";
import type { ApiKeyStore } from "../domain/ports";
import { SME_ISSUED_KEYS } from "./dynamodb-sme-store";

const keyKey = (keyId: string) => ({
  [ApiKeyTable.pk]: ApiKeyTable.keyPk(keyId),
  [ApiKeyTable.sk]: ApiKeyTable.keySk,
});
const item = (record: ApiKeyRecord) => ({
  ...keyKey(record.keyId),
  [ApiKeyTable.smeRef]: ApiKeyTable.smeRefOf(record.tenant, record.smeId),
  ...record,
});

/**
 * API keys in the platform table `apikeys`, one item per key id. Every write is conditioned on the key
 * belonging to the destination and SME named by the caller, and on the SME still existing.
 */
export function buildDynamoDbApiKeyStore(
  client: DynamoDBDocumentClient,
  tables: { apiKeys: string; registry: string },
): ApiKeyStore {
  const { apiKeys } = tables;
  /**
   * The SME must exist, and counts the key: removing the SME is conditioned on that count, so a key
   * issued while the SME is being removed makes the removal fail instead of outliving it.
   */
  const countOnSme = (tenant: string, smeId: string) => ({
    Update: {
      TableName: tables.registry,
      Key: { [TenantRegistry.pk]: TenantRegistry.tenantPk(tenant), [TenantRegistry.sk]: `SME#${smeId}` },
      UpdateExpression: "ADD #issued :one",
      ConditionExpression: "attribute_exists(#pk)",
      ExpressionAttributeNames: { "#pk": TenantRegistry.pk, "#issued": SME_ISSUED_KEYS },
      ExpressionAttributeValues: { ":one": 1 },
    },
  });
  const putNew = (record: ApiKeyRecord) => ({
    Put: {
      TableName: apiKeys,
      Item: item(record),
      ConditionExpression: "attribute_not_exists(#pk)",
      ExpressionAttributeNames: { "#pk": ApiKeyTable.pk },
    },
  });
  const getKey = async (keyId: string): Promise<ApiKeyRecord | undefined> => {
    const { Item } = await client.send(
      new GetCommand({ TableName: apiKeys, Key: keyKey(keyId), ConsistentRead: true }),
    );
    return Item ? ApiKeyRecord.parse(Item) : undefined;
  };
  return {
    async insert(record) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [countOnSme(record.tenant, record.smeId), putNew(record)],
          }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        // A retried request whose first attempt committed finds its own key: that is success.
        return (await getKey(record.keyId))?.hash === record.hash;
      }
    },
    get: getKey,
    async listBySme(tenant, smeId) {
      const records: ApiKeyRecord[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: apiKeys,
            IndexName: ApiKeyTable.bySmeIndex,
            KeyConditionExpression: "#ref = :ref",
            ExpressionAttributeNames: { "#ref": ApiKeyTable.smeRef },
            ExpressionAttributeValues: { ":ref": ApiKeyTable.smeRefOf(tenant, smeId) },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        records.push(...(page.Items ?? []).map((found) => ApiKeyRecord.parse(found)));
        start = page.LastEvaluatedKey;
      } while (start);
      return records;
    },
    async rotate(previous, next, validUntil, now) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: apiKeys,
                  Key: keyKey(previous.keyId),
                  UpdateExpression: "SET #validUntil = :validUntil, #replacedBy = :next",
                  ConditionExpression:
                    "#tenant = :tenant AND #smeId = :smeId AND attribute_not_exists(#revokedAt) AND attribute_not_exists(#replacedBy) AND #expiresAt > :now",
                  ExpressionAttributeNames: {
                    "#validUntil": "validUntil",
                    "#replacedBy": "replacedBy",
                    "#tenant": "tenant",
                    "#smeId": "smeId",
                    "#revokedAt": "revokedAt",
                    "#expiresAt": "expiresAt",
                  },
                  ExpressionAttributeValues: {
                    ":validUntil": validUntil,
                    ":next": next.keyId,
                    ":tenant": previous.tenant,
                    ":smeId": previous.smeId,
                    ":now": now,
                  },
                },
              },
              putNew(next),
              countOnSme(next.tenant, next.smeId),
            ],
          }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        return (await getKey(next.keyId))?.hash === next.hash;
      }
    },
    async revoke(tenant, smeId, keyId, at, by) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: apiKeys,
            Key: keyKey(keyId),
            UpdateExpression: "SET #revokedAt = :at, #revokedBy = :by",
            ConditionExpression:
              "attribute_exists(#pk) AND #tenant = :tenant AND #smeId = :smeId AND attribute_not_exists(#revokedAt)",
            ExpressionAttributeNames: {
              "#revokedAt": "revokedAt",
              "#revokedBy": "revokedBy",
              "#pk": ApiKeyTable.pk,
              "#tenant": "tenant",
              "#smeId": "smeId",
            },
            ExpressionAttributeValues: { ":at": at, ":by": by, ":tenant": tenant, ":smeId": smeId },
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
