import { deadLetterSink, temporalDeps } from "../temporal/wiring";
import type { ApplierDeps } from "./applier";

/** The applier's dependencies, once per container: the broker with its history, the dead-letter queue. */
export function applierDeps(): ApplierDeps {
  return { context: temporalDeps(), deadLetters: deadLetterSink() };
}
