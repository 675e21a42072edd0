import { ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  AuditEntry,
  AuditTable,
  finishAuditWalk,
  Problems,
  startAuditWalk,
  walkAuditChain,
} from "@sdp/contracts";
import { z } from "zod";
import type { AuditReader } from "../domain/ports";
import { decodeSortCursor, encodeSortCursor } from "./cursor";

const Head = z.object({ seq: z.number().int(), hash: z.string() });

/** A destination without its audit table (unknown, or offboarded) has no log to show. */
async function orNotFound<T>(tenant: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ResourceNotFoundException) throw Problems.notFound(`the audit log of ${tenant}`);
    throw error;
  }
}

const iso = (value: string) => new Date(value).toISOString();

/** Reads and checks a destination's audit log in its `tenants-audit` table. */
export function buildDynamoDbAuditReader(
  client: DynamoDBDocumentClient,
  tableOf: (tenant: string) => string,
): AuditReader {
  return {
    page(tenant, query) {
      return orNotFound(tenant, async () => {
        // Sort keys are `<ISO time>#<seq>`: a time range is a key range, newest first.
        const lower = query.from ? iso(query.from) : "0";
        const upper = query.to ? `${iso(query.to)}#~` : "~";
        const result = await client.send(
          new QueryCommand({
            TableName: tableOf(tenant),
            KeyConditionExpression: "#pk = :log AND #sk BETWEEN :lower AND :upper",
            ExpressionAttributeNames: { "#pk": AuditTable.pk, "#sk": AuditTable.sk },
            ExpressionAttributeValues: { ":log": AuditTable.logPk, ":lower": lower, ":upper": upper },
            ScanIndexForward: false,
            Limit: query.limit,
            ...(query.cursor
              ? {
                  ExclusiveStartKey: {
                    [AuditTable.pk]: AuditTable.logPk,
                    [AuditTable.sk]: decodeSortCursor(query.cursor),
                  },
                }
              : {}),
          }),
        );
        const nextCursor = encodeSortCursor(result.LastEvaluatedKey?.[AuditTable.sk]);
        return {
          items: (result.Items ?? []).map((item) => AuditEntry.parse(item)),
          ...(nextCursor ? { nextCursor } : {}),
        };
      });
    },
    verify(tenant) {
      return orNotFound(tenant, async () => {
        const table = tableOf(tenant);
        // The head first: entries appended while the walk runs lie beyond it and are not judged.
        const { Item } = await client.send(
          new GetCommand({
            TableName: table,
            Key: { [AuditTable.pk]: AuditTable.headPk, [AuditTable.sk]: AuditTable.headSk },
            ConsistentRead: true,
          }),
        );
        const head = Item ? Head.parse(Item) : undefined;
        let walk = startAuditWalk();
        let start: Record<string, unknown> | undefined;
        do {
          const page = await client.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: "#pk = :log",
              ExpressionAttributeNames: { "#pk": AuditTable.pk },
              ExpressionAttributeValues: { ":log": AuditTable.logPk },
              ConsistentRead: true,
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          );
          const items = (page.Items ?? []).filter((item) => !head || Number(item.seq) <= head.seq);
          walk = walkAuditChain(walk, items);
          start = walk.firstBroken ? undefined : page.LastEvaluatedKey;
        } while (start);
        return finishAuditWalk(walk, head);
      });
    },
  };
}
