import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { Problems, Tenant, type TenantStatus } from "@sdp/contracts";
import { z } from "zod";
import { TenantExistsError, type TenantStore } from "../domain/ports";
import { TenantKeys } from "../keys";

const PROFILE = "PROFILE";
const KIND = "tenant";
const tenantKey = (slug: string) => ({ [TenantKeys.pk]: `TENANT#${slug}`, [TenantKeys.sk]: PROFILE });

const Cursor = z.object({ pk: z.string(), sk: z.string(), kind: z.string() });

function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString("base64url") : undefined;
}

function decodeCursor(cursor: string): Record<string, string> {
  try {
    const parsed = Cursor.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return { [TenantKeys.pk]: parsed.pk, [TenantKeys.sk]: parsed.sk, [TenantKeys.kind]: parsed.kind };
  } catch {
    throw Problems.validation([{ field: "query.cursor", reason: "is not a cursor this API returned" }]);
  }
}

function toTenant(item: Record<string, unknown>): Tenant {
  const { [TenantKeys.pk]: _pk, [TenantKeys.sk]: _sk, [TenantKeys.kind]: _kind, ...rest } = item;
  return Tenant.parse(rest);
}

/** The tenant registry in the platform table `sdp-<stage>-platform-tenants-registry`. */
export function buildDynamoDbTenantStore(client: DynamoDBDocumentClient, table: string): TenantStore {
  return {
    async insert(tenant) {
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: { ...tenantKey(tenant.slug), [TenantKeys.kind]: KIND, ...tenant },
            // A failed onboarding may be retried under the same slug; anything else is a duplicate.
            ConditionExpression: "attribute_not_exists(#pk) OR #status = :failed",
            ExpressionAttributeNames: { "#pk": TenantKeys.pk, "#status": "status" },
            ExpressionAttributeValues: { ":failed": "failed" },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw new TenantExistsError(tenant.slug, { cause: error });
        throw error;
      }
    },
    async get(slug) {
      const { Item } = await client.send(new GetCommand({ TableName: table, Key: tenantKey(slug), ConsistentRead: true }));
      return Item ? toTenant(Item) : undefined;
    },
    async list(limit, cursor) {
      const result = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: TenantKeys.byKindIndex,
          KeyConditionExpression: "#kind = :kind",
          ExpressionAttributeNames: { "#kind": TenantKeys.kind },
          ExpressionAttributeValues: { ":kind": KIND },
          Limit: limit,
          ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor) } : {}),
        }),
      );
      const nextCursor = encodeCursor(result.LastEvaluatedKey);
      return { items: (result.Items ?? []).map(toTenant), ...(nextCursor ? { nextCursor } : {}) };
    },
    async transition(slug, from: TenantStatus, to: TenantStatus, changes) {
      const fields = { ...changes, status: to };
      const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
      const names = Object.fromEntries(entries.map(([key], index) => [`#f${index}`, key]));
      const values = Object.fromEntries(entries.map(([, value], index) => [`:v${index}`, value]));
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: tenantKey(slug),
            UpdateExpression: `SET ${entries.map((_, index) => `#f${index} = :v${index}`).join(", ")}`,
            ConditionExpression: "#current = :from",
            ExpressionAttributeNames: { ...names, "#current": "status" },
            ExpressionAttributeValues: { ...values, ":from": from },
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
