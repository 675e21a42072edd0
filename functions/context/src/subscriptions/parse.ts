import {
  type InvalidField,
  NgsiSubscription,
  NgsiSubscriptionFragment,
  type NotificationTrigger,
} from "@sdp/contracts";
import { issuesToFields } from "@sdp/lambda-kit";
import type { z } from "zod";
import { invalidData } from "../domain/errors";
import { type ActiveContext, expandTerm } from "../domain/jsonld";
import type { Json } from "../domain/model";
import { checkName, isUri } from "../domain/normalize";
import { projectionConflict, projectionMembers } from "../domain/projection";
import { parseGeoQuery, parseIdPattern, parseQ } from "../domain/query";
import { parseLanguagePreference } from "../domain/render";
import { parseScopeQuery } from "../domain/scope";
import { candidateTypes, mapTypes, parseTypeSelection } from "../domain/type-selection";
import { checkEndpointInfo, type NetworkPolicy, parseEndpointUri } from "./endpoint";
import {
  DEFAULT_TRIGGERS,
  type Endpoint,
  type NotificationFormat,
  type NotificationSpec,
  type SelectorSpec,
  type Subscription,
  subscriptionUrn,
} from "./model";

/**
 * Reads Subscription payloads (clause 5.2.12) into the stored model: every member checked, names
 * expanded with the requester's @context, and every problem reported together as BadRequestData.
 */
export interface WriteContext {
  /** The requester's active @context. */
  readonly ctx: ActiveContext;
  /** The @context as the requester gave it (Link URL or inline), stored for notifications and q. */
  readonly contextRef: unknown;
  readonly tenant: string;
  readonly network: NetworkPolicy;
  readonly now: string;
}

