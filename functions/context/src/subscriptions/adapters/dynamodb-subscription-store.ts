import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { NOTIFICATION_TRIGGERS } from "@sdp/contracts";
import { z } from "zod";
import { onTenantTable } from "../../adapters/tenant-table";
import { parseGeometry } from "../../domain/geo";
import type { Geometry, Json } from "../../domain/model";
import type { TypeExpression } from "../../domain/type-selection";
import { SubscriptionKeys } from "../../keys";
import type { DeliveryStatus, Subscription } from "../model";
import { watchedTypes } from "../parse";
import {
  type StoredSubscription,
  SubscriptionChangedError,
  SubscriptionExistsError,
  type SubscriptionStore,
} from "../ports";

/**
 * Subscriptions in one DynamoDB table per destination (docs/context-broker.md, Subscriptions):
 * - the subscription item `pk=<id>, sk=@` holds the subscription as JSON in `doc` (names expanded), a
 *   version `v`, and the delivery status as plain attributes (`timesSent`, `timesFailed`,
 *   `lastNotification`, `lastSuccess`, `lastFailure`, `st`) that deliveries update atomically without
 *   touching `doc`; its `wt=@all` lists it in `byWatchedType`;
 * - one index item `pk=<id>, sk=t#<type>` per entity type the subscription may match, `wt=<type>`
 *   (`*` when it names no type), so the notifier finds the candidates for a change by the entity's types
 *   with one keys-only Query per type, never a scan.
 */
const MAIN_SK = "@";
const ALL = "@all";
const ANY_TYPE = "*";
const BATCH_GET_SIZE = 100;

const JsonValue = z.custom<Json>((value) => value !== undefined);
const GeometryValue = z.custom<Geometry>((value) => parseGeometry(value).ok);
const TypeExpressionSchema: z.ZodType<TypeExpression> = z.lazy(() =>
  z.union([
    z.object({ kind: z.literal("type"), name: z.string() }),
    z.object({ kind: z.enum(["and", "or"]), terms: z.array(TypeExpressionSchema) }),
  ]),
);
const KeyValueSchema = z.object({ key: z.string(), value: z.string() });
const SubscriptionSchema = z.object({
  id: z.string(),
  subscriptionName: z.string().optional(),
  description: z.string().optional(),
  entities: z
    .array(
      z.object({ id: z.string().optional(), idPattern: z.string().optional(), type: TypeExpressionSchema }),
    )
    .optional(),
  watchedAttributes: z.array(z.string()).optional(),
  notificationTrigger: z.array(z.enum(NOTIFICATION_TRIGGERS)),
  timeInterval: z.number().optional(),
  q: z.string().optional(),
  qContext: JsonValue.optional(),
  scopeQ: z.string().optional(),
  geoQ: z
    .object({
      georel: z.union([
        z.object({
          kind: z.literal("near"),
          maxDistance: z.number().optional(),
          minDistance: z.number().optional(),
        }),
        z.object({ kind: z.enum(["within", "contains", "intersects", "disjoint", "equals", "overlaps"]) }),
      ]),
      geometry: GeometryValue,
      property: z.string(),
    })
    .optional(),
  isActive: z.boolean(),
  expiresAt: z.string().optional(),
  throttling: z.number().optional(),
  lang: z.string().optional(),
  jsonldContext: z.string().optional(),
  context: JsonValue.optional(),
  notification: z.object({
    attributes: z.array(z.string()).optional(),
    pick: z.array(z.string()).optional(),
    omit: z.array(z.string()).optional(),
    format: z.enum(["normalized", "keyValues", "concise"]),
    sysAttrs: z.boolean(),
    showChanges: z.boolean(),
    endpoint: z.object({
      uri: z.string(),
      accept: z.enum(["application/json", "application/ld+json"]),
      timeout: z.number().optional(),
      receiverInfo: z.array(KeyValueSchema).optional(),
      notifierInfo: z.array(KeyValueSchema).optional(),
    }),
  }),
  createdAt: z.string(),
  modifiedAt: z.string(),
});
const MainItem = z.object({
  pk: z.string(),
  sk: z.literal(MAIN_SK),
  v: z.number().int(),
  doc: z.string(),
  ix: z.array(z.string()).optional(),
  timesSent: z.number().optional(),
  timesFailed: z.number().optional(),
  lastNotification: z.string().optional(),
  lastSuccess: z.string().optional(),
  lastFailure: z.string().optional(),
  st: z.enum(["ok", "failed"]).optional(),
});
const KeyItem = z.object({ pk: z.string(), sk: z.string() });

type Item = Record<string, unknown>;

function conditionFailed(error: unknown): boolean {
  if (error instanceof ConditionalCheckFailedException) return true;
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === "ConditionalCheckFailed")
  );
}

