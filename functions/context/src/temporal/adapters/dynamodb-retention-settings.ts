import { type DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { DestinationSettings, TenantRegistry } from "@sdp/contracts";
import { log } from "@sdp/kernel";
import { z } from "zod";
import type { RetentionSettings } from "../domain/ports";

const Profile = z.object({ settings: z.unknown().optional() });

/**
 * A destination's retention setting in the tenants service's registry (a platform table this service
 * declares in its manifest's `reads`): the destination's profile item, its `settings` attribute only.
 * A destination without a record or without the setting has none; a value the contract refuses is
 * reported and ignored (the default applies) rather than failing every history write of it.
 */
export function buildDynamoDbRetentionSettings(
  client: DynamoDBDocumentClient,
  registryTable: string,
): RetentionSettings {
  return {
    async historyRetentionDays(tenant) {
      const { Item } = await client.send(
        new GetCommand({
          TableName: registryTable,
          Key: {
            [TenantRegistry.pk]: TenantRegistry.tenantPk(tenant),
            [TenantRegistry.sk]: TenantRegistry.profileSk,
          },
          ProjectionExpression: "#settings",
          ExpressionAttributeNames: { "#settings": "settings" },
        }),
      );
      const { settings } = Profile.parse(Item ?? {});
      if (settings === undefined) return undefined;
      const parsed = DestinationSettings.safeParse(settings);
      if (!parsed.success) {
        log.warn("destination settings unreadable; the default retention applies", { destination: tenant });
        return undefined;
      }
      return parsed.data.historyRetentionDays;
    },
  };
}
