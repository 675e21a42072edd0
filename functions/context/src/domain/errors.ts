import { DomainError, type InvalidField } from "@sdp/contracts";

/** NGSI-LD error types (ETSI GS CIM 009 V1.8.1, clause 5.5.2) with the HTTP status each one maps to. */
export const NGSI_ERROR_BASE = "https://uri.etsi.org/ngsi-ld/errors/";

export const NgsiErrorTypes = {
  InvalidRequest: 400,
  BadRequestData: 400,
  AlreadyExists: 409,
  OperationNotSupported: 422,
  ResourceNotFound: 404,
  InternalError: 500,
  TooComplexQuery: 403,
  TooManyResults: 403,
  LdContextNotAvailable: 503,
  NonexistentTenant: 404,
} as const;

export type NgsiErrorType = keyof typeof NgsiErrorTypes;

const TITLES: Record<NgsiErrorType, string> = {
  InvalidRequest: "The request is not well formed",
  BadRequestData: "The request data is not valid",
  AlreadyExists: "The entity already exists",
  OperationNotSupported: "The operation is not supported",
  ResourceNotFound: "The resource was not found",
  InternalError: "Internal error",
  TooComplexQuery: "The query is too complex",
  TooManyResults: "Too many results",
  LdContextNotAvailable: "The @context is not available",
  NonexistentTenant: "The tenant does not exist",
};

interface NgsiErrorOptions {
  readonly errors?: InvalidField[];
  readonly cause?: unknown;
  /** Overrides the status the error type maps to (a body over the size limit is BadRequestData with 413). */
  readonly status?: number;
}

export function ngsiError(type: NgsiErrorType, detail: string, options: NgsiErrorOptions = {}): DomainError {
  return new DomainError(type, options.status ?? NgsiErrorTypes[type], TITLES[type], {
    detail,
    type: `${NGSI_ERROR_BASE}${type}`,
    ...(options.errors ? { errors: options.errors } : {}),
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  });
}

/** Field-level problems of a payload, reported together: the detail names the first few. */
export function invalidData(
  errors: InvalidField[],
  prefix = "the payload is not valid NGSI-LD",
): DomainError {
  const shown = errors.slice(0, 5).map((e) => `${e.field}: ${e.reason}`);
  const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : "";
  return ngsiError("BadRequestData", `${prefix}: ${shown.join("; ")}${more}`, { errors });
}

/**
 * Query parameters the operation does not define, or `options` / `format` values it does not support:
 * InvalidRequest, as clause 6.3.20 asks (the problems listed like payload problems).
 */
export function invalidParameters(errors: InvalidField[]): DomainError {
  const shown = errors.slice(0, 5).map((e) => `${e.field}: ${e.reason}`);
  const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : "";
  return ngsiError("InvalidRequest", `invalid request: ${shown.join("; ")}${more}`, { errors });
}

export const notFound = (what: string) => ngsiError("ResourceNotFound", `${what} was not found`);
