import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import { ApiKeyTable, Sme, TenantRegistry } from "@sdp/contracts";
import { type SmeStore, TaxIdTakenError } from "../domain/ports";
import { decodeSortCursor, encodeSortCursor } from "./cursor";

const SME_PREFIX = "SME#";
/** Attribute of an SME item counting the keys ever issued to it (written by the key store). */
export const SME_ISSUED_KEYS = "issuedKeys";
/** Optional fields of an SME: absent in a replacement, they are removed from the item. */
const OPTIONAL_FIELDS = ["tradeName"] as const;
const ENTITY = "sme";
const smeKey = (tenant: string, smeId: string) => ({
  [TenantRegistry.pk]: TenantRegistry.tenantPk(tenant),
  [TenantRegistry.sk]: `${SME_PREFIX}${smeId}`,
});
/** One item per tax id and destination, written with the SME, so a duplicate fails the transaction. */
const taxKey = (tenant: string, taxId: string) => ({
  [TenantRegistry.pk]: TenantRegistry.tenantPk(tenant),
  [TenantRegistry.sk]: `SMETAX#${taxId}`,
});

function toSme(item: Record<string, unknown>): Sme {
  return Sme.parse(item);
}

/** Which item of a cancelled transaction failed its condition. */
function failedAt(error: TransactionCanceledException): number[] {
  return (error.CancellationReasons ?? []).flatMap((reason, index) =>
    reason.Code === "ConditionalCheckFailed" ? [index] : [],
  );
}

/**
 * SMEs in the registry table, in their destination's partition (`TENANT#<slug>` / `SME#<id>`). Keys
 * are revoked in the apikeys table in the same transaction that removes their SME.
 */
