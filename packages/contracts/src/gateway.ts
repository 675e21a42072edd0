import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, type ProblemDetails } from "./problem";

/**
 * Answers that API Gateway itself gives before a handler runs. In AWS they are configured as gateway
 * responses on the REST API; the local HTTP front sends the same bodies. One declaration feeds both.
 */
export const GatewayResponses = {
  UNAUTHORIZED: {
    status: 401,
    code: "unauthenticated",
    title: "Unauthenticated",
    detail: "a valid credential is required",
  },
  ACCESS_DENIED: {
    status: 403,
    code: "forbidden",
    title: "Forbidden",
    detail: "the credential does not allow this action",
  },
  MISSING_AUTHENTICATION_TOKEN: {
    status: 404,
    code: "route-not-found",
    title: "Not found",
    detail: "no such route",
  },
  REQUEST_TOO_LARGE: {
    status: 413,
    code: "payload-too-large",
    title: "The request body is too large",
    detail: "the body exceeds 10 MB",
  },
  THROTTLED: {
    status: 429,
    code: "throttled",
    title: "Too many requests",
    detail: "slow down and retry later",
  },
  INTEGRATION_FAILURE: {
    status: 502,
    code: "bad-gateway",
    title: "Bad gateway",
    detail: "the service gave no valid answer",
  },
  INTEGRATION_TIMEOUT: {
    status: 504,
    code: "timeout",
    title: "Gateway timeout",
    detail: "the service did not answer in time",
  },
  DEFAULT_5XX: {
    status: 500,
    code: "internal",
    title: "Internal error",
    detail: "the request could not be completed",
  },
} as const;

export type GatewayResponseType = keyof typeof GatewayResponses;

export function gatewayProblem(type: GatewayResponseType): ProblemDetails {
  const response = GatewayResponses[type];
  return {
    type: `${PROBLEM_TYPE_BASE}${response.code}`,
    title: response.title,
    status: response.status,
    code: response.code,
    detail: response.detail,
  };
}

export const GATEWAY_PROBLEM_HEADERS = { "content-type": PROBLEM_CONTENT_TYPE } as const;

/** The API Gateway payload limit, enforced by the local front the same way. */
export const API_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
