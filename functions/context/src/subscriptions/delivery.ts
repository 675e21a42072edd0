import { JSON_LD_CONTEXT_REL, NGSI_LD_MEDIA_TYPES } from "@sdp/contracts";
import { CORE_CONTEXT_URL, isCoreContextUrl } from "../domain/contexts";
import type { Json } from "../domain/model";
import { checkEndpointInfo, type NetworkPolicy, parseEndpointUri } from "./endpoint";
import type { Subscription } from "./model";
import type { Notification } from "./notification";
import {
  DeliveryRefusedError,
  type DeliverySettings,
  type HttpRequest,
  type HttpSender,
  type MqttMessage,
  type MqttPublisher,
} from "./ports";

/**
 * Delivery of notifications (clause 5.8.6; HTTP binding 7.x; MQTT binding): the request or message for
 * an endpoint, and the policy around it — a timeout per attempt, a few retries with growing backoff for
 * what may pass on a second try (network errors, timeouts, 408, 429, 5xx), nothing past the deadline.
 */

/** The @context notifications carry: the subscription's jsonldContext, else the one it was created with. */
export function notificationContext(subscription: Subscription): { ref: Json; linkUrl: string | undefined } {
  const ref: Json = subscription.jsonldContext ?? subscription.context ?? CORE_CONTEXT_URL;
  if (typeof ref === "string") return { ref, linkUrl: ref };
  if (Array.isArray(ref)) {
    const own = ref.filter((entry) => !(typeof entry === "string" && isCoreContextUrl(entry)));
    const [only] = own;
    if (own.length === 1 && typeof only === "string") return { ref, linkUrl: only };
    if (own.length === 0) return { ref, linkUrl: CORE_CONTEXT_URL };
  }
  return { ref, linkUrl: undefined };
}

/**
 * The @context names in a notification are compacted with: for `application/json` only a context a
 * Link header can name (one URL), else the core context, so receivers can always expand what they get.
 */
export function compactionContext(subscription: Subscription): Json | undefined {
  const { ref, linkUrl } = notificationContext(subscription);
  if (subscription.notification.endpoint.accept === NGSI_LD_MEDIA_TYPES.jsonLd) return ref;
  return linkUrl;
}

const linkHeader = (url: string) =>
  `<${url}>; rel="${JSON_LD_CONTEXT_REL}"; type="${NGSI_LD_MEDIA_TYPES.jsonLd}"`;

export type Prepared =
  | { readonly kind: "http"; readonly request: Omit<HttpRequest, "timeoutMs">; readonly timeoutMs: number }
  | { readonly kind: "mqtt"; readonly message: Omit<MqttMessage, "timeoutMs">; readonly timeoutMs: number };

/** The request (or message) that delivers a notification to the subscription's endpoint. */
export function prepare(
  subscription: Subscription,
  notification: Notification,
  tenant: string,
  network: NetworkPolicy,
  defaultTimeoutMs: number,
): Prepared {
  const { endpoint } = subscription.notification;
  const parsed = parseEndpointUri(endpoint.uri, tenant, network);
  if (!parsed.ok) throw new DeliveryRefusedError(`the endpoint ${parsed.reasons.join("; ")}`);
  const { ref, linkUrl } = notificationContext(subscription);
  const ld = endpoint.accept === NGSI_LD_MEDIA_TYPES.jsonLd;
  // JSON-LD: the @context in the body, and on each entity of data too, so an entity taken out of
  // the notification stays a JSON-LD document (the ETSI suite reads it there).
  const body = ld
    ? {
        ...notification,
        data: notification.data.map((entity) => ({ ...entity, "@context": ref })),
        "@context": ref,
      }
    : notification;
  const link = ld ? undefined : linkHeader(linkUrl ?? CORE_CONTEXT_URL);
  const receiverInfo = Object.fromEntries(
    (endpoint.receiverInfo ?? []).map(({ key, value }) => [key, value]),
  );
  const timeoutMs = endpoint.timeout ?? defaultTimeoutMs;
  if (parsed.target.kind === "http") {
    return {
      kind: "http",
      timeoutMs,
      request: {
        url: parsed.target.url.href,
        headers: {
          ...receiverInfo,
          "content-type": endpoint.accept,
          ...(link ? { link } : {}),
          "ngsild-tenant": tenant,
          "user-agent": "sdp-context-broker",
        },
        body: JSON.stringify(body),
      },
    };
  }
  const { mqtt } = checkEndpointInfo(parsed.target, [], endpoint.notifierInfo ?? [], "endpoint");
  const metadata = {
    ...receiverInfo,
    "Content-Type": endpoint.accept,
    ...(link ? { Link: link } : {}),
    "NGSILD-Tenant": tenant,
  };
  return {
    kind: "mqtt",
    timeoutMs,
    message: {
      secure: parsed.target.secure,
      host: parsed.target.host,
      port: parsed.target.port,
      topic: parsed.target.topic,
      qos: mqtt.qos,
      payload: JSON.stringify({ metadata, body }),
    },
  };
}

export interface DeliveryOutcome {
  readonly ok: boolean;
  readonly attempts: number;
  /** Why the last attempt failed. */
  readonly reason?: string;
}

class AttemptFailed extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function attempt(
  prepared: Prepared,
  ports: { http: HttpSender; mqtt: MqttPublisher },
  timeoutMs: number,
) {
  try {
    if (prepared.kind === "http") {
      const { status } = await ports.http.post({ ...prepared.request, timeoutMs });
      if (status >= 200 && status < 300) return;
      const retryable = status >= 500 || status === 429 || status === 408;
      throw new AttemptFailed(`the endpoint answered ${status}`, retryable);
    }
    await ports.mqtt.publish({ ...prepared.message, timeoutMs });
  } catch (error) {
    if (error instanceof AttemptFailed) throw error;
    if (error instanceof DeliveryRefusedError) throw new AttemptFailed(error.message, false);
    throw new AttemptFailed(error instanceof Error ? error.message : "the delivery failed", true);
  }
}

/** Delivers with retries; never throws. `deadline` (epoch ms) bounds every attempt and wait. */
export async function deliver(
  prepared: Prepared,
  ports: { http: HttpSender; mqtt: MqttPublisher },
  settings: DeliverySettings,
  deadline: number,
): Promise<DeliveryOutcome> {
  let reason = "the deadline passed before the first attempt";
  for (let n = 1; n <= settings.attempts; n++) {
    const left = deadline - Date.now();
    if (left <= 0) return { ok: false, attempts: n - 1, reason };
    try {
      await attempt(prepared, ports, Math.min(prepared.timeoutMs, left));
      return { ok: true, attempts: n };
    } catch (error) {
      const failed = error instanceof AttemptFailed ? error : new AttemptFailed(String(error), true);
      reason = failed.message;
      if (!failed.retryable || n === settings.attempts) return { ok: false, attempts: n, reason };
      const wait = settings.backoffMs * 4 ** (n - 1) * (0.75 + Math.random() * 0.5);
      if (Date.now() + wait >= deadline) return { ok: false, attempts: n, reason };
      await sleep(wait);
    }
  }
  return { ok: false, attempts: settings.attempts, reason };
}

/** Runs tasks with at most `concurrency` in flight; one slow task never holds up the others' slots. */
export async function inPool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await task(item);
    }
  });
  await Promise.all(workers);
}
