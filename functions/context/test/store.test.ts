import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { createDocumentClient, createDynamoDbClient } from "@sdp/aws";
import { describe, expect, it } from "vitest";
import { buildDynamoDbEntityStore, MAX_ENTITY_BYTES } from "../src/adapters/dynamodb-entity-store";
import { bboxAround } from "../src/domain/geo";
import { type Entity, LOCATION } from "../src/domain/model";
import {
  EntityChangedError,
  EntityExistsError,
  EntityTooLargeError,
  NonexistentTenantError,
} from "../src/domain/ports";
import { freshTenant, uniqueId } from "./support";

const NOW = "2024-05-01T10:00:00.000Z";
const TYPE = "https://example.org/Beach";
const OTHER = "https://example.org/Place";

function entity(id: string, overrides: Partial<Entity> = {}): Entity {
  return { id, types: [TYPE], createdAt: NOW, modifiedAt: NOW, attrs: {}, ...overrides };
}

const at = (lon: number, lat: number): Entity["attrs"] => ({
  [LOCATION]: [{ type: "GeoProperty", value: { type: "Point", coordinates: [lon, lat] } }],
});

async function collect<T>(source: AsyncIterable<T> | undefined): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source ?? []) out.push(item);
  return out;
}

/** The error a promise rejects with (settled at once, so no rejection goes unhandled meanwhile). */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

async function freshStore() {
  const { table } = await freshTenant();
  return { store: buildDynamoDbEntityStore(createDocumentClient(), table), table };
}

