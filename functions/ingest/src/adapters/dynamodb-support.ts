import { ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { Problems } from "@sdp/contracts";
import { z } from "zod";
import { UnknownDestinationError } from "../domain/ports";
import { IngestKeys } from "../keys";

/** The physical name of a destination's table, from the destination (never from request input). */
export type TableOf = (tenant: string) => string;

/** Runs a call on a destination's table; a missing table means the destination has no registry. */
export async function onTable<T>(tenant: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ResourceNotFoundException)
      throw new UnknownDestinationError(tenant, { cause: error });
    throw error;
  }
}

const Cursor = z.object({ [IngestKeys.pk]: z.string(), [IngestKeys.sk]: z.string() });

export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString("base64url") : undefined;
}

/** A cursor this API handed out, or a 400 naming the parameter. */
export function decodeCursor(cursor: string, partition: string): Record<string, string> {
  try {
    const parsed = Cursor.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    if (parsed[IngestKeys.pk] !== partition) throw new Error("cursor of another listing");
    return { [IngestKeys.pk]: parsed[IngestKeys.pk], [IngestKeys.sk]: parsed[IngestKeys.sk] };
  } catch {
    throw Problems.validation([{ field: "query.cursor", reason: "is not a cursor this API returned" }]);
  }
}

/** Drops the table keys from an item before it is parsed as a domain record. */
export function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { [IngestKeys.pk]: _pk, [IngestKeys.sk]: _sk, [IngestKeys.ttl]: _ttl, ...rest } = item;
  return rest;
}

/** Epoch seconds, for DynamoDB TTL. */
export function expiresIn(seconds: number, from: Date = new Date()): number {
  return Math.floor(from.getTime() / 1000) + seconds;
}

/** One page of a listing partition of a destination's table, in key order, with the cursor of the next. */
export async function queryPartitionPage(
  client: DynamoDBDocumentClient,
  table: string,
  tenant: string,
  page: { partition: string; limit: number; cursor?: string | undefined; consistent?: boolean },
): Promise<{ items: Record<string, unknown>[]; nextCursor?: string }> {
  const result = await onTable(tenant, () =>
    client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": IngestKeys.pk },
        ExpressionAttributeValues: { ":pk": page.partition },
        Limit: page.limit,
        ...(page.consistent ? { ConsistentRead: true } : {}),
        ...(page.cursor ? { ExclusiveStartKey: decodeCursor(page.cursor, page.partition) } : {}),
      }),
    ),
  );
  const nextCursor = encodeCursor(result.LastEvaluatedKey);
  return { items: result.Items ?? [], ...(nextCursor ? { nextCursor } : {}) };
}
