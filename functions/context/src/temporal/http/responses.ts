import { NGSI_LD_MEDIA_TYPES, NGSI_LD_ROOT, RESULTS_COUNT_HEADER } from "@sdp/contracts";
import { invalidData } from "../../domain/errors";
import type { ActiveContext } from "../../domain/jsonld";
import type { Json } from "../../domain/model";
import type { NgsiResponse } from "../../http/ngsi-route";
import { parseOptions } from "../../http/options";
import { timeOf } from "../domain/model";
import { renderTemporalEntity } from "../domain/render";
import type { TemporalFormat, TemporalRequest } from "../domain/request";
import type { TemporalQueryResult, TemporalResult } from "../domain/temporal";

/** `options` (temporalValues, aggregatedValues, sysAttrs) and `format` of the temporal routes. */
export function parseRepresentation(p: { options?: string; format?: string }): {
  format: TemporalFormat;
  sysAttrs: boolean;
} {
  const options = parseOptions(p.options, ["temporalValues", "aggregatedValues", "sysAttrs", "normalized"]);
  const formats = new Set<TemporalFormat>();
  if (options.has("temporalValues")) formats.add("temporalValues");
  if (options.has("aggregatedValues")) formats.add("aggregatedValues");
  if (options.has("normalized")) formats.add("normalized");
  if (p.format !== undefined) {
    if (p.format !== "temporalValues" && p.format !== "aggregatedValues" && p.format !== "normalized") {
      throw invalidData(
        [{ field: "query.format", reason: "must be temporalValues, aggregatedValues or normalized" }],
        "invalid request",
      );
    }
    formats.add(p.format);
  }
  if (formats.size > 1)
    throw invalidData(
      [{ field: "query.options", reason: "asks for more than one representation" }],
      "invalid request",
    );
  const [format = "normalized"] = formats;
  return { format, sysAttrs: options.has("sysAttrs") };
}

/** `Content-Range` of a partial answer (clause 6.3.10): the time range its instances cover. */
function contentRange(results: readonly TemporalResult[], request: TemporalRequest): string | undefined {
  if (!results.some((r) => r.truncated)) return undefined;
  const times = results
    .flatMap((r) => r.entity.series.flatMap((s) => s.instances))
    .flatMap((i) => timeOf(i, request.property) ?? [])
    .sort();
  const first = times[0];
  const last = times.at(-1);
  return first && last ? `date-time ${first}-${last}/*` : "date-time */*";
}

export function temporalEntityResponse(
  ctx: ActiveContext,
  result: TemporalResult,
  request: TemporalRequest,
): NgsiResponse {
  const range = contentRange([result], request);
  return {
    status: range ? 206 : 200,
    body: renderTemporalEntity(ctx, result.entity, request),
    headers: range ? { "content-range": range } : {},
    kind: "document",
  };
}

function pageLink(query: Record<string, string | undefined>, offset: number, limit: number, rel: string) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value);
  params.set("offset", String(offset));
  params.set("limit", String(limit));
  return `<${NGSI_LD_ROOT}/temporal/entities?${params.toString()}>; rel="${rel}"; type="${NGSI_LD_MEDIA_TYPES.jsonLd}"`;
}

export function temporalListResponse(
  ctx: ActiveContext,
  result: TemporalQueryResult,
  request: TemporalRequest,
  paging: { limit: number; offset: number; links?: Record<string, string | undefined> },
): NgsiResponse {
  const headers: Record<string, string> = {};
  if (result.count !== undefined) headers[RESULTS_COUNT_HEADER] = String(result.count);
  const range = contentRange(result.entities, request);
  if (range) headers["content-range"] = range;
  if (paging.links && paging.limit > 0) {
    const links: string[] = [];
    if (result.more) links.push(pageLink(paging.links, paging.offset + paging.limit, paging.limit, "next"));
    if (paging.offset > 0)
      links.push(pageLink(paging.links, Math.max(0, paging.offset - paging.limit), paging.limit, "prev"));
    if (links.length > 0) headers.link = links.join(", ");
  }
  const body: Json = result.entities.map((r) => renderTemporalEntity(ctx, r.entity, request));
  return { status: range ? 206 : 200, body, headers, kind: "document" };
}
