import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type AttributeValue as StreamAttributeValue,
} from "@aws-sdk/client-dynamodb-streams";
import type { AttributeValue, DynamoDBRecord, StreamRecord } from "aws-lambda";
import { errorNamed, eventSizeBytes, required } from "./source-support";
import type { ReadResult, ShardDescription, SourceDescription, SourceRecord, StreamAdapter } from "./types";

const MAX_GET_RECORDS_LIMIT = 1_000;

export function dynamodbAdapter(
  tables: DynamoDBClient,
  streams: DynamoDBStreamsClient,
  tableName: string,
  ownsClients: { tables: boolean; streams: boolean },
): StreamAdapter<DynamoDBRecord> {
  let region: string | undefined;
  const resolveRegion = async () => {
    region ??= await streams.config.region();
    return region;
  };

  const toSourceRecord = (record: _Record, streamArn: string, awsRegion: string, readAt: number) => {
    const change = required(record.dynamodb, "dynamodb");
    const sequenceNumber = required(change.SequenceNumber, "SequenceNumber");
    const created = required(change.ApproximateCreationDateTime, "ApproximateCreationDateTime");
    const dynamodb: StreamRecord = {
      ApproximateCreationDateTime: created.getTime() / 1000,
      ...(change.Keys ? { Keys: toLambdaImage(change.Keys) } : {}),
      ...(change.NewImage ? { NewImage: toLambdaImage(change.NewImage) } : {}),
      ...(change.OldImage ? { OldImage: toLambdaImage(change.OldImage) } : {}),
      SequenceNumber: sequenceNumber,
      ...(change.SizeBytes !== undefined ? { SizeBytes: change.SizeBytes } : {}),
      ...(change.StreamViewType ? { StreamViewType: change.StreamViewType } : {}),
    };
    // Lambda reports the region the function runs in; DynamoDB Local writes its own placeholder.
    const event: DynamoDBRecord = {
      eventID: required(record.eventID, "eventID"),
      eventName: required(record.eventName, "eventName"),
      eventVersion: record.eventVersion ?? "1.1",
      eventSource: record.eventSource ?? "aws:dynamodb",
      awsRegion,
      dynamodb,
      eventSourceARN: streamArn,
      ...(record.userIdentity
        ? { userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId } }
        : {}),
    };
    const source: SourceRecord<DynamoDBRecord> = {
      sequenceNumber,
      arrivalMs: created.getTime(),
      ageFromMs: latestPossibleCreation(created.getTime(), readAt),
      sizeBytes: eventSizeBytes(event),
      event,
    };
    return source;
  };

  return {
    kind: "dynamodb",
    maxReadLimit: MAX_GET_RECORDS_LIMIT,
    region: resolveRegion,
    async discover(signal): Promise<SourceDescription | undefined> {
      let streamArn: string | undefined;
      try {
        const table = await tables.send(new DescribeTableCommand({ TableName: tableName }), {
          abortSignal: signal,
        });
        streamArn = table.Table?.LatestStreamArn;
        if (streamArn === undefined || table.Table?.StreamSpecification?.StreamEnabled === false)
          return undefined;
        const shards: Shard[] = [];
        let exclusiveStartShardId: string | undefined;
        do {
          const page = await streams.send(
            new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
            { abortSignal: signal },
          );
          shards.push(...(page.StreamDescription?.Shards ?? []));
          exclusiveStartShardId = page.StreamDescription?.LastEvaluatedShardId;
        } while (exclusiveStartShardId !== undefined);
        return { streamArn, shards: shards.map(describeShard) };
      } catch (error) {
        // The table (or its stream) may not exist yet: the local runtime can start consumers before
        // tenant tables are created, and Lambda itself only starts once the stream exists.
        if (errorNamed(error, "ResourceNotFoundException")) return undefined;
        throw error;
      }
    },
    async iterator(streamArn, shardId, position, signal) {
      const response = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ShardIteratorType: position.type,
          ...(position.type === "AFTER_SEQUENCE_NUMBER" ? { SequenceNumber: position.sequenceNumber } : {}),
        }),
        { abortSignal: signal },
      );
      return response.ShardIterator;
    },
    async read(streamArn, _shardId, iterator, limit, signal): Promise<ReadResult<DynamoDBRecord>> {
      const awsRegion = await resolveRegion();
      const response = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(limit, MAX_GET_RECORDS_LIMIT) }),
        { abortSignal: signal },
      );
      const readAt = Date.now();
      const records = (response.Records ?? []).map((record) =>
        toSourceRecord(record, streamArn, awsRegion, readAt),
      );
      return {
        records,
        nextIterator: response.NextShardIterator ?? undefined,
        caughtUp: records.length === 0,
      };
    },
    close() {
      if (ownsClients.tables) tables.destroy();
      if (ownsClients.streams) streams.destroy();
    },
  };
}

/**
 * DynamoDB rounds ApproximateCreationDateTime down to the second, and DynamoDB Local down to the
 * minute: measured from it, a fresh record could look a minute old and be discarded under
 * MaximumRecordAgeInSeconds=60. The latest instant the rounding allows (but no later than when the
 * record was read) never makes a record look older than it is.
 */
function latestPossibleCreation(createdMs: number, readAtMs: number): number {
  const rounding = createdMs % 60_000 === 0 ? 60_000 : 1_000;
  return Math.min(createdMs + rounding, readAtMs);
}

function describeShard(shard: Shard): ShardDescription {
  const parents =
    typeof shard.ParentShardId === "string" && shard.ParentShardId !== "" ? [shard.ParentShardId] : [];
  return { shardId: required(shard.ShardId, "ShardId"), parentShardIds: parents };
}

/** Lambda sends images in DynamoDB JSON, with binary values base64-encoded as on the wire. */
export function toLambdaImage(image: Record<string, StreamAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaAttribute(value)]));
}

function toLambdaAttribute(value: StreamAttributeValue): AttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttribute) };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  throw new Error("Stream record holds an attribute value of an unknown type");
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}
