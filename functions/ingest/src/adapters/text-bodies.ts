import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";

type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

function mediaTypeOf(event: APIGatewayProxyEvent): string | undefined {
  const entry = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === "content-type");
  return entry?.[1]?.split(";")[0]?.trim().toLowerCase();
}

function textOf(event: APIGatewayProxyEvent): string {
  const body = event.body ?? "";
  return event.isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body;
}

/**
 * Accepts a plain-text body on a JSON route by rewriting the event into the route's JSON form before
 * the route's own handler (authorization, validation, throttling, audit) sees it. `wrap` returns the
 * JSON body, or undefined to leave the event as it is (the route then answers 415).
 */
export function acceptText(
  mediaType: string,
  wrap: (
    text: string,
    event: APIGatewayProxyEvent,
  ) => { body: unknown; removeQuery?: readonly string[] } | undefined,
  handler: ProxyHandler,
): ProxyHandler {
  return (event, context) => {
    if (mediaTypeOf(event) !== mediaType || event.body === null || event.body === "")
      return handler(event, context);
    const wrapped = wrap(textOf(event), event);
    if (!wrapped) return handler(event, context);
    const headers = Object.fromEntries(
      Object.entries(event.headers ?? {}).filter(([key]) => key.toLowerCase() !== "content-type"),
    );
    const query = Object.fromEntries(
      Object.entries(event.queryStringParameters ?? {}).filter(
        ([key]) => !(wrapped.removeQuery ?? []).includes(key),
      ),
    );
    return handler(
      {
        ...event,
        headers: { ...headers, "content-type": "application/json" },
        multiValueHeaders: {},
        queryStringParameters: Object.keys(query).length > 0 ? query : null,
        multiValueQueryStringParameters: null,
        body: JSON.stringify(wrapped.body),
        isBase64Encoded: false,
      },
      context,
    );
  };
}
