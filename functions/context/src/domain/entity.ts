import { type DomainError, isDomainError } from "@sdp/contracts";
import { invalidData, ngsiError, notFound } from "./errors";
import { parseGeometry } from "./geo";
import type { ActiveContext } from "./jsonld";
import {
  type Attribute,
  type AttributePatch,
  type AttributeUpdate,
  type EntityInput,
  type Entity as EntityRecord,
  SCOPE,
} from "./model";
import { isUri, parseAttribute, parseEntity, toAttribute } from "./normalize";
import {
  type ContextDeps,
  EntityChangedError,
  EntityExistsError,
  EntityTooLargeError,
  NonexistentTenantError,
  ReadDeadlineError,
  type StoredEntity,
} from "./ports";
import { type EntityQuery, type QueryResult, runQuery } from "./query";
import { matchesTypes, type TypeExpression } from "./type-selection";

/** The outcome of an attribute-level batch (append, update): names are expanded. */
export interface UpdateResult {
  readonly updated: string[];
  readonly notUpdated: Array<{ attributeName: string; reason: string }>;
}

export interface Payload {
  readonly body: unknown;
  readonly ctx: ActiveContext;
  /** Why this item of a batch cannot be processed at all (its @context is missing, misplaced or unresolvable). */
  readonly problem?: DomainError;
}

const MAX_ATTEMPTS = 5;

const timestamp = (deps: ContextDeps) => deps.now?.() ?? new Date().toISOString();

/** Store failures in NGSI-LD terms; anything else passes through. */
export function asNgsiError(error: unknown): DomainError | undefined {
  if (isDomainError(error)) return error;
  if (error instanceof NonexistentTenantError) {
    return ngsiError("NonexistentTenant", "the destination of this request has no context broker data", {
      cause: error,
    });
  }
  if (error instanceof ReadDeadlineError) {
    return ngsiError(
      "TooComplexQuery",
      `the query could not be answered in the time a request has (${error.candidatesRead} candidate entities read): narrow it by type, id, idPattern or a geo-query, or make q more selective`,
      { cause: error },
    );
  }
  if (error instanceof EntityTooLargeError) {
    return ngsiError(
      "BadRequestData",
      `the entity would take ${error.bytes} bytes once stored, more than the ${error.limit} bytes an entity may take`,
      { status: 413 },
    );
  }
  return undefined;
}

function rethrow(error: unknown): never {
  throw asNgsiError(error) ?? error;
}

function stamp(attribute: Attribute, now: string, previous?: Attribute): Attribute {
  return { ...attribute, createdAt: previous?.createdAt ?? now, modifiedAt: now };
}

const indexOfDataset = (list: readonly Attribute[], datasetId: string | undefined) =>
  list.findIndex((a) => a.datasetId === datasetId);

function wholeInstances(updates: readonly AttributeUpdate[]): Attribute[] {
  return updates.flatMap((u) => (u.kind === "set" ? [u.instance] : []));
}

const PRIMARY_MEMBERS = [
  "value",
  "object",
  "languageMap",
  "json",
  "vocab",
  "valueList",
  "objectList",
] as const;
const PRIMARY_MEMBER: Record<Attribute["type"], (typeof PRIMARY_MEMBERS)[number]> = {
  Property: "value",
  GeoProperty: "value",
  Relationship: "object",
  LanguageProperty: "languageMap",
  JsonProperty: "json",
  VocabProperty: "vocab",
  ListProperty: "valueList",
  ListRelationship: "objectList",
};

/** Whether a patch gives any member to change (its type and datasetId only select). */
const changesSomething = (patch: AttributePatch) =>
  PRIMARY_MEMBERS.some((member) => patch[member] !== undefined) ||
  patch.observedAt !== undefined ||
  patch.unitCode !== undefined ||
  patch.objectType !== undefined ||
  Object.keys(patch.sub).length > 0;

