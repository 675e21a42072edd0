import { createHash } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { AttributeSchema } from "../../adapters/dynamodb-entity-store";
import { onTenantTable } from "../../adapters/tenant-table";
import { parseInstanceId } from "../domain/instances";
import {
  type EntityHead,
  type HistoryChanges,
  type HistoryInstance,
  type InstanceContent,
  inWindow,
  type SeriesPage,
  type SeriesRead,
  type SeriesRef,
  sameSeries,
  timeOf,
} from "../domain/model";
import type { HistoryStore } from "../domain/ports";
import { HistoryKeys } from "../keys";

/**
 * The history of one destination in its table `sdp-<stage>-<tenant>-context-history`
 * (docs/context-broker.md, "Temporal API"):
 * - an attribute instance: `pk = <entityId>|<attribute IRI>|<datasetId or @none>` (one partition per
 *   series), `sk = <time>#<hash>` (UTC ISO time, so a time range of one series is one Query), the
 *   instance as JSON in `doc`, its system times, and `expiresAt` (TTL: its time plus the destination's
 *   retention when the item was written);
 * - the entity's head: `pk = <entityId>`, `sk = @`, with its types and when it appeared and vanished;
 * - its catalog: `pk = <entityId>`, `sk = a|<attribute IRI>|<datasetId or @none>`, one item per series,
 *   so one Query on `pk = <entityId>` tells everything the history holds of the entity.
 * Entity ids and datasetIds are URIs, which cannot contain `|`; over-long keys are hashed.
 */
const HEAD_SK = "@";
const CATALOG_PREFIX = "a|";
const NONE = "@none";
const MAX_PK_BYTES = 2000;
const MAX_SK_BYTES = 1000;
const BATCH_WRITE_SIZE = 25;
const CONCURRENCY = 8;

const AttributeTypeSchema = z.enum([
  "Property",
  "GeoProperty",
  "Relationship",
  "LanguageProperty",
  "JsonProperty",
  "VocabProperty",
  "ListProperty",
  "ListRelationship",
]);
const ContentSchema: z.ZodType<InstanceContent> = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("value"), attribute: AttributeSchema }),
  z.object({ kind: z.literal("deleted"), type: AttributeTypeSchema }),
]);
const InstanceItem = z.object({
  e: z.string(),
  a: z.string(),
  d: z.string().optional(),
  iid: z.string(),
  t: z.string(),
  doc: z.string(),
  ca: z.string(),
  ma: z.string(),
  da: z.string().optional(),
  [HistoryKeys.ttl]: z.number().optional(),
});
const HeadItem = z.object({
  sk: z.string(),
  types: z.array(z.string()).optional(),
  createdAt: z.string().optional(),
  modifiedAt: z.string().optional(),
  deletedAt: z.string().optional(),
  attr: z.string().optional(),
  ds: z.string().optional(),
});
const KeyItem = z.object({ [HistoryKeys.pk]: z.string(), [HistoryKeys.sk]: z.string() });

type Item = Record<string, unknown>;

const hashed = (text: string) => `#h|${createHash("sha256").update(text).digest("hex")}`;
const bounded = (text: string, max: number) => (Buffer.byteLength(text) > max ? hashed(text) : text);

export const seriesKey = (s: SeriesRef) =>
  bounded(`${s.entityId}|${s.attr}|${s.datasetId ?? NONE}`, MAX_PK_BYTES);
const catalogKey = (s: SeriesRef) =>
  bounded(`${CATALOG_PREFIX}${s.attr}|${s.datasetId ?? NONE}`, MAX_SK_BYTES);
const instanceSk = (time: string, hash: string) => `${time}#${hash}`;

function conditionFailed(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === "ConditionalCheckFailedException")
  );
}

async function mapLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
}

export interface HistoryStoreOptions {
  /**
   * Days an instance is kept after its time: a number, or the destination's current retention, asked
   * once per operation (it may change while the store is in use; see `cachedRetention`).
   */
  readonly retentionDays: number | (() => Promise<number>);
  readonly now?: () => Date;
}

