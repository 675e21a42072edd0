import { errorFields, log } from "@sdp/kernel";
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { changesOf } from "../subscriptions/adapters/entity-stream";
import { Notifier } from "../subscriptions/notifier";
import type { NotifierDeps } from "../subscriptions/ports";
import { notifierDeps, stage } from "../subscriptions/wiring";

/** Time kept back from the Lambda deadline to record outcomes and answer. */
const MARGIN_MS = 5_000;

/**
 * The entities table's stream consumer: each change notifies the subscriptions it concerns. A record is
 * reported failed only when subscriptions could not be read; failed deliveries are recorded, not retried here.
 */
export const buildHandler =
  (deps: NotifierDeps = notifierDeps(), currentStage: () => string = stage) =>
  async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
    const deadline = Date.now() + Math.max(1_000, context.getRemainingTimeInMillis() - MARGIN_MS);
    const batchItemFailures: DynamoDBBatchResponse["batchItemFailures"] = [];
    for (const [tenant, records] of changesOf(event.Records, currentStage())) {
      try {
        const result = await Notifier.changes(deps, tenant, records, deadline);
        if (result.failedSequence !== undefined)
          batchItemFailures.push({ itemIdentifier: result.failedSequence });
      } catch (error) {
        log.error("notifications failed", { tenant, ...errorFields(error) });
        const [first] = records;
        if (first) batchItemFailures.push({ itemIdentifier: first.sequence });
      }
    }
    return { batchItemFailures };
  };

export const handler = buildHandler();
