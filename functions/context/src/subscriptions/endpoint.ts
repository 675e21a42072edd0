import { isIP } from "node:net";
import { type InvalidField, PLATFORM_PUBLISH_GRAMMAR } from "@sdp/contracts";
import type { KeyValue } from "./model";

/**
 * Where a notification may go. An endpoint is `http(s)://…` or `mqtt(s)://host:port/<topic>`; the broker
 * refuses what would let a destination reach inside the platform (SSRF): link-local and cloud metadata
 * addresses always, loopback and private networks unless the deployment allows them (the local
 * platform does). Hostnames are checked again, once resolved, when a notification is delivered.
 */
export type NetworkPolicy = "public-only" | "private-allowed";

export type AddressClass = "public" | "private" | "forbidden";

export type EndpointTarget =
  | { readonly kind: "http"; readonly url: URL }
  | {
      readonly kind: "mqtt";
      readonly secure: boolean;
      readonly host: string;
      readonly port: number;
      readonly topic: string;
    };

const [NOTIFICATION_FILTER = "notifications/{destination}/#"] = PLATFORM_PUBLISH_GRAMMAR.notifications;

/**
 * The topic MQTT notifications of a destination go to or under (`notifications/<destination>`, the
 * platform's publish grammar that IoT Core's `iot:Publish` grant allows): never device, command or
 * ingestion topics, never another destination's.
 */
export const notificationTopicRoot = (tenant: string) =>
  NOTIFICATION_FILTER.replace(/\/#$/, "").replaceAll("{destination}", tenant);
const MQTT_MAX_TOPIC_BYTES = 256;
const MQTT_MAX_SLASHES = 7;
const METADATA_HOSTS = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.internal",
  "instance-data",
  "instance-data.ec2.internal",
]);

