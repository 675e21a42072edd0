import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";

/**
 * SDK clients configured by the environment only: region, credentials and `AWS_ENDPOINT_URL_<SERVICE>`
 * decide whether they reach AWS or the local emulators, so handler code has no local branches.
 * Handler modules call these once, at module scope.
 */
export function createDynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({ maxAttempts: 3 });
}

export function createDocumentClient(
  client: DynamoDBClient = createDynamoDbClient(),
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
}

export function createDynamoDbStreamsClient(): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({ maxAttempts: 3 });
}

/** kinesalite speaks HTTP/1.1 only, and AWS accepts it too, so Kinesis always gets the HTTP/1.1 handler. */
export function createKinesisClient(): KinesisClient {
  return new KinesisClient({
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000 }),
  });
}
