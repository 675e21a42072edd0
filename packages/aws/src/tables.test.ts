import { DescribeTableCommand, DescribeTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { createDynamoDbClient } from "./clients";
import { dropTable, ensureTable } from "./tables";

const spec = {
  service: "demo",
  purpose: "things",
  partitionKey: { name: "pk", type: "S" as const },
  sortKey: { name: "sk", type: "S" as const },
  indexes: [
    { name: "byType", partitionKey: { name: "type", type: "S" as const }, projection: "ALL" as const },
  ],
  ttlAttribute: "expiresAt",
  stream: "NEW_AND_OLD_IMAGES" as const,
};

describe("ensureTable against DynamoDB Local", () => {
  it("creates a table with its index, stream and TTL, and accepts being called again", async () => {
    // Prepare
    const client = createDynamoDbClient();
    const name = `t-${crypto.randomUUID()}`;
    // Act
    const first = await ensureTable(client, name, spec);
    const second = await ensureTable(client, name, spec);
    // Assess
    expect([first, second]).toEqual([true, false]);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.GlobalSecondaryIndexes?.[0]?.IndexName).toBe("byType");
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" });
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe("expiresAt");
    await dropTable(client, name);
    await dropTable(client, name);
  });
});
