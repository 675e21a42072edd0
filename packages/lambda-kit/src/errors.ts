import type { MiddlewareObj } from "@middy/core";
import { isDomainError, PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE } from "@sdp/contracts";
import { errorFields, log } from "@sdp/kernel";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";

/**
 * The one place errors become HTTP (DESIGN §6): a DomainError becomes its problem+json; anything else
 * is logged and answered with a bare 500 that reveals nothing.
 */
export function problemResponses(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const { error } = request;
      const instance = request.event.path;
      if (isDomainError(error)) {
        if (error.status >= 500)
          log.error("request failed", { code: error.code, ...errorFields(error.cause) });
        request.response = {
          statusCode: error.status,
          headers: { "content-type": PROBLEM_CONTENT_TYPE, ...error.headers },
          body: JSON.stringify(error.toProblem(instance)),
        };
        return;
      }
      log.error("unexpected error", errorFields(error));
      request.response = {
        statusCode: 500,
        headers: { "content-type": PROBLEM_CONTENT_TYPE },
        body: JSON.stringify({
          type: `${PROBLEM_TYPE_BASE}internal`,
          title: "Internal error",
          status: 500,
          code: "internal",
        }),
      };
    },
  };
}
