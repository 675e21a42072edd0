import { NGSI_LD_MEDIA_TYPES, NGSI_LD_ROOT, RESULTS_COUNT_HEADER } from "@sdp/contracts";
import type { JsonObject } from "../domain/model";
import type { NgsiResponse } from "../http/ngsi-route";
import { parseOptions } from "../http/options";

/** The HTTP side of the subscription routes that the shared NGSI-LD wrapper does not cover. */
export const SUBSCRIPTIONS_PATH = `${NGSI_LD_ROOT}/subscriptions`;

/** `options=sysAttrs` is the only option the subscription reads take. */
export function readOptions(options: string | undefined): { sysAttrs: boolean } {
  return { sysAttrs: parseOptions(options, ["sysAttrs"]).has("sysAttrs") };
}

/** A page of subscriptions, with Link rel=next/prev and the total when asked for. */
export function subscriptionPage(
  page: { items: JsonObject[]; more: boolean; count?: number; limit: number; offset: number },
  query: Readonly<Record<string, string | undefined>>,
): NgsiResponse {
  const link = (offset: number, rel: "next" | "prev") => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value);
    params.set("offset", String(offset));
    params.set("limit", String(page.limit));
    return `<${SUBSCRIPTIONS_PATH}?${params.toString()}>; rel="${rel}"; type="${NGSI_LD_MEDIA_TYPES.jsonLd}"`;
  };
  const links: string[] = [];
  if (page.limit > 0 && page.more) links.push(link(page.offset + page.limit, "next"));
  if (page.limit > 0 && page.offset > 0) links.push(link(Math.max(0, page.offset - page.limit), "prev"));
  return {
    status: 200,
    kind: "document",
    body: page.items,
    headers: {
      ...(links.length > 0 ? { link: links.join(", ") } : {}),
      ...(page.count === undefined ? {} : { [RESULTS_COUNT_HEADER]: String(page.count) }),
    },
  };
}
