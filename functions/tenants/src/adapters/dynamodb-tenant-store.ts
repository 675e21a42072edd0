import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { Problems, Tenant, TenantRegistry, type TenantStatus } from "@sdp/contracts";
import { z } from "zod";
import { TenantExistsError, type TenantStore } from "../domain/ports";
import { TenantKeys } from "../keys";

const KIND = "tenant";
const tenantKey = (slug: string) => ({
  [TenantKeys.pk]: TenantRegistry.tenantPk(slug),
  [TenantKeys.sk]: TenantRegistry.profileSk,
});

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
        if (error instanceof ConditionalCheckFailedException)
          throw new TenantExistsError(tenant.slug, { cause: error });
        throw error;
      }
    },
    async get(slug) {
      const { Item } = await client.send(
        new GetCommand({ TableName: table, Key: tenantKey(slug), ConsistentRead: true }),
      );
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
    async transition(slug, from, to: TenantStatus, changes) {
      const fields = { ...changes, status: to };
      const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
      const names = Object.fromEntries(entries.map(([key], index) => [`#f${index}`, key]));
      const values = Object.fromEntries(entries.map(([, value], index) => [`:v${index}`, value]));
      const accepted: readonly TenantStatus[] = typeof from === "string" ? [from] : from;
      const fromValues = Object.fromEntries(accepted.map((status, index) => [`:from${index}`, status]));
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: tenantKey(slug),
            UpdateExpression: `SET ${entries.map((_, index) => `#f${index} = :v${index}`).join(", ")}`,
            ConditionExpression: `#current IN (${Object.keys(fromValues).join(", ")})`,
            ExpressionAttributeNames: { ...names, "#current": "status" },
            ExpressionAttributeValues: { ...values, ...fromValues },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
    async replaceSettings(slug, settings, condition, updatedAt) {
      const empty = Object.values(settings).every((value) => value === undefined);
      const statuses = Object.fromEntries(condition.statuses.map((status, index) => [`:s${index}`, status]));
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: tenantKey(slug),
            UpdateExpression: empty
              ? "SET #updatedAt = :updatedAt REMOVE #settings"
              : "SET #updatedAt = :updatedAt, #settings = :settings",
            ConditionExpression: `#updatedAt = :seen AND #status IN (${Object.keys(statuses).join(", ")})`,
            ExpressionAttributeNames: {
              "#updatedAt": "updatedAt",
              "#settings": "settings",
              "#status": "status",
            },
            ExpressionAttributeValues: {
              ":updatedAt": updatedAt,
              ":seen": condition.seenUpdatedAt,
              ...(empty ? {} : { ":settings": settings }),
              ...statuses,
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
    async recordExport(slug, archive, updatedAt) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: tenantKey(slug),
            UpdateExpression: "SET #export = :export, #updatedAt = :updatedAt",
            ConditionExpression: "#status = :offboarding AND attribute_not_exists(#export)",
            ExpressionAttributeNames: { "#export": "export", "#updatedAt": "updatedAt", "#status": "status" },
            ExpressionAttributeValues: {
              ":export": archive,
              ":updatedAt": updatedAt,
              ":offboarding": "offboarding",
            },
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