/** Merges a patch into an instance (clause 5.5.12): given members replace, NGSI-LD Nulls remove. */
function applyPatch(existing: Attribute, patch: AttributePatch, field: string, now?: string): Attribute {
  if (patch.type !== undefined && patch.type !== existing.type) {
    const whole = toAttribute(patch);
    if (!whole) {
      throw invalidData([
        { field, reason: `changes a ${existing.type} into a ${patch.type} without giving all of it` },
      ]);
    }
    return now === undefined ? whole : stamp(whole, now, existing);
  }
  const allowed = PRIMARY_MEMBER[existing.type];
  for (const member of PRIMARY_MEMBERS) {
    if (member !== allowed && patch[member] !== undefined) {
      throw invalidData([{ field: `${field}.${member}`, reason: `a ${existing.type} has no ${member}` }]);
    }
  }
  let merged: Attribute;
  switch (existing.type) {
    case "Property":
      merged = { ...existing, ...(patch.value === undefined ? {} : { value: patch.value }) };
      break;
    case "GeoProperty": {
      if (patch.value === undefined) {
        merged = { ...existing };
        break;
      }
      const geometry = parseGeometry(patch.value);
      if (!geometry.ok) throw invalidData([{ field: `${field}.value`, reason: geometry.reason }]);
      merged = { ...existing, value: geometry.geometry };
      break;
    }
    case "Relationship":
      merged = {
        ...existing,
        ...(patch.object === undefined ? {} : { object: patch.object }),
        ...(patch.objectType === undefined ? {} : { objectType: patch.objectType }),
      };
      break;
    case "LanguageProperty":
      merged = {
        ...existing,
        ...(patch.languageMap === undefined ? {} : { languageMap: patch.languageMap }),
      };
      break;
    case "JsonProperty":
      merged = { ...existing, ...(patch.json === undefined ? {} : { json: patch.json }) };
      break;
    case "VocabProperty":
      merged = { ...existing, ...(patch.vocab === undefined ? {} : { vocab: patch.vocab }) };
      break;
    case "ListProperty":
      merged = { ...existing, ...(patch.valueList === undefined ? {} : { valueList: patch.valueList }) };
      break;
    case "ListRelationship":
      merged = {
        ...existing,
        ...(patch.objectList === undefined ? {} : { objectList: patch.objectList }),
        ...(patch.objectType === undefined ? {} : { objectType: patch.objectType }),
      };
      break;
  }
  if (patch.observedAt === null) delete merged.observedAt;
  else if (patch.observedAt !== undefined) merged.observedAt = patch.observedAt;
  if (patch.unitCode === null) delete merged.unitCode;
  else if (patch.unitCode !== undefined) {
    if (merged.type !== "Property" && merged.type !== "ListProperty") {
      throw invalidData([
        { field: `${field}.unitCode`, reason: "only a Property or a ListProperty has a unitCode" },
      ]);
    }
    merged.unitCode = patch.unitCode;
  }
  const sub: Record<string, Attribute> = { ...(existing.sub ?? {}) };
  for (const [name, subPatch] of Object.entries(patch.sub)) {
    const current = sub[name];
    if (subPatch === null) delete sub[name];
    else if (current) sub[name] = applyPatch(current, subPatch, `${field}.${name}`);
    else {
      const whole = toAttribute(subPatch);
      if (!whole)
        throw invalidData([{ field: `${field}.${name}`, reason: "is a new sub-attribute but has no value" }]);
      sub[name] = whole;
    }
  }
  if (Object.keys(sub).length > 0) merged.sub = sub;
  else delete merged.sub;
  if (now !== undefined) {
    merged.createdAt = existing.createdAt ?? now;
    merged.modifiedAt = now;
  }
  return merged;
}

function newEntity(input: EntityInput, now: string): EntityRecord {
  const attrs: Record<string, Attribute[]> = {};
  for (const [name, updates] of Object.entries(input.attrs)) {
    const instances = wholeInstances(updates).map((a) => stamp(a, now));
    if (instances.length > 0) attrs[name] = instances;
  }
  return {
    id: input.id ?? "",
    types: input.types ?? [],
    createdAt: now,
    modifiedAt: now,
    ...(input.scope ? { scope: input.scope } : {}),
    attrs,
  };
}

/** Sets or (with `null` or nothing) removes the scopes of an entity. */
function setScope(entity: EntityRecord, scope: readonly string[] | null | undefined): void {
  if (scope && scope.length > 0) entity.scope = [...scope];
  else delete entity.scope;
}

/** Fragments add types; an entity never loses one this way (clause 5.6.2, 5.6.3, 5.6.17). */
function addTypes(entity: EntityRecord, types: readonly string[]): void {
  entity.types = [...new Set([...entity.types, ...types])];
}

/**
 * An operation given a selector of entity types (clause 4.17) applies only to an entity that matches it:
 * one that does not is not the entity asked for (clauses 5.6.2 to 5.6.6: ResourceNotFound).
 */
function checkSelected(entity: EntityRecord, selector: TypeExpression | undefined): void {
  if (selector !== undefined && !matchesTypes(selector, entity.types))
    throw notFound(`entity ${entity.id} of the selected type`);
}

