import { randomUUID } from "node:crypto";
import { asNgsiError } from "./entity";
import { notFound } from "./errors";
import { type ActiveContext, compactTerm } from "./jsonld";
import type { AttributeType, Entity, Json, JsonObject } from "./model";
import type { ContextDeps, EntityStore } from "./ports";

/**
 * Discovery of what a destination holds (clause 5.7.5 to 5.7.8): its entity types and attributes.
 * Types come from the store's registry; their details and the attribute views read the entities of
 * the types concerned, so they cost a read of those partitions (see docs/context-broker.md).
 */
interface TypeSummary {
  entityCount: number;
  attributes: Map<string, Set<AttributeType>>;
}

interface AttributeSummary {
  count: number;
  attributeTypes: Set<AttributeType>;
  typeNames: Set<string>;
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asNgsiError(error) ?? error;
  }
}

async function hasEntities(store: EntityStore, type: string): Promise<boolean> {
  for await (const _ of store.byTypes([type])) return true;
  return false;
}

async function liveTypes(store: EntityStore): Promise<string[]> {
  const types = await store.types();
  const live = await Promise.all(
    types.map(async (type) => ((await hasEntities(store, type)) ? type : undefined)),
  );
  return live.filter((t) => t !== undefined).sort();
}

function summarize(summary: TypeSummary, entity: Entity): void {
  summary.entityCount++;
  for (const [name, instances] of Object.entries(entity.attrs)) {
    const kinds = summary.attributes.get(name) ?? new Set<AttributeType>();
    for (const instance of instances) kinds.add(instance.type);
    summary.attributes.set(name, kinds);
  }
}

async function typeSummary(store: EntityStore, type: string): Promise<TypeSummary> {
  const summary: TypeSummary = { entityCount: 0, attributes: new Map() };
  for await (const { entity } of store.byTypes([type]))
    if (entity.types.includes(type)) summarize(summary, entity);
  return summary;
}

async function attributeSummaries(store: EntityStore): Promise<Map<string, AttributeSummary>> {
  const out = new Map<string, AttributeSummary>();
  for await (const { entity } of store.all()) {
    for (const [name, instances] of Object.entries(entity.attrs)) {
      const summary = out.get(name) ?? { count: 0, attributeTypes: new Set(), typeNames: new Set() };
      summary.count++;
      for (const instance of instances) summary.attributeTypes.add(instance.type);
      for (const type of entity.types) summary.typeNames.add(type);
      out.set(name, summary);
    }
  }
  return out;
}

const sortedNames = (ctx: ActiveContext, iris: Iterable<string>): Json[] =>
  [...iris].map((iri) => compactTerm(ctx, iri)).sort();

export const Discovery = {
  /** GET /types: the EntityTypeList, or with details every EntityType with its attribute names. */
  async types(deps: ContextDeps, ctx: ActiveContext, details: boolean): Promise<Json> {
    return guard(async () => {
      const store = deps.store();
      const types = await liveTypes(store);
      if (!details) {
        return {
          id: `urn:ngsi-ld:EntityTypeList:${randomUUID()}`,
          type: "EntityTypeList",
          typeList: types.map((t) => compactTerm(ctx, t)),
        };
      }
      const summaries = await Promise.all(types.map((type) => typeSummary(store, type)));
      return types.map(
        (type, index): JsonObject => ({
          id: type,
          type: "EntityType",
          typeName: compactTerm(ctx, type),
          attributeNames: sortedNames(ctx, summaries[index]?.attributes.keys() ?? []),
        }),
      );
    });
  },

  /** GET /types/{type}: EntityTypeInfo with the entity count and every attribute's types. */
  async type(deps: ContextDeps, ctx: ActiveContext, type: string): Promise<Json> {
    return guard(async () => {
      const summary = await typeSummary(deps.store(), type);
      if (summary.entityCount === 0) throw notFound(`entity type ${compactTerm(ctx, type)}`);
      return {
        id: type,
        type: "EntityTypeInfo",
        typeName: compactTerm(ctx, type),
        entityCount: summary.entityCount,
        attributeDetails: [...summary.attributes]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([name, kinds]) => ({
            id: name,
            type: "Attribute",
            attributeName: compactTerm(ctx, name),
            attributeTypes: [...kinds].sort(),
          })),
      };
    });
  },

  /** GET /attributes: the AttributeList, or with details every Attribute. */
  async attributes(deps: ContextDeps, ctx: ActiveContext, details: boolean): Promise<Json> {
    return guard(async () => {
      const summaries = await attributeSummaries(deps.store());
      if (!details) {
        return {
          id: `urn:ngsi-ld:AttributeList:${randomUUID()}`,
          type: "AttributeList",
          attributeList: sortedNames(ctx, summaries.keys()),
        };
      }
      return [...summaries]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, summary]) => attributeJson(ctx, name, summary));
    });
  },

  /** GET /attributes/{attrId}. */
  async attribute(deps: ContextDeps, ctx: ActiveContext, name: string): Promise<Json> {
    return guard(async () => {
      const summary = (await attributeSummaries(deps.store())).get(name);
      if (!summary) throw notFound(`attribute ${compactTerm(ctx, name)}`);
      return attributeJson(ctx, name, summary);
    });
  },
};

function attributeJson(ctx: ActiveContext, name: string, summary: AttributeSummary): JsonObject {
  return {
    id: name,
    type: "Attribute",
    attributeName: compactTerm(ctx, name),
    attributeCount: summary.count,
    attributeTypes: [...summary.attributeTypes].sort(),
    typeNames: sortedNames(ctx, summary.typeNames),
  };
}