describe("the DynamoDB entity store", () => {
  it("creates, reads, updates under optimistic locking and deletes an entity", async () => {
    // Prepare
    const { store } = await freshStore();
    const id = uniqueId("Beach");
    // Act
    await store.create(
      entity(id, { attrs: { "https://example.org/name": [{ type: "Property", value: "Norte" }] } }),
    );
    const first = await store.get(id);
    await store.update(
      { ...entity(id), modifiedAt: "2024-05-02T00:00:00.000Z" },
      first?.revision ?? { version: 0, indexItems: [] },
    );
    const stale = await failure(store.update(entity(id), first?.revision ?? { version: 0, indexItems: [] }));
    const duplicate = await failure(store.create(entity(id)));
    const second = await store.get(id);
    await store.delete(id, second?.revision ?? { version: 0, indexItems: [] });
    // Assess
    expect(first?.entity.attrs["https://example.org/name"]).toEqual([{ type: "Property", value: "Norte" }]);
    expect(stale).toBeInstanceOf(EntityChangedError);
    expect(duplicate).toBeInstanceOf(EntityExistsError);
    expect(second?.entity.modifiedAt).toBe("2024-05-02T00:00:00.000Z");
    expect(await store.get(id)).toBeUndefined();
  });

  it("streams entities of the selected types in id order, each once, including those of a second type", async () => {
    // Prepare
    const { store } = await freshStore();
    const ids = ["urn:ngsi-ld:X:c", "urn:ngsi-ld:X:a", "urn:ngsi-ld:X:b", "urn:ngsi-ld:X:d"];
    await store.create(entity(ids[0] ?? ""));
    await store.create(entity(ids[1] ?? "", { types: [OTHER, TYPE] }));
    await store.create(entity(ids[2] ?? "", { types: [OTHER] }));
    await store.create(entity(ids[3] ?? "", { types: ["https://example.org/Unrelated"] }));
    // Act
    const both = await collect(store.byTypes([TYPE, OTHER]));
    const beaches = await collect(store.byTypes([TYPE]));
    const all = await collect(store.all());
    // Assess
    expect(both.map((s) => s.entity.id)).toEqual(["urn:ngsi-ld:X:a", "urn:ngsi-ld:X:b", "urn:ngsi-ld:X:c"]);
    expect(beaches.map((s) => s.entity.id)).toEqual(["urn:ngsi-ld:X:a", "urn:ngsi-ld:X:c"]);
    expect(all).toHaveLength(4);
    expect((await store.types()).sort()).toEqual([OTHER, "https://example.org/Unrelated", TYPE].sort());
  });

  it("streams a type of many entities across index pages and read-ahead chunks, in id order, and stops when the caller does", async () => {
    // Prepare: more entities than the first index pages (100, then 400 keys) and read-ahead chunks hold
    // (650 writes: a longer timeout than the default).
    const { store } = await freshStore();
    const type = `https://example.org/${uniqueId("Many")}`;
    const ids = Array.from({ length: 650 }, (_, i) => `urn:ngsi-ld:Many:${String(i).padStart(4, "0")}`);
    for (let i = 0; i < ids.length; i += 50)
      await Promise.all(ids.slice(i, i + 50).map((id) => store.create(entity(id, { types: [type] }))));
    // Act
    const all = await collect(store.byTypes([type]));
    const firstPage: string[] = [];
    for await (const { entity: found } of store.byTypes([type])) {
      firstPage.push(found.id);
      if (firstPage.length === 150) break;
    }
    // Assess
    expect(all.map((s) => s.entity.id)).toEqual(ids);
    expect(firstPage).toEqual(ids.slice(0, 150));
  }, 120_000);

  it("finds entities by area through the geo index: points, lines and areas larger than a cell", async () => {
    // Prepare
    const { store } = await freshStore();
    const near = uniqueId();
    const far = uniqueId();
    const road = uniqueId();
    const region = uniqueId();
    await store.create(entity(near, { attrs: at(-3.7038, 40.4168) }));
    await store.create(entity(far, { attrs: at(2.1734, 41.3851) }));
    await store.create(
      entity(road, {
        attrs: {
          [LOCATION]: [
            {
              type: "GeoProperty",
              value: {
                type: "LineString",
                coordinates: [
                  [-3.75, 40.4],
                  [-3.65, 40.43],
                ],
              },
            },
          ],
        },
      }),
    );
    await store.create(
      entity(region, {
        attrs: {
          [LOCATION]: [
            {
              type: "GeoProperty",
              value: {
                type: "Polygon",
                coordinates: [
                  [
                    [-6, 38],
                    [0, 38],
                    [0, 43],
                    [-6, 43],
                    [-6, 38],
                  ],
                ],
              },
            },
          ],
        },
      }),
    );
    // Act
    const small = await collect(store.byArea(bboxAround([-3.7038, 40.4168], 500)));
    const large = await collect(store.byArea(bboxAround([-3.7038, 40.4168], 100_000)));
    const huge = store.byArea({ minLon: -170, minLat: -80, maxLon: 170, maxLat: 80 });
    // Assess
    const smallIds = small.map((s) => s.entity.id);
    expect(smallIds).toEqual(expect.arrayContaining([near, road, region]));
    expect(smallIds).not.toContain(far);
    expect(large.map((s) => s.entity.id)).toEqual(expect.arrayContaining([near, road, region]));
    expect(huge).toBeUndefined();
  });

  it("moves an entity between geo cells and types without leaving index items behind", async () => {
    // Prepare
    const { store } = await freshStore();
    const id = uniqueId();
    await store.create(
      entity(id, {
        types: [TYPE, OTHER],
        attrs: {
          [LOCATION]: [
            {
              type: "GeoProperty",
              value: {
                type: "LineString",
                coordinates: [
                  [0, 0],
                  [0.1, 0.1],
                ],
              },
            },
          ],
        },
      }),
    );
    const before = await store.get(id);
    // Act
    await store.update(entity(id, { attrs: at(10, 10) }), before?.revision ?? { version: 0, indexItems: [] });
    // Assess
    expect(await collect(store.byArea(bboxAround([0.05, 0.05], 100)))).toEqual([]);
    expect((await collect(store.byArea(bboxAround([10, 10], 100)))).map((s) => s.entity.id)).toEqual([id]);
    expect(await collect(store.byTypes([OTHER]))).toEqual([]);
    expect((await store.get(id))?.revision.indexItems).toEqual([]);
  });

  it("refuses an entity larger than an item may be", async () => {
    // Prepare
    const { store } = await freshStore();
    const big = entity(uniqueId(), {
      attrs: { "https://example.org/blob": [{ type: "Property", value: "x".repeat(MAX_ENTITY_BYTES) }] },
    });
    // Act
    const attempt = await failure(store.create(big));
    // Assess
    expect(attempt).toBeInstanceOf(EntityTooLargeError);
  });

  it("reports a destination without a table as nonexistent", async () => {
    // Prepare
    const { store, table } = await freshStore();
    await createDynamoDbClient().send(new DeleteTableCommand({ TableName: table }));
    // Act
    const read = await failure(store.get(uniqueId()));
    const write = await failure(store.create(entity(uniqueId(), { attrs: at(1, 1), types: [TYPE, OTHER] })));
    const scan = await failure(collect(store.byTypes([TYPE])));
    // Assess
    expect([read, write, scan].map((e) => e instanceof NonexistentTenantError)).toEqual([true, true, true]);
  });
});
