import { asNgsiError, EntityInternals, type Payload } from "../../domain/entity";
import { invalidData, notFound } from "../../domain/errors";
import type { Attribute, AttributePatch } from "../../domain/model";
import { isUri, toAttribute } from "../../domain/normalize";
import type { StoredEntity } from "../../domain/ports";
import type { EntityQuery } from "../../domain/query";
import { runQuery } from "../../domain/query";
import { keepsMember, projectsAnyMember } from "../../domain/render";
import { parseInstanceId } from "./instances";
import type { EntityHead, HistoryInstance, SeriesRead } from "./model";
import { applyObservations } from "./observations";
import { parseInstancePatch, parseTemporalEntity } from "./parse";
import type { TemporalDeps } from "./ports";
import type { TemporalEntityData } from "./render";
import type { TemporalRequest } from "./request";

/**
 * The temporal API's use cases (clause 5.6.11 to 5.6.16, 5.7.3, 5.7.4): reading the history of an
 * entity or of the entities a query selects, adding to it, changing and deleting instances.
 */
export interface TemporalResult {
  readonly entity: TemporalEntityData;
  /** Some series held more instances in the window than one answer returns. */
  readonly truncated: boolean;
}

/** Most instances of one attribute (one dataset) an answer returns: more make it a 206 Partial Content. */
export const MAX_INSTANCES = 1000;
/** Most instances of one attribute read to aggregate it. */
export const MAX_AGGREGATED_INSTANCES = 20_000;
const CONCURRENCY = 4;

/**
 * The ids a request names in its path must be URIs (clauses 5.6.12 to 5.6.16, 5.7.3): an entity or
 * instance id that is not one is BadRequestData, not an unknown resource.
 */
function checkIds(ids: { entityId: string; instanceId?: string }): void {
  const problems = [
    ...(isUri(ids.entityId) ? [] : [{ field: "params.entityId", reason: "must be a URI" }]),
    ...(ids.instanceId === undefined || isUri(ids.instanceId)
      ? []
      : [{ field: "params.instanceId", reason: "must be a URI" }]),
  ];
  if (problems.length > 0) throw invalidData(problems, "the request is not valid");
}

async function attempt<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asNgsiError(error) ?? error;
  }
}

function seriesRead(request: TemporalRequest): SeriesRead {
  const aggregated = request.format === "aggregatedValues";
  return {
    property: request.property,
    window: request.window,
    ...(request.lastN === undefined || aggregated ? {} : { lastN: request.lastN }),
    limit: aggregated ? MAX_AGGREGATED_INSTANCES : MAX_INSTANCES,
  };
}

async function mapLimited<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) {
      const item = items[index];
      if (item !== undefined) results[index] = await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return results;
}

/** The history of one entity, read for a request: its head (or current state) and its series. */
async function historyOf(
  deps: TemporalDeps,
  id: string,
  head: EntityHead | undefined,
  current: StoredEntity | undefined,
  attrs: readonly string[] | undefined,
  request: TemporalRequest,
): Promise<TemporalResult> {
  const history = deps.history();
  // Only the histories the answer shows are read: those attrs names, less what pick/omit leave out.
  const wanted = (head?.series ?? []).filter(
    (s) => (attrs === undefined || attrs.includes(s.attr)) && keepsMember(request, s.attr),
  );
  const read = seriesRead(request);
  const pages = await mapLimited(wanted, (ref) => history.read(ref, read));
  const types = head && head.types.length > 0 ? head.types : (current?.entity.types ?? []);
  return {
    entity: {
      id,
      types,
      ...(head?.createdAt ? { createdAt: head.createdAt } : {}),
      ...(head?.modifiedAt ? { modifiedAt: head.modifiedAt } : {}),
      ...(head?.deletedAt ? { deletedAt: head.deletedAt } : {}),
      series: wanted.map((ref, index) => ({ ref, instances: pages[index]?.instances ?? [] })),
    },
    truncated: pages.some((p) => p.truncated),
  };
}

export interface TemporalQueryResult {
  readonly entities: TemporalResult[];
  readonly count?: number;
  readonly more: boolean;
}

const byIdsOnly = (query: EntityQuery) =>
  query.selectors.length > 0 &&
  query.selectors.every((s) => s.ids !== undefined && !s.idPattern && !s.types) &&
  !query.q &&
  !query.scope &&
  !query.geo &&
  !query.attrs;

