import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { Scope } from "@sdp/kernel";
import { z } from "zod";
import { type BBox, bboxOf, coveringCells, geohash } from "../domain/geo";
import { type Attribute, type Entity, type Geometry, type Json, LOCATION } from "../domain/model";
import {
  EntityChangedError,
  EntityExistsError,
  type EntityStore,
  EntityTooLargeError,
  MAX_RECEIPTS,
  ReadDeadlineError,
  type Revision,
  type StoredEntity,
} from "../domain/ports";
import { EntityKeys, GeoIndex } from "../keys";
import { onTenantTable } from "./tenant-table";

/**
 * Entities in one DynamoDB table per destination (docs/context-broker.md):
 * - the entity item `pk=<id>, sk=@` holds the whole entity as JSON in `doc`, a version `v` for
 *   optimistic locking, its first type in `tk` and, when its location is a point, its geohash cells;
 * - small index items `pk=<id>, sk=t#<type> | f#<cell> | c#<cell>` put the entity in further type and
 *   geo partitions (more types, locations larger than a point);
 * - registry items `pk=#types, sk=<type>` list the types ever stored, for discovery.
 * The GSIs `byType`, `byGeoFine` and `byGeoCoarse` are keyed by `tk`, `gf`, `gc` and sorted by `pk`, so
 * every read streams entities in id order.
 */
const ENTITY_SK = "@";
const TYPE_REGISTRY = "#types";
/** The coarse geo partition of geometries too large even for the coarse level. */
const WORLD = "*";
/** Prefix of coarse cells holding geometries too large for the fine level. */
const COARSE_ONLY = "x";
/** DynamoDB's item limit is 400 KB; keys, index attributes and names need the rest. */
export const MAX_ENTITY_BYTES = 380 * 1024;
const BATCH_GET_SIZE = 100;
/**
 * Streaming a query reads ahead only as the caller keeps reading: the first 40 index records are
 * resolved alone (a first page of 20 does not read far past what it returns), the next 100 alone, then
 * chunks of 100 keys (one BatchGetItem each) with 2, then 4 in flight while the caller filters the
 * previous one. What is read ahead never exceeds what was already read, so a query stopping early
 * over-reads by at most about as much as it used.
 */
const FIRST_CHUNK = 40;
const MAX_CHUNKS_IN_FLIGHT = 4;
/**
 * Index pages grow too: a keys-only index page without a limit is up to 1 MB (~10,000 keys), billed
 * and decoded in full even when the query needs 21 of them. Pages hold 100 keys, then 4× more each time,
 * then whatever fits in 1 MB.
 */
const FIRST_INDEX_PAGE = 100;
const INDEX_PAGE_GROWTH = 4;
const UNBOUNDED_INDEX_PAGE = 10_000;

const JsonValue = z.custom<Json>((value) => value !== undefined);
const GeometryValue = z.custom<Geometry>(
  (value) => typeof value === "object" && value !== null && "type" in value && "coordinates" in value,
);
export const AttributeSchema: z.ZodType<Attribute> = z.lazy(() => {
  const Members = {
    datasetId: z.string().optional(),
    observedAt: z.string().optional(),
    unitCode: z.string().optional(),
    createdAt: z.string().optional(),
    modifiedAt: z.string().optional(),
    sub: z.record(z.string(), AttributeSchema).optional(),
  };
  return z.discriminatedUnion("type", [
    z.object({ type: z.literal("Property"), value: JsonValue, ...Members }),
    z.object({ type: z.literal("GeoProperty"), value: GeometryValue, ...Members }),
    z.object({
      type: z.literal("Relationship"),
      object: z.union([z.string(), z.array(z.string())]),
      objectType: z.string().optional(),
      ...Members,
    }),
    z.object({
      type: z.literal("LanguageProperty"),
      languageMap: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
      ...Members,
    }),
    z.object({ type: z.literal("JsonProperty"), json: JsonValue, ...Members }),
    z.object({
      type: z.literal("VocabProperty"),
      vocab: z.union([z.string(), z.array(z.string())]),
      ...Members,
    }),
    z.object({ type: z.literal("ListProperty"), valueList: z.array(JsonValue), ...Members }),
    z.object({
      type: z.literal("ListRelationship"),
      objectList: z.array(z.string()),
      objectType: z.string().optional(),
      ...Members,
    }),
  ]);
});
const EntitySchema = z.object({
  id: z.string(),
  types: z.array(z.string()).min(1),
  createdAt: z.string(),
  modifiedAt: z.string(),
  scope: z.array(z.string()).min(1).optional(),
  attrs: z.record(z.string(), z.array(AttributeSchema)),
});
const EntityItem = z.object({
  pk: z.string(),
  sk: z.literal(ENTITY_SK),
  v: z.number().int(),
  doc: z.string(),
  ix: z.array(z.string()).optional(),
  /** Receipts of the last changes applied with one (`EntityStore.create`), oldest first. */
  rc: z.array(z.string()).optional(),
});
const IndexItem = z.object({ pk: z.string(), sk: z.string() });

