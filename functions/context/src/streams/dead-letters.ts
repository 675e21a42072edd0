import type { DeadLetterSink as Sink } from "@sdp/aws";
import type { ContextDeadLetter } from "@sdp/contracts";

/** The context service's dead-letter queue: its stream consumers' poison records, with the reason. */
export type DeadLetterSink = Sink<ContextDeadLetter>;

export { deadLetterSinkFor } from "@sdp/aws";
