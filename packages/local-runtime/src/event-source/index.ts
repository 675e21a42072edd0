export { type BatchOutcome, interpretBatchResponse } from "./batch-response";
export { InvalidCheckpointFileError } from "./checkpoint";
export type {
  FailureCondition,
  InvocationResponseContext,
  OnFailureInvocationRecord,
  StreamBatchInfo,
} from "./failure-record";
export { startEventSourceMapping } from "./mapping";
export type {
  EventSource,
  EventSourceMappingOptions,
  EventSourceMappingStats,
  EventSourceSettings,
  RunningEventSourceMapping,
} from "./types";
