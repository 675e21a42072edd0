import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { errorFields, log } from "@sdp/kernel";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { z } from "zod";
import { Tenant } from "../domain/tenant";
import { TenantKeys } from "../keys";
import { provisioningDeps } from "../wiring";

const Pending = z.object({ [TenantKeys.kind]: z.literal("tenant"), slug: z.string(), status: z.literal("provisioning") });

/**
 * Reacts to the tenant registry's stream: every destination that enters `provisioning` gets its
 * resources. Failures are reported per record so one destination never holds up another.
 */
export const buildHandler =
  (deps = provisioningDeps()) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const batchItemFailures: DynamoDBBatchResponse["batchItemFailures"] = [];
    for (const record of event.Records) {
      const image = record.dynamodb?.NewImage;
      if (!image) continue;
      const pending = Pending.safeParse(unmarshall(image as Record<string, AttributeValue>));
      if (!pending.success) continue;
      try {
        await Tenant.provision(deps, pending.data.slug);
      } catch (error) {
        log.error("provisioning attempt failed", { slug: pending.data.slug, ...errorFields(error) });
        batchItemFailures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? "" });
      }
    }
    return { batchItemFailures };
  };

export const handler = buildHandler();
