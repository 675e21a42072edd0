import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { DeviceAlert } from "@sdp/contracts";
import { z } from "zod";
import { RATE_WINDOW_MS } from "../domain/health";
import type { DeviceActivity, HealthRecord, HealthStore } from "../domain/ports";
import { HISTORY_RETENTION_SECONDS, IngestKeys, Partitions } from "../keys";
import {
  decodeCursor,
  encodeCursor,
  expiresIn,
  onTable,
  type TableOf,
  withoutKeys,
} from "./dynamodb-support";

const healthKey = (deviceId: string) => ({ [IngestKeys.pk]: Partitions.health, [IngestKeys.sk]: deviceId });
const counterKey = { [IngestKeys.pk]: Partitions.counters, [IngestKeys.sk]: Partitions.deadLetterCounter };

const HealthItem = z.object({
  deviceId: z.string(),
  entityId: z.string(),
  expectedIntervalSeconds: z.number(),
  registeredAt: z.string(),
  lastSeenAt: z.string().optional(),
  lastObservedAt: z.string().optional(),
  messageCount: z.number(),
  decodeErrorCount: z.number(),
  windowStartedAt: z.string(),
  windowMessages: z.number(),
  battery: z.number().optional(),
  alert: DeviceAlert.optional(),
});

const toRecord = (item: Record<string, unknown>): HealthRecord => HealthItem.parse(withoutKeys(item));

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

/**
 * Device health in each destination's `ingest` table (`HEALTH` partition), dead-letter counters
 * (`COUNTERS`) and the alert history (`ALERTS`, kept 30 days).
 */
