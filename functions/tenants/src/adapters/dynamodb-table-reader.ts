import { type DynamoDBDocumentClient, paginateScan } from "@aws-sdk/lib-dynamodb";
import type { TableReader } from "../domain/ports";

/** Reads whole tables with consistent, paginated scans (for exports). */
export function buildDynamoDbTableReader(client: DynamoDBDocumentClient): TableReader {
  return {
    async *items(table) {
      for await (const page of paginateScan(
        { client, pageSize: 500 },
        { TableName: table, ConsistentRead: true },
      )) {
        for (const item of page.Items ?? []) yield item;
      }
    },
  };
}
