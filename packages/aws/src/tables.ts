import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import type { DestinationTableSpec } from "@sdp/contracts";

/** The CreateTable input for a declared table: on-demand, encrypted, with its indexes and stream. */
export function createTableInput(tableName: string, spec: DestinationTableSpec): CreateTableCommandInput {
  const attributes = new Map<string, AttributeDefinition>();
  const remember = (key: { name: string; type: "S" | "N" | "B" } | undefined) => {
    if (key) attributes.set(key.name, { AttributeName: key.name, AttributeType: key.type });
  };
  remember(spec.partitionKey);
  remember(spec.sortKey);
  for (const index of spec.indexes ?? []) {
    remember(index.partitionKey);
    remember(index.sortKey);
  }
  const keySchema = (pk: { name: string }, sk?: { name: string }) => [
    { AttributeName: pk.name, KeyType: "HASH" as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: "RANGE" as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [...attributes.values()],
    KeySchema: keySchema(spec.partitionKey, spec.sortKey),
    ...(spec.indexes && spec.indexes.length > 0
      ? {
          GlobalSecondaryIndexes: spec.indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: index.projection },
          })),
        }
      : {}),
    ...(spec.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: spec.stream } } : {}),
  };
}

async function waitForStatus(
  client: DynamoDBClient,
  tableName: string,
  want: "ACTIVE" | "GONE",
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (want === "ACTIVE" && Table?.TableStatus === "ACTIVE") return;
    } catch (error) {
      if (error instanceof ResourceNotFoundException && want === "GONE") return;
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`table ${tableName} did not become ${want} within ${timeoutMs} ms`);
}

/**
 * Creates a table if it does not exist, waits until it is active and enables TTL. Safe to call again:
 * an existing table is accepted as it is.
 * @returns whether the table was created by this call.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  spec: DestinationTableSpec,
  timeoutMs = 60_000,
): Promise<boolean> {
  let created = true;
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName, spec)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    created = false;
  }
  await waitForStatus(client, tableName, "ACTIVE", timeoutMs);
  if (spec.ttlAttribute) {
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== "ENABLED") {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
        }),
      );
    }
  }
  return created;
}

/** Deletes a table if it exists and waits until it is gone. */
export async function dropTable(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs = 60_000,
): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return;
    throw error;
  }
  await waitForStatus(client, tableName, "GONE", timeoutMs);
}
