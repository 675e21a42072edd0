import { randomUUID } from "node:crypto";
import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { DeviceAlert } from "@sdp/contracts";
import { z } from "zod";
import { AlertEvent, alertEvent, occurredAt } from "../domain/alert-events";
import { RATE_WINDOW_MS } from "../domain/health";
import type { DeviceActivity, HealthRecord, HealthStore } from "../domain/ports";
import { HISTORY_RETENTION_SECONDS, IngestKeys, Partitions } from "../keys";
import { expiresIn, onTable, queryPartitionPage, type TableOf, withoutKeys } from "./dynamodb-support";

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

/** A transaction cancelled because a condition did not hold (not a conflict or throttling: those throw). */
const isTransactionConditionFailure = (error: unknown) =>
  error instanceof TransactionCanceledException &&
  (error.CancellationReasons ?? []).some((reason) => reason.Code === "ConditionalCheckFailed");

const OutboxItem = z.object({ [IngestKeys.sk]: z.string(), event: AlertEvent });

/**
 * Device health in each destination's `ingest` table (`HEALTH` partition), dead-letter counters
 * (`COUNTERS`) and the alert history (`ALERTS`, kept 30 days).
 */
export function buildDynamoDbHealthStore(client: DynamoDBDocumentClient, tableOf: TableOf): HealthStore {
  /** The alert's history item (`ALERTS`): the clear overwrites the raise's item with the closed alert. */
  const historyPut = (tenant: string, alert: DeviceAlert) => ({
    Put: {
      TableName: tableOf(tenant),
      Item: {
        [IngestKeys.pk]: Partitions.alerts,
        [IngestKeys.sk]: `${alert.raisedAt}#${alert.deviceId}`,
        ...alert,
        [IngestKeys.ttl]: expiresIn(HISTORY_RETENTION_SECONDS),
      },
    },
  });

  /** The event announcing the change, in the outbox (`OUTBOX`) until the bus accepts it; no TTL. */
  const outboxPut = (tenant: string, alert: DeviceAlert, entityId: string | undefined) => {
    const event = alertEvent(tenant, alert, entityId);
    return {
      Put: {
        TableName: tableOf(tenant),
        Item: {
          [IngestKeys.pk]: Partitions.outbox,
          [IngestKeys.sk]: `${occurredAt(event)}#${alert.deviceId}#${event.detailType}`,
          event,
        },
      },
    };
  };

  /**
   * Closes the open alert `alert` (still the one on the health item) with its history and its event, in
   * one transaction; undefined if it was closed meanwhile (by the consumer or the silence check).
   */
  async function closeAlert(
    tenant: string,
    alert: DeviceAlert,
    entityId: string | undefined,
    at: string,
  ): Promise<DeviceAlert | undefined> {
    const cleared = { ...alert, clearedAt: at };
    try {
      await client.send(
        new TransactWriteCommand({
          // The SDK's retries of this call reuse the token, so a retry of a committed call succeeds.
          ClientRequestToken: randomUUID(),
          TransactItems: [
            {
              Update: {
                TableName: tableOf(tenant),
                Key: healthKey(alert.deviceId),
                UpdateExpression: "REMOVE alert",
                ConditionExpression: "alert.raisedAt = :raisedAt",
                ExpressionAttributeValues: { ":raisedAt": alert.raisedAt },
              },
            },
            historyPut(tenant, cleared),
            outboxPut(tenant, cleared, entityId),
          ],
        }),
      );
    } catch (error) {
      if (isTransactionConditionFailure(error)) return undefined;
      throw error;
    }
    return cleared;
  }

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
    // The update leaves an open alert in place and returns the item: clearing it is a second,
    // conditional step (closeAlert), so that the clear, its history and its event are one transaction,
    // and a retry after a crash in between still finds the alert. Devices without an alert — nearly all —
    // cost this one write, as before.
    const base = {
      TableName: tableOf(tenant),
      Key: healthKey(activity.deviceId),
      ReturnValues: "ALL_NEW" as const,
      ExpressionAttributeNames: { "#pk": IngestKeys.pk },
    };
    const set = (extra: string[]) =>
      [...sets, ...extra].length > 0 ? `SET ${[...sets, ...extra].join(", ")} ` : "";
    let attributes: Record<string, unknown> | undefined;
    try {
      ({ Attributes: attributes } = await client.send(
        new UpdateCommand({
          ...base,
          UpdateExpression: `${set([])}ADD messageCount :m, decodeErrorCount :e, windowMessages :m`,
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
            UpdateExpression: `${set(["windowStartedAt = :now", "windowMessages = :m"])}ADD messageCount :m, decodeErrorCount :e`,
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
    // Data arriving again clears the silence alert; only messages that decoded count as the device alive.
    const alive = activity.messages > activity.decodeErrors;
    const open = DeviceAlert.safeParse(attributes?.alert);
    if (!alive || !open.success) return undefined;
    const entityId = typeof attributes?.entityId === "string" ? attributes.entityId : undefined;
    return closeAlert(tenant, open.data, entityId, now.toISOString());
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
      const page = await queryPartitionPage(client, tableOf(tenant), tenant, {
        partition: Partitions.health,
        limit,
        cursor,
      });
      return { ...page, items: page.items.map(toRecord) };
    },

    async deadLetterCounts(tenant) {
      const { Item } = await onTable(tenant, () =>
        client.send(new GetCommand({ TableName: tableOf(tenant), Key: counterKey })),
      );
      return z.record(z.string(), z.number()).parse(Item ? withoutKeys(Item) : {});
    },

    async raiseAlert(tenant, record, alert) {
      // Only if the device was not heard of since `record` was read: otherwise the alert would be
      // raised (and announced) for a device that is alive.
      const unchanged = record.lastSeenAt ? "lastSeenAt = :lastSeenAt" : "attribute_not_exists(lastSeenAt)";
      try {
        await onTable(tenant, () =>
          client.send(
            new TransactWriteCommand({
              ClientRequestToken: randomUUID(),
              TransactItems: [
                {
                  Update: {
                    TableName: tableOf(tenant),
                    Key: healthKey(alert.deviceId),
                    UpdateExpression: "SET alert = :alert",
                    ConditionExpression: `attribute_exists(#pk) AND attribute_not_exists(alert) AND ${unchanged}`,
                    ExpressionAttributeNames: { "#pk": IngestKeys.pk },
                    ExpressionAttributeValues: {
                      ":alert": alert,
                      ...(record.lastSeenAt ? { ":lastSeenAt": record.lastSeenAt } : {}),
                    },
                  },
                },
                historyPut(tenant, alert),
                outboxPut(tenant, alert, record.entityId),
              ],
            }),
          ),
        );
      } catch (error) {
        if (isTransactionConditionFailure(error)) return false;
        throw error;
      }
      return true;
    },

    async clearAlert(tenant, record, at) {
      if (!record.alert) return undefined;
      const open = record.alert;
      return onTable(tenant, () => closeAlert(tenant, open, record.entityId, at));
    },

    async pendingEvents(tenant, limit, cursor) {
      const page = await queryPartitionPage(client, tableOf(tenant), tenant, {
        partition: Partitions.outbox,
        limit,
        cursor,
        consistent: true,
      });
      const items = page.items.map((item) => {
        const parsed = OutboxItem.parse(item);
        return { id: parsed[IngestKeys.sk], event: parsed.event };
      });
      return { ...page, items };
    },

    async removeEvents(tenant, ids) {
      await onTable(tenant, () =>
        Promise.all(
          ids.map((id) =>
            client.send(
              new DeleteCommand({
                TableName: tableOf(tenant),
                Key: { [IngestKeys.pk]: Partitions.outbox, [IngestKeys.sk]: id },
              }),
            ),
          ),
        ),
      );
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
