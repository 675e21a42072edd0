import { type InvalidField, Problems, type RouteDeclaration } from "@sdp/contracts";
import type { APIGatewayProxyEvent } from "aws-lambda";
import type { z } from "zod";

/** Turns zod issues into field-level reasons: `body.slug: must match ...`. */
export function issuesToFields(location: string, error: z.ZodError): InvalidField[] {
  return error.issues.flatMap((issue) => {
    const path = [location, ...issue.path.map(String)].join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ field: `${path}.${key}`, reason: "is not a known field" }));
    }
    return [{ field: path, reason: issue.message }];
  });
}

function parsePart(location: string, schema: z.ZodType | undefined, value: unknown): unknown {
  if (!schema) return value;
  const result = schema.safeParse(value);
  if (!result.success) throw Problems.validation(issuesToFields(location, result.error));
  return result.data;
}

function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return mediaType === "application/json" || mediaType.endsWith("+json");
}

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

function parseJsonBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === "") {
    throw Problems.validation([{ field: "body", reason: "is required" }]);
  }
  const contentType = header(event, "content-type");
  if (!isJsonContentType(contentType)) throw Problems.unsupportedMediaType(contentType);
  const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw Problems.malformedJson(error);
  }
}

export interface ParsedRequest {
  readonly params: unknown;
  readonly query: unknown;
  readonly body: unknown;
}

/**
 * Validates every part of a request against the route's declared schemas. Parts a route does not
 * declare must be absent, so a stray body or query parameter is refused rather than ignored.
 */
export function parseRequest(route: RouteDeclaration, event: APIGatewayProxyEvent): ParsedRequest {
  const declared = route.request ?? {};
  const query = event.queryStringParameters ?? {};
  if (!declared.query && Object.keys(query).length > 0) {
    throw Problems.validation(
      Object.keys(query).map((key) => ({ field: `query.${key}`, reason: "is not a known parameter" })),
    );
  }
  const hasBody = event.body !== null && event.body !== "";
  if (!declared.body && hasBody) {
    throw Problems.validation([{ field: "body", reason: "this operation takes no body" }]);
  }
  return {
    params: parsePart("params", declared.params, event.pathParameters ?? {}),
    query: parsePart("query", declared.query, query),
    body: declared.body ? parsePart("body", declared.body, parseJsonBody(event)) : undefined,
  };
}
