import type { APIGatewayProxyResult } from "aws-lambda";

export interface HttpResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export const respond = {
  ok: (body: unknown, headers?: Record<string, string>): HttpResponse => ({ status: 200, body, headers }),
  created: (body: unknown, location: string): HttpResponse => ({ status: 201, body, headers: { location } }),
  accepted: (body: unknown, location: string): HttpResponse => ({ status: 202, body, headers: { location } }),
  noContent: (): HttpResponse => ({ status: 204 }),
};

export function toProxyResult(response: HttpResponse): APIGatewayProxyResult {
  const hasBody = response.body !== undefined;
  return {
    statusCode: response.status,
    headers: { ...(hasBody ? { "content-type": "application/json" } : {}), ...response.headers },
    body: hasBody ? JSON.stringify(response.body) : "",
  };
}