function toPatch(attribute: Attribute): AttributePatch {
  const { sub, createdAt: _created, modifiedAt: _modified, ...rest } = attribute;
  const patch: AttributePatch = { ...rest, sub: {} };
  for (const [name, value] of Object.entries(sub ?? {})) patch.sub[name] = toPatch(value);
  return patch;
}

/** Merges a PATCH into an attribute instance; its type, dataset and time stay. */
function patchInstance(attribute: Attribute, patch: AttributePatch): Attribute {
  const problems: Array<{ field: string; reason: string }> = [];
  if (patch.type !== undefined && patch.type !== attribute.type)
    problems.push({ field: "body.type", reason: `an instance of a ${attribute.type} keeps its type` });
  if (patch.datasetId !== undefined && patch.datasetId !== attribute.datasetId)
    problems.push({ field: "body.datasetId", reason: "an instance keeps its datasetId" });
  if (patch.observedAt !== undefined && patch.observedAt !== attribute.observedAt) {
    problems.push({
      field: "body.observedAt",
      reason: "an instance keeps its observedAt (its place in the history): delete it and add another",
    });
  }
  if (problems.length > 0) throw invalidData(problems);
  const merged = toPatch(attribute);
  const primary = ["value", "object", "objectType", "languageMap", "json"] as const;
  for (const key of primary) {
    const value = patch[key];
    if (value !== undefined) Object.assign(merged, { [key]: value });
  }
  if (patch.unitCode === null) delete merged.unitCode;
  else if (patch.unitCode !== undefined) merged.unitCode = patch.unitCode;
  for (const [name, sub] of Object.entries(patch.sub)) merged.sub[name] = sub;
  const whole = toAttribute(merged);
  if (!whole) throw invalidData([{ field: "body", reason: `does not leave a valid ${attribute.type}` }]);
  return whole;
}

/** Whether the broker knows the entity: in its current state or its history. */
async function known(deps: TemporalDeps, id: string): Promise<boolean> {
  return attempt(
    async () => (await deps.store().get(id)) !== undefined || (await deps.history().head(id)) !== undefined,
  );
}

async function observe(
  deps: TemporalDeps,
  id: string,
  types: readonly string[],
  attrs: Record<string, Attribute[]>,
): Promise<void> {
  await applyObservations(deps, {
    entityId: id,
    types,
    observed: attrs,
    receivedAt: EntityInternals.timestamp(deps),
    recordAll: true,
  });
}

