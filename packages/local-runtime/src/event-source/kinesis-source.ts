import {
  type _Record,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type Shard,
} from "@aws-sdk/client-kinesis";
import type { KinesisStreamRecord } from "aws-lambda";
import { errorNamed, eventSizeBytes, invokeIdentityArn, required } from "./source-support";
import type { ReadResult, ShardDescription, SourceDescription, SourceRecord, StreamAdapter } from "./types";

const MAX_GET_RECORDS_LIMIT = 10_000;

export function kinesisAdapter(
  client: KinesisClient,
  streamName: string,
  functionName: string,
  ownsClient: boolean,
): StreamAdapter<KinesisStreamRecord> {
  let streamArn: string | undefined;
  let region: string | undefined;
  const resolveRegion = async () => {
    region ??= await client.config.region();
    return region;
  };

  const toSourceRecord = (record: _Record, shardId: string, arn: string, awsRegion: string) => {
    const sequenceNumber = required(record.SequenceNumber, "SequenceNumber");
    const arrival = required(record.ApproximateArrivalTimestamp, "ApproximateArrivalTimestamp");
    const event: KinesisStreamRecord = {
      kinesis: {
        kinesisSchemaVersion: "1.0",
        partitionKey: required(record.PartitionKey, "PartitionKey"),
        sequenceNumber,
        data: Buffer.from(required(record.Data, "Data")).toString("base64"),
        approximateArrivalTimestamp: arrival.getTime() / 1000,
      },
      eventSource: "aws:kinesis",
      eventVersion: "1.0",
      eventID: `${shardId}:${sequenceNumber}`,
      eventName: "aws:kinesis:record",
      invokeIdentityArn: invokeIdentityArn(functionName),
      awsRegion,
      eventSourceARN: arn,
    };
    const source: SourceRecord<KinesisStreamRecord> = {
      sequenceNumber,
      arrivalMs: arrival.getTime(),
      ageFromMs: arrival.getTime(),
      sizeBytes: eventSizeBytes(event),
      event,
    };
    return source;
  };

  return {
    kind: "kinesis",
    maxReadLimit: MAX_GET_RECORDS_LIMIT,
    region: resolveRegion,
    async discover(signal): Promise<SourceDescription | undefined> {
      try {
        if (streamArn === undefined) {
          const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }), {
            abortSignal: signal,
          });
          const description = summary.StreamDescriptionSummary;
          if (!description || description.StreamStatus === "CREATING") return undefined;
          streamArn = required(description.StreamARN, "StreamARN");
        }
        const shards: Shard[] = [];
        let nextToken: string | undefined;
        do {
          const page = await client.send(
            new ListShardsCommand(
              nextToken === undefined ? { StreamName: streamName } : { NextToken: nextToken },
            ),
            { abortSignal: signal },
          );
          shards.push(...(page.Shards ?? []));
          nextToken = page.NextToken;
        } while (nextToken !== undefined);
        return { streamArn, shards: shards.map(describeShard) };
      } catch (error) {
        // A stream that is missing or still being created is waited for, not reported: the local
        // runtime may start consumers before it has created every stream.
        if (errorNamed(error, "ResourceNotFoundException", "ResourceInUseException")) {
          streamArn = undefined;
          return undefined;
        }
        throw error;
      }
    },
    async iterator(_streamArn, shardId, position, signal) {
      const response = await client.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ShardIteratorType: position.type,
          ...(position.type === "AFTER_SEQUENCE_NUMBER"
            ? { StartingSequenceNumber: position.sequenceNumber }
            : {}),
        }),
        { abortSignal: signal },
      );
      return response.ShardIterator;
    },
    async read(arn, shardId, iterator, limit, signal): Promise<ReadResult<KinesisStreamRecord>> {
      const awsRegion = await resolveRegion();
      const response = await client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(limit, MAX_GET_RECORDS_LIMIT) }),
        { abortSignal: signal },
      );
      const records = (response.Records ?? []).map((record) =>
        toSourceRecord(record, shardId, arn, awsRegion),
      );
      return {
        records,
        nextIterator: response.NextShardIterator ?? undefined,
        caughtUp: records.length === 0 && (response.MillisBehindLatest ?? 0) === 0,
      };
    },
    close() {
      if (ownsClient) client.destroy();
    },
  };
}

function describeShard(shard: Shard): ShardDescription {
  const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
    (id): id is string => typeof id === "string" && id !== "",
  );
  return { shardId: required(shard.ShardId, "ShardId"), parentShardIds: parents };
}
