import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteWriteRequest,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import { Device } from "@sdp/contracts";
import { DeviceExistsError, type DeviceStore } from "../domain/ports";
import { IngestKeys, Partitions } from "../keys";
import { onTable, queryPartitionPage, type TableOf, withoutKeys } from "./dynamodb-support";

const deviceKey = (deviceId: string) => ({ [IngestKeys.pk]: Partitions.devices, [IngestKeys.sk]: deviceId });
const healthKey = (deviceId: string) => ({ [IngestKeys.pk]: Partitions.health, [IngestKeys.sk]: deviceId });

/** BatchGetItem's limit. */
const BATCH_GET_KEYS = 100;

/**
 * The device registry in each destination's `ingest` table: devices in the `DEVICES` partition (so a
 * destination's devices list with one query), each with its health item in `HEALTH`.
 */
export function buildDynamoDbDeviceStore(client: DynamoDBDocumentClient, tableOf: TableOf): DeviceStore {
  return {
    async insert(tenant, device) {
      const TableName = tableOf(tenant);
      try {
        await onTable(tenant, () =>
          client.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName,
                    Item: { ...deviceKey(device.deviceId), ...device },
                    ConditionExpression: "attribute_not_exists(#pk)",
                    ExpressionAttributeNames: { "#pk": IngestKeys.pk },
                  },
                },
                {
                  Put: {
                    TableName,
                    Item: {
                      ...healthKey(device.deviceId),
                      deviceId: device.deviceId,
                      entityId: device.entityId,
                      expectedIntervalSeconds: device.expectedIntervalSeconds,
                      registeredAt: device.createdAt,
                      messageCount: 0,
                      decodeErrorCount: 0,
                      windowStartedAt: device.createdAt,
                      windowMessages: 0,
                    },
                  },
                },
              ],
            }),
          ),
        );
      } catch (error) {
        if (
          error instanceof TransactionCanceledException &&
          error.CancellationReasons?.[0]?.Code === "ConditionalCheckFailed"
        ) {
          throw new DeviceExistsError(device.deviceId);
        }
        throw error;
      }
    },

    async get(tenant, deviceId) {
      const { Item } = await onTable(tenant, () =>
        client.send(
          new GetCommand({ TableName: tableOf(tenant), Key: deviceKey(deviceId), ConsistentRead: true }),
        ),
      );
      return Item ? Device.parse(withoutKeys(Item)) : undefined;
    },

    async getMany(tenant, deviceIds) {
      const TableName = tableOf(tenant);
      const found = new Map<string, Device>();
      for (let start = 0; start < deviceIds.length; start += BATCH_GET_KEYS) {
        let keys: Record<string, unknown>[] | undefined = deviceIds
          .slice(start, start + BATCH_GET_KEYS)
          .map(deviceKey);
        for (let attempt = 0; keys && keys.length > 0; attempt += 1) {
          if (attempt > 0)
            await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
          const request: Record<string, unknown>[] = keys;
          const response = await onTable(tenant, () =>
            client.send(
              new BatchGetCommand({ RequestItems: { [TableName]: { Keys: request, ConsistentRead: true } } }),
            ),
          );
          for (const item of response.Responses?.[TableName] ?? []) {
            const device = Device.parse(withoutKeys(item));
            found.set(device.deviceId, device);
          }
          keys = response.UnprocessedKeys?.[TableName]?.Keys;
          if (attempt > 8 && keys && keys.length > 0) throw new Error("BatchGetItem left keys unprocessed");
        }
      }
      return found;
    },

    async list(tenant, limit, cursor) {
      const page = await queryPartitionPage(client, tableOf(tenant), tenant, {
        partition: Partitions.devices,
        limit,
        cursor,
      });
      return { ...page, items: page.items.map((item) => Device.parse(withoutKeys(item))) };
    },

    async remove(tenant, deviceId) {
      const TableName = tableOf(tenant);
      const { Item: existing } = await onTable(tenant, () =>
        client.send(new GetCommand({ TableName, Key: deviceKey(deviceId), ConsistentRead: true })),
      );
      const commandKeys: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await onTable(tenant, () =>
          client.send(
            new QueryCommand({
              TableName,
              KeyConditionExpression: "#pk = :pk",
              ExpressionAttributeNames: { "#pk": IngestKeys.pk, "#sk": IngestKeys.sk },
              ExpressionAttributeValues: { ":pk": Partitions.commands(deviceId) },
              ProjectionExpression: "#pk, #sk",
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          ),
        );
        commandKeys.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      const keys = [deviceKey(deviceId), healthKey(deviceId), ...commandKeys];
      for (let index = 0; index < keys.length; index += 25) {
        let requests: BatchWriteWriteRequest[] = keys
          .slice(index, index + 25)
          .map((Key) => ({ DeleteRequest: { Key } }));
        for (let attempt = 0; requests.length > 0 && attempt < 10; attempt += 1) {
          const sent = requests;
          const response = await onTable(tenant, () =>
            client.send(new BatchWriteCommand({ RequestItems: { [TableName]: sent } })),
          );
          requests = response.UnprocessedItems?.[TableName] ?? [];
        }
      }
      return existing !== undefined;
    },
  };
}
