import { type ActiveContext, compactTerm } from "../domain/jsonld";
import type { Json, JsonObject } from "../domain/model";
import { compactMember } from "../domain/projection";
import type { GeoQuery } from "../domain/query";
import type { TypeExpression } from "../domain/type-selection";
import { type DeliveryStatus, type Subscription, stateOf } from "./model";

/** Writes a subscription out (clause 5.2.12) with names compacted by the requester's @context. */
export function printTypes(
  expression: TypeExpression,
  name: (iri: string) => string,
  nested = false,
): string {
  switch (expression.kind) {
    case "type":
      return name(expression.name);
    case "and":
      return expression.terms.map((t) => printTypes(t, name, true)).join(";");
    case "or": {
      const text = expression.terms.map((t) => printTypes(t, name, true)).join(",");
      return nested ? `(${text})` : text;
    }
  }
}

function georelText(geo: GeoQuery): string {
  const { georel } = geo;
  if (georel.kind !== "near") return georel.kind;
  return [
    "near",
    ...(georel.maxDistance === undefined ? [] : [`maxDistance==${georel.maxDistance}`]),
    ...(georel.minDistance === undefined ? [] : [`minDistance==${georel.minDistance}`]),
  ].join(";");
}

function renderGeoQ(geo: GeoQuery, ctx: ActiveContext): JsonObject {
  return {
    geometry: geo.geometry.type,
    coordinates: geo.geometry.coordinates,
    georel: georelText(geo),
    geoproperty: compactTerm(ctx, geo.property),
  };
}

export function renderSubscription(
  subscription: Subscription,
  status: DeliveryStatus,
  ctx: ActiveContext,
  options: { now: string; sysAttrs: boolean },
): JsonObject {
  const compact = (iri: string) => compactTerm(ctx, iri);
  const s = subscription;
  const n = s.notification;
  const endpoint: JsonObject = {
    uri: n.endpoint.uri,
    accept: n.endpoint.accept,
    ...(n.endpoint.timeout === undefined ? {} : { timeout: n.endpoint.timeout }),
    ...(n.endpoint.receiverInfo ? { receiverInfo: n.endpoint.receiverInfo.map((kv) => ({ ...kv })) } : {}),
    ...(n.endpoint.notifierInfo ? { notifierInfo: n.endpoint.notifierInfo.map((kv) => ({ ...kv })) } : {}),
  };
  const notification: JsonObject = {
    ...(n.attributes ? { attributes: n.attributes.map(compact) } : {}),
    ...(n.pick ? { pick: n.pick.map((member) => compactMember(ctx, member)) } : {}),
    ...(n.omit ? { omit: n.omit.map((member) => compactMember(ctx, member)) } : {}),
    format: n.format,
    sysAttrs: n.sysAttrs,
    showChanges: n.showChanges,
    endpoint,
    ...(status.status === undefined ? {} : { status: status.status }),
    timesSent: status.timesSent,
    timesFailed: status.timesFailed,
    ...(status.lastNotification === undefined ? {} : { lastNotification: status.lastNotification }),
    ...(status.lastSuccess === undefined ? {} : { lastSuccess: status.lastSuccess }),
    ...(status.lastFailure === undefined ? {} : { lastFailure: status.lastFailure }),
  };
  const entities: Json[] | undefined = s.entities?.map((selector) => ({
    ...(selector.id === undefined ? {} : { id: selector.id }),
    ...(selector.idPattern === undefined ? {} : { idPattern: selector.idPattern }),
    type: printTypes(selector.type, compact),
  }));
  return {
    id: s.id,
    type: "Subscription",
    ...(s.subscriptionName === undefined ? {} : { subscriptionName: s.subscriptionName }),
    ...(s.description === undefined ? {} : { description: s.description }),
    ...(entities ? { entities } : {}),
    ...(s.watchedAttributes ? { watchedAttributes: s.watchedAttributes.map(compact) } : {}),
    notificationTrigger: [...s.notificationTrigger],
    ...(s.timeInterval === undefined ? {} : { timeInterval: s.timeInterval }),
    ...(s.q === undefined ? {} : { q: s.q }),
    ...(s.scopeQ === undefined ? {} : { scopeQ: s.scopeQ }),
    ...(s.geoQ ? { geoQ: renderGeoQ(s.geoQ, ctx) } : {}),
    isActive: s.isActive,
    status: stateOf(s, options.now),
    ...(s.expiresAt === undefined ? {} : { expiresAt: s.expiresAt }),
    ...(s.throttling === undefined ? {} : { throttling: s.throttling }),
    ...(s.lang === undefined ? {} : { lang: s.lang }),
    ...(s.jsonldContext === undefined ? {} : { jsonldContext: s.jsonldContext }),
    notification,
    ...(options.sysAttrs ? { createdAt: s.createdAt, modifiedAt: s.modifiedAt } : {}),
  };
}
