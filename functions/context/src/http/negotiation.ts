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

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

/** One media range of an Accept header; a weight that is no number in [0, 1] keeps the default 1. */
function mediaRange(part: string): MediaRange {
  const [full = "", ...params] = part.split(";");
  const [type = "", subtype = ""] = full.trim().toLowerCase().split("/");
  const weight = params.map((p) => /^\s*q\s*=\s*(\S+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
  const q = weight !== undefined && /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(weight) ? Number(weight) : 1;
  return { type: type.trim(), subtype: subtype.trim(), q };
}

/** The weight the most specific matching range gives a media type (RFC 9110, 12.5.1); 0 when none does. */
function weightOf(mediaType: string, ranges: readonly MediaRange[]): number {
  const [type, subtype] = mediaType.split("/");
  const exact = ranges.find((r) => r.type === type && r.subtype === subtype);
  const ofType = ranges.find((r) => r.type === type && r.subtype === "*");
  const any = ranges.find((r) => r.type === "*" && r.subtype === "*");
  return (exact ?? ofType ?? any)?.q ?? 0;
}

/**
 * The representation the Accept header selects (JSON when absent), 406 when it accepts none the
 * operation offers. Clause 6.3.4: the offers in the order json, ld+json, geo+json; weights decide, and
 * among equal weights the first of that list wins (not the order the client wrote them in).
 */
export function negotiate(event: APIGatewayProxyEvent, allowGeo: boolean): Representation {
  const accept = header(event, "accept");
  if (accept === undefined || accept.trim() === "") return "json";
  const ranges = accept.split(",").map(mediaRange);
  const offers: [Representation, string][] = [
    ["json", MEDIA.json],
    ["ld", MEDIA.jsonLd],
    ...(allowGeo ? ([["geo", MEDIA.geoJson]] as [Representation, string][]) : []),
  ];
  let best: { representation: Representation; q: number } | undefined;
  for (const [representation, mediaType] of offers) {
    const q = weightOf(mediaType, ranges);
    if (q > 0 && (best === undefined || q > best.q)) best = { representation, q };
  }
  if (best) return best.representation;
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
