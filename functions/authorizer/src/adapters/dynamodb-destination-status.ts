import { type DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { TenantRegistry, TenantStatus } from "@sdp/contracts";
import { z } from "zod";
import type { DestinationStatus } from "../ports";

const Status = z.object({ status: TenantStatus });

/** Reads a destination's status from the registry table. */
export function buildDynamoDbDestinationStatus(
  client: DynamoDBDocumentClient,
  table: string,
): DestinationStatus {
  return {
    async status(slug) {
      const { Item } = await client.send(
        new GetCommand({
          TableName: table,
          Key: {
            [TenantRegistry.pk]: TenantRegistry.tenantPk(slug),
            [TenantRegistry.sk]: TenantRegistry.profileSk,
          },
          ProjectionExpression: "#status",
          ExpressionAttributeNames: { "#status": "status" },
        }),
      );
      const parsed = Status.safeParse(Item);
      return parsed.success ? parsed.data.status : undefined;
    },
  };
}

/**
 * Remembers each destination's status for a few seconds, so a burst of requests costs one read; a
 * suspension takes effect within `ttlMs` (at most 5 s, as promised to platform administrators).
 */
export function cachedDestinationStatus(
  inner: DestinationStatus,
  ttlMs = 5_000,
  now: () => number = Date.now,
): DestinationStatus {
  const cache = new Map<string, { value: z.infer<typeof TenantStatus> | undefined; until: number }>();
  return {
    async status(slug) {
      const hit = cache.get(slug);
      if (hit && hit.until > now()) return hit.value;
      const value = await inner.status(slug);
      if (cache.size > 10_000) cache.clear();
      cache.set(slug, { value, until: now() + Math.min(ttlMs, 5_000) });
      return value;
    },
  };
}
