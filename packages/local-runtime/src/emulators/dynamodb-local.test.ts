import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../net";
import {
  assertJavaAvailable,
  dynamoDbLocalJar,
  JavaMissingError,
  startDynamoDbLocal,
} from "./dynamodb-local";

describe("DynamoDB Local launcher", () => {
  const savedPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  it("finds the AWS jar inside the installed npm package, with no download", () => {
    expect(existsSync(dynamoDbLocalJar())).toBe(true);
  });

  it("explains how to install Java when it is missing", () => {
    // Prepare
    process.env.PATH = "/nonexistent";
    // Act
    const attempt = () => assertJavaAvailable();
    // Assess
    expect(attempt).toThrow(JavaMissingError);
    expect(attempt).toThrow(/apt-get install openjdk-17-jdk-headless/);
  });

  it("indexes the stream records of a database on disk, keeps them across a restart, and streams as before", async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), "sdp-ddb-local-"));
    const config = (endpoint: string) => ({
      endpoint,
      region: "eu-west-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const expected = ["sdp_stream_records_by_shard", "sdp_stream_records_by_stream"];
    try {
      // Act
      const first = await startDynamoDbLocal({ port: await freePort(), dataDir });
      const firstIndexes = first.streamRecordIndexes;
      await first.stop();
      const second = await startDynamoDbLocal({ port: await freePort(), dataDir });
      const tables = new DynamoDBClient(config(second.endpoint));
      const streams = new DynamoDBStreamsClient(config(second.endpoint));
      try {
        await tables.send(
          new CreateTableCommand({
            TableName: "indexed-streams",
            KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
            AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
            BillingMode: "PAY_PER_REQUEST",
            StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
          }),
        );
        const table = await tables.send(new DescribeTableCommand({ TableName: "indexed-streams" }));
        const streamArn = table.Table?.LatestStreamArn ?? "";
        const stream = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
        const shardId = stream.StreamDescription?.Shards?.[0]?.ShardId ?? "";
        const iterator = await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: "TRIM_HORIZON",
          }),
        );
        const empty = await streams.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }));
        await tables.send(new PutItemCommand({ TableName: "indexed-streams", Item: { pk: { S: "one" } } }));
        const read = await streams.send(new GetRecordsCommand({ ShardIterator: empty.NextShardIterator }));
        // Assess
        expect(firstIndexes).toEqual(expect.arrayContaining(expected));
        expect(second.streamRecordIndexes).toEqual(expect.arrayContaining(expected));
        expect(empty.Records).toEqual([]);
        expect(read.Records?.map((record) => record.dynamodb?.NewImage?.pk?.S)).toEqual(["one"]);
      } finally {
        tables.destroy();
        streams.destroy();
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("leaves an in-memory database as DynamoDB Local made it", async () => {
    // Act
    const running = await startDynamoDbLocal({ port: await freePort() });
    await running.stop();
    // Assess
    expect(running.streamRecordIndexes).toEqual([]);
  }, 60_000);
});