export function buildDynamoDbSmeStore(
  client: DynamoDBDocumentClient,
  tables: { registry: string; apiKeys: string },
): SmeStore {
  const { registry } = tables;
  const getSme = async (tenant: string, smeId: string): Promise<Sme | undefined> => {
    const { Item } = await client.send(
      new GetCommand({ TableName: registry, Key: smeKey(tenant, smeId), ConsistentRead: true }),
    );
    return Item ? toSme(Item) : undefined;
  };
  return {
    async insert(tenant, sme) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: registry,
                  Item: { ...smeKey(tenant, sme.id), entity: ENTITY, ...sme },
                  ConditionExpression: "attribute_not_exists(#pk)",
                  ExpressionAttributeNames: { "#pk": TenantRegistry.pk },
                },
              },
              {
                Put: {
                  TableName: registry,
                  Item: { ...taxKey(tenant, sme.taxId), entity: "sme-tax-id", smeId: sme.id },
                  ConditionExpression: "attribute_not_exists(#pk)",
                  ExpressionAttributeNames: { "#pk": TenantRegistry.pk },
                },
              },
            ],
          }),
        );
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        // A retried request whose first attempt committed finds its own SME: that is success.
        if ((await getSme(tenant, sme.id))?.updatedAt === sme.updatedAt) return;
        if (failedAt(error).includes(1)) throw new TaxIdTakenError({ cause: error });
        throw error;
      }
    },
    get: getSme,
    async list(tenant, limit, cursor) {
      const pk = TenantRegistry.tenantPk(tenant);
      const result = await client.send(
        new QueryCommand({
          TableName: registry,
          KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
          ExpressionAttributeNames: { "#pk": TenantRegistry.pk, "#sk": TenantRegistry.sk },
          ExpressionAttributeValues: { ":pk": pk, ":prefix": SME_PREFIX },
          Limit: limit,
          ...(cursor
            ? {
                ExclusiveStartKey: { [TenantRegistry.pk]: pk, [TenantRegistry.sk]: decodeSortCursor(cursor) },
              }
            : {}),
        }),
      );
      const nextCursor = encodeSortCursor(result.LastEvaluatedKey?.[TenantRegistry.sk]);
      return { items: (result.Items ?? []).map(toSme), ...(nextCursor ? { nextCursor } : {}) };
    },
    async replace(tenant, previous, next) {
      const taxChanged = previous.taxId !== next.taxId;
      const fields = Object.entries(next).filter(([name, value]) => name !== "id" && value !== undefined);
      const removed = OPTIONAL_FIELDS.filter((name) => next[name] === undefined);
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                // An update, not a put: the count of issued keys on the item must survive.
                Update: {
                  TableName: registry,
                  Key: smeKey(tenant, next.id),
                  UpdateExpression: [
                    `SET ${fields.map(([name]) => `#${name} = :${name}`).join(", ")}`,
                    ...(removed.length > 0 ? [`REMOVE ${removed.map((name) => `#${name}`).join(", ")}`] : []),
                  ].join(" "),
                  ConditionExpression: "#updatedAt = :seen",
                  ExpressionAttributeNames: Object.fromEntries(
                    [...fields.map(([name]) => name), ...removed, "updatedAt"].map((name) => [
                      `#${name}`,
                      name,
                    ]),
                  ),
                  ExpressionAttributeValues: {
                    ...Object.fromEntries(fields.map(([name, value]) => [`:${name}`, value])),
                    ":seen": previous.updatedAt,
                  },
                },
              },
              ...(taxChanged
                ? [
                    {
                      Put: {
                        TableName: registry,
                        Item: { ...taxKey(tenant, next.taxId), entity: "sme-tax-id", smeId: next.id },
                        ConditionExpression: "attribute_not_exists(#pk)",
                        ExpressionAttributeNames: { "#pk": TenantRegistry.pk },
                      },
                    },
                    { Delete: { TableName: registry, Key: taxKey(tenant, previous.taxId) } },
                  ]
                : []),
            ],
          }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const failed = failedAt(error);
        if (failed.includes(0)) return false;
        if (failed.includes(1)) throw new TaxIdTakenError({ cause: error });
        throw error;
      }
    },
    async issuedKeys(tenant, smeId) {
      const { Item } = await client.send(
        new GetCommand({ TableName: registry, Key: smeKey(tenant, smeId), ConsistentRead: true }),
      );
      const issued = Item?.[SME_ISSUED_KEYS];
      return typeof issued === "number" ? issued : 0;
    },
    async remove(tenant, sme, revokeKeys, at, by, issuedKeys) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: registry,
                  Key: smeKey(tenant, sme.id),
                  ConditionExpression:
                    issuedKeys === 0
                      ? "attribute_exists(#pk) AND attribute_not_exists(#issued)"
                      : "attribute_exists(#pk) AND #issued = :issued",
                  ExpressionAttributeNames: { "#pk": TenantRegistry.pk, "#issued": SME_ISSUED_KEYS },
                  ...(issuedKeys === 0 ? {} : { ExpressionAttributeValues: { ":issued": issuedKeys } }),
                },
              },
              { Delete: { TableName: registry, Key: taxKey(tenant, sme.taxId) } },
              ...revokeKeys.map((keyId) => ({
                Update: {
                  TableName: tables.apiKeys,
                  Key: { [ApiKeyTable.pk]: ApiKeyTable.keyPk(keyId), [ApiKeyTable.sk]: ApiKeyTable.keySk },
                  UpdateExpression:
                    "SET #revokedAt = if_not_exists(#revokedAt, :at), #revokedBy = if_not_exists(#revokedBy, :by)",
                  ConditionExpression: "#tenant = :tenant AND #smeId = :smeId",
                  ExpressionAttributeNames: {
                    "#revokedAt": "revokedAt",
                    "#revokedBy": "revokedBy",
                    "#tenant": "tenant",
                    "#smeId": "smeId",
                  },
                  ExpressionAttributeValues: { ":at": at, ":by": by, ":tenant": tenant, ":smeId": sme.id },
                },
              })),
            ],
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof TransactionCanceledException) return false;
        throw error;
      }
    },
  };
}