type Item = Record<string, unknown>;

/**
 * The entity an item of the table holds, from a stream image (unmarshalled): undefined for the other
 * items (index items, the type registry). Throws when an entity item does not hold a valid entity.
 */
export function entityOfItem(item: Record<string, unknown>): Entity | undefined {
  if (item.sk !== ENTITY_SK || !("doc" in item)) return undefined;
  const parsed = EntityItem.parse(item);
  let document: unknown;
  try {
    document = JSON.parse(parsed.doc);
  } catch (error) {
    throw new Error(`stored entity ${parsed.pk} is not valid JSON`, { cause: error });
  }
  return EntitySchema.parse(document);
}

interface IndexPlan {
  readonly keys: Record<string, string>;
  readonly items: Map<string, Item>;
}

function indexPlan(entity: Entity): IndexPlan {
  const keys: Record<string, string> = {};
  const items = new Map<string, Item>();
  const [primary, ...others] = entity.types;
  if (primary !== undefined) keys[EntityKeys.typeKey] = primary;
  for (const type of others) items.set(`t#${type}`, { [EntityKeys.typeKey]: type });
  const geometries = (entity.attrs[LOCATION] ?? []).flatMap((a) =>
    a.type === "GeoProperty" ? [a.value] : [],
  );
  const [only] = geometries;
  if (geometries.length === 1 && only?.type === "Point") {
    const [lon, lat] = only.coordinates;
    keys[EntityKeys.geoFine] = geohash(lon, lat, GeoIndex.finePrecision);
    keys[EntityKeys.geoCoarse] = geohash(lon, lat, GeoIndex.coarsePrecision);
  } else if (geometries.length > 0) {
    const boxes = geometries.map(bboxOf);
    const box: BBox = {
      minLon: Math.min(...boxes.map((b) => b.minLon)),
      minLat: Math.min(...boxes.map((b) => b.minLat)),
      maxLon: Math.max(...boxes.map((b) => b.maxLon)),
      maxLat: Math.max(...boxes.map((b) => b.maxLat)),
    };
    const fine = coveringCells(box, GeoIndex.finePrecision, GeoIndex.indexCells);
    const coarse = coveringCells(box, GeoIndex.coarsePrecision, GeoIndex.indexCells);
    for (const cell of fine ?? []) items.set(`f#${cell}`, { [EntityKeys.geoFine]: cell });
    const coarseKeys =
      coarse === undefined ? [WORLD] : fine === undefined ? coarse.map((c) => `${COARSE_ONLY}${c}`) : coarse;
    for (const cell of coarseKeys) items.set(`c#${cell}`, { [EntityKeys.geoCoarse]: cell });
  }
  return { keys, items };
}

