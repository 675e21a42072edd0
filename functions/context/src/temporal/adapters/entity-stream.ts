import { type ContextDeadLetter, TenantSlug } from "@sdp/contracts";
import type { AttributeValue, DynamoDBRecord } from "aws-lambda";
import { entityOfItem } from "../../adapters/dynamodb-entity-store";
import { CONTEXT_SERVICE, ENTITIES_TABLE } from "../../keys";
import type { ChangeRecord } from "../domain/recorder";

/**
 * Records of the entities table's stream (Lambda's DynamoDB event) as the recorder reads them: the
 * destination from the table in the stream's ARN (`…:table/sdp-<stage>-<tenant>-context-entities/
 * stream/…`), the entity before and after from the images.
 */
function plain(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(plain);
  if (value.M !== undefined) return fromImage(value.M);
  if (value.SS !== undefined) return value.SS;
  if (value.NS !== undefined) return value.NS.map(Number);
  if (value.B !== undefined) return value.B;
  if (value.BS !== undefined) return value.BS;
  return undefined;
}

export function fromImage(image: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, plain(value)]));
}

/** The destination whose entities table a stream ARN belongs to, if it is one. */
export function tenantOfStream(arn: string, stage: string): string | undefined {
  const table = /:table\/([^/]+)\/stream\//.exec(arn)?.[1];
  const prefix = `sdp-${stage}-`;
  const suffix = `-${CONTEXT_SERVICE}-${ENTITIES_TABLE}`;
  if (!table?.startsWith(prefix) || !table.endsWith(suffix)) return undefined;
  const tenant = table.slice(prefix.length, table.length - suffix.length);
  return TenantSlug.safeParse(tenant).success ? tenant : undefined;
}

export function changeRecordsOf(records: readonly DynamoDBRecord[], stage: string): ChangeRecord[] {
  return records.map((record): ChangeRecord => {
    const change = record.dynamodb ?? {};
    const sequenceNumber = change.SequenceNumber ?? record.eventID ?? "";
    const created = change.ApproximateCreationDateTime;
    const changedAt = new Date(created === undefined ? Date.now() : created * 1000).toISOString();
    const keys = change.Keys ? fromImage(change.Keys) : {};
    if (keys.sk !== "@") return { kind: "ignored", sequenceNumber };
    const poison = (reason: ContextDeadLetter["reason"], detail: string, tenant?: string): ChangeRecord => ({
      kind: "poison",
      sequenceNumber,
      letter: {
        kind: "entity-change",
        reason,
        detail,
        source: record.eventSourceARN ?? "",
        sequenceNumber,
        approximateArrivalTimestamp: changedAt,
        data: JSON.stringify(keys),
        ...(tenant ? { tenant } : {}),
        deadLetteredAt: new Date().toISOString(),
      },
    });
    const tenant = tenantOfStream(record.eventSourceARN ?? "", stage);
    if (!tenant)
      return poison("unknown-destination", `${record.eventSourceARN} is not an entities table stream`);
    try {
      const before = change.OldImage ? entityOfItem(fromImage(change.OldImage)) : undefined;
      const after = change.NewImage ? entityOfItem(fromImage(change.NewImage)) : undefined;
      const entityId = typeof keys.pk === "string" ? keys.pk : (after?.id ?? before?.id);
      if (entityId === undefined) return poison("invalid-change", "the change names no entity", tenant);
      return {
        kind: "change",
        sequenceNumber,
        tenant,
        entityId,
        ...(before ? { before } : {}),
        ...(after ? { after } : {}),
        changedAt,
      };
    } catch (error) {
      const detail = error instanceof Error ? error.message.slice(0, 500) : "the images are not entities";
      return poison("invalid-change", detail, tenant);
    }
  });
}
