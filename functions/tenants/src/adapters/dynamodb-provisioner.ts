import {
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { dropTable, ensureTable } from "@sdp/aws";
import { type DestinationTemplate, tableName } from "@sdp/contracts";
import type { DestinationProvisioner } from "../domain/ports";

/**
 * Provisions a destination by creating its tables directly with the DynamoDB API, from the destination
 * template. The local runtime uses it against DynamoDB Local; it works against AWS as well.
 */
export function buildDynamoDbProvisioner(
  client: DynamoDBClient,
  template: DestinationTemplate,
  stage: string,
): DestinationProvisioner {
  const namesFor = (slug: string) =>
    template.tables.map((spec) => ({ spec, name: tableName(stage, slug, spec.service, spec.purpose) }));
  return {
    async provision(slug) {
      const tables = namesFor(slug);
      // Sequential on purpose: DynamoDB limits concurrent control-plane operations per account.
      for (const { spec, name } of tables) await ensureTable(client, name, spec);
      return { resources: tables.map(({ name }) => name) };
    },
    async deprovision(slug) {
      for (const { name } of namesFor(slug)) await dropTable(client, name);
    },
    async tables(slug) {
      const existing: string[] = [];
      for (const { name } of namesFor(slug)) {
        try {
          await client.send(new DescribeTableCommand({ TableName: name }));
          existing.push(name);
        } catch (error) {
          if (!(error instanceof ResourceNotFoundException)) throw error;
        }
      }
      return existing;
    },
  };
}
