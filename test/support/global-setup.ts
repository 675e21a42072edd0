import type { TestProject } from "vitest/node";
import { startDynamoDbLocal } from "../../packages/local-runtime/src/emulators/dynamodb-local";
import { startKinesalite } from "../../packages/local-runtime/src/emulators/kinesalite";
import { freePort } from "../../packages/local-runtime/src/net";

/**
 * One DynamoDB Local and one kinesalite for the whole run, in memory. Tests isolate themselves with
 * unique table, stream and tenant names instead of fresh emulators.
 */
export default async function setup(project: TestProject) {
  const [dynamodb, kinesis] = await Promise.all([
    startDynamoDbLocal({ port: await freePort() }),
    startKinesalite({ port: await freePort() }),
  ]);
  project.provide("dynamodbEndpoint", dynamodb.endpoint);
  project.provide("kinesisEndpoint", kinesis.endpoint);
  return async () => {
    await Promise.all([dynamodb.stop(), kinesis.stop()]);
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    kinesisEndpoint: string;
  }
}
