/**
 * Names shared by the manifest, the history store and the configuration of the temporal API
 * (docs/context-broker.md, "Temporal API").
 */

/** Purpose of the per-destination history table (`sdp-<stage>-<tenant>-context-history`). */
export const HISTORY_TABLE = "history";

export const HistoryKeys = {
  pk: "pk",
  sk: "sk",
  /** Epoch seconds after which DynamoDB TTL removes an attribute instance. */
  ttl: "expiresAt",
} as const;

/** The context service's dead-letter queue: records its stream consumers can never process. */
export const CONTEXT_DEAD_LETTER_QUEUE = "dead-letters";

/**
 * The deployment's default retention: days an attribute instance is kept, counted from its time, for
 * destinations without `settings.historyRetentionDays` of their own (unset: `DEFAULT_RETENTION_DAYS`).
 */
export const HISTORY_RETENTION_ENV = "SDP_CONTEXT_HISTORY_RETENTION_DAYS";
export const DEFAULT_RETENTION_DAYS = 730;