/** The geo partitions (index name and key) that hold every entity whose location may meet the box. */
function areaPartitions(box: BBox): Array<{ index: string; key: string; value: string }> | undefined {
  const fine = (value: string) => ({ index: EntityKeys.byGeoFine, key: EntityKeys.geoFine, value });
  const coarse = (value: string) => ({ index: EntityKeys.byGeoCoarse, key: EntityKeys.geoCoarse, value });
  const fineCells = coveringCells(box, GeoIndex.finePrecision, GeoIndex.queryCells);
  if (fineCells) {
    const parents = [...new Set(fineCells.map((c) => c.slice(0, GeoIndex.coarsePrecision)))];
    return [...fineCells.map(fine), ...parents.map((p) => coarse(`${COARSE_ONLY}${p}`)), coarse(WORLD)];
  }
  const coarseCells = coveringCells(box, GeoIndex.coarsePrecision, GeoIndex.queryCells);
  if (!coarseCells) return undefined;
  return [...coarseCells.map(coarse), ...coarseCells.map((c) => coarse(`${COARSE_ONLY}${c}`)), coarse(WORLD)];
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Merges streams sorted by `pk` into one, dropping repeated ids. */
async function* mergeByPk(sources: AsyncIterable<Item>[]): AsyncIterable<Item> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const heads = await Promise.all(iterators.map((it) => it.next()));
  let last: string | undefined;
  for (;;) {
    let best = -1;
    let bestKey = "";
    heads.forEach((head, index) => {
      if (head.done) return;
      const key = String(head.value.pk);
      if (best === -1 || byteOrder(key, bestKey) < 0) {
        best = index;
        bestKey = key;
      }
    });
    const iterator = iterators[best];
    const head = heads[best];
    if (best === -1 || !iterator || !head || head.done) return;
    if (bestKey !== last) yield head.value;
    last = bestKey;
    heads[best] = await iterator.next();
  }
}

function conditionFailed(error: unknown): boolean {
  if (error instanceof ConditionalCheckFailedException) return true;
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === "ConditionalCheckFailed")
  );
}

/** Types known to be in a table's registry, per warm container, so a write registers each type once. */
const registered = new Map<string, Set<string>>();

/**
 * Reads stop once the request's deadline has passed (background work has none): its answer could no
 * longer reach the client, and the reads would only keep the table busy (see ReadDeadlineError).
 */
function stopPastDeadline(candidatesRead: number): void {
  if (Scope.pastDeadline()) throw new ReadDeadlineError(candidatesRead);
}

