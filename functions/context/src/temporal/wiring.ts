import { createDocumentClient } from "@sdp/aws";
import { Env, platformQueueEnvName, Stage, tableName } from "@sdp/contracts";
import { lazyConfig, loadConfigValue, Scope } from "@sdp/kernel";
import { z } from "zod";
import { CONTEXT_SERVICE } from "../keys";
import { type DeadLetterSink, deadLetterSinkFor } from "../streams/dead-letters";
import { contextDeps } from "../wiring";
import { buildDynamoDbHistoryStore } from "./adapters/dynamodb-history-store";
import type { TemporalDeps } from "./domain/ports";
import type { RecorderDeps } from "./domain/recorder";
import {
  CONTEXT_DEAD_LETTER_QUEUE,
  DEFAULT_RETENTION_DAYS,
  HISTORY_RETENTION_ENV,
  HISTORY_TABLE,
} from "./keys";

/** The temporal API's configuration, read and checked once per container (DESIGN §6). */
export const temporalConfig = lazyConfig(
  z.object({
    [Env.stage]: Stage,
    [HISTORY_RETENTION_ENV]: z.coerce.number().int().min(1).max(36_500).default(DEFAULT_RETENTION_DAYS),
  }),
);

/** The variable carrying the URL of the context service's dead-letter queue (set by the platform). */
export const CONTEXT_DEAD_LETTER_QUEUE_ENV = platformQueueEnvName(CONTEXT_SERVICE, CONTEXT_DEAD_LETTER_QUEUE);

/** The dead-letter queue, its URL read (and checked) when the first letter is sent. */
export function deadLetterSink(): DeadLetterSink {
  let sink: DeadLetterSink | undefined;
  return {
    send(letters) {
      sink ??= deadLetterSinkFor(loadConfigValue(CONTEXT_DEAD_LETTER_QUEUE_ENV, z.url()));
      return sink.send(letters);
    },
  };
}

export const temporalStage = () => temporalConfig()[Env.stage];

let shared: TemporalDeps | undefined;

/**
 * The broker's dependencies with the history of the destination in the request scope (the table is
 * chosen from the scope, never from request input).
 */
export function temporalDeps(): TemporalDeps {
  if (shared) return shared;
  const client = createDocumentClient();
  shared = {
    ...contextDeps(),
    history: () => {
      const config = temporalConfig();
      return buildDynamoDbHistoryStore(
        client,
        tableName(config[Env.stage], Scope.tenant(), CONTEXT_SERVICE, HISTORY_TABLE),
        { retentionDays: config[HISTORY_RETENTION_ENV] },
      );
    },
  };
  return shared;
}

export function recorderDeps(): RecorderDeps {
  return { history: temporalDeps().history, deadLetters: deadLetterSink() };
}
