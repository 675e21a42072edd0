import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { changeRecordsOf } from "../temporal/adapters/entity-stream";
import { recordChanges } from "../temporal/domain/recorder";
import { recorderDeps, temporalStage } from "../temporal/wiring";

/** The entities stream's consumer: every change of an entity into its history (ReportBatchItemFailures). */
export const buildHandler =
  (deps = recorderDeps(), stage = temporalStage) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const failed = await recordChanges(deps, changeRecordsOf(event.Records, stage()));
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };

export const handler = buildHandler();
