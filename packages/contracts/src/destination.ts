import { z } from "zod";
import type { ServiceManifest, TableDeclaration } from "./manifest";

/**
 * What the platform creates for each destination, derived from every service's manifest. In AWS it is
 * synthesized as the per-destination stack; locally it is written to the data directory and applied
 * directly to the DynamoDB emulator. Both come from `destinationTemplate(manifests)`.
 */
export const DestinationTableSpec = z.object({
  service: z.string(),
  purpose: z.string(),
  partitionKey: z.object({ name: z.string(), type: z.enum(["S", "N", "B"]) }),
  sortKey: z.object({ name: z.string(), type: z.enum(["S", "N", "B"]) }).optional(),
  indexes: z
    .array(
      z.object({
        name: z.string(),
        partitionKey: z.object({ name: z.string(), type: z.enum(["S", "N", "B"]) }),
        sortKey: z.object({ name: z.string(), type: z.enum(["S", "N", "B"]) }).optional(),
        projection: z.enum(["ALL", "KEYS_ONLY"]),
      }),
    )
    .optional(),
  ttlAttribute: z.string().optional(),
  stream: z.enum(["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"]).optional(),
});
export type DestinationTableSpec = z.infer<typeof DestinationTableSpec>;

export const DestinationTemplate = z.object({
  version: z.literal(1),
  tables: z.array(DestinationTableSpec),
});
export type DestinationTemplate = z.infer<typeof DestinationTemplate>;

function toSpec(service: string, table: TableDeclaration): DestinationTableSpec {
  return {
    service,
    purpose: table.purpose,
    partitionKey: table.partitionKey,
    ...(table.sortKey ? { sortKey: table.sortKey } : {}),
    ...(table.indexes ? { indexes: table.indexes.map((index) => ({ ...index })) } : {}),
    ...(table.ttlAttribute ? { ttlAttribute: table.ttlAttribute } : {}),
    ...(table.stream ? { stream: table.stream } : {}),
  };
}

export function destinationTemplate(manifests: readonly ServiceManifest[]): DestinationTemplate {
  return {
    version: 1,
    tables: manifests.flatMap((manifest) =>
      (manifest.tables ?? []).filter((t) => t.scope === "tenant").map((t) => toSpec(manifest.service, t)),
    ),
  };
}

export function platformTables(manifests: readonly ServiceManifest[]): DestinationTableSpec[] {
  return manifests.flatMap((manifest) =>
    (manifest.tables ?? []).filter((t) => t.scope === "platform").map((t) => toSpec(manifest.service, t)),
  );
}