export function buildDynamoDbEntityStore(client: DynamoDBDocumentClient, table: string): EntityStore {
  const send = onTenantTable;

  function toStored(item: Item): StoredEntity {
    const parsed = EntityItem.parse(item);
    let document: unknown;
    try {
      document = JSON.parse(parsed.doc);
    } catch (error) {
      throw new Error(`stored entity ${parsed.pk} is not valid JSON`, { cause: error });
    }
    return {
      entity: EntitySchema.parse(document),
      revision: {
        version: parsed.v,
        indexItems: parsed.ix ?? [],
        ...(parsed.rc ? { receipts: parsed.rc } : {}),
      },
    };
  }

  function entityItem(entity: Entity, version: number, plan: IndexPlan, receipts: readonly string[]): Item {
    const doc = JSON.stringify(entity);
    const bytes = Buffer.byteLength(doc);
    if (bytes > MAX_ENTITY_BYTES) throw new EntityTooLargeError(entity.id, bytes, MAX_ENTITY_BYTES);
    return {
      [EntityKeys.pk]: entity.id,
      [EntityKeys.sk]: ENTITY_SK,
      ...plan.keys,
      v: version,
      doc,
      ix: [...plan.items.keys()],
      ...(receipts.length > 0 ? { rc: receipts } : {}),
      types: entity.types,
      createdAt: entity.createdAt,
      modifiedAt: entity.modifiedAt,
    };
  }

  async function register(types: readonly string[]): Promise<void> {
    const known = registered.get(table) ?? new Set<string>();
    registered.set(table, known);
    // Registered before the entity is written: a crash in between leaves a type without entities,
    // which discovery skips, rather than an entity discovery cannot find.
    for (const type of types) {
      if (known.has(type)) continue;
      await send(() =>
        client.send(
          new PutCommand({
            TableName: table,
            Item: { [EntityKeys.pk]: TYPE_REGISTRY, [EntityKeys.sk]: type },
          }),
        ),
      );
      known.add(type);
    }
  }

  async function write(entity: Entity, expected: Revision | undefined, receipt?: string): Promise<void> {
    const plan = indexPlan(entity);
    const kept = expected?.receipts ?? [];
    const receipts = receipt === undefined ? kept : [...kept.filter((r) => r !== receipt), receipt];
    const item = entityItem(entity, (expected?.version ?? 0) + 1, plan, receipts.slice(-MAX_RECEIPTS));
    await register(entity.types);
    const condition: {
      ConditionExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues?: Record<string, unknown>;
    } = expected
      ? {
          ConditionExpression: "#v = :v",
          ExpressionAttributeNames: { "#v": "v" },
          ExpressionAttributeValues: { ":v": expected.version },
        }
      : {
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": EntityKeys.pk },
        };
    const previous = new Set(expected?.indexItems ?? []);
    const stale = [...previous].filter((sk) => !plan.items.has(sk));
    const fresh = [...plan.items].filter(([sk]) => !previous.has(sk));
    try {
      if (stale.length === 0 && fresh.length === 0) {
        await send(() => client.send(new PutCommand({ TableName: table, Item: item, ...condition })));
        return;
      }
      const items: NonNullable<TransactWriteCommandInput["TransactItems"]> = [
        { Put: { TableName: table, Item: item, ...condition } },
        ...stale.map((sk) => ({
          Delete: { TableName: table, Key: { [EntityKeys.pk]: entity.id, [EntityKeys.sk]: sk } },
        })),
        ...fresh.map(([sk, attributes]) => ({
          Put: { TableName: table, Item: { [EntityKeys.pk]: entity.id, [EntityKeys.sk]: sk, ...attributes } },
        })),
      ];
      await send(() => client.send(new TransactWriteCommand({ TransactItems: items })));
    } catch (error) {
      if (!conditionFailed(error)) throw error;
      if (expected) throw new EntityChangedError(entity.id);
      throw new EntityExistsError(entity.id);
    }
  }

  /** One index partition in `pk` order, in growing pages (see FIRST_INDEX_PAGE). */
  async function* query(index: string, key: string, value: string): AsyncIterable<Item> {
    let read = 0;
    const page = (start: Record<string, unknown> | undefined, limit: number | undefined) => {
      stopPastDeadline(read);
      return send(() =>
        client.send(
          new QueryCommand({
            TableName: table,
            IndexName: index,
            KeyConditionExpression: "#k = :v",
            ExpressionAttributeNames: { "#k": key },
            ExpressionAttributeValues: { ":v": value },
            ...(limit === undefined ? {} : { Limit: limit }),
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
    };
    let limit: number | undefined = FIRST_INDEX_PAGE;
    let current = await page(undefined, limit);
    for (let first = true; ; first = false) {
      const start = current.LastEvaluatedKey;
      const grown: number = (limit ?? UNBOUNDED_INDEX_PAGE) * INDEX_PAGE_GROWTH;
      limit = grown > UNBOUNDED_INDEX_PAGE ? undefined : grown;
      // A caller past the first page reads on: its next page is requested before this one is handed
      // out. Abandoned when the caller stops early.
      const ahead = start && !first ? page(start, limit) : undefined;
      ahead?.catch(() => undefined);
      read += current.Items?.length ?? 0;
      for (const item of current.Items ?? []) yield item;
      if (!start) return;
      current = await (ahead ?? page(start, limit));
    }
  }

  async function getMany(ids: readonly string[], consistent: boolean): Promise<StoredEntity[]> {
    const out: StoredEntity[] = [];
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += BATCH_GET_SIZE) {
      let keys: Array<Record<string, unknown>> = unique
        .slice(i, i + BATCH_GET_SIZE)
        .map((id) => ({ [EntityKeys.pk]: id, [EntityKeys.sk]: ENTITY_SK }));
      stopPastDeadline(i);
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const result = await send(() =>
          client.send(
            new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: consistent } } }),
          ),
        );
        for (const item of result.Responses?.[table] ?? []) out.push(toStored(item));
        keys = result.UnprocessedKeys?.[table]?.Keys ?? [];
      }
    }
    return out;
  }

  /**
   * Turns index records (keys only) into entities, in order, resolving them in chunks read ahead of
   * the caller (see FIRST_CHUNK): the caller filters one chunk while the next ones are fetched.
   */
  async function* entities(records: AsyncIterable<Item>): AsyncIterable<StoredEntity> {
    const source = records[Symbol.asyncIterator]();
    const whole = (record: Item) => record.sk === ENTITY_SK && "doc" in record;
    const resolve = async (chunk: Item[]): Promise<StoredEntity[]> => {
      const wanted = chunk.filter((r) => !whole(r)).map((r) => IndexItem.parse(r).pk);
      const fetched = new Map((await getMany(wanted, false)).map((s) => [s.entity.id, s]));
      return chunk.flatMap((record) => {
        const stored = whole(record) ? toStored(record) : fetched.get(IndexItem.parse(record).pk);
        return stored ? [stored] : [];
      });
    };
    let exhausted = false;
    const take = async (size: number): Promise<Item[]> => {
      const chunk: Item[] = [];
      while (!exhausted && chunk.length < size) {
        const next = await source.next();
        if (next.done) exhausted = true;
        else chunk.push(next.value);
      }
      return chunk;
    };
    let taken = 0;
    const inFlight: Array<Promise<StoredEntity[]>> = [];
    let width = 1;
    let size = FIRST_CHUNK;
    // Index records are taken in order, one chunk after the other; the entity reads overlap.
    const fill = async () => {
      while (!exhausted && inFlight.length < width) {
        const chunk = await take(size);
        size = BATCH_GET_SIZE;
        if (chunk.length === 0) break;
        stopPastDeadline(taken);
        taken += chunk.length;
        const resolved = resolve(chunk);
        // Abandoned when the caller stops early; awaited (and its error raised) otherwise.
        resolved.catch(() => undefined);
        inFlight.push(resolved);
      }
    };
    try {
      await fill();
      for (let consumed = 1, head = inFlight.shift(); head; consumed++, head = inFlight.shift()) {
        yield* await head;
        // The caller wants more than it has had: read further ahead, in parallel.
        if (consumed >= 2) width = Math.min(MAX_CHUNKS_IN_FLIGHT, width * 2);
        await fill();
      }
    } finally {
      await source.return?.();
    }
  }

  const store: EntityStore = {
    async get(id) {
      const { Item } = await send(() =>
        client.send(
          new GetCommand({
            TableName: table,
            Key: { [EntityKeys.pk]: id, [EntityKeys.sk]: ENTITY_SK },
            ConsistentRead: true,
          }),
        ),
      );
      return Item ? toStored(Item) : undefined;
    },
    getMany: (ids) => getMany(ids, false),
    create: (entity, receipt) => write(entity, undefined, receipt),
    update: (entity, revision, receipt) => write(entity, revision, receipt),
    async delete(id, revision) {
      const condition = {
        ConditionExpression: "#v = :v",
        ExpressionAttributeNames: { "#v": "v" },
        ExpressionAttributeValues: { ":v": revision.version },
      };
      try {
        if (revision.indexItems.length === 0) {
          await send(() =>
            client.send(
              new DeleteCommand({
                TableName: table,
                Key: { [EntityKeys.pk]: id, [EntityKeys.sk]: ENTITY_SK },
                ...condition,
              }),
            ),
          );
          return;
        }
        await send(() =>
          client.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Delete: {
                    TableName: table,
                    Key: { [EntityKeys.pk]: id, [EntityKeys.sk]: ENTITY_SK },
                    ...condition,
                  },
                },
                ...revision.indexItems.map((sk) => ({
                  Delete: { TableName: table, Key: { [EntityKeys.pk]: id, [EntityKeys.sk]: sk } },
                })),
              ],
            }),
          ),
        );
      } catch (error) {
        if (conditionFailed(error)) throw new EntityChangedError(id);
        throw error;
      }
    },
    byTypes(types) {
      return entities(mergeByPk(types.map((type) => query(EntityKeys.byType, EntityKeys.typeKey, type))));
    },
    byArea(box) {
      const partitions = areaPartitions(box);
      if (!partitions) return undefined;
      return entities(mergeByPk(partitions.map((p) => query(p.index, p.key, p.value))));
    },
    all() {
      const types = store.types();
      return entities(
        (async function* () {
          const sources = (await types).map((type) => query(EntityKeys.byType, EntityKeys.typeKey, type));
          yield* mergeByPk(sources);
        })(),
      );
    },
    async types() {
      const out: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await send(() =>
          client.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: "#pk = :pk",
              ExpressionAttributeNames: { "#pk": EntityKeys.pk },
              ExpressionAttributeValues: { ":pk": TYPE_REGISTRY },
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          ),
        );
        for (const item of page.Items ?? []) out.push(IndexItem.parse(item).sk);
        start = page.LastEvaluatedKey;
      } while (start);
      return out;
    },
  };
  return store;
}
