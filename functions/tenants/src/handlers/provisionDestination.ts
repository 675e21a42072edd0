import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { errorFields, log } from "@sdp/kernel";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { z } from "zod";
import { Tenant } from "../domain/tenant";
import { TenantKeys } from "../keys";
import { offboardingDeps } from "../wiring";

const Pending = z.object({
  [TenantKeys.kind]: z.literal("tenant"),
  slug: z.string(),
  status: z.enum(["provisioning", "offboarding"]),
});

/**
 * Reacts to the tenant registry's stream: every destination that enters `provisioning` gets its
 * resources, every one in `offboarding` is exported and removed. Failures are reported per record so
 * one destination never holds up another.
 */
export const buildHandler =
  (deps = offboardingDeps()) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const batchItemFailures: DynamoDBBatchResponse["batchItemFailures"] = [];
    for (const record of event.Records) {
      const image = record.dynamodb?.NewImage;
      if (!image) continue;
      const pending = Pending.safeParse(unmarshall(image as Record<string, AttributeValue>));
      if (!pending.success) continue;
      const { slug, status } = pending.data;
      try {
        if (status === "provisioning") await Tenant.provision(deps, slug);
        else await Tenant.runOffboarding(deps, slug);
      } catch (error) {
        log.error("lifecycle step failed", { slug, status, ...errorFields(error) });
        batchItemFailures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? "" });
      }
    }
    return { batchItemFailures };
  };

export const handler = buildHandler();