export function buildDynamoDbHealthStore(client: DynamoDBDocumentClient, tableOf: TableOf): HealthStore {
  const recordHistory = (tenant: string, alert: DeviceAlert) =>
    client.send(
      new PutCommand({
        TableName: tableOf(tenant),
        Item: {
          [IngestKeys.pk]: Partitions.alerts,
          [IngestKeys.sk]: `${alert.raisedAt}#${alert.deviceId}`,
          ...alert,
          [IngestKeys.ttl]: expiresIn(HISTORY_RETENTION_SECONDS),
        },
      }),
    );

  /** One device's activity; the measuring window restarts once it is older than RATE_WINDOW_MS. */
  async function record(
    tenant: string,
    activity: DeviceActivity,
    now: Date,
  ): Promise<DeviceAlert | undefined> {
    const sets: string[] = [];
    const values: Record<string, unknown> = { ":m": activity.messages, ":e": activity.decodeErrors };
    if (activity.lastSeenAt) {
      sets.push("lastSeenAt = :seen");
      values[":seen"] = activity.lastSeenAt;
    }
    if (activity.lastObservedAt) {
      sets.push("lastObservedAt = :observed");
      values[":observed"] = activity.lastObservedAt;
    }
    if (activity.battery) {
      sets.push("battery = :battery, batteryObservedAt = :batteryAt");
      values[":battery"] = activity.battery.value;
      values[":batteryAt"] = activity.battery.observedAt;
    }
    // Data arriving again clears the silence alert; only messages that decoded count as the device alive.
    const alive = activity.messages > activity.decodeErrors;
    const remove = alive ? " REMOVE alert" : "";
    const base = {
      TableName: tableOf(tenant),
      Key: healthKey(activity.deviceId),
      ReturnValues: "UPDATED_OLD" as const,
      ExpressionAttributeNames: { "#pk": IngestKeys.pk },
    };
    const set = (extra: string[]) =>
      [...sets, ...extra].length > 0 ? `SET ${[...sets, ...extra].join(", ")} ` : "";
    let attributes: Record<string, unknown> | undefined;
    try {
      ({ Attributes: attributes } = await client.send(
        new UpdateCommand({
          ...base,
          UpdateExpression: `${set([])}ADD messageCount :m, decodeErrorCount :e, windowMessages :m${remove}`,
          ConditionExpression: "attribute_exists(#pk) AND windowStartedAt > :cutoff",
          ExpressionAttributeValues: {
            ...values,
            ":cutoff": new Date(now.getTime() - RATE_WINDOW_MS).toISOString(),
          },
        }),
      ));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      try {
        ({ Attributes: attributes } = await client.send(
          new UpdateCommand({
            ...base,
            UpdateExpression: `${set(["windowStartedAt = :now", "windowMessages = :m"])}ADD messageCount :m, decodeErrorCount :e${remove}`,
            ConditionExpression: "attribute_exists(#pk)",
            ExpressionAttributeValues: { ...values, ":now": now.toISOString() },
          }),
        ));
      } catch (retryError) {
        // The device was deprovisioned meanwhile: nothing to record.
        if (isConditionFailure(retryError)) return undefined;
        throw retryError;
      }
    }
    const previous = DeviceAlert.safeParse(attributes?.alert);
    if (!alive || !previous.success) return undefined;
    const cleared = { ...previous.data, clearedAt: now.toISOString() };
    await recordHistory(tenant, cleared);
    return cleared;
  }

  return {
    async recordActivity(tenant, activity, now) {
      const cleared = await onTable(tenant, () =>
        Promise.all(activity.map((entry) => record(tenant, entry, now))),
      );
      return cleared.filter((alert): alert is DeviceAlert => alert !== undefined);
    },

    async countDeadLetters(tenant, counts) {
      const entries = Object.entries(counts).filter(([, count]) => (count ?? 0) > 0);
      if (entries.length === 0) return;
      await onTable(tenant, () =>
        client.send(
          new UpdateCommand({
            TableName: tableOf(tenant),
            Key: counterKey,
            UpdateExpression: `ADD ${entries.map((_, index) => `#r${index} :c${index}`).join(", ")}`,
            ExpressionAttributeNames: Object.fromEntries(
              entries.map(([reason], index) => [`#r${index}`, reason]),
            ),
            ExpressionAttributeValues: Object.fromEntries(
              entries.map(([, count], index) => [`:c${index}`, count]),
            ),
          }),
        ),
      );
    },

    async get(tenant, deviceId) {
      const { Item } = await onTable(tenant, () =>
        client.send(
          new GetCommand({ TableName: tableOf(tenant), Key: healthKey(deviceId), ConsistentRead: true }),
        ),
      );
      return Item ? toRecord(Item) : undefined;
    },

    async list(tenant, limit, cursor) {
      const result = await onTable(tenant, () =>
        client.send(
          new QueryCommand({
            TableName: tableOf(tenant),
            KeyConditionExpression: "#pk = :pk",
            ExpressionAttributeNames: { "#pk": IngestKeys.pk },
            ExpressionAttributeValues: { ":pk": Partitions.health },
            Limit: limit,
            ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor, Partitions.health) } : {}),
          }),
        ),
      );
      const nextCursor = encodeCursor(result.LastEvaluatedKey);
      return { items: (result.Items ?? []).map(toRecord), ...(nextCursor ? { nextCursor } : {}) };
    },

    async deadLetterCounts(tenant) {
      const { Item } = await onTable(tenant, () =>
        client.send(new GetCommand({ TableName: tableOf(tenant), Key: counterKey })),
      );
      return z.record(z.string(), z.number()).parse(Item ? withoutKeys(Item) : {});
    },

    async raiseAlert(tenant, alert) {
      try {
        await onTable(tenant, () =>
          client.send(
            new UpdateCommand({
              TableName: tableOf(tenant),
              Key: healthKey(alert.deviceId),
              UpdateExpression: "SET alert = :alert",
              ConditionExpression: "attribute_exists(#pk) AND attribute_not_exists(alert)",
              ExpressionAttributeNames: { "#pk": IngestKeys.pk },
              ExpressionAttributeValues: { ":alert": alert },
            }),
          ),
        );
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
      await recordHistory(tenant, alert);
      return true;
    },

    async clearAlert(tenant, deviceId, at) {
      let attributes: Record<string, unknown> | undefined;
      try {
        ({ Attributes: attributes } = await onTable(tenant, () =>
          client.send(
            new UpdateCommand({
              TableName: tableOf(tenant),
              Key: healthKey(deviceId),
              UpdateExpression: "REMOVE alert",
              ConditionExpression: "attribute_exists(alert)",
              ReturnValues: "UPDATED_OLD",
            }),
          ),
        ));
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
      const previous = DeviceAlert.safeParse(attributes?.alert);
      if (!previous.success) return undefined;
      const cleared = { ...previous.data, clearedAt: at };
      await recordHistory(tenant, cleared);
      return cleared;
    },

    async recentAlerts(tenant, limit) {
      const result = await onTable(tenant, () =>
        client.send(
          new QueryCommand({
            TableName: tableOf(tenant),
            KeyConditionExpression: "#pk = :pk",
            ExpressionAttributeNames: { "#pk": IngestKeys.pk },
            ExpressionAttributeValues: { ":pk": Partitions.alerts },
            ScanIndexForward: false,
            Limit: limit,
          }),
        ),
      );
      return (result.Items ?? []).map((item) => DeviceAlert.parse(withoutKeys(item)));
    },
  };
}
