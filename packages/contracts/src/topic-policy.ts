import { TENANT_SLUG_PATTERN } from "./tenancy";

/**
 * The device topic grammar, declared once. The local broker renders it with a concrete destination and
 * thing and enforces it with MQTT matching; infra renders it with IoT policy variables into the one IoT
 * policy every device certificate carries (DESIGN §4). `{destination}` and `{thing}` are whole levels.
 * (Moved here from the local runtime so that infra, which may import packages, renders the same text.)
 */
export const DEVICE_TOPIC_GRAMMAR = {
  /** The MQTT client id a device must connect with. */
  clientId: "{thing}",
  /** Telemetry (the topic itself and anything under it) and command acknowledgements. */
  publish: ["dt/{destination}/{thing}/#", "cmd/{destination}/{thing}/+/ack"],
  /** Commands addressed to the device; any sub-filter of these is allowed too. */
  subscribe: ["cmd/{destination}/{thing}/#"],
} as const;

/** The thing attribute that names a device's destination; infra sets it when it registers the thing. */
export const DESTINATION_ATTRIBUTE = "destination";

/** IoT Core's thing-name alphabet; it also guarantees a name is one topic level without wildcards. */
export const THING_NAME_PATTERN = /^[a-zA-Z0-9:_-]{1,128}$/;

/**
 * IoT Core message broker quotas that apply to every topic a device uses (not raisable): a topic of at
 * most 256 UTF-8 bytes and at most 7 slashes in a topic or topic filter.
 */
export const IOT_TOPIC_LIMITS = { maxTopicBytes: 256, maxSlashes: 7 } as const;

export type TopicPolicy =
  | {
      readonly kind: "device";
      readonly tenant: string;
      readonly thing: string;
      readonly clientId: string;
      readonly publish: readonly string[];
      readonly subscribe: readonly string[];
    }
  /** The platform's own clients: any client id, any topic. */
  | { readonly kind: "unrestricted" };

export const UNRESTRICTED_POLICY: TopicPolicy = { kind: "unrestricted" };

function render(pattern: string, tenant: string, thing: string): string {
  return pattern.replaceAll("{destination}", tenant).replaceAll("{thing}", thing);
}

/** The grammar rendered for one device; throws on names that would not be single topic levels. */
export function devicePolicy(tenant: string, thing: string): TopicPolicy & { kind: "device" } {
  if (!TENANT_SLUG_PATTERN.test(tenant)) throw new Error(`invalid destination slug: ${tenant}`);
  if (!THING_NAME_PATTERN.test(thing)) throw new Error(`invalid thing name: ${thing}`);
  return {
    kind: "device",
    tenant,
    thing,
    clientId: render(DEVICE_TOPIC_GRAMMAR.clientId, tenant, thing),
    publish: DEVICE_TOPIC_GRAMMAR.publish.map((pattern) => render(pattern, tenant, thing)),
    subscribe: DEVICE_TOPIC_GRAMMAR.subscribe.map((pattern) => render(pattern, tenant, thing)),
  };
}

/** A topic name as MQTT 3.1.1 allows it in PUBLISH: non-empty, no wildcards, no NUL. */
export function isValidTopicName(topic: string): boolean {
  return (
    topic.length > 0 &&
    !topic.includes("+") &&
    !topic.includes("#") &&
    !topic.includes("\u0000") &&
    Buffer.byteLength(topic) <= 65_535
  );
}

/** A topic filter as MQTT 3.1.1 allows it: `#` only as the last whole level, `+` only as a whole level. */
export function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes("\u0000") || Buffer.byteLength(filter) > 65_535) return false;
  const levels = filter.split("/");
  return levels.every((level, index) => {
    if (level === "#") return index === levels.length - 1;
    if (level === "+") return true;
    return !level.includes("#") && !level.includes("+");
  });
}

