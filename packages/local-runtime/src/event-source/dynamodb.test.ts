import { join } from "node:path";
import {
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { createDynamoDbClient } from "@sdp/aws";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { LambdaHandler } from "../lambda/invoke";
import { openFileQueue } from "../queue/file-queue";
import { type RunningEventSourceMapping, startEventSourceMapping } from "./index";
import { settingsFor, temporaryDirectory } from "./test-helpers";

const dynamodb = createDynamoDbClient();
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(() => {
  dynamodb.destroy();
});

const EventSchema = z.object({ Records: z.array(z.record(z.string(), z.unknown())) });

/** Keeps every record the function received, as plain JSON objects. */
function recordingHandler(records: Array<Record<string, unknown>>): () => Promise<LambdaHandler> {
  return async () => async (event) => {
    records.push(...EventSchema.parse(event).Records);
  };
}

async function createTable(tableName: string): Promise<string> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
    }),
  );
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
  if (!Table?.LatestStreamArn) throw new Error("table has no stream");
  return Table.LatestStreamArn;
}

describe("DynamoDB Streams event source mapping against DynamoDB Local", () => {
  it("waits quietly for the table, then delivers INSERT, MODIFY and REMOVE in Lambda's shape", async () => {
    // Prepare
    const dir = await temporaryDirectory();
    const tableName = `esm-${crypto.randomUUID()}`;
    const records: Array<Record<string, unknown>> = [];
    let mapping: RunningEventSourceMapping | undefined;
    cleanups.push(async () => {
      await mapping?.stop();
      await dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      await dir.remove();
    });
    mapping = startEventSourceMapping({
      name: "ddb-consumer",
      source: { kind: "dynamodb", tableName },
      settings: settingsFor({ source: { kind: "dynamodb", tablePurpose: "things", scope: "platform" } }),
      handler: recordingHandler(records),
      checkpointFile: join(dir.path, "checkpoint.json"),
    });
    await mapping.idle();
    const streamArn = await createTable(tableName);
    const blob = new Uint8Array([1, 2, 3]);

    // Act
    await dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: "item-1" },
          count: { N: "1" },
          blob: { B: blob },
          tags: { SS: ["red"] },
          nested: {
            M: { flag: { BOOL: true }, nothing: { NULL: true }, list: { L: [{ N: "7" }, { S: "x" }] } },
          },
        },
      }),
    );
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: "item-1" } },
        UpdateExpression: "SET #count = :two",
        ExpressionAttributeNames: { "#count": "count" },
        ExpressionAttributeValues: { ":two": { N: "2" } },
      }),
    );
    await dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: "item-1" } } }));
    await mapping.idle();

    // Assess
    const inserted = {
      pk: { S: "item-1" },
      count: { N: "1" },
      blob: { B: Buffer.from(blob).toString("base64") },
      tags: { SS: ["red"] },
      nested: { M: { flag: { BOOL: true }, nothing: { NULL: true }, list: { L: [{ N: "7" }, { S: "x" }] } } },
    };
    const modified = { ...inserted, count: { N: "2" } };
    const change = (eventName: string, images: Record<string, unknown>) => ({
      eventID: expect.any(String),
      eventName,
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: "eu-west-1",
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: { pk: { S: "item-1" } },
        ...images,
        SequenceNumber: expect.any(String),
        SizeBytes: expect.any(Number),
        StreamViewType: "NEW_AND_OLD_IMAGES",
      },
      eventSourceARN: streamArn,
    });
    expect(records).toEqual([
      change("INSERT", { NewImage: inserted }),
      change("MODIFY", { NewImage: modified, OldImage: inserted }),
      change("REMOVE", { OldImage: modified }),
    ]);
    expect(Object.keys(records[0] ?? {})).toEqual([
      "eventID",
      "eventName",
      "eventVersion",
      "eventSource",
      "awsRegion",
      "dynamodb",
      "eventSourceARN",
    ]);
    const created = z
      .object({ dynamodb: z.object({ ApproximateCreationDateTime: z.number() }) })
      .parse(records[0]);
    expect(Math.abs(created.dynamodb.ApproximateCreationDateTime - Date.now() / 1000)).toBeLessThan(120);
  });

  it("dead-letters a failing DynamoDB batch with DDBStreamBatchInfo", async () => {
    // Prepare
    const dir = await temporaryDirectory();
    const tableName = `esm-${crypto.randomUUID()}`;
    const streamArn = await createTable(tableName);
    const dlq = openFileQueue("dlq", join(dir.path, "dlq.jsonl"));
    let mapping: RunningEventSourceMapping | undefined;
    cleanups.push(async () => {
      await mapping?.stop();
      await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
      await dir.remove();
    });
    await dynamodb.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: "bad" } } }));

    // Act
    mapping = startEventSourceMapping({
      name: "ddb-failing-consumer",
      source: { kind: "dynamodb", tableName },
      settings: settingsFor({ maximumRetryAttempts: 1 }),
      handler: async () => async () => {
        throw new Error("refused");
      },
      onFailure: dlq,
      checkpointFile: join(dir.path, "checkpoint.json"),
      retryBackoffMs: { min: 20, max: 20 },
    });
    await mapping.idle();

    // Assess
    expect(dlq.list().map((message) => message.body)).toEqual([
      {
        requestContext: {
          requestId: expect.any(String),
          functionArn: "arn:aws:lambda:eu-west-1:000000000000:function:ddb-failing-consumer",
          condition: "RetryAttemptsExhausted",
          approximateInvokeCount: 2,
        },
        responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
        version: "1.0",
        timestamp: expect.any(String),
        DDBStreamBatchInfo: {
          shardId: expect.stringMatching(/^shardId-/),
          startSequenceNumber: expect.any(String),
          endSequenceNumber: expect.any(String),
          approximateArrivalOfFirstRecord: expect.any(String),
          approximateArrivalOfLastRecord: expect.any(String),
          batchSize: 1,
          streamArn,
        },
      },
    ]);
  });
});