/** `scope` is a member of the entity, not an attribute: attribute operations cannot change it. */
function notScope(name: string): void {
  if (name === SCOPE) {
    throw invalidData(
      [
        {
          field: "params.attrId",
          reason: "scope is an entity member, not an attribute: set it by merge or append",
        },
      ],
      "invalid request",
    );
  }
}

function cloneEntity(entity: EntityRecord): EntityRecord {
  return structuredClone(entity);
}

/**
 * Reads, changes and writes back an entity, retrying when another writer got in between (the store
 * writes conditionally on the version it read). `change` may throw to refuse the update.
 */
async function modify<T>(deps: ContextDeps, id: string, change: (entity: EntityRecord) => T): Promise<T> {
  const store = deps.store();
  for (let attempt = 1; ; attempt++) {
    let stored: StoredEntity | undefined;
    try {
      stored = await store.get(id);
    } catch (error) {
      rethrow(error);
    }
    if (!stored) throw notFound(`entity ${id}`);
    const entity = cloneEntity(stored.entity);
    const result = change(entity);
    try {
      await store.update(entity, stored.revision);
      return result;
    } catch (error) {
      if (!(error instanceof EntityChangedError) || attempt >= MAX_ATTEMPTS) rethrow(error);
    }
  }
}

/** Adds or replaces whole instances; with `noOverwrite`, existing instances are kept and reported. */
function appendInto(
  entity: EntityRecord,
  input: EntityInput,
  now: string,
  noOverwrite: boolean,
): UpdateResult {
  const result: UpdateResult = { updated: [], notUpdated: [] };
  if (input.types) addTypes(entity, input.types);
  if (input.scope) {
    // Clause 5.6.3: the scopes given replace the entity's, or with noOverwrite are added to them.
    setScope(entity, noOverwrite ? [...new Set([...(entity.scope ?? []), ...input.scope])] : input.scope);
    result.updated.push(SCOPE);
  }
  for (const [name, updates] of Object.entries(input.attrs)) {
    const list = entity.attrs[name] ?? [];
    let changed = false;
    for (const attribute of wholeInstances(updates)) {
      const at = indexOfDataset(list, attribute.datasetId);
      if (at >= 0 && noOverwrite) {
        result.notUpdated.push({
          attributeName: name,
          reason: "the attribute exists and noOverwrite was requested",
        });
        continue;
      }
      if (at >= 0) list[at] = stamp(attribute, now, list[at]);
      else list.push(stamp(attribute, now));
      changed = true;
    }
    entity.attrs[name] = list;
    if (changed) result.updated.push(name);
  }
  entity.modifiedAt = now;
  return result;
}

/**
 * Replaces existing instances only, or removes them where the fragment gives the NGSI-LD Null;
 * instances the entity lacks are reported, not added. Types the fragment names are added (clause 4.16).
 */
function updateInto(entity: EntityRecord, input: EntityInput, now: string): UpdateResult {
  const result: UpdateResult = { updated: [], notUpdated: [] };
  if (input.types) addTypes(entity, input.types);
  if (input.scope) {
    // Clause 5.6.2: like an attribute, the scope is replaced only when the entity has one.
    if (entity.scope) {
      setScope(entity, input.scope);
      result.updated.push(SCOPE);
    } else result.notUpdated.push({ attributeName: SCOPE, reason: "the entity has no scope" });
  }
  for (const [name, updates] of Object.entries(input.attrs)) {
    const list = entity.attrs[name] ?? [];
    let changed = false;
    for (const update of updates) {
      if (update.kind === "patch") continue;
      const datasetId = update.kind === "set" ? update.instance.datasetId : update.datasetId;
      const at = indexOfDataset(list, datasetId);
      if (at < 0) {
        const which = datasetId ? ` with datasetId ${datasetId}` : "";
        result.notUpdated.push({ attributeName: name, reason: `the entity has no such attribute${which}` });
        continue;
      }
      if (update.kind === "delete") list.splice(at, 1);
      else list[at] = stamp(update.instance, now, list[at]);
      changed = true;
    }
    if (list.length === 0) delete entity.attrs[name];
    if (changed) result.updated.push(name);
  }
  entity.modifiedAt = now;
  return result;
}

