import { createDocumentClient, createDynamoDbClient, ensureTable } from "@sdp/aws";
import { destinationTemplate, tableName } from "@sdp/contracts";
import { Scope } from "@sdp/kernel";
import { beforeAll, describe, expect, it } from "vitest";
import { bundledContextLoader } from "../src/adapters/bundled-contexts";
import { contextCache } from "../src/domain/contexts";
import type { Entity } from "../src/domain/model";
import { buildHandler as appendAttributes } from "../src/handlers/appendAttributes";
import { buildHandler as batchCreate } from "../src/handlers/batchCreate";
import { buildHandler as batchMerge } from "../src/handlers/batchMerge";
import { buildHandler as createEntity } from "../src/handlers/createEntity";
import { buildHandler as createSubscription } from "../src/handlers/createSubscription";
import { buildHandler as mergeEntity } from "../src/handlers/mergeEntity";
import { buildHandler as queryEntities } from "../src/handlers/queryEntities";
import { buildHandler as queryEntitiesPost } from "../src/handlers/queryEntitiesPost";
import { buildHandler as replaceEntity } from "../src/handlers/replaceEntity";
import { buildHandler as retrieveEntity } from "../src/handlers/retrieveEntity";
import { buildHandler as retrieveSubscription } from "../src/handlers/retrieveSubscription";
import { buildHandler as updateAttributes } from "../src/handlers/updateAttributes";
import { buildHandler as updateSubscription } from "../src/handlers/updateSubscription";
import { CONTEXT_SERVICE, SUBSCRIPTIONS_TABLE } from "../src/keys";
import { contextManifest } from "../src/manifest";
import { buildDynamoDbSubscriptionStore } from "../src/subscriptions/adapters/dynamodb-subscription-store";
import { buildDynamoDbTimerStore } from "../src/subscriptions/adapters/dynamodb-timer-store";
import { compile, describeChange, selects, triggerFires } from "../src/subscriptions/matching";
import { parseSubscription } from "../src/subscriptions/parse";
import type { SubscriptionDeps } from "../src/subscriptions/ports";
import { call, type EventInput, freshTenant, staff, TEST_STAGE, testDeps, uniqueId } from "./support";

/** Entity scopes (clause 4.18) and scopeQ (clause 4.19) through the broker's handlers, on DynamoDB Local. */
const deps = testDeps();
const handlers = {
  create: createEntity(deps),
  retrieve: retrieveEntity(deps),
  replace: replaceEntity(deps),
  merge: mergeEntity(deps),
  append: appendAttributes(deps),
  update: updateAttributes(deps),
  query: queryEntities(deps),
  queryPost: queryEntitiesPost(deps),
  batchCreate: batchCreate(deps),
  batchMerge: batchMerge(deps),
};

const PARQUE_NORTE = "/Madrid/Gardens/ParqueNorte";
const UNIT_C = "/CompanyA/OrganizationB/UnitC";
const NULL = "urn:ngsi-ld:null";

let as: EventInput["principal"];

beforeAll(async () => {
  as = staff((await freshTenant()).slug);
});

const entityPath = (id: string) => ({
  path: `/ngsi-ld/v1/entities/${encodeURIComponent(id)}`,
  pathParameters: { entityId: id },
});
const create = (body: unknown) => call(handlers.create, { method: "POST", body, principal: as });
const read = (id: string, query: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  call(handlers.retrieve, { ...entityPath(id), query, headers, principal: as });
const scopeOf = async (id: string) => ((await read(id)).body as { scope?: unknown }).scope;
const building = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: "Building",
  name: { type: "Property", value: "Casa" },
  ...extra,
});