function ipv4Number(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

const inRange = (value: number, base: string, bits: number) => {
  const start = ipv4Number(base) ?? 0;
  const size = 2 ** (32 - bits);
  return value >= start && value < start + size;
};

function classifyIpv4(text: string): AddressClass {
  const value = ipv4Number(text);
  if (value === undefined) return "forbidden";
  const forbidden: Array<[string, number]> = [
    ["0.0.0.0", 8],
    ["169.254.0.0", 16],
    ["192.0.0.0", 24],
    ["100.100.100.200", 32],
    ["224.0.0.0", 4],
    ["240.0.0.0", 4],
  ];
  if (forbidden.some(([base, bits]) => inRange(value, base, bits))) return "forbidden";
  const privateRanges: Array<[string, number]> = [
    ["127.0.0.0", 8],
    ["10.0.0.0", 8],
    ["172.16.0.0", 12],
    ["192.168.0.0", 16],
    ["100.64.0.0", 10],
    ["198.18.0.0", 15],
  ];
  if (privateRanges.some(([base, bits]) => inRange(value, base, bits))) return "private";
  return "public";
}

/** The eight 16-bit groups of an IPv6 address (with any embedded IPv4 tail converted). */
function ipv6Groups(text: string): number[] | undefined {
  let address = text.toLowerCase();
  const zone = address.indexOf("%");
  if (zone !== -1) address = address.slice(0, zone);
  const tail = /(\d{1,3}(\.\d{1,3}){3})$/.exec(address);
  if (tail?.[1]) {
    const v4 = ipv4Number(tail[1]);
    if (v4 === undefined) return undefined;
    address = `${address.slice(0, -tail[1].length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const head = parse(halves[0] ?? "");
  const rest = halves.length === 2 ? parse(halves[1] ?? "") : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 && head.length !== 8) return undefined;
  if (missing < 0) return undefined;
  const groups = [...head, ...Array.from({ length: halves.length === 2 ? missing : 0 }, () => 0), ...rest];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : undefined;
}

function classifyIpv6(text: string): AddressClass {
  const g = ipv6Groups(text);
  if (!g) return "forbidden";
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, h = 0, i = 0] = g;
  const embedded = () => `${h >>> 8}.${h & 0xff}.${i >>> 8}.${i & 0xff}`;
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) carry an IPv4 address.
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && (f === 0xffff || (f === 0 && h !== 0))) {
    return classifyIpv4(embedded());
  }
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return classifyIpv4(embedded());
  if (g.every((x) => x === 0)) return "forbidden";
  if (g.slice(0, 7).every((x) => x === 0) && i === 1) return "private";
  if ((a & 0xffc0) === 0xfe80) return "forbidden";
  if ((a & 0xff00) === 0xff00) return "forbidden";
  // The AWS instance metadata service over IPv6.
  if (a === 0xfd00 && b === 0x0ec2 && c === 0 && d === 0 && e === 0 && f === 0 && h === 0 && i === 0x254)
    return "forbidden";
  if ((a & 0xfe00) === 0xfc00) return "private";
  return "public";
}

/** The class of an IP address literal, or undefined when the text is not one. */
export function classifyAddress(address: string): AddressClass | undefined {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const version = isIP(bare);
  if (version === 4) return classifyIpv4(bare);
  if (version === 6) return classifyIpv6(bare);
  return undefined;
}

/** The class of a URL host: an IP literal, or a name (only `localhost` and metadata names are known). */
export function classifyHost(host: string): AddressClass {
  const literal = classifyAddress(host);
  if (literal) return literal;
  const name = host.toLowerCase().replace(/\.$/, "");
  if (METADATA_HOSTS.has(name)) return "forbidden";
  if (name === "localhost" || name.endsWith(".localhost")) return "private";
  return "public";
}

/** Why an address may not be contacted under a policy, or undefined when it may. */
export function refusal(kind: AddressClass, policy: NetworkPolicy): string | undefined {
  if (kind === "forbidden") return "points at a link-local, metadata, multicast or reserved address";
  if (kind === "private" && policy === "public-only")
    return "points at a loopback or private-network address, which this deployment does not allow";
  return undefined;
}

function mqttTopic(url: URL, tenant: string): string | string[] {
  let topic: string;
  try {
    topic = decodeURIComponent(url.pathname.replace(/^\//, ""));
  } catch {
    return "the topic is not valid percent-encoding";
  }
  const problems: string[] = [];
  const root = notificationTopicRoot(tenant);
  if (topic !== root && !topic.startsWith(`${root}/`))
    problems.push(`the topic must be ${root} or a topic under it`);
  if (/[+#]/.test(topic) || topic.includes("\0")) problems.push("the topic must not contain +, # or NUL");
  if (topic.endsWith("/") || topic.includes("//")) problems.push("the topic must not have empty levels");
  if (Buffer.byteLength(topic) > MQTT_MAX_TOPIC_BYTES)
    problems.push(`the topic must not be longer than ${MQTT_MAX_TOPIC_BYTES} bytes`);
  if ((topic.match(/\//g) ?? []).length > MQTT_MAX_SLASHES)
    problems.push(`the topic must not have more than ${MQTT_MAX_SLASHES} slashes`);
  if (url.search !== "" || url.hash !== "") problems.push("an MQTT endpoint takes no query or fragment");
  return problems.length > 0 ? problems : topic;
}

/** Parses and checks an endpoint URI for a destination; every problem is named. */
export function parseEndpointUri(
  uri: string,
  tenant: string,
  policy: NetworkPolicy,
): { ok: true; target: EndpointTarget } | { ok: false; reasons: string[] } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { ok: false, reasons: ["is not an absolute URI"] };
  }
  const scheme = url.protocol.replace(/:$/, "").toLowerCase();
  if (!["http", "https", "mqtt", "mqtts"].includes(scheme))
    return { ok: false, reasons: [`the scheme ${scheme} is not one of http, https, mqtt, mqtts`] };
  const reasons: string[] = [];
  if (url.username !== "" || url.password !== "")
    reasons.push("must not carry credentials (HTTP receivers get receiverInfo headers instead)");
  if (url.hostname === "") reasons.push("has no host");
  const refused = refusal(classifyHost(url.hostname), policy);
  if (refused) reasons.push(refused);
  if (scheme === "http" || scheme === "https") {
    if (url.hash !== "") reasons.push("must not have a fragment");
    return reasons.length > 0 ? { ok: false, reasons } : { ok: true, target: { kind: "http", url } };
  }
  const topic = mqttTopic(url, tenant);
  if (Array.isArray(topic)) reasons.push(...topic);
  if (reasons.length > 0 || typeof topic !== "string") return { ok: false, reasons };
  const secure = scheme === "mqtts";
  const port = url.port === "" ? (secure ? 8883 : 1883) : Number(url.port);
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { ok: true, target: { kind: "mqtt", secure, host, port, topic } };
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Headers the broker sets itself: a receiverInfo entry may not replace them. */
const RESERVED_HEADERS = new Set([
  "content-type",
  "content-length",
  "content-encoding",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "host",
  "link",
  "ngsild-tenant",
  "te",
  "trailer",
  "upgrade",
  "expect",
]);

export interface MqttOptions {
  readonly qos: 0 | 1;
}

/** Checks receiverInfo and notifierInfo for the kind of endpoint; returns the MQTT options. */
export function checkEndpointInfo(
  target: EndpointTarget,
  receiverInfo: readonly KeyValue[],
  notifierInfo: readonly KeyValue[],
  field: string,
): { problems: InvalidField[]; mqtt: MqttOptions } {
  const problems: InvalidField[] = [];
  const seen = new Set<string>();
  receiverInfo.forEach(({ key, value }, index) => {
    const at = `${field}.receiverInfo.${index}`;
    const lower = key.toLowerCase();
    if (!HEADER_NAME.test(key)) problems.push({ field: `${at}.key`, reason: "is not a valid header name" });
    else if (RESERVED_HEADERS.has(lower) || lower.startsWith("proxy-"))
      problems.push({ field: `${at}.key`, reason: `${key} is set by the broker` });
    if (/[\r\n]/.test(value) || value.includes("\0"))
      problems.push({ field: `${at}.value`, reason: "must not contain line breaks or NUL" });
    if (seen.has(lower)) problems.push({ field: `${at}.key`, reason: `${key} is given twice` });
    seen.add(lower);
  });
  let qos: 0 | 1 = 0;
  notifierInfo.forEach(({ key, value }, index) => {
    const at = `${field}.notifierInfo.${index}`;
    if (target.kind === "http") {
      problems.push({ field: `${at}.key`, reason: "an HTTP endpoint takes no notifierInfo" });
    } else if (key === "MQTT-QoS") {
      if (value === "0" || value === "1") qos = value === "1" ? 1 : 0;
      else
        problems.push({ field: `${at}.value`, reason: "MQTT-QoS must be 0 or 1 (QoS 2 is not supported)" });
    } else if (key === "MQTT-Version") {
      if (value !== "mqtt3.1.1")
        problems.push({
          field: `${at}.value`,
          reason: "MQTT-Version must be mqtt3.1.1 (MQTT 5 is not supported)",
        });
    } else {
      problems.push({ field: `${at}.key`, reason: `${key} is not one of MQTT-QoS, MQTT-Version` });
    }
  });
  return { problems, mqtt: { qos } };
}