/** Merge-patch of an entity (clause 5.6.17): patches merge, NGSI-LD Nulls delete, new attributes are added. */
function mergeInto(entity: EntityRecord, input: EntityInput, now: string): void {
  if (input.types) addTypes(entity, input.types);
  if (input.scope !== undefined) setScope(entity, input.scope);
  for (const [name, updates] of Object.entries(input.attrs)) {
    const list = entity.attrs[name] ?? [];
    for (const update of updates) {
      const datasetId =
        update.kind === "set"
          ? update.instance.datasetId
          : update.kind === "patch"
            ? update.patch.datasetId
            : update.datasetId;
      const at = indexOfDataset(list, datasetId);
      if (update.kind === "delete") {
        if (at >= 0) list.splice(at, 1);
        continue;
      }
      const existing = at >= 0 ? list[at] : undefined;
      if (update.kind === "set") {
        if (at >= 0) list[at] = stamp(update.instance, now, existing);
        else list.push(stamp(update.instance, now));
      } else if (existing) {
        list[at] = applyPatch(existing, update.patch, name, now);
      } else {
        const whole = toAttribute(update.patch);
        if (!whole)
          throw invalidData([
            { field: name, reason: "is a new attribute but the merge does not give its value" },
          ]);
        list.push(stamp(whole, now));
      }
    }
    if (list.length > 0) entity.attrs[name] = list;
    else delete entity.attrs[name];
  }
  entity.modifiedAt = now;
}

