/**
 * The error model (DESIGN §6): every failure the platform expects is a `DomainError` with a stable
 * code; one mapper turns it into `application/problem+json` (RFC 9457). Anything else is a bare 500.
 */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";
export const PROBLEM_TYPE_BASE = "https://smart-destination.dev/problems/";

export interface InvalidField {
  /** Dotted path of the offending field, e.g. `body.slug` or `query.limit`. */
  readonly field: string;
  readonly reason: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  errors?: InvalidField[];
}

export interface DomainErrorOptions {
  readonly detail?: string;
  readonly errors?: InvalidField[];
  readonly cause?: unknown;
  /** Overrides the generated `type` URI (the context API uses the NGSI-LD error types). */
  readonly type?: string;
  readonly headers?: Record<string, string>;
}

export class DomainError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: InvalidField[] | undefined;
  readonly type: string;
  readonly headers: Record<string, string>;

  constructor(code: string, status: number, title: string, options: DomainErrorOptions = {}) {
    super(options.detail ?? title, { cause: options.cause });
    this.name = "DomainError";
    this.code = code;
    this.status = status;
    this.title = title;
    this.detail = options.detail;
    this.errors = options.errors;
    this.type = options.type ?? `${PROBLEM_TYPE_BASE}${code}`;
    this.headers = options.headers ?? {};
  }

  toProblem(instance?: string): ProblemDetails {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      ...(instance === undefined ? {} : { instance }),
      ...(this.errors === undefined ? {} : { errors: this.errors }),
    };
  }
}

/** The stable codes and statuses of the errors shared by every service. */
export const Problems = {
  validation: (errors: InvalidField[], detail?: string) =>
    new DomainError("validation-failed", 400, "The request is not valid", {
      errors,
      detail: detail ?? errors.map((e) => `${e.field}: ${e.reason}`).join("; "),
    }),
  malformedJson: (cause?: unknown) =>
    new DomainError("malformed-json", 400, "The request body is not valid JSON", {
      detail: "body: could not be parsed as JSON",
      errors: [{ field: "body", reason: "is not valid JSON" }],
      cause,
    }),
  unsupportedMediaType: (contentType: string | undefined) =>
    new DomainError("unsupported-media-type", 415, "Unsupported media type", {
      detail: `content-type ${contentType ?? "(none)"} is not accepted; send application/json`,
    }),
  payloadTooLarge: (limitBytes: number) =>
    new DomainError("payload-too-large", 413, "The request body is too large", {
      detail: `body exceeds ${limitBytes} bytes`,
    }),
  unauthenticated: (detail = "a valid credential is required") =>
    new DomainError("unauthenticated", 401, "Unauthenticated", {
      detail,
      headers: { "www-authenticate": "Bearer" },
    }),
  forbidden: (detail = "the credential does not allow this action") =>
    new DomainError("forbidden", 403, "Forbidden", { detail }),
  notFound: (what: string) =>
    new DomainError("not-found", 404, "Not found", { detail: `${what} does not exist` }),
  conflict: (detail: string) => new DomainError("conflict", 409, "Conflict", { detail }),
  rateLimited: (retryAfterSeconds: number) =>
    new DomainError("rate-limited", 429, "Too many requests", {
      detail: `the API key's rate limit is spent; retry in ${retryAfterSeconds} s`,
      headers: { "retry-after": String(retryAfterSeconds) },
    }),
  tenantRequired: (header: string) =>
    new DomainError("validation-failed", 400, "The request is not valid", {
      detail: `headers.${header}: a platform administrator names the destination with this header`,
      errors: [{ field: `headers.${header}`, reason: "is required for a platform administrator" }],
    }),
  methodNotAllowed: (method: string, path: string) =>
    new DomainError("method-not-allowed", 405, "Method not allowed", {
      detail: `${method} is not allowed on ${path}`,
    }),
  routeNotFound: (method: string, path: string) =>
    new DomainError("route-not-found", 404, "Not found", { detail: `no route for ${method} ${path}` }),
} as const;

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