/** Whether a topic stays inside IoT Core's size and depth quotas. */
export function withinTopicLimits(topicOrFilter: string): boolean {
  return (
    Buffer.byteLength(topicOrFilter) <= IOT_TOPIC_LIMITS.maxTopicBytes &&
    topicOrFilter.split("/").length - 1 <= IOT_TOPIC_LIMITS.maxSlashes
  );
}

/**
 * MQTT 3.1.1 matching (§4.7): `+` is exactly one level (possibly empty), `#` is the parent level and
 * everything below it, and wildcards in the first level never match topics starting with `$`
 * [MQTT-4.7.2-1]. Invalid filters and topics match nothing.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (!isValidTopicFilter(filter) || !isValidTopicName(topic)) return false;
  const filterLevels = filter.split("/");
  const topicLevels = topic.split("/");
  if (topic.startsWith("$") && (filterLevels[0] === "+" || filterLevels[0] === "#")) return false;
  for (const [index, level] of filterLevels.entries()) {
    if (level === "#") return true;
    const topicLevel = topicLevels[index];
    if (topicLevel === undefined) return false;
    if (level !== "+" && level !== topicLevel) return false;
  }
  return filterLevels.length === topicLevels.length;
}

/** Whether every topic `requested` can match is also matched by `allowed` (a sub-filter). */
export function filterCovers(allowed: string, requested: string): boolean {
  if (!isValidTopicFilter(allowed) || !isValidTopicFilter(requested)) return false;
  const allowedLevels = allowed.split("/");
  const requestedLevels = requested.split("/");
  const first = allowedLevels[0];
  if (requested.startsWith("$") && (first === "+" || first === "#")) return false;
  for (const [index, level] of allowedLevels.entries()) {
    if (level === "#") return true;
    const requestedLevel = requestedLevels[index];
    // A shorter request matches topics of a depth the allowed filter never matches; a `#` in the
    // request reaches depths (its parent included) that a non-`#` allowed level does not.
    if (requestedLevel === undefined || requestedLevel === "#") return false;
    if (level !== "+" && level !== requestedLevel) return false;
  }
  return allowedLevels.length === requestedLevels.length;
}

export function mayConnect(policy: TopicPolicy, clientId: string): boolean {
  return policy.kind === "unrestricted" || clientId === policy.clientId;
}

export function mayPublish(policy: TopicPolicy, topic: string): boolean {
  if (!isValidTopicName(topic)) return false;
  if (policy.kind === "unrestricted") return true;
  return withinTopicLimits(topic) && policy.publish.some((filter) => topicMatches(filter, topic));
}

export function maySubscribe(policy: TopicPolicy, filter: string): boolean {
  if (!isValidTopicFilter(filter)) return false;
  if (policy.kind === "unrestricted") return true;
  return withinTopicLimits(filter) && policy.subscribe.some((allowed) => filterCovers(allowed, filter));
}

/** IoT Core's `iot:Receive`: a message is delivered only on topics the subscribe grammar covers. */
export function mayReceive(policy: TopicPolicy, topic: string): boolean {
  if (policy.kind === "unrestricted") return true;
  return policy.subscribe.some((filter) => topicMatches(filter, topic));
}

// Built by concatenation so the policy variables are never mistaken for template literals.
const policyVariable = (name: string): string => `$${"{"}${name}}`;

/** The IoT policy variables the grammar's placeholders become in the cloud. */
export const IOT_POLICY_VARIABLES = {
  thing: policyVariable("iot:Connection.Thing.ThingName"),
  destination: policyVariable(`iot:Connection.Thing.Attributes[${DESTINATION_ATTRIBUTE}]`),
} as const;

export interface IotPolicyStatement {
  readonly Effect: "Allow";
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface IotPolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly IotPolicyStatement[];
}

