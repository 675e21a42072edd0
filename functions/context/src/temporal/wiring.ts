import { createDocumentClient } from "@sdp/aws";
import {
  Env,
  platformQueueEnvName,
  platformTableEnvName,
  Stage,
  TenantRegistry,
  tableName,
} from "@sdp/contracts";
import { lazyConfig, loadConfigValue, Scope } from "@sdp/kernel";
import { z } from "zod";
import { CONTEXT_SERVICE } from "../keys";
import { type DeadLetterSink, deadLetterSinkFor } from "../streams/dead-letters";
import { contextDeps } from "../wiring";
import { buildDynamoDbHistoryStore } from "./adapters/dynamodb-history-store";
import { buildDynamoDbRetentionSettings } from "./adapters/dynamodb-retention-settings";
import type { RetentionPolicy, TemporalDeps } from "./domain/ports";
import type { RecorderDeps } from "./domain/recorder";
import { cachedRetention } from "./domain/retention";
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

/** The variable naming the tenants service's registry, which the manifest's `reads` declare. */
export const REGISTRY_TABLE_ENV = platformTableEnvName(TenantRegistry.service, TenantRegistry.purpose);

/**
 * Each destination's retention: its `settings.historyRetentionDays` in the registry, else the
 * deployment's default (`SDP_CONTEXT_HISTORY_RETENTION_DAYS`), remembered per container for a minute.
 * The registry's name is read when the first destination is asked for.
 */
function retentionPolicy(client: ReturnType<typeof createDocumentClient>): RetentionPolicy {
  let policy: RetentionPolicy | undefined;
  return {
    days(tenant) {
      policy ??= cachedRetention(
        buildDynamoDbRetentionSettings(client, loadConfigValue(REGISTRY_TABLE_ENV, z.string().min(3))),
        { defaultDays: temporalConfig()[HISTORY_RETENTION_ENV] },
      );
      return policy.days(tenant);
    },
  };
}

let shared: TemporalDeps | undefined;

/**
 * The broker's dependencies with the history of the destination in the request scope (the table is
 * chosen from the scope, never from request input).
 */
export function temporalDeps(): TemporalDeps {
  if (shared) return shared;
  const client = createDocumentClient();
  const retention = retentionPolicy(client);
  shared = {
    ...contextDeps(),
    history: () => {
      const tenant = Scope.tenant();
      return buildDynamoDbHistoryStore(
        client,
        tableName(temporalStage(), tenant, CONTEXT_SERVICE, HISTORY_TABLE),
        { retentionDays: () => retention.days(tenant) },
      );
    },
  };
  return shared;
}

export function recorderDeps(): RecorderDeps {
  return { history: temporalDeps().history, deadLetters: deadLetterSink() };
}
