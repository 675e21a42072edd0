import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { TenantSlug } from "@sdp/contracts";
import type { DynamoDBRecord } from "aws-lambda";
import { z } from "zod";
import { ATTRIBUTE_TYPES, type Attribute, type Entity } from "../../domain/model";
import { CONTEXT_SERVICE, ENTITIES_TABLE, EntityKeys } from "../../keys";
import { describeChange } from "../matching";
import type { ChangeRecord } from "../notifier";

/**
 * Reads the entities table's stream (NEW_AND_OLD_IMAGES): the destination from the table the record
 * came from (its stream ARN names the table, `sdp-<stage>-<tenant>-context-entities`), the entity
 * before and after from the entity item's `doc`. Index and registry items are not entity changes.
 */
const ENTITY_SK = "@";

const AttributeValueSchema = z.custom<Attribute>(
  (value) =>
    typeof value === "object" &&
    value !== null &&
    "type" in value &&
    ATTRIBUTE_TYPES.some((type) => type === value.type),
);
const EntitySchema = z.object({
  id: z.string(),
  types: z.array(z.string()).min(1),
  createdAt: z.string(),
  modifiedAt: z.string(),
  scope: z.array(z.string()).min(1).optional(),
  attrs: z.record(z.string(), z.array(AttributeValueSchema)),
});
const EntityImage = z.object({ [EntityKeys.sk]: z.literal(ENTITY_SK), doc: z.string() });

/** The destination whose entities table a stream ARN belongs to, or undefined. */
export function tenantOfStream(arn: string | undefined, stage: string): string | undefined {
  const table = /:table\/([^/]+)\/stream\//.exec(arn ?? "")?.[1];
  if (!table) return undefined;
  const prefix = `sdp-${stage}-`;
  const suffix = `-${CONTEXT_SERVICE}-${ENTITIES_TABLE}`;
  if (!table.startsWith(prefix) || !table.endsWith(suffix)) return undefined;
  const tenant = table.slice(prefix.length, table.length - suffix.length);
  return TenantSlug.safeParse(tenant).success ? tenant : undefined;
}

function entityOf(image: Record<string, AttributeValue> | undefined): Entity | undefined {
  if (!image) return undefined;
  const item = EntityImage.safeParse(unmarshall(image));
  if (!item.success) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(item.data.doc);
  } catch {
    return undefined;
  }
  const entity = EntitySchema.safeParse(document);
  return entity.success ? entity.data : undefined;
}

const isEntityItem = (record: DynamoDBRecord) => {
  const keys = record.dynamodb?.Keys;
  return keys !== undefined && keys[EntityKeys.sk]?.S === ENTITY_SK;
};

/** The entity changes of a stream batch, by destination, in stream order. */
export function changesOf(records: readonly DynamoDBRecord[], stage: string): Map<string, ChangeRecord[]> {
  const out = new Map<string, ChangeRecord[]>();
  for (const record of records) {
    if (!isEntityItem(record)) continue;
    const tenant = tenantOfStream(record.eventSourceARN, stage);
    const sequence = record.dynamodb?.SequenceNumber;
    if (!tenant || !sequence) continue;
    const before = entityOf(record.dynamodb?.OldImage as Record<string, AttributeValue> | undefined);
    const after =
      record.eventName === "REMOVE"
        ? undefined
        : entityOf(record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined);
    const created = record.dynamodb?.ApproximateCreationDateTime;
    const at =
      after?.modifiedAt ?? new Date(created === undefined ? Date.now() : created * 1000).toISOString();
    const change = describeChange(before, after, at);
    if (!change) continue;
    const list = out.get(tenant) ?? [];
    list.push({ sequence, change });
    out.set(tenant, list);
  }
  return out;
}