export const Temporal = {
  /** The temporal representation of an entity (clause 5.7.3). */
  async retrieve(
    deps: TemporalDeps,
    id: string,
    attrs: readonly string[] | undefined,
    request: TemporalRequest,
  ): Promise<TemporalResult> {
    checkIds({ entityId: id });
    const head = await attempt(() => deps.history().head(id));
    const current = head ? undefined : await attempt(() => deps.store().get(id));
    if (!head && !current) throw notFound(`entity ${id}`);
    const result = await attempt(() => historyOf(deps, id, head, current, attrs, request));
    // As Retrieve Entity does (clause 5.7.1.4): a pick or omit that leaves nothing is ResourceNotFound.
    const projected = request.pick !== undefined || request.omit !== undefined;
    const attributes = result.entity.series.map((s) => s.ref.attr);
    if (projected && !projectsAnyMember(attributes, request, false))
      throw notFound(`nothing of the temporal representation of entity ${id} matches the projection`);
    return result;
  },

  /**
   * The temporal representation of the entities a query selects (clause 5.7.4). Entities are selected
   * by their current state with the query machinery of `GET /entities` (ids alone also find entities
   * that only the history remembers), then each one's history is read.
   */
  async query(
    deps: TemporalDeps,
    query: EntityQuery,
    attrs: readonly string[] | undefined,
    request: TemporalRequest,
  ): Promise<TemporalQueryResult> {
    return attempt(async () => {
      if (byIdsOnly(query)) {
        const ids = [...new Set(query.selectors.flatMap((s) => s.ids ?? []))].sort((a, b) =>
          Buffer.compare(Buffer.from(a), Buffer.from(b)),
        );
        const heads = await mapLimited(ids, (id) => deps.history().head(id));
        const found = ids.flatMap((id, index) => {
          const head = heads[index];
          return head ? [{ id, head }] : [];
        });
        const page = found.slice(query.offset, query.offset + query.limit);
        const entities = await mapLimited(page, ({ id, head }) =>
          historyOf(deps, id, head, undefined, attrs, request),
        );
        return {
          entities,
          ...(query.count ? { count: found.length } : {}),
          more: found.length > query.offset + query.limit,
        };
      }
      const selected = await runQuery(deps.store(), query);
      const entities = await mapLimited(selected.entities, async (entity) => {
        const head = await deps.history().head(entity.id);
        return historyOf(
          deps,
          entity.id,
          head,
          { entity, revision: { version: 0, indexItems: [] } },
          attrs,
          request,
        );
      });
      return {
        entities,
        ...(selected.count === undefined ? {} : { count: selected.count }),
        more: selected.more,
      };
    });
  },

  /**
   * Creates or adds to the temporal representation of an entity (clause 5.6.11): every instance is
   * recorded, and each attribute's newest instance becomes its current value when it is newer than
   * the stored one. "created" when the broker knew nothing of the entity.
   */
  async create(
    deps: TemporalDeps,
    payload: Payload,
  ): Promise<{ id: string; outcome: "created" | "updated" }> {
    const input = parseTemporalEntity(payload.body, payload.ctx, { whole: true });
    const id = input.id ?? "";
    const existed = await known(deps, id);
    await observe(deps, id, input.types ?? [], input.attrs);
    return { id, outcome: existed ? "updated" : "created" };
  },

  /** Adds attribute instances to the temporal representation of an existing entity (clause 5.6.12). */
  async append(deps: TemporalDeps, id: string, payload: Payload): Promise<void> {
    checkIds({ entityId: id });
    const input = parseTemporalEntity(payload.body, payload.ctx, { whole: false, expectedId: id });
    if (!(await known(deps, id))) throw notFound(`entity ${id}`);
    await observe(deps, id, input.types ?? [], input.attrs);
  },

  /** Deletes the temporal representation of an entity (clause 5.6.16); its current state stays. */
  async remove(deps: TemporalDeps, id: string): Promise<void> {
    checkIds({ entityId: id });
    const removed = await attempt(() => deps.history().removeEntity(id));
    if (!removed) throw notFound(`the temporal representation of entity ${id}`);
  },

  /** Deletes an attribute's history (clause 5.6.14): the default instance's, one dataset's, or all. */
  async removeAttribute(
    deps: TemporalDeps,
    id: string,
    attr: string,
    which: { datasetId?: string; deleteAll: boolean },
  ): Promise<void> {
    checkIds({ entityId: id });
    await attempt(async () => {
      const history = deps.history();
      const head = await history.head(id);
      const series = (head?.series ?? []).filter(
        (s) => s.attr === attr && (which.deleteAll || s.datasetId === which.datasetId),
      );
      if (series.length === 0) {
        const dataset = which.datasetId ? ` (datasetId ${which.datasetId})` : "";
        throw notFound(`the history of attribute ${attr}${dataset} of entity ${id}`);
      }
      for (const ref of series) await history.removeSeries(ref);
    });
  },

  /** Changes an attribute instance (clause 5.6.13): its value, unitCode, sub-attributes. */
  async modifyInstance(
    deps: TemporalDeps,
    id: string,
    attr: string,
    instanceId: string,
    payload: Payload,
  ): Promise<void> {
    const patch = parseInstancePatch(payload.body, attr, payload.ctx);
    const instance = await Temporal.instance(deps, id, attr, instanceId);
    if (instance.content.kind !== "value") {
      throw invalidData([
        { field: "params.instanceId", reason: "records a deletion, which has no value to change" },
      ]);
    }
    const attribute = patchInstance(instance.content.attribute, patch);
    const modified: HistoryInstance = {
      ...instance,
      content: { kind: "value", attribute },
      modifiedAt: EntityInternals.timestamp(deps),
    };
    await attempt(() => deps.history().replace(modified));
  },

  /** Deletes an attribute instance (clause 5.6.15). */
  async removeInstance(deps: TemporalDeps, id: string, attr: string, instanceId: string): Promise<void> {
    const instance = await Temporal.instance(deps, id, attr, instanceId);
    await attempt(() => deps.history().removeInstance(instance));
  },

  async instance(deps: TemporalDeps, id: string, attr: string, instanceId: string): Promise<HistoryInstance> {
    checkIds({ entityId: id, instanceId });
    const missing = () => notFound(`instance ${instanceId} of attribute ${attr} of entity ${id}`);
    if (!parseInstanceId(instanceId)) throw missing();
    const instance = await attempt(() => deps.history().instance(id, attr, instanceId));
    if (!instance) throw missing();
    return instance;
  },
};
