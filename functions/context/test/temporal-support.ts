import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import { createDocumentClient, createDynamoDbClient, ensureTable } from "@sdp/aws";
import type { ContextDeadLetter } from "@sdp/contracts";
import { destinationTemplate, tableName } from "@sdp/contracts";
import { Scope } from "@sdp/kernel";
import type { DynamoDBRecord } from "aws-lambda";
import { toLambdaImage } from "../../../packages/local-runtime/src/event-source/dynamodb-source";
import { CONTEXT_SERVICE, ENTITIES_TABLE } from "../src/keys";
import { contextManifest } from "../src/manifest";
import type { DeadLetterSink } from "../src/streams/dead-letters";
import { buildDynamoDbHistoryStore } from "../src/temporal/adapters/dynamodb-history-store";
import type { TemporalDeps } from "../src/temporal/domain/ports";
import { HISTORY_TABLE } from "../src/temporal/keys";
import { TEST_STAGE, testDeps, uniqueSlug } from "./support";

/** A destination with every context table the manifest declares (entities, history, …). */
export async function freshDestination(): Promise<{ slug: string; entities: string; history: string }> {
  const slug = uniqueSlug();
  const client = createDynamoDbClient();
  for (const spec of destinationTemplate([contextManifest]).tables) {
    if (spec.purpose !== ENTITIES_TABLE && spec.purpose !== HISTORY_TABLE) continue;
    await ensureTable(client, tableName(TEST_STAGE, slug, CONTEXT_SERVICE, spec.purpose), spec);
  }
  return {
    slug,
    entities: tableName(TEST_STAGE, slug, CONTEXT_SERVICE, ENTITIES_TABLE),
    history: tableName(TEST_STAGE, slug, CONTEXT_SERVICE, HISTORY_TABLE),
  };
}

const client = createDocumentClient();

/** The broker with its history, against DynamoDB Local; tables follow the tenant in scope. */
export function temporalTestDeps(options: { now?: () => string; retentionDays?: number } = {}): TemporalDeps {
  return {
    ...testDeps(options.now),
    history: () =>
      buildDynamoDbHistoryStore(
        client,
        tableName(TEST_STAGE, Scope.tenant(), CONTEXT_SERVICE, HISTORY_TABLE),
        {
          retentionDays: options.retentionDays ?? 36_500,
        },
      ),
  };
}

/** A dead-letter queue that keeps what it is sent, and can be made to fail. */
export function memorySink(): DeadLetterSink & { letters: ContextDeadLetter[]; failing: boolean } {
  const sink = {
    letters: [] as ContextDeadLetter[],
    failing: false,
    async send(letters: readonly ContextDeadLetter[]) {
      if (sink.failing) throw new Error("queue unavailable");
      sink.letters.push(...letters);
    },
  };
  return sink;
}

/**
 * Reads the real stream of a table from DynamoDB Local, as Lambda's event source would deliver it,
 * from `after` records on: the test drives the recorder with the very records the table produced.
 */
export async function streamRecords(table: string, skip = 0): Promise<DynamoDBRecord[]> {
  const streams = new DynamoDBStreamsClient({});
  const tables = createDynamoDbClient();
  try {
    const { Table } = await tables.send(new DescribeTableCommand({ TableName: table }));
    const streamArn = Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`${table} has no stream`);
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const out: DynamoDBRecord[] = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.ShardId,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      );
      let iterator = ShardIterator;
      for (let pages = 0; iterator && pages < 20; pages++) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        for (const record of page.Records ?? []) {
          const change = record.dynamodb;
          out.push({
            eventID: record.eventID ?? "",
            eventName: record.eventName ?? "MODIFY",
            eventSource: "aws:dynamodb",
            awsRegion: "eu-west-1",
            eventSourceARN: streamArn,
            dynamodb: {
              ...(change?.Keys ? { Keys: toLambdaImage(change.Keys) } : {}),
              ...(change?.NewImage ? { NewImage: toLambdaImage(change.NewImage) } : {}),
              ...(change?.OldImage ? { OldImage: toLambdaImage(change.OldImage) } : {}),
              SequenceNumber: change?.SequenceNumber ?? "",
              ApproximateCreationDateTime:
                (change?.ApproximateCreationDateTime?.getTime() ?? Date.now()) / 1000,
              StreamViewType: "NEW_AND_OLD_IMAGES",
            },
          });
        }
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return out.slice(skip);
  } finally {
    streams.destroy();
    tables.destroy();
  }
}
