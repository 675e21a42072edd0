import { kinesisApplier } from "../ingest-applier/kinesis";
import { applierDeps } from "../ingest-applier/wiring";

/** Ingestion's context updates applied to the destinations' entities (poison records to the dead letters). */
export const buildHandler = (deps = applierDeps()) => kinesisApplier(deps);

export const handler = buildHandler();
