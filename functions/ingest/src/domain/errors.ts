import { DomainError, type InvalidField } from "@sdp/contracts";
import { TENANT_HEADER } from "@sdp/lambda-kit";
import { UnknownDestinationError } from "./ports";

/** The destination of a request: the principal's own, or the one a platform administrator named. */
export function requireDestination(tenant: string | undefined): string {
  if (tenant !== undefined) return tenant;
  throw new DomainError("validation-failed", 400, "The request is not valid", {
    detail: `headers.${TENANT_HEADER}: a platform administrator names the destination with this header`,
    errors: [{ field: `headers.${TENANT_HEADER}`, reason: "is required for a platform administrator" }],
  });
}

export const IngestProblems = {
  deviceExists: (deviceId: string, field = "body.deviceId") =>
    new DomainError("device-exists", 409, "Conflict", {
      detail: `a device ${deviceId} is already registered in this destination`,
      errors: [{ field, reason: "is already registered" }],
    }),
  unknownDestination: (tenant: string, cause?: unknown) =>
    new DomainError("unknown-destination", 404, "Not found", {
      detail: `destination ${tenant} has no device registry (is it onboarded?)`,
      cause,
    }),
  identityFailed: (
    cause: unknown,
    detail = "the device identity could not be created; nothing was registered, try again",
  ) => new DomainError("identity-provider-failed", 502, "Bad gateway", { detail, cause }),
  brokerFailed: (cause: unknown) =>
    new DomainError("broker-unavailable", 502, "Bad gateway", {
      detail: "the message broker did not take the command; it is recorded as failed",
      cause,
    }),
  noneRegistered: (errors: InvalidField[]) =>
    new DomainError("nothing-registered", 422, "No device could be registered", {
      detail: `${errors.length} problem(s); each names the item and field`,
      errors,
    }),
  noneAccepted: (errors: InvalidField[]) =>
    new DomainError("no-measurement-accepted", 422, "No measurement was accepted", {
      detail: errors
        .map((e) => `${e.field}: ${e.reason}`)
        .join("; ")
        .slice(0, 2000),
      errors,
    }),
  throttled: () =>
    new DomainError("ingest-throttled", 503, "Ingestion is busy", {
      detail: "the ingest stream is over its throughput; retry shortly",
      headers: { "retry-after": "1" },
    }),
} as const;

/** Runs a store call, turning a missing destination table into a 404. */
export async function inDestination<T>(tenant: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UnknownDestinationError) throw IngestProblems.unknownDestination(tenant, error);
    throw error;
  }
}