/** Before year 0, `toISOString` leaves the four-digit form the sort keys compare as text. */
const YEAR_ZERO_MS = Date.parse("0000-01-01T00:00:00.000Z");

const epochSeconds = (time: string | Date) =>
  Math.floor((typeof time === "string" ? Date.parse(time) : time.getTime()) / 1000);

export function buildDynamoDbHistoryStore(
  client: DynamoDBDocumentClient,
  table: string,
  options: HistoryStoreOptions,
): HistoryStore {
  const now = options.now ?? (() => new Date());
  const { retentionDays } = options;
  const retention = async () =>
    Math.round((typeof retentionDays === "number" ? retentionDays : await retentionDays()) * 86_400);

  const send = onTenantTable;

  /**
   * Whether an instance is past its retention: the expiry written with it (TTL deletes it then, so a
   * longer retention set later cannot keep it) or its time plus the current retention (a shorter one
   * hides it at once), whichever comes first.
   */
  const expired = (time: string, expiresAt: number | undefined, retentionSeconds: number) => {
    const nowSeconds = epochSeconds(now());
    return (
      (expiresAt !== undefined && expiresAt <= nowSeconds) ||
      epochSeconds(time) + retentionSeconds <= nowSeconds
    );
  };

  /**
   * The lowest sort key an instance within the retention can have: the first whole second whose
   * instances are not expired (`expired` counts in whole seconds, as TTL does).
   */
  const retainedFrom = (retentionSeconds: number) => {
    const ms = (epochSeconds(now()) - retentionSeconds + 1) * 1000;
    return ms < YEAR_ZERO_MS ? undefined : new Date(ms).toISOString();
  };

  function instanceKey(instance: HistoryInstance): Item {
    const parsed = parseInstanceId(instance.instanceId);
    const hash = parsed?.hash ?? createHash("sha256").update(instance.instanceId).digest("hex").slice(0, 24);
    return { [HistoryKeys.pk]: seriesKey(instance), [HistoryKeys.sk]: instanceSk(instance.time, hash) };
  }

  function instanceItem(instance: HistoryInstance, retentionSeconds: number): Item {
    return {
      ...instanceKey(instance),
      e: instance.entityId,
      a: instance.attr,
      ...(instance.datasetId === undefined ? {} : { d: instance.datasetId }),
      iid: instance.instanceId,
      t: instance.time,
      doc: JSON.stringify(instance.content),
      ca: instance.createdAt,
      ma: instance.modifiedAt,
      ...(instance.deletedAt === undefined ? {} : { da: instance.deletedAt }),
      [HistoryKeys.ttl]: epochSeconds(instance.time) + retentionSeconds,
    };
  }

  function toInstance(item: Item, retentionSeconds: number): HistoryInstance | undefined {
    const parsed = InstanceItem.parse(item);
    if (expired(parsed.t, parsed[HistoryKeys.ttl], retentionSeconds)) return undefined;
    let document: unknown;
    try {
      document = JSON.parse(parsed.doc);
    } catch (error) {
      throw new Error(`stored instance ${parsed.iid} is not valid JSON`, { cause: error });
    }
    return {
      entityId: parsed.e,
      attr: parsed.a,
      ...(parsed.d === undefined ? {} : { datasetId: parsed.d }),
      instanceId: parsed.iid,
      time: parsed.t,
      content: ContentSchema.parse(document),
      createdAt: parsed.ca,
      modifiedAt: parsed.ma,
      ...(parsed.da === undefined ? {} : { deletedAt: parsed.da }),
    };
  }

  const catalogItem = (s: SeriesRef): Item => ({
    [HistoryKeys.pk]: s.entityId,
    [HistoryKeys.sk]: catalogKey(s),
    attr: s.attr,
    ...(s.datasetId === undefined ? {} : { ds: s.datasetId }),
  });

  type WriteRequest = NonNullable<BatchWriteCommandInput["RequestItems"]>[string][number];

  async function batchWrite(requests: readonly WriteRequest[]): Promise<void> {
    const unique = new Map<string, WriteRequest>();
    for (const request of requests) {
      const key = request.PutRequest?.Item ?? request.DeleteRequest?.Key ?? {};
      unique.set(`${String(key[HistoryKeys.pk])}\u0000${String(key[HistoryKeys.sk])}`, request);
    }
    const all = [...unique.values()];
    for (let start = 0; start < all.length; start += BATCH_WRITE_SIZE) {
      let pending: WriteRequest[] = all.slice(start, start + BATCH_WRITE_SIZE);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= 8) throw new Error(`DynamoDB left ${pending.length} history writes unprocessed`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
        const output = await send(() =>
          client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } })),
        );
        pending = output.UnprocessedItems?.[table] ?? [];
      }
    }
  }

  async function* query(input: Omit<QueryCommandInput, "TableName">): AsyncIterable<Item> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await send(() =>
        client.send(
          new QueryCommand({ TableName: table, ...input, ...(start ? { ExclusiveStartKey: start } : {}) }),
        ),
      );
      for (const item of page.Items ?? []) yield item;
      start = page.LastEvaluatedKey;
    } while (start);
  }

  async function keysOf(pk: string): Promise<Item[]> {
    const keys: Item[] = [];
    for await (const item of query({
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": HistoryKeys.pk, "#sk": HistoryKeys.sk },
      ExpressionAttributeValues: { ":pk": pk },
      ProjectionExpression: "#pk, #sk",
    })) {
      keys.push(KeyItem.parse(item));
    }
    return keys;
  }

  async function updateHead(
    entityId: string,
    change: { types?: readonly string[]; createdAt?: string; at: string; deletedAt?: string },
  ): Promise<void> {
    const names: Record<string, string> = { "#m": "modifiedAt", "#k": "k" };
    const values: Record<string, unknown> = { ":m": change.at, ":k": "e" };
    const sets = ["#m = :m", "#k = :k"];
    let remove = "";
    if (change.types) {
      names["#t"] = "types";
      values[":t"] = change.types;
      sets.push("#t = :t");
    }
    if (change.createdAt !== undefined) {
      names["#c"] = "createdAt";
      values[":c"] = change.createdAt;
      sets.push("#c = if_not_exists(#c, :c)");
    }
    names["#d"] = "deletedAt";
    if (change.deletedAt !== undefined) {
      values[":d"] = change.deletedAt;
      sets.push("#d = :d");
    } else remove = " REMOVE #d";
    await send(() =>
      client.send(
        new UpdateCommand({
          TableName: table,
          Key: { [HistoryKeys.pk]: entityId, [HistoryKeys.sk]: HEAD_SK },
          UpdateExpression: `SET ${sets.join(", ")}${remove}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  async function removeSeries(series: SeriesRef): Promise<void> {
    const keys = await keysOf(seriesKey(series));
    await batchWrite(
      [...keys, { [HistoryKeys.pk]: series.entityId, [HistoryKeys.sk]: catalogKey(series) }].map((Key) => ({
        DeleteRequest: { Key },
      })),
    );
  }

  const store: HistoryStore = {
    async head(entityId) {
      let found = false;
      let head: z.infer<typeof HeadItem> | undefined;
      const series: SeriesRef[] = [];
      for await (const item of query({
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": HistoryKeys.pk },
        ExpressionAttributeValues: { ":pk": entityId },
        ConsistentRead: true,
      })) {
        found = true;
        const parsed = HeadItem.parse(item);
        if (parsed.sk === HEAD_SK) head = parsed;
        else if (parsed.attr !== undefined) {
          series.push({
            entityId,
            attr: parsed.attr,
            ...(parsed.ds === undefined ? {} : { datasetId: parsed.ds }),
          });
        }
      }
      if (!found) return undefined;
      return {
        entityId,
        types: head?.types ?? [],
        ...(head?.createdAt === undefined ? {} : { createdAt: head.createdAt }),
        ...(head?.modifiedAt === undefined ? {} : { modifiedAt: head.modifiedAt }),
        ...(head?.deletedAt === undefined ? {} : { deletedAt: head.deletedAt }),
        series,
      } satisfies EntityHead;
    },

    async read(series, read: SeriesRead): Promise<SeriesPage> {
      const retentionSeconds = await retention();
      const names: Record<string, string> = { "#pk": HistoryKeys.pk };
      const values: Record<string, unknown> = { ":pk": seriesKey(series) };
      const instances: HistoryInstance[] = [];
      // The sort key starts with the instance's time, so the retention is always a key bound (expired
      // instances are never read, however many a shortened retention left behind), and so is the
      // window when it is on observedAt. `<time>#…` sorts before `<time>$` and after `<time>`.
      let low = retainedFrom(retentionSeconds);
      let high: string | undefined;
      if (read.property === "observedAt") {
        const { from, before } = read.window;
        const fromKey = from ? (from.inclusive ? from.time : `${from.time}$`) : undefined;
        if (fromKey !== undefined && (low === undefined || fromKey > low)) low = fromKey;
        high = before;
      }
      if (low !== undefined && high !== undefined && low >= high) return { instances, truncated: false };
      let condition = "#pk = :pk";
      if (low !== undefined || high !== undefined) names["#sk"] = HistoryKeys.sk;
      if (low !== undefined) values[":low"] = low;
      if (high !== undefined) values[":high"] = high;
      if (low !== undefined && high !== undefined) condition += " AND #sk BETWEEN :low AND :high";
      else if (low !== undefined) condition += " AND #sk >= :low";
      else if (high !== undefined) condition += " AND #sk < :high";

      if (read.property === "observedAt") {
        // Newest first for lastN.
        const wanted = Math.min(read.lastN ?? read.limit + 1, read.limit + 1);
        for await (const item of query({
          KeyConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: read.lastN === undefined,
          Limit: Math.min(wanted + 10, 1000),
        })) {
          const instance = toInstance(item, retentionSeconds);
          if (instance && inWindow(instance.time, read.window)) instances.push(instance);
          if (instances.length >= wanted) break;
        }
        if (read.lastN !== undefined) instances.reverse();
      } else {
        // Other time properties are not in the key: the retained series is read, filtered by DynamoDB.
        const attribute = read.property === "createdAt" ? "ca" : read.property === "modifiedAt" ? "ma" : "da";
        names["#p"] = attribute;
        const filters = ["attribute_exists(#p)"];
        if (read.window.from) {
          values[":from"] = read.window.from.time;
          filters.push(read.window.from.inclusive ? "#p >= :from" : "#p > :from");
        }
        if (read.window.before !== undefined) {
          values[":before"] = read.window.before;
          filters.push("#p < :before");
        }
        for await (const item of query({
          KeyConditionExpression: condition,
          FilterExpression: filters.join(" AND "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        })) {
          const instance = toInstance(item, retentionSeconds);
          if (instance) instances.push(instance);
          if (read.lastN === undefined && instances.length > read.limit) break;
        }
        instances.sort((a, b) => {
          const ta = timeOf(a, read.property) ?? "";
          const tb = timeOf(b, read.property) ?? "";
          return ta < tb ? -1 : ta > tb ? 1 : 0;
        });
        if (read.lastN !== undefined) instances.splice(0, Math.max(0, instances.length - read.lastN));
      }
      const truncated = instances.length > read.limit;
      if (truncated) {
        if (read.lastN !== undefined) instances.splice(0, instances.length - read.limit);
        else instances.length = read.limit;
      }
      return { instances, truncated };
    },

    async record(changes: HistoryChanges) {
      const retentionSeconds = changes.instances.length > 0 ? await retention() : 0;
      await batchWrite([
        ...changes.instances.map((instance) => ({
          PutRequest: { Item: instanceItem(instance, retentionSeconds) },
        })),
        ...changes.series.map((s) => ({ PutRequest: { Item: catalogItem(s) } })),
      ]);
      const head = changes.head;
      if (head?.kind === "present") {
        await updateHead(changes.entityId, { types: head.types, createdAt: head.createdAt, at: head.at });
      } else if (head?.kind === "deleted") {
        await updateHead(changes.entityId, { at: head.at, deletedAt: head.at });
      }
    },

    async add(entityId, types, instances) {
      const retentionSeconds = await retention();
      await mapLimited(instances, async (instance) => {
        try {
          await send(() =>
            client.send(
              new PutCommand({
                TableName: table,
                Item: instanceItem(instance, retentionSeconds),
                ConditionExpression: "attribute_not_exists(#pk)",
                ExpressionAttributeNames: { "#pk": HistoryKeys.pk },
              }),
            ),
          );
        } catch (error) {
          if (!conditionFailed(error)) throw error;
        }
      });
      const series: SeriesRef[] = [];
      for (const instance of instances)
        if (!series.some((s) => sameSeries(s, instance))) series.push(instance);
      await batchWrite(series.map((s) => ({ PutRequest: { Item: catalogItem({ ...s, entityId }) } })));
      const earliest = instances.map((i) => i.createdAt).sort()[0];
      await updateHeadPresent(entityId, types, earliest);
    },

    async instance(entityId, attr, instanceId) {
      const parsed = parseInstanceId(instanceId);
      if (!parsed) return undefined;
      const [head, retentionSeconds] = await Promise.all([store.head(entityId), retention()]);
      for (const series of (head?.series ?? []).filter((s) => s.attr === attr)) {
        const { Item } = await send(() =>
          client.send(
            new GetCommand({
              TableName: table,
              Key: {
                [HistoryKeys.pk]: seriesKey(series),
                [HistoryKeys.sk]: instanceSk(parsed.time, parsed.hash),
              },
              ConsistentRead: true,
            }),
          ),
        );
        const instance = Item ? toInstance(Item, retentionSeconds) : undefined;
        if (instance?.instanceId === instanceId) return instance;
      }
      return undefined;
    },

    /** The rewritten item expires by the retention in force now, like any item written now. */
    async replace(instance) {
      const retentionSeconds = await retention();
      await send(() =>
        client.send(
          new PutCommand({
            TableName: table,
            Item: instanceItem(instance, retentionSeconds),
            ConditionExpression: "attribute_exists(#pk)",
            ExpressionAttributeNames: { "#pk": HistoryKeys.pk },
          }),
        ),
      );
    },

    async removeInstance(instance) {
      await send(() =>
        client.send(
          new DeleteCommand({
            TableName: table,
            Key: instanceKey(instance),
          }),
        ),
      );
    },

    removeSeries,

    async removeEntity(entityId) {
      const head = await store.head(entityId);
      if (!head) return false;
      for (const series of head.series) await removeSeries(series);
      const rest = await keysOf(entityId);
      await batchWrite(rest.map((Key) => ({ DeleteRequest: { Key } })));
      return true;
    },
  };

  /** Makes sure the entity has a head (a temporal POST or a late observation may come first). */
  async function updateHeadPresent(
    entityId: string,
    types: readonly string[],
    createdAt: string | undefined,
  ) {
    const at = createdAt ?? now().toISOString();
    await send(() =>
      client.send(
        new UpdateCommand({
          TableName: table,
          Key: { [HistoryKeys.pk]: entityId, [HistoryKeys.sk]: HEAD_SK },
          UpdateExpression: "SET #k = :k, #t = :t, #c = if_not_exists(#c, :c), #m = if_not_exists(#m, :c)",
          ExpressionAttributeNames: { "#k": "k", "#t": "types", "#c": "createdAt", "#m": "modifiedAt" },
          ExpressionAttributeValues: { ":k": "e", ":t": types, ":c": at },
        }),
      ),
    );
  }

  return store;
}
