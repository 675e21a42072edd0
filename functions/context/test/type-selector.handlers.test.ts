import { beforeAll, describe, expect, it } from "vitest";
import { buildHandler as appendAttributes } from "../src/handlers/appendAttributes";
import { buildHandler as batchCreate } from "../src/handlers/batchCreate";
import { buildHandler as createEntity } from "../src/handlers/createEntity";
import { buildHandler as deleteAttribute } from "../src/handlers/deleteAttribute";
import { buildHandler as deleteEntity } from "../src/handlers/deleteEntity";
import { buildHandler as replaceAttribute } from "../src/handlers/replaceAttribute";
import { buildHandler as retrieveEntity } from "../src/handlers/retrieveEntity";
import { buildHandler as updateAttribute } from "../src/handlers/updateAttribute";
import { buildHandler as updateAttributes } from "../src/handlers/updateAttributes";
import { call, type EventInput, freshTenant, staff, testDeps, uniqueId } from "./support";

/**
 * The `type` selector of the operations on one entity (clause 4.17; clauses 5.6.2 to 5.6.6): an entity
 * that does not match is not found and keeps every attribute; `scope` is no attribute of the attribute
 * operations, except that deleting it removes the scopes; `@id`/`@type` name a created entity.
 */
const deps = testDeps();
const handlers = {
  create: createEntity(deps),
  batchCreate: batchCreate(deps),
  retrieve: retrieveEntity(deps),
  remove: deleteEntity(deps),
  append: appendAttributes(deps),
  update: updateAttributes(deps),
  updateOne: updateAttribute(deps),
  replaceOne: replaceAttribute(deps),
  deleteOne: deleteAttribute(deps),
};

let as: EventInput["principal"];

beforeAll(async () => {
  as = staff((await freshTenant()).slug);
});

const entityPath = (id: string, suffix = "") => ({
  path: `/ngsi-ld/v1/entities/${encodeURIComponent(id)}${suffix}`,
  pathParameters: { entityId: id },
});
const attrPath = (id: string, attrId: string) => ({
  path: `/ngsi-ld/v1/entities/${encodeURIComponent(id)}/attrs/${attrId}`,
  pathParameters: { entityId: id, attrId },
});

/** A Building with two types and a scope, as the suite's cases create it (core context). */
async function building(): Promise<string> {
  const id = uniqueId("Building");
  const created = await call(handlers.create, {
    method: "POST",
    body: { id, type: ["Building", "Landmark"], scope: "/Madrid", name: { type: "Property", value: "x" } },
    principal: as,
  });
  expect(created.status).toBe(201);
  return id;
}

async function keyValues(id: string) {
  const response = await call(handlers.retrieve, {
    ...entityPath(id),
    query: { options: "keyValues" },
    principal: as,
  });
  return { status: response.status, body: response.body };
}

