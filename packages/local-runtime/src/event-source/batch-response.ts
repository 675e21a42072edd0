import { z } from "zod";

/** How Lambda reads a function's response when `ReportBatchItemFailures` is on. */
export type BatchOutcome =
  | { readonly kind: "success" }
  /** Records before `failedIndex` succeeded; processing resumes at it. */
  | { readonly kind: "partial"; readonly failedIndex: number }
  /** The response names a failure Lambda cannot place, so the whole batch counts as failed. */
  | { readonly kind: "invalid"; readonly reason: string };

const ResponseSchema = z.object({ batchItemFailures: z.unknown() });
const FailureSchema = z.object({ itemIdentifier: z.string().min(1) });

/**
 * Follows the documented rules: a null or empty response, or a null or empty `batchItemFailures`, is a
 * complete success; an empty, null, misnamed or unknown `itemIdentifier` is a complete failure;
 * otherwise the lowest failed sequence number is where the batch resumes.
 */
export function interpretBatchResponse(response: unknown, sequenceNumbers: readonly string[]): BatchOutcome {
  const parsed = ResponseSchema.safeParse(response);
  if (!parsed.success) return { kind: "success" };
  const failures = parsed.data.batchItemFailures;
  if (failures === undefined || failures === null) return { kind: "success" };
  if (!Array.isArray(failures)) return { kind: "invalid", reason: "batchItemFailures is not an array" };
  if (failures.length === 0) return { kind: "success" };
  const positions = new Map(sequenceNumbers.map((sequenceNumber, index) => [sequenceNumber, index]));
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const item = FailureSchema.safeParse(failure);
    if (!item.success) return { kind: "invalid", reason: "an itemIdentifier is missing or empty" };
    const index = positions.get(item.data.itemIdentifier);
    if (index === undefined) return { kind: "invalid", reason: "an itemIdentifier is not in the batch" };
    lowest = Math.min(lowest, index);
  }
  return { kind: "partial", failedIndex: lowest };
}