export interface IotArnScope {
  /** `aws` outside China and GovCloud; CDK tokens such as `Aws.PARTITION` work as well. */
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/**
 * An MQTT filter from the grammar as IoT policy resource patterns. IoT policies know only `*` (any
 * characters, `/` included), so `+` becomes `*` — slightly looser than MQTT, which the local broker is
 * not — and a trailing `#` becomes the parent itself plus `parent/*`. For `topicfilter` resources the
 * pattern is matched against the filter string a device subscribes with, so `parent/*` admits every
 * sub-filter such as `parent/#` or `parent/+/x`.
 */
function iotResourcePatterns(mqttFilter: string): string[] {
  const withVariables = mqttFilter
    .replaceAll("{destination}", IOT_POLICY_VARIABLES.destination)
    .replaceAll("{thing}", IOT_POLICY_VARIABLES.thing);
  const levels = withVariables.split("/").map((level) => (level === "+" ? "*" : level));
  if (levels.at(-1) === "#") {
    const parent = levels.slice(0, -1);
    return parent.length === 0 ? ["*"] : [parent.join("/"), [...parent, "*"].join("/")];
  }
  return [levels.join("/")];
}

/**
 * The one IoT policy attached to every device certificate, derived from {@link DEVICE_TOPIC_GRAMMAR}:
 * connect only as the attached thing, publish and subscribe only under its own destination and name.
 */
export function iotPolicyStatements(scope: IotArnScope): IotPolicyStatement[] {
  const arn = (resource: string) => `arn:${scope.partition}:iot:${scope.region}:${scope.account}:${resource}`;
  const resources = (kind: "topic" | "topicfilter", filters: readonly string[]) =>
    filters.flatMap(iotResourcePatterns).map((pattern) => arn(`${kind}/${pattern}`));
  return [
    {
      Effect: "Allow",
      Action: "iot:Connect",
      Resource: arn(`client/${DEVICE_TOPIC_GRAMMAR.clientId.replace("{thing}", IOT_POLICY_VARIABLES.thing)}`),
      // Without this, a certificate not attached to a thing would leave the variables unresolved.
      Condition: { Bool: { "iot:Connection.Thing.IsAttached": "true" } },
    },
    { Effect: "Allow", Action: "iot:Publish", Resource: resources("topic", DEVICE_TOPIC_GRAMMAR.publish) },
    {
      Effect: "Allow",
      Action: "iot:Subscribe",
      Resource: resources("topicfilter", DEVICE_TOPIC_GRAMMAR.subscribe),
    },
    { Effect: "Allow", Action: "iot:Receive", Resource: resources("topic", DEVICE_TOPIC_GRAMMAR.subscribe) },
  ];
}

export function iotPolicyDocument(scope: IotArnScope): IotPolicyDocument {
  return { Version: "2012-10-17", Statement: iotPolicyStatements(scope) };
}

/**
 * What the platform itself publishes through IoT Core (its data-plane Publish, in AWS): commands on the
 * topics a device subscribes to, and NGSI-LD notifications under a destination's notification root.
 * Infra grants `iot:Publish` on exactly these (the `publish-mqtt` capability of a handler).
 */
export const PLATFORM_PUBLISH_GRAMMAR = {
  commands: DEVICE_TOPIC_GRAMMAR.subscribe,
  notifications: ["notifications/{destination}/#"],
} as const;

/** The IoT `topic` resources of {@link PLATFORM_PUBLISH_GRAMMAR}, any destination and thing. */
export function platformPublishResources(scope: IotArnScope): string[] {
  const anyLevel = (filter: string) => filter.replaceAll("{destination}", "+").replaceAll("{thing}", "+");
  const filters = [...PLATFORM_PUBLISH_GRAMMAR.commands, ...PLATFORM_PUBLISH_GRAMMAR.notifications];
  return filters
    .map(anyLevel)
    .flatMap((filter) => {
      const levels = filter.split("/").map((level) => (level === "+" ? "*" : level));
      if (levels.at(-1) !== "#") return [levels.join("/")];
      const parent = levels.slice(0, -1);
      return [parent.join("/"), [...parent, "*"].join("/")];
    })
    .map((pattern) => `arn:${scope.partition}:iot:${scope.region}:${scope.account}:topic/${pattern}`);
}