describe("the type selector on the operations on one entity", () => {
  it("append and update attributes: a mismatch is 404 and writes nothing, a match applies", async () => {
    // Prepare
    const id = await building();
    const send = (handler: typeof handlers.append, method: string, type: string, value: string) =>
      call(handler, {
        method,
        ...entityPath(id, "/attrs"),
        query: { type },
        body: { name: { type: "Property", value } },
        principal: as,
      });
    // Act
    const appendOther = await send(handlers.append, "POST", "Vehicle", "appended");
    const updateOther = await send(handlers.update, "PATCH", "Vehicle;Building", "updated");
    const untouched = await keyValues(id);
    const appendMatch = await send(handlers.append, "POST", "Vehicle,Landmark", "appended");
    const afterAppend = await keyValues(id);
    const updateMatch = await send(handlers.update, "PATCH", "Building;Landmark", "updated");
    const afterUpdate = await keyValues(id);
    // Assess
    expect([appendOther.status, updateOther.status]).toEqual([404, 404]);
    expect(untouched.body).toMatchObject({ name: "x" });
    expect(appendMatch.status).toBe(204);
    expect(afterAppend.body).toMatchObject({ name: "appended" });
    expect(updateMatch.status).toBe(204);
    expect(afterUpdate.body).toMatchObject({ name: "updated" });
  });

  it("partial update and delete attribute: a mismatch is 404 and the attribute stays", async () => {
    // Prepare
    const id = await building();
    // Act
    const patchOther = await call(handlers.updateOne, {
      method: "PATCH",
      ...attrPath(id, "name"),
      query: { type: "Vehicle" },
      body: { value: "y" },
      principal: as,
    });
    const deleteOther = await call(handlers.deleteOne, {
      method: "DELETE",
      ...attrPath(id, "name"),
      query: { type: "Vehicle" },
      principal: as,
    });
    const untouched = await keyValues(id);
    const patchMatch = await call(handlers.updateOne, {
      method: "PATCH",
      ...attrPath(id, "name"),
      query: { type: "Building" },
      body: { value: "y" },
      principal: as,
    });
    const afterPatch = await keyValues(id);
    const deleteMatch = await call(handlers.deleteOne, {
      method: "DELETE",
      ...attrPath(id, "name"),
      query: { type: "Building" },
      principal: as,
    });
    const afterDelete = await keyValues(id);
    // Assess
    expect([patchOther.status, deleteOther.status]).toEqual([404, 404]);
    expect(untouched.body).toMatchObject({ name: "x" });
    expect([patchMatch.status, deleteMatch.status]).toEqual([204, 204]);
    expect(afterPatch.body).toMatchObject({ name: "y" });
    expect(afterDelete.body).not.toHaveProperty("name");
  });

  it("delete entity: a mismatch is 404 and the entity survives; a match deletes it", async () => {
    // Prepare
    const id = await building();
    // Act
    const other = await call(handlers.remove, {
      method: "DELETE",
      ...entityPath(id),
      query: { type: "Vehicle" },
      principal: as,
    });
    const survived = await keyValues(id);
    const match = await call(handlers.remove, {
      method: "DELETE",
      ...entityPath(id),
      query: { type: "Building" },
      principal: as,
    });
    const gone = await keyValues(id);
    // Assess
    expect(other.status).toBe(404);
    expect(survived.status).toBe(200);
    expect(match.status).toBe(204);
    expect(gone.status).toBe(404);
  });

  it("refuses a malformed selector with 400 naming query.type, before anything is read", async () => {
    // Prepare
    const id = await building();
    // Act
    const response = await call(handlers.remove, {
      method: "DELETE",
      ...entityPath(id),
      query: { type: "Building;(" },
      principal: as,
    });
    const survived = await keyValues(id);
    // Assess
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData",
      errors: [{ field: "query.type" }],
    });
    expect(survived.status).toBe(200);
  });
});

describe("scope on the attribute operations", () => {
  it("refuses a partial update or replacement of scope with 400, and deletes it as an attribute", async () => {
    // Prepare
    const id = await building();
    // Act
    const patched = await call(handlers.updateOne, {
      method: "PATCH",
      ...attrPath(id, "scope"),
      body: { value: "/Barcelona" },
      principal: as,
    });
    const replaced = await call(handlers.replaceOne, {
      method: "PUT",
      ...attrPath(id, "scope"),
      body: { type: "Property", value: "/Barcelona" },
      principal: as,
    });
    const kept = await keyValues(id);
    const deleted = await call(handlers.deleteOne, {
      method: "DELETE",
      ...attrPath(id, "scope"),
      principal: as,
    });
    const again = await call(handlers.deleteOne, {
      method: "DELETE",
      ...attrPath(id, "scope"),
      principal: as,
    });
    const after = await keyValues(id);
    // Assess
    expect(patched).toMatchObject({ status: 400, body: { errors: [{ field: "params.attrId" }] } });
    expect(replaced.status).toBe(400);
    expect(kept.body).toMatchObject({ scope: "/Madrid" });
    expect(deleted.status).toBe(204);
    expect(again.status).toBe(404);
    expect(after.body).not.toHaveProperty("scope");
    expect(after.body).toMatchObject({ name: "x" });
  });
});

describe("@id and @type over the handlers", () => {
  it("creates an entity named by @id and @type, and answers with id and type only", async () => {
    // Prepare
    const id = uniqueId("Vehicle");
    // Act
    const created = await call(handlers.create, {
      method: "POST",
      body: { "@id": id, "@type": "Vehicle", speed: { type: "Property", value: 42 } },
      principal: as,
    });
    const read = await call(handlers.retrieve, { ...entityPath(id), principal: as });
    // Assess
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/ngsi-ld/v1/entities/${id}`);
    expect(read.body).toEqual({ id, type: "Vehicle", speed: { type: "Property", value: 42 } });
  });

  it("reports a batch entity by its @id, whether it succeeds or fails", async () => {
    // Prepare
    const good = uniqueId("Vehicle");
    const bad = uniqueId("Vehicle");
    // Act
    const response = await call(handlers.batchCreate, {
      method: "POST",
      path: "/ngsi-ld/v1/entityOperations/create",
      body: [
        { "@id": good, "@type": "Vehicle" },
        { "@id": bad, "@type": "9Vehicle" },
      ],
      principal: as,
    });
    // Assess
    expect(response).toMatchObject({ status: 207, body: { success: [good], errors: [{ entityId: bad }] } });
  });
});