export const Entity = {
  /** Creates an entity (clause 5.6.1); returns its id. */
  async create(deps: ContextDeps, payload: Payload): Promise<string> {
    const input = parseEntity(payload.body, payload.ctx, { whole: true, partial: false });
    const entity = newEntity(input, timestamp(deps));
    try {
      await deps.store().create(entity);
    } catch (error) {
      if (error instanceof EntityExistsError)
        throw ngsiError("AlreadyExists", `an entity with id ${entity.id} already exists`);
      rethrow(error);
    }
    return entity.id;
  },

  async retrieve(deps: ContextDeps, id: string): Promise<EntityRecord> {
    if (!isUri(id)) throw ngsiError("BadRequestData", `${JSON.stringify(id)} is not a URI`);
    let stored: StoredEntity | undefined;
    try {
      stored = await deps.store().get(id);
    } catch (error) {
      rethrow(error);
    }
    if (!stored) throw notFound(`entity ${id}`);
    return stored.entity;
  },

  /** Replaces every attribute (clause 5.6.18); the id and createdAt stay, the type may change. */
  async replace(deps: ContextDeps, id: string, payload: Payload): Promise<void> {
    const input = parseEntity(payload.body, payload.ctx, { whole: false, partial: false, expectedId: id });
    const now = timestamp(deps);
    await modify(deps, id, (entity) => {
      const fresh = newEntity({ ...input, id }, now);
      for (const [name, instances] of Object.entries(fresh.attrs)) {
        fresh.attrs[name] = instances.map((a) => {
          const before = entity.attrs[name]?.find((b) => b.datasetId === a.datasetId);
          return before?.createdAt ? { ...a, createdAt: before.createdAt } : a;
        });
      }
      entity.types = input.types ?? entity.types;
      // Replacing an entity replaces its scopes too: a replacement without scope has none.
      setScope(entity, input.scope);
      entity.attrs = fresh.attrs;
      entity.modifiedAt = now;
    });
  },

  async merge(deps: ContextDeps, id: string, payload: Payload): Promise<void> {
    const input = parseEntity(payload.body, payload.ctx, { whole: false, partial: true, expectedId: id });
    const now = timestamp(deps);
    await modify(deps, id, (entity) => mergeInto(entity, input, now));
  },

  async remove(deps: ContextDeps, id: string, selector?: TypeExpression): Promise<void> {
    const store = deps.store();
    for (let attempt = 1; ; attempt++) {
      try {
        const stored = await store.get(id);
        if (!stored) throw notFound(`entity ${id}`);
        checkSelected(stored.entity, selector);
        await store.delete(id, stored.revision);
        return;
      } catch (error) {
        if (!(error instanceof EntityChangedError) || attempt >= MAX_ATTEMPTS) rethrow(error);
      }
    }
  },

  /** Appends attributes (clause 5.6.3); existing ones are overwritten unless `noOverwrite`. */
  async appendAttributes(
    deps: ContextDeps,
    id: string,
    payload: Payload,
    noOverwrite: boolean,
    selector?: TypeExpression,
  ): Promise<UpdateResult> {
    const input = parseEntity(payload.body, payload.ctx, { whole: false, partial: false, expectedId: id });
    const now = timestamp(deps);
    return modify(deps, id, (entity) => {
      checkSelected(entity, selector);
      return appendInto(entity, input, now, noOverwrite);
    });
  },

  /** Updates existing attributes (clause 5.6.2); unknown ones are reported, not added. */
  async updateAttributes(
    deps: ContextDeps,
    id: string,
    payload: Payload,
    selector?: TypeExpression,
  ): Promise<UpdateResult> {
    const input = parseEntity(payload.body, payload.ctx, {
      whole: false,
      partial: false,
      nulls: true,
      expectedId: id,
    });
    const now = timestamp(deps);
    return modify(deps, id, (entity) => {
      checkSelected(entity, selector);
      return updateInto(entity, input, now);
    });
  },

  /** Partial attribute update (clause 5.6.4): merges members into one existing instance. */
  async updateAttribute(
    deps: ContextDeps,
    id: string,
    name: string,
    payload: Payload,
    selector?: TypeExpression,
  ): Promise<void> {
    notScope(name);
    const update = parseAttribute(payload.body, name, payload.ctx, true);
    if (update.kind === "patch" && !changesSomething(update.patch))
      throw invalidData([{ field: "body", reason: "names nothing to update" }]);
    const now = timestamp(deps);
    await modify(deps, id, (entity) => {
      checkSelected(entity, selector);
      const list = entity.attrs[name] ?? [];
      const datasetId =
        update.kind === "set"
          ? update.instance.datasetId
          : update.kind === "patch"
            ? update.patch.datasetId
            : update.datasetId;
      const at = indexOfDataset(list, datasetId);
      const existing = list[at];
      if (!existing)
        throw notFound(`attribute ${name}${datasetId ? ` (datasetId ${datasetId})` : ""} of entity ${id}`);
      // A partial update changes members of the attribute, never what kind of attribute it is.
      if (update.kind === "patch" && update.patch.type !== undefined && update.patch.type !== existing.type) {
        throw invalidData([
          { field: "body.type", reason: `the attribute is a ${existing.type}, not a ${update.patch.type}` },
        ]);
      }
      if (update.kind === "delete") list.splice(at, 1);
      else if (update.kind === "set") list[at] = stamp(update.instance, now, existing);
      else list[at] = applyPatch(existing, update.patch, "body", now);
      if (list.length > 0) entity.attrs[name] = list;
      else delete entity.attrs[name];
      entity.modifiedAt = now;
    });
  },

  /** Replaces one existing attribute instance (clause 5.6.19). */
  async replaceAttribute(deps: ContextDeps, id: string, name: string, payload: Payload): Promise<void> {
    notScope(name);
    const update = parseAttribute(payload.body, name, payload.ctx, false);
    if (update.kind !== "set") throw invalidData([{ field: "body", reason: "must be a whole attribute" }]);
    const now = timestamp(deps);
    await modify(deps, id, (entity) => {
      const list = entity.attrs[name] ?? [];
      const at = indexOfDataset(list, update.instance.datasetId);
      const existing = list[at];
      if (!existing) throw notFound(`attribute ${name} of entity ${id}`);
      list[at] = stamp(update.instance, now, existing);
      entity.attrs[name] = list;
      entity.modifiedAt = now;
    });
  },

  /**
   * Deletes an attribute (clause 5.6.5): the default instance, one dataset, or all with `deleteAll`.
   * Naming `scope` removes the entity's scopes.
   */
  async deleteAttribute(
    deps: ContextDeps,
    id: string,
    name: string,
    which: { datasetId?: string; deleteAll: boolean },
    selector?: TypeExpression,
  ): Promise<void> {
    const now = timestamp(deps);
    await modify(deps, id, (entity) => {
      checkSelected(entity, selector);
      if (name === SCOPE) {
        if (!entity.scope) throw notFound(`the scope of entity ${id}`);
        setScope(entity, null);
        entity.modifiedAt = now;
        return;
      }
      const list = entity.attrs[name] ?? [];
      const remaining = which.deleteAll ? [] : list.filter((a) => a.datasetId !== which.datasetId);
      if (remaining.length === list.length) {
        throw notFound(
          `attribute ${name}${which.datasetId ? ` (datasetId ${which.datasetId})` : ""} of entity ${id}`,
        );
      }
      if (remaining.length > 0) entity.attrs[name] = remaining;
      else delete entity.attrs[name];
      entity.modifiedAt = now;
    });
  },

  async query(deps: ContextDeps, query: EntityQuery): Promise<QueryResult> {
    try {
      return await runQuery(deps.store(), query);
    } catch (error) {
      rethrow(error);
    }
  },
};

/** The pieces batch operations reuse, one entity at a time. */
export const EntityInternals = { newEntity, timestamp };