/** The index items of a subscription: one per entity type it may match. */
function indexItems(subscription: Subscription): Map<string, Item> {
  return new Map(
    watchedTypes(subscription).map((type) => [`t#${type}`, { [SubscriptionKeys.watchedType]: type }]),
  );
}

export function buildDynamoDbSubscriptionStore(
  client: DynamoDBDocumentClient,
  table: string,
): SubscriptionStore {
  const send = onTenantTable;

  function toStored(item: Item): StoredSubscription {
    const main = MainItem.parse(item);
    let document: unknown;
    try {
      document = JSON.parse(main.doc);
    } catch (error) {
      throw new Error(`stored subscription ${main.pk} is not valid JSON`, { cause: error });
    }
    const subscription: Subscription = SubscriptionSchema.parse(document);
    const status: DeliveryStatus = {
      timesSent: main.timesSent ?? 0,
      timesFailed: main.timesFailed ?? 0,
      ...(main.lastNotification === undefined ? {} : { lastNotification: main.lastNotification }),
      ...(main.lastSuccess === undefined ? {} : { lastSuccess: main.lastSuccess }),
      ...(main.lastFailure === undefined ? {} : { lastFailure: main.lastFailure }),
      ...(main.st === undefined ? {} : { status: main.st }),
    };
    return { subscription, status, revision: main.v };
  }

  const mainKey = (id: string) => ({ [SubscriptionKeys.pk]: id, [SubscriptionKeys.sk]: MAIN_SK });

  async function getMany(ids: readonly string[]): Promise<StoredSubscription[]> {
    const out: StoredSubscription[] = [];
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += BATCH_GET_SIZE) {
      let keys: Array<Record<string, unknown>> = unique.slice(i, i + BATCH_GET_SIZE).map(mainKey);
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const result = await send(() =>
          client.send(
            new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
          ),
        );
        for (const item of result.Responses?.[table] ?? []) out.push(toStored(item));
        keys = result.UnprocessedKeys?.[table]?.Keys ?? [];
      }
    }
    const order = new Map(unique.map((id, index) => [id, index]));
    return out.sort((a, b) => (order.get(a.subscription.id) ?? 0) - (order.get(b.subscription.id) ?? 0));
  }

  async function* partition(value: string, limit?: number): AsyncIterable<string> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await send(() =>
        client.send(
          new QueryCommand({
            TableName: table,
            IndexName: SubscriptionKeys.byWatchedType,
            KeyConditionExpression: "#k = :v",
            ExpressionAttributeNames: { "#k": SubscriptionKeys.watchedType },
            ExpressionAttributeValues: { ":v": value },
            ...(limit === undefined ? {} : { Limit: limit }),
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) yield KeyItem.parse(item).pk;
      start = page.LastEvaluatedKey;
    } while (start);
  }

  async function count(value: string): Promise<number> {
    let total = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await send(() =>
        client.send(
          new QueryCommand({
            TableName: table,
            IndexName: SubscriptionKeys.byWatchedType,
            KeyConditionExpression: "#k = :v",
            ExpressionAttributeNames: { "#k": SubscriptionKeys.watchedType },
            ExpressionAttributeValues: { ":v": value },
            Select: "COUNT",
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      total += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return total;
  }

  return {
    async create(subscription) {
      const index = indexItems(subscription);
      const items: NonNullable<TransactWriteCommandInput["TransactItems"]> = [
        {
          Put: {
            TableName: table,
            Item: {
              ...mainKey(subscription.id),
              [SubscriptionKeys.watchedType]: ALL,
              v: 1,
              doc: JSON.stringify(subscription),
              ix: [...index.keys()],
              timesSent: 0,
              timesFailed: 0,
            },
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": SubscriptionKeys.pk },
          },
        },
        ...[...index].map(([sk, attributes]) => ({
          Put: {
            TableName: table,
            Item: { [SubscriptionKeys.pk]: subscription.id, [SubscriptionKeys.sk]: sk, ...attributes },
          },
        })),
      ];
      try {
        await send(() => client.send(new TransactWriteCommand({ TransactItems: items })));
      } catch (error) {
        if (conditionFailed(error)) throw new SubscriptionExistsError(subscription.id);
        throw error;
      }
    },

    async get(id) {
      const { Item } = await send(() =>
        client.send(new GetCommand({ TableName: table, Key: mainKey(id), ConsistentRead: true })),
      );
      return Item ? toStored(Item) : undefined;
    },

    async list({ limit, offset, count: withCount }) {
      const ids: string[] = [];
      let seen = 0;
      for await (const id of partition(ALL)) {
        seen += 1;
        if (seen > offset && ids.length < limit) ids.push(id);
        if (seen > offset + limit) break;
      }
      const more = seen > offset + limit;
      const items = await getMany(ids);
      return { items, more, ...(withCount ? { count: await count(ALL) } : {}) };
    },

    async update(subscription, revision) {
      const current = await send(() =>
        client.send(
          new GetCommand({ TableName: table, Key: mainKey(subscription.id), ConsistentRead: true }),
        ),
      );
      const previous = new Set(current.Item ? (MainItem.parse(current.Item).ix ?? []) : []);
      const index = indexItems(subscription);
      const stale = [...previous].filter((sk) => !index.has(sk));
      const fresh = [...index].filter(([sk]) => !previous.has(sk));
      const update = {
        TableName: table,
        Key: mainKey(subscription.id),
        UpdateExpression: "SET #doc = :doc, #v = :next, #ix = :ix",
        ConditionExpression: "#v = :v",
        ExpressionAttributeNames: { "#doc": "doc", "#v": "v", "#ix": "ix" },
        ExpressionAttributeValues: {
          ":doc": JSON.stringify(subscription),
          ":next": revision + 1,
          ":v": revision,
          ":ix": [...index.keys()],
        },
      };
      try {
        if (stale.length === 0 && fresh.length === 0) {
          await send(() => client.send(new UpdateCommand(update)));
          return;
        }
        await send(() =>
          client.send(
            new TransactWriteCommand({
              TransactItems: [
                { Update: update },
                ...stale.map((sk) => ({
                  Delete: {
                    TableName: table,
                    Key: { [SubscriptionKeys.pk]: subscription.id, [SubscriptionKeys.sk]: sk },
                  },
                })),
                ...fresh.map(([sk, attributes]) => ({
                  Put: {
                    TableName: table,
                    Item: {
                      [SubscriptionKeys.pk]: subscription.id,
                      [SubscriptionKeys.sk]: sk,
                      ...attributes,
                    },
                  },
                })),
              ],
            }),
          ),
        );
      } catch (error) {
        if (conditionFailed(error)) throw new SubscriptionChangedError(subscription.id);
        throw error;
      }
    },

    async delete(id) {
      const current = await send(() =>
        client.send(new GetCommand({ TableName: table, Key: mainKey(id), ConsistentRead: true })),
      );
      if (!current.Item) return false;
      const main = MainItem.parse(current.Item);
      try {
        await send(() =>
          client.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Delete: {
                    TableName: table,
                    Key: mainKey(id),
                    ConditionExpression: "attribute_exists(#pk)",
                    ExpressionAttributeNames: { "#pk": SubscriptionKeys.pk },
                  },
                },
                ...(main.ix ?? []).map((sk) => ({
                  Delete: { TableName: table, Key: { [SubscriptionKeys.pk]: id, [SubscriptionKeys.sk]: sk } },
                })),
              ],
            }),
          ),
        );
        return true;
      } catch (error) {
        if (conditionFailed(error)) return false;
        throw error;
      }
    },

    async candidates(types) {
      const partitions = [...new Set([...types, ANY_TYPE])];
      const ids = new Set<string>();
      await Promise.all(
        partitions.map(async (type) => {
          for await (const id of partition(type)) ids.add(id);
        }),
      );
      return getMany([...ids]);
    },

    async reserve(id, now, notAfter) {
      try {
        await send(() =>
          client.send(
            new UpdateCommand({
              TableName: table,
              Key: mainKey(id),
              UpdateExpression: "SET #last = :now",
              ConditionExpression:
                "attribute_exists(#pk) AND (attribute_not_exists(#last) OR #last <= :notAfter)",
              ExpressionAttributeNames: { "#pk": SubscriptionKeys.pk, "#last": "lastNotification" },
              ExpressionAttributeValues: { ":now": now, ":notAfter": notAfter },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (conditionFailed(error)) return false;
        throw error;
      }
    },

    async record(id, { at, ok }) {
      try {
        await send(() =>
          client.send(
            new UpdateCommand({
              TableName: table,
              Key: mainKey(id),
              UpdateExpression: ok
                ? "ADD #sent :one SET #last = :at, #success = :at, #st = :st"
                : "ADD #sent :one, #failed :one SET #last = :at, #failure = :at, #st = :st",
              ConditionExpression: "attribute_exists(#pk)",
              ExpressionAttributeNames: {
                "#pk": SubscriptionKeys.pk,
                "#sent": "timesSent",
                "#last": "lastNotification",
                "#st": "st",
                ...(ok
                  ? { "#success": "lastSuccess" }
                  : { "#failed": "timesFailed", "#failure": "lastFailure" }),
              },
              ExpressionAttributeValues: { ":one": 1, ":at": at, ":st": ok ? "ok" : "failed" },
            }),
          ),
        );
      } catch (error) {
        // The subscription was deleted while its notification was on the way: nothing to record.
        if (conditionFailed(error)) return;
        throw error;
      }
    },
  };
}