describe("entity scopes over the handlers", () => {
  it("creates entities with one scope or several and renders them in every representation", async () => {
    // Prepare
    const one = uniqueId("Building");
    const two = uniqueId("Building");
    // Act
    const created = [
      await create(building(one, { scope: PARQUE_NORTE })),
      await create(building(two, { scope: [PARQUE_NORTE, UNIT_C, PARQUE_NORTE] })),
    ];
    const normalized = await read(one);
    const concise = await read(two, { format: "concise" });
    const keyValues = await read(two, { options: "keyValues" });
    const geo = await read(one, {}, { accept: "application/geo+json" });
    const picked = await read(two, { pick: "id,scope" });
    const projected = await read(two, { attrs: "name", options: "keyValues" });
    const omitted = await read(two, { omit: "scope", options: "keyValues" });
    // Assess
    expect(created.map((r) => r.status)).toEqual([201, 201]);
    expect(normalized.body).toEqual({
      id: one,
      type: "Building",
      scope: PARQUE_NORTE,
      name: { type: "Property", value: "Casa" },
    });
    expect(concise.body).toEqual({ id: two, type: "Building", scope: [PARQUE_NORTE, UNIT_C], name: "Casa" });
    expect(keyValues.body).toEqual({
      id: two,
      type: "Building",
      scope: [PARQUE_NORTE, UNIT_C],
      name: "Casa",
    });
    expect(geo.body).toMatchObject({ id: one, type: "Feature", properties: { scope: PARQUE_NORTE } });
    expect(picked.body).toEqual({ id: two, scope: [PARQUE_NORTE, UNIT_C] });
    expect(projected.body).toEqual({
      id: two,
      type: "Building",
      scope: [PARQUE_NORTE, UNIT_C],
      name: "Casa",
    });
    expect(omitted.body).toEqual({ id: two, type: "Building", name: "Casa" });
  });

  it.each([
    ["Madrid/Gardens", "must start with"],
    ["/Madrid//Gardens", "empty level"],
    ["/Madrid/Parque Norte", "letters, digits and _"],
    [[], "non-empty array"],
    [{ type: "Property", value: PARQUE_NORTE }, "non-empty array"],
    [NULL, "only allowed in merges"],
  ])("refuses the scope %j on create with 400 BadRequestData naming scope", async (scope, reason) => {
    // Act
    const response = await create(building(uniqueId("Building"), { scope }));
    // Assess
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData",
      errors: [{ field: "scope", reason: expect.stringContaining(reason) }],
    });
  });

  it("merge replaces the scopes, and the NGSI-LD Null removes them", async () => {
    // Prepare
    const id = uniqueId("Building");
    await create(building(id, { scope: PARQUE_NORTE }));
    const merge = (body: unknown) =>
      call(handlers.merge, {
        ...entityPath(id),
        method: "PATCH",
        body,
        headers: { "content-type": "application/merge-patch+json" },
        principal: as,
      });
    // Act
    const replaced = await merge({ scope: [UNIT_C] });
    const afterReplace = await scopeOf(id);
    const kept = await merge({ name: "Otra casa" });
    const afterKeep = await scopeOf(id);
    const removed = await merge({ scope: NULL });
    const afterRemove = await read(id);
    // Assess
    expect([replaced.status, kept.status, removed.status]).toEqual([204, 204, 204]);
    expect(afterReplace).toBe(UNIT_C);
    expect(afterKeep).toBe(UNIT_C);
    expect(afterRemove.body).toEqual({
      id,
      type: "Building",
      name: { type: "Property", value: "Otra casa" },
    });
  });

  it("append replaces the scopes, or with noOverwrite adds to them (clause 5.6.3)", async () => {
    // Prepare
    const replacedId = uniqueId("Building");
    const addedId = uniqueId("Building");
    await create(building(replacedId, { scope: PARQUE_NORTE }));
    await create(building(addedId, { scope: PARQUE_NORTE }));
    const append = (id: string, query: Record<string, string> = {}) =>
      call(handlers.append, {
        path: `${entityPath(id).path}/attrs`,
        pathParameters: { entityId: id },
        method: "POST",
        query,
        body: { scope: UNIT_C },
        principal: as,
      });
    // Act
    const replaced = await append(replacedId);
    const added = await append(addedId, { options: "noOverwrite" });
    // Assess
    expect([replaced.status, added.status]).toEqual([204, 204]);
    expect(await scopeOf(replacedId)).toBe(UNIT_C);
    expect(await scopeOf(addedId)).toEqual([PARQUE_NORTE, UNIT_C]);
  });

  it("update replaces the scopes only of an entity that has them (clause 5.6.2), else 207", async () => {
    // Prepare
    const scoped = uniqueId("Building");
    const unscoped = uniqueId("Building");
    await create(building(scoped, { scope: PARQUE_NORTE }));
    await create(building(unscoped));
    const update = (id: string) =>
      call(handlers.update, {
        path: `${entityPath(id).path}/attrs`,
        pathParameters: { entityId: id },
        method: "PATCH",
        body: { scope: UNIT_C },
        principal: as,
      });
    // Act
    const replaced = await update(scoped);
    const refused = await update(unscoped);
    // Assess
    expect(replaced.status).toBe(204);
    expect(await scopeOf(scoped)).toBe(UNIT_C);
    expect(refused.status).toBe(207);
    expect(refused.body).toMatchObject({ updated: [], notUpdated: [{ attributeName: "scope" }] });
    expect(await scopeOf(unscoped)).toBeUndefined();
  });

  it("replace replaces the scopes, and a replacement without scope removes them", async () => {
    // Prepare
    const id = uniqueId("Building");
    await create(building(id, { scope: PARQUE_NORTE }));
    const replace = (body: unknown) =>
      call(handlers.replace, { ...entityPath(id), method: "PUT", body, principal: as });
    // Act
    const first = await replace({ type: "Building", scope: [PARQUE_NORTE, UNIT_C] });
    const afterFirst = await scopeOf(id);
    const second = await replace({ type: "Building" });
    const afterSecond = await scopeOf(id);
    // Assess
    expect([first.status, second.status]).toEqual([204, 204]);
    expect(afterFirst).toEqual([PARQUE_NORTE, UNIT_C]);
    expect(afterSecond).toBeUndefined();
  });

  it("batch create and batch merge take scopes like their single-entity operations", async () => {
    // Prepare
    const good = uniqueId("Building");
    const bad = uniqueId("Building");
    // Act
    const created = await call(handlers.batchCreate, {
      method: "POST",
      body: [building(good, { scope: UNIT_C }), building(bad, { scope: "no-slash" })],
      principal: as,
    });
    const scoped = await scopeOf(good);
    const merged = await call(handlers.batchMerge, {
      method: "POST",
      body: [{ id: good, type: "Building", scope: NULL }],
      principal: as,
    });
    // Assess
    expect(created.status).toBe(207);
    expect(created.body).toMatchObject({
      success: [good],
      errors: [{ entityId: bad, error: { type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData" } }],
    });
    expect(scoped).toBe(UNIT_C);
    expect(merged.status).toBe(204);
    expect(await scopeOf(good)).toBeUndefined();
  });
});

describe("scopeQ over the handlers", () => {
  // One destination of its own, so the expected id lists are exact.
  let asQuery: EventInput["principal"];
  const ids = {
    one: "urn:ngsi-ld:Building:one",
    many: "urn:ngsi-ld:Building:many",
    gardens: "urn:ngsi-ld:Building:gardens",
    parterre: "urn:ngsi-ld:Building:parterre",
    none: "urn:ngsi-ld:Building:none",
  };

  beforeAll(async () => {
    asQuery = staff((await freshTenant()).slug);
    const created = await call(handlers.batchCreate, {
      method: "POST",
      body: [
        building(ids.one, { scope: PARQUE_NORTE }),
        building(ids.many, { scope: [PARQUE_NORTE, UNIT_C] }),
        building(ids.gardens, { scope: "/Madrid/Gardens" }),
        building(ids.parterre, { scope: `${PARQUE_NORTE}/Parterre1` }),
        building(ids.none),
      ],
      principal: asQuery,
    });
    expect(created.status).toBe(201);
  });

  const query = async (parameters: Record<string, string>) => {
    const response = await call(handlers.query, { query: parameters, principal: asQuery });
    const body = Array.isArray(response.body) ? response.body : [];
    return { ...response, ids: body.map((e: { id: string }) => e.id) };
  };

  it.each([
    [PARQUE_NORTE, [ids.many, ids.one]],
    ["/Madrid/+/ParqueNorte", [ids.many, ids.one]],
    ["/Madrid/+", [ids.gardens]],
    ["/Madrid/Gardens/#", [ids.gardens, ids.many, ids.one, ids.parterre]],
    ["/CompanyA/#", [ids.many]],
    ["/#", [ids.gardens, ids.many, ids.one, ids.parterre]],
    [`${PARQUE_NORTE};${UNIT_C}`, [ids.many]],
    [`${UNIT_C},/Madrid/Gardens`, [ids.gardens, ids.many]],
    [`(${PARQUE_NORTE};/Nowhere)|/Madrid/Gardens/ParqueNorte/+`, [ids.parterre]],
  ])("type=Building&scopeQ=%s selects %j", async (scopeQ, expected) => {
    // Act
    const response = await query({ type: "Building", scopeQ });
    // Assess
    expect(response.status).toBe(200);
    expect(response.ids).toEqual(expected);
  });

  it("takes scopeQ alone as a query, and with count=true counts what it selects", async () => {
    // Act
    const response = await query({ scopeQ: "/CompanyA/#,/Madrid/Gardens", count: "true" });
    // Assess
    expect(response.status).toBe(200);
    expect(response.ids).toEqual([ids.gardens, ids.many]);
    expect(response.headers["NGSILD-Results-Count"]).toBe("2");
  });

  it("filters POST /entityOperations/query with the Query member scopeQ", async () => {
    // Act
    const response = await call(handlers.queryPost, {
      method: "POST",
      query: { options: "keyValues" },
      body: { type: "Query", entities: [{ type: "Building" }], scopeQ: "/Madrid/+/ParqueNorte/#" },
      principal: asQuery,
    });
    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual([
      { id: ids.many, type: "Building", scope: [PARQUE_NORTE, UNIT_C], name: "Casa" },
      { id: ids.one, type: "Building", scope: PARQUE_NORTE, name: "Casa" },
      { id: ids.parterre, type: "Building", scope: `${PARQUE_NORTE}/Parterre1`, name: "Casa" },
    ]);
  });

  it.each(["Madrid", "/Madrid/#/Gardens", "/Madrid/Gar den", "(/A;/B", ""])(
    "refuses scopeQ=%j with 400 BadRequestData naming scopeQ",
    async (scopeQ) => {
      // Act
      const get = await query({ type: "Building", scopeQ });
      const post = await call(handlers.queryPost, {
        method: "POST",
        body: { type: "Query", entities: [{ type: "Building" }], scopeQ },
        principal: asQuery,
      });
      // Assess
      for (const response of [get, post]) {
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({
          type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData",
          errors: [{ field: "scopeQ" }],
        });
      }
    },
  );
});

describe("scopeQ in subscriptions", () => {
  const client = createDocumentClient();
  const subscriptionsSpec = destinationTemplate([contextManifest]).tables.find(
    (t) => t.purpose === SUBSCRIPTIONS_TABLE,
  );
  const api: SubscriptionDeps = {
    subscriptions: () =>
      buildDynamoDbSubscriptionStore(
        client,
        tableName(TEST_STAGE, Scope.tenant(), CONTEXT_SERVICE, SUBSCRIPTIONS_TABLE),
      ),
    // Creating a non-periodic subscription never writes a timer.
    timers: buildDynamoDbTimerStore(client, `sdp-${TEST_STAGE}-unused-timers`),
    contexts: contextCache(bundledContextLoader),
    network: "private-allowed",
  };
  const subscriptionHandlers = {
    create: createSubscription(api),
    retrieve: retrieveSubscription(api),
    update: updateSubscription(api),
  };
  const body = (extra: Record<string, unknown>) => ({
    type: "Subscription",
    entities: [{ type: "Building" }],
    notification: { endpoint: { uri: "http://127.0.0.1:4100/notify" } },
    ...extra,
  });

  it("keeps a valid scopeQ, refuses an invalid one naming scopeQ, and removes it with null", async () => {
    // Prepare
    const { slug } = await freshTenant();
    if (!subscriptionsSpec) throw new Error("no subscriptions table declared");
    await ensureTable(
      createDynamoDbClient(),
      tableName(TEST_STAGE, slug, CONTEXT_SERVICE, SUBSCRIPTIONS_TABLE),
      subscriptionsSpec,
    );
    const id = `urn:ngsi-ld:Subscription:${crypto.randomUUID()}`;
    const at = {
      path: `/ngsi-ld/v1/subscriptions/${encodeURIComponent(id)}`,
      pathParameters: { subscriptionId: id },
    };
    const principal = staff(slug);
    // Act
    const refused = await call(subscriptionHandlers.create, {
      method: "POST",
      body: body({ scopeQ: "/Madrid/#/x" }),
      principal,
    });
    const created = await call(subscriptionHandlers.create, {
      method: "POST",
      body: body({ id, scopeQ: "/Madrid/#" }),
      principal,
    });
    const kept = await call(subscriptionHandlers.retrieve, { ...at, principal });
    const badPatch = await call(subscriptionHandlers.update, {
      ...at,
      method: "PATCH",
      body: { scopeQ: "Madrid" },
      principal,
    });
    const cleared = await call(subscriptionHandlers.update, {
      ...at,
      method: "PATCH",
      body: { scopeQ: null },
      principal,
    });
    const after = await call(subscriptionHandlers.retrieve, { ...at, principal });
    // Assess
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ errors: [{ field: "body.scopeQ" }] });
    expect(created.status).toBe(201);
    expect(kept.body).toMatchObject({ id, scopeQ: "/Madrid/#" });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body).toMatchObject({ errors: [{ field: "body.scopeQ" }] });
    expect(cleared.status).toBe(204);
    expect(after.body).not.toHaveProperty("scopeQ");
  });

  it("notifies only of entities whose scopes match, and a scope change is an entity update", async () => {
    // Prepare
    const ctx = await contextCache(bundledContextLoader).resolve("villamar", undefined);
    const subscription = parseSubscription(
      body({ scopeQ: "/Madrid/#", notificationTrigger: ["entityUpdated"] }),
      {
        ctx,
        contextRef: undefined,
        tenant: "villamar",
        network: "private-allowed",
        now: "2025-06-01T10:00:00Z",
      },
      () => crypto.randomUUID(),
    );
    const compiled = compile(subscription, ctx);
    const at = "2025-06-01T10:00:00.000Z";
    const entity = (scope?: string[]): Entity => ({
      id: "urn:ngsi-ld:Building:b",
      types: ["https://uri.etsi.org/ngsi-ld/default-context/Building"],
      createdAt: at,
      modifiedAt: at,
      ...(scope ? { scope } : {}),
      attrs: {},
    });
    // Act
    const madrid = selects(compiled, entity([PARQUE_NORTE]));
    const elsewhere = selects(compiled, entity([UNIT_C]));
    const unscoped = selects(compiled, entity());
    const moved = describeChange(entity([UNIT_C]), entity([PARQUE_NORTE]), at);
    // Assess
    expect([madrid, elsewhere, unscoped]).toEqual([true, false, false]);
    expect(moved?.scopeChanged).toBe(true);
    expect(moved && triggerFires(subscription, moved)).toBe(true);
  });
});
