import { JSON_LD_CONTEXT_REL, NGSI_LD_MEDIA_TYPES } from "@sdp/contracts";
import { header } from "@sdp/lambda-kit";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { ngsiError } from "../domain/errors";

/**
 * HTTP content negotiation of the NGSI-LD binding (clause 6.3): which representation the client
 * accepts, which media type it sent, and the @context it named in a `Link` header.
 */
export type Representation = "json" | "ld" | "geo";
export type BodyMediaType = "json" | "ld" | "merge";

const MEDIA = NGSI_LD_MEDIA_TYPES;

function mediaType(value: string): string {
  return (value.split(";")[0] ?? "").trim().toLowerCase();
}

/** The best representation the Accept header allows (JSON when absent); 406 when none is acceptable. */
export function negotiate(event: APIGatewayProxyEvent, allowGeo: boolean): Representation {
  const accept = header(event, "accept");
  if (accept === undefined || accept.trim() === "") return "json";
  const ranges = accept
    .split(",")
    .map((part, index) => {
      const [type = "", ...params] = part.split(";");
      const q = params.map((p) => /^\s*q\s*=\s*([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { type: type.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { type } of ranges) {
    if (type === MEDIA.json) return "json";
    if (type === MEDIA.jsonLd) return "ld";
    if (type === MEDIA.geoJson && allowGeo) return "geo";
    if (type === "*/*" || type === "application/*") return "json";
  }
  throw ngsiError(
    "InvalidRequest",
    `none of the accepted media types can be produced; use ${MEDIA.json}, ${MEDIA.jsonLd}${allowGeo ? ` or ${MEDIA.geoJson}` : ""}`,
    { status: 406 },
  );
}

/** The @context URL of a `Link` header (rel="http://www.w3.org/ns/json-ld#context"), if any. */
export function linkedContext(event: APIGatewayProxyEvent): string | undefined {
  const link = header(event, "link");
  if (link === undefined || link.trim() === "") return undefined;
  const contexts: string[] = [];
  for (const match of link.matchAll(/<([^>]*)>([^,]*)/g)) {
    const params = match[2] ?? "";
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(params)?.[1];
    if (rel === JSON_LD_CONTEXT_REL) contexts.push(match[1] ?? "");
  }
  if (contexts.length > 1)
    throw ngsiError("BadRequestData", "the Link header names more than one JSON-LD @context");
  const [url] = contexts;
  if (url === undefined) return undefined;
  if (!/^https?:\/\/\S+$/i.test(url))
    throw ngsiError("BadRequestData", `the Link header @context ${url} is not an absolute URL`);
  return url;
}

export interface Body {
  readonly value: unknown;
  readonly mediaType: BodyMediaType;
}

/** Reads a JSON body: media type, size and syntax are the client's to get right (415, 413, 400). */
export function readBody(event: APIGatewayProxyEvent, limitBytes: number, allowMergePatch: boolean): Body {
  if (event.body === null || event.body === "")
    throw ngsiError("BadRequestData", "this operation needs a body");
  const contentType = header(event, "content-type");
  const type = contentType === undefined ? "" : mediaType(contentType);
  const kind: BodyMediaType | undefined =
    type === MEDIA.json
      ? "json"
      : type === MEDIA.jsonLd
        ? "ld"
        : type === MEDIA.mergePatch && allowMergePatch
          ? "merge"
          : undefined;
  if (kind === undefined) {
    throw ngsiError(
      "InvalidRequest",
      `content-type ${contentType ?? "(none)"} is not accepted; send ${MEDIA.json} or ${MEDIA.jsonLd}${allowMergePatch ? ` or ${MEDIA.mergePatch}` : ""}`,
      { status: 415 },
    );
  }
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
  if (bytes.length > limitBytes) {
    throw ngsiError(
      "BadRequestData",
      `the body has ${bytes.length} bytes, more than the ${limitBytes} this operation accepts`,
      {
        status: 413,
      },
    );
  }
  try {
    return { value: JSON.parse(bytes.toString("utf8")), mediaType: kind };
  } catch (error) {
    throw ngsiError(
      "InvalidRequest",
      `the body is not valid JSON (${error instanceof Error ? error.message : "syntax error"})`,
    );
  }
}
