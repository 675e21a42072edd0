import { type DynamoDBDocumentClient, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import type { DestinationDirectory } from "../domain/ports";
import { IngestKeys } from "../keys";

const Entry = z.object({ [IngestKeys.slug]: z.string() });

/** The platform table `sdp-<stage>-platform-ingest-destinations`: one item per destination with devices. */
export function buildDynamoDbDestinationDirectory(
  client: DynamoDBDocumentClient,
  table: string,
): DestinationDirectory {
  return {
    async remember(tenant) {
      await client.send(new PutCommand({ TableName: table, Item: { [IngestKeys.slug]: tenant } }));
    },
    async list() {
      const slugs: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }),
        );
        for (const item of page.Items ?? []) slugs.push(Entry.parse(item)[IngestKeys.slug]);
        start = page.LastEvaluatedKey;
      } while (start);
      return slugs.sort();
    },
  };
}
