// The ingest service's dead letters use the shared SQS / JSON Lines sinks with its own letter type.
export { buildFileDeadLetterSink, buildSqsDeadLetterSink } from "@sdp/aws";