/** Quantified groups that are quantified again, the usual source of catastrophic backtracking. */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[*+}](?:[^()\\]|\\.)*\)\s*[*+{]/;

/** The most entity types one subscription may be indexed under (each is an index item). */
export const MAX_WATCHED_TYPES = 50;

const FORMATS: Record<string, NotificationFormat> = {
  normalized: "normalized",
  keyValues: "keyValues",
  simplified: "keyValues",
  concise: "concise",
};

const isJson = (value: unknown): value is Json => {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return true;
  if (Array.isArray(value)) return value.every(isJson);
  if (typeof value === "object") return Object.values(value).every(isJson);
  return false;
};

/** The @context reference as JSON (it came from a JSON body or a header, so it always is). */
export function contextJson(ref: unknown): Json | undefined {
  return ref !== undefined && isJson(ref) ? ref : undefined;
}

class Problems {
  readonly list: InvalidField[] = [];
  add(field: string, reason: string): void {
    this.list.push({ field, reason });
  }
  /** Runs a check that throws a DomainError, collecting its fields instead. */
  attempt<T>(field: string, work: () => T): T | undefined {
    try {
      return work();
    } catch (error) {
      if (error instanceof Error && "errors" in error && Array.isArray(error.errors)) {
        const fields = error.errors.filter(
          (e): e is InvalidField => typeof e === "object" && e !== null && "field" in e && "reason" in e,
        );
        if (fields.length > 0) {
          for (const f of fields)
            this.add(`${field}`, `${f.field === field ? "" : `${f.field}: `}${f.reason}`);
          return undefined;
        }
      }
      this.add(field, error instanceof Error ? error.message : "is not valid");
      return undefined;
    }
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw invalidData(this.list, "the subscription is not valid");
  }
}

function names(values: readonly string[], ctx: ActiveContext, field: string, problems: Problems): string[] {
  const out: string[] = [];
  values.forEach((name, index) => {
    const problem = checkName(name);
    if (problem) problems.add(`${field}.${index}`, problem);
    else out.push(expandTerm(ctx, name));
  });
  return [...new Set(out)];
}

/** The members of a notification's `pick` or `omit`, each checked and expanded as a query's are. */
function projection(
  values: readonly string[],
  ctx: ActiveContext,
  field: string,
  problems: Problems,
): string[] {
  const out: string[] = [];
  values.forEach((text, index) => {
    const parsed = projectionMembers(ctx, text);
    if (parsed.ok) out.push(...parsed.members);
    else problems.add(`${field}.${index}`, parsed.reason);
  });
  return [...new Set(out)];
}

function selectors(
  raw: ReadonlyArray<{ id?: string | undefined; idPattern?: string | undefined; type: string }>,
  ctx: ActiveContext,
  problems: Problems,
): SelectorSpec[] {
  return raw.flatMap((selector, index) => {
    const field = `body.entities.${index}`;
    if (selector.id !== undefined && !isUri(selector.id)) problems.add(`${field}.id`, "must be a URI");
    if (selector.idPattern !== undefined) {
      problems.attempt(`${field}.idPattern`, () => parseIdPattern(selector.idPattern ?? "", "idPattern"));
      // The notifier runs the pattern on every change of the destination: no catastrophic backtracking.
      if (NESTED_QUANTIFIER.test(selector.idPattern))
        problems.add(`${field}.idPattern`, "must not nest quantifiers, such as (a+)+");
    }
    const type = problems.attempt(`${field}.type`, () =>
      mapTypes(parseTypeSelection(selector.type), (name) => {
        const problem = checkName(name);
        if (problem) throw new Error(`${JSON.stringify(name)}: ${problem}`);
        return expandTerm(ctx, name);
      }),
    );
    if (!type) return [];
    return [
      {
        ...(selector.id === undefined ? {} : { id: selector.id }),
        ...(selector.idPattern === undefined ? {} : { idPattern: selector.idPattern }),
        type,
      },
    ];
  });
}

type RawEndpoint = NonNullable<NgsiSubscription["notification"]["endpoint"]>;

function endpoint(raw: RawEndpoint, w: WriteContext, problems: Problems): Endpoint | undefined {
  const field = "body.notification.endpoint";
  const parsed = parseEndpointUri(raw.uri, w.tenant, w.network);
  if (!parsed.ok) {
    for (const reason of parsed.reasons) problems.add(`${field}.uri`, reason);
    return undefined;
  }
  const info = checkEndpointInfo(parsed.target, raw.receiverInfo ?? [], raw.notifierInfo ?? [], field);
  for (const problem of info.problems) problems.add(problem.field, problem.reason);
  return {
    uri: raw.uri,
    accept: raw.accept ?? "application/json",
    ...(raw.timeout === undefined ? {} : { timeout: raw.timeout }),
    ...(raw.receiverInfo && raw.receiverInfo.length > 0 ? { receiverInfo: raw.receiverInfo } : {}),
    ...(raw.notifierInfo && raw.notifierInfo.length > 0 ? { notifierInfo: raw.notifierInfo } : {}),
  };
}

function geoQ(raw: NonNullable<NgsiSubscription["geoQ"]>, ctx: ActiveContext, problems: Problems) {
  return problems.attempt("body.geoQ", () => parseGeoQuery(ctx, raw));
}

function q(text: string, w: WriteContext, problems: Problems): Pick<Subscription, "q" | "qContext"> {
  problems.attempt("body.q", () => parseQ(w.ctx, text));
  const qContext = contextJson(w.contextRef);
  return { q: text, ...(qContext === undefined ? {} : { qContext }) };
}

function scopeQ(text: string, problems: Problems): string | undefined {
  const parsed = problems.attempt("body.scopeQ", () => parseScopeQuery(text, "body.scopeQ"));
  return parsed === undefined ? undefined : text;
}

function lang(text: string, problems: Problems): string | undefined {
  if (!parseLanguagePreference(text)) {
    problems.add("body.lang", "must be language ranges such as fr,en;q=0.8 or *");
    return undefined;
  }
  return text;
}

function jsonldContext(text: string, problems: Problems): string | undefined {
  if (!/^https?:\/\/\S+$/i.test(text)) {
    problems.add("body.jsonldContext", "must be an absolute http(s) URL");
    return undefined;
  }
  return text;
}

function schemaProblems(error: z.ZodError): never {
  throw invalidData(issuesToFields("body", error), "the subscription is not valid");
}

/** The entity types a subscription may match, for the notifier's index; `*` when it names none. */
export function watchedTypes(subscription: Subscription): string[] {
  if (!subscription.entities || subscription.entities.length === 0) return ["*"];
  return [...new Set(subscription.entities.flatMap((s) => candidateTypes(s.type)))];
}

/** Checks across members (clause 5.8.1): what each member alone cannot tell. */
function checkWhole(subscription: Subscription, problems: Problems, expiresAtChanged: boolean, now: string) {
  if (!subscription.entities && !subscription.watchedAttributes)
    problems.add("body", "a subscription needs entities or watchedAttributes");
  if (subscription.timeInterval !== undefined) {
    if (subscription.watchedAttributes)
      problems.add("body.timeInterval", "a periodic subscription cannot have watchedAttributes");
    if (subscription.throttling !== undefined)
      problems.add("body.timeInterval", "a periodic subscription cannot have throttling");
  }
  if (
    expiresAtChanged &&
    subscription.expiresAt !== undefined &&
    Date.parse(subscription.expiresAt) <= Date.parse(now)
  )
    problems.add("body.expiresAt", "must be in the future");
  if (watchedTypes(subscription).length > MAX_WATCHED_TYPES)
    problems.add("body.entities", `must not name more than ${MAX_WATCHED_TYPES} entity types`);
  const { attributes, pick, omit, format, showChanges } = subscription.notification;
  if (attributes && attributes.length === 0)
    problems.add("body.notification.attributes", "must not be empty");
  // attributes is the deprecated synonym of a pick (clause 5.2.14): pick, omit and it exclude each other.
  const conflict = projectionConflict({ attrs: attributes, pick, omit }, "attributes");
  if (conflict) problems.add(`body.notification.${conflict.member}`, conflict.reason);
  // keyValues has no place for previous values (clause 5.2.14).
  if (showChanges && format === "keyValues")
    problems.add("body.notification.showChanges", "cannot be true with the keyValues format");
}

/** A new subscription from a create payload (clause 5.8.1). */
export function parseSubscription(body: unknown, w: WriteContext, uniqueId: () => string): Subscription {
  const parsed = NgsiSubscription.safeParse(body);
  if (!parsed.success) schemaProblems(parsed.error);
  const raw = parsed.data;
  const problems = new Problems();
  if (raw.id !== undefined && !isUri(raw.id)) problems.add("body.id", "must be a URI");
  const entities = raw.entities ? selectors(raw.entities, w.ctx, problems) : undefined;
  const watched = raw.watchedAttributes
    ? names(raw.watchedAttributes, w.ctx, "body.watchedAttributes", problems)
    : undefined;
  const attributes = raw.notification.attributes
    ? names(raw.notification.attributes, w.ctx, "body.notification.attributes", problems)
    : undefined;
  const pick = raw.notification.pick
    ? projection(raw.notification.pick, w.ctx, "body.notification.pick", problems)
    : undefined;
  const omit = raw.notification.omit
    ? projection(raw.notification.omit, w.ctx, "body.notification.omit", problems)
    : undefined;
  const target = endpoint(raw.notification.endpoint, w, problems);
  const geo = raw.geoQ ? geoQ(raw.geoQ, w.ctx, problems) : undefined;
  const query = raw.q === undefined ? {} : q(raw.q, w, problems);
  const scopeQuery = raw.scopeQ === undefined ? undefined : scopeQ(raw.scopeQ, problems);
  const language = raw.lang === undefined ? undefined : lang(raw.lang, problems);
  const explicitContext =
    raw.jsonldContext === undefined ? undefined : jsonldContext(raw.jsonldContext, problems);
  const context = contextJson(w.contextRef);
  const notification: NotificationSpec = {
    ...(attributes ? { attributes } : {}),
    ...(pick ? { pick } : {}),
    ...(omit ? { omit } : {}),
    format: FORMATS[raw.notification.format ?? "normalized"] ?? "normalized",
    sysAttrs: raw.notification.sysAttrs ?? false,
    showChanges: raw.notification.showChanges ?? false,
    endpoint: target ?? { uri: raw.notification.endpoint.uri, accept: "application/json" },
  };
  const subscription: Subscription = {
    id: raw.id ?? subscriptionUrn(uniqueId()),
    ...(raw.subscriptionName === undefined ? {} : { subscriptionName: raw.subscriptionName }),
    ...(raw.description === undefined ? {} : { description: raw.description }),
    ...(entities ? { entities } : {}),
    ...(watched ? { watchedAttributes: watched } : {}),
    notificationTrigger: uniqueTriggers(raw.notificationTrigger ?? DEFAULT_TRIGGERS),
    ...(raw.timeInterval === undefined ? {} : { timeInterval: raw.timeInterval }),
    ...query,
    ...(scopeQuery === undefined ? {} : { scopeQ: scopeQuery }),
    ...(geo ? { geoQ: geo } : {}),
    isActive: raw.isActive ?? true,
    ...(raw.expiresAt === undefined ? {} : { expiresAt: new Date(raw.expiresAt).toISOString() }),
    ...(raw.throttling === undefined ? {} : { throttling: raw.throttling }),
    ...(language === undefined ? {} : { lang: language }),
    ...(explicitContext === undefined ? {} : { jsonldContext: explicitContext }),
    ...(context === undefined ? {} : { context }),
    notification,
    createdAt: w.now,
    modifiedAt: w.now,
  };
  checkWhole(subscription, problems, true, w.now);
  problems.throwIfAny();
  return subscription;
}

function uniqueTriggers(triggers: readonly NotificationTrigger[]): NotificationTrigger[] {
  return [...new Set(triggers)];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A subscription changed by a fragment (clause 5.8.2): given members replace, `null` removes. */
export function patchSubscription(current: Subscription, body: unknown, w: WriteContext): Subscription {
  const parsed = NgsiSubscriptionFragment.safeParse(body);
  if (!parsed.success) schemaProblems(parsed.error);
  const raw = parsed.data;
  const problems = new Problems();
  if (raw.id !== undefined && raw.id !== current.id)
    problems.add("body.id", "the id of a subscription cannot change");
  const next: Mutable<Subscription> = { ...current, modifiedAt: w.now };
  const remove = (key: keyof Subscription) => {
    delete next[key];
  };
  if (raw.subscriptionName === null) remove("subscriptionName");
  else if (raw.subscriptionName !== undefined) next.subscriptionName = raw.subscriptionName;
  if (raw.description === null) remove("description");
  else if (raw.description !== undefined) next.description = raw.description;
  if (raw.entities === null) remove("entities");
  else if (raw.entities !== undefined) next.entities = selectors(raw.entities, w.ctx, problems);
  if (raw.watchedAttributes === null) remove("watchedAttributes");
  else if (raw.watchedAttributes !== undefined)
    next.watchedAttributes = names(raw.watchedAttributes, w.ctx, "body.watchedAttributes", problems);
  if (raw.notificationTrigger === null) next.notificationTrigger = [...DEFAULT_TRIGGERS];
  else if (raw.notificationTrigger !== undefined)
    next.notificationTrigger = uniqueTriggers(raw.notificationTrigger);
  if (raw.timeInterval === null) remove("timeInterval");
  else if (raw.timeInterval !== undefined) next.timeInterval = raw.timeInterval;
  if (raw.q === null) {
    remove("q");
    remove("qContext");
  } else if (raw.q !== undefined) {
    remove("qContext");
    Object.assign(next, q(raw.q, w, problems));
  }
  if (raw.scopeQ === null) remove("scopeQ");
  else if (raw.scopeQ !== undefined) {
    const scopeQuery = scopeQ(raw.scopeQ, problems);
    if (scopeQuery !== undefined) next.scopeQ = scopeQuery;
  }
  if (raw.geoQ === null) remove("geoQ");
  else if (raw.geoQ !== undefined) {
    const geo = geoQ(raw.geoQ, w.ctx, problems);
    if (geo) next.geoQ = geo;
  }
  if (raw.isActive !== undefined) next.isActive = raw.isActive;
  if (raw.expiresAt === null) remove("expiresAt");
  else if (raw.expiresAt !== undefined) next.expiresAt = new Date(raw.expiresAt).toISOString();
  if (raw.throttling === null) remove("throttling");
  else if (raw.throttling !== undefined) next.throttling = raw.throttling;
  if (raw.lang === null) remove("lang");
  else if (raw.lang !== undefined) {
    const language = lang(raw.lang, problems);
    if (language !== undefined) next.lang = language;
  }
  if (raw.jsonldContext === null) remove("jsonldContext");
  else if (raw.jsonldContext !== undefined) {
    const explicit = jsonldContext(raw.jsonldContext, problems);
    if (explicit !== undefined) next.jsonldContext = explicit;
  }
  if (raw.notification) {
    const patch = raw.notification;
    const notification: Mutable<NotificationSpec> = { ...current.notification };
    if (patch.attributes === null) delete notification.attributes;
    else if (patch.attributes !== undefined)
      notification.attributes = names(patch.attributes, w.ctx, "body.notification.attributes", problems);
    if (patch.pick === null) delete notification.pick;
    else if (patch.pick !== undefined)
      notification.pick = projection(patch.pick, w.ctx, "body.notification.pick", problems);
    if (patch.omit === null) delete notification.omit;
    else if (patch.omit !== undefined)
      notification.omit = projection(patch.omit, w.ctx, "body.notification.omit", problems);
    if (patch.format !== undefined) notification.format = FORMATS[patch.format] ?? "normalized";
    if (patch.sysAttrs !== undefined) notification.sysAttrs = patch.sysAttrs;
    if (patch.showChanges !== undefined) notification.showChanges = patch.showChanges;
    if (patch.endpoint !== undefined) {
      const target = endpoint(patch.endpoint, w, problems);
      if (target) notification.endpoint = target;
    }
    next.notification = notification;
  }
  checkWhole(next, problems, raw.expiresAt !== undefined && raw.expiresAt !== null, w.now);
  problems.throwIfAny();
  return next;
}
