import { IoTDataPlaneClient } from "@aws-sdk/client-iot-data-plane";
import { createDocumentClient } from "@sdp/aws";
import { Env, IotEnv, platformTableEnvName, Stage, tableName } from "@sdp/contracts";
import { lazyConfig, loadConfigValue, Scope } from "@sdp/kernel";
import { z } from "zod";
import { CONTEXT_SERVICE, SUBSCRIPTION_TIMERS_TABLE, SUBSCRIPTIONS_TABLE } from "../keys";
import { contextDeps } from "../wiring";
import { buildDynamoDbSubscriptionStore } from "./adapters/dynamodb-subscription-store";
import { buildDynamoDbTimerStore } from "./adapters/dynamodb-timer-store";
import { buildHttpSender } from "./adapters/http-sender";
import { buildBrokerPublisher, buildIotDataPublisher } from "./adapters/mqtt-publishers";
import type { NetworkPolicy } from "./endpoint";
import {
  DeliveryRefusedError,
  type HttpSender,
  type MqttPublisher,
  type NotifierDeps,
  type SubscriptionDeps,
  type TimerStore,
} from "./ports";

/**
 * Configuration of subscriptions and notifications, read once per container:
 * - the stage (table names), the timer table (`SDP_TABLE_CONTEXT_SUBSCRIPTION_TIMERS`, set by infra and
 *   the local runtime like every platform table);
 * - `SDP_NOTIFY_PRIVATE_NETWORKS` (`allow` | `deny`; unset: allowed on the local stage only);
 * - for MQTT endpoints, how the platform publishes (`SDP_IOT_PUBLISHER`: `iot-data` in AWS, `mqtt`
 *   with the local broker's URL and the platform's service credential) — read on first MQTT delivery,
 *   so a deployment without MQTT still notifies over HTTP.
 */
const config = lazyConfig(
  z.object({
    [Env.stage]: Stage,
    [Env.notifyPrivateNetworks]: z.enum(["allow", "deny"]).optional(),
  }),
);
const publisherConfig = lazyConfig(z.object({ [IotEnv.publisher]: z.enum(["iot-data", "mqtt"]).optional() }));

export function networkPolicy(): NetworkPolicy {
  const c = config();
  const setting = c[Env.notifyPrivateNetworks] ?? (c[Env.stage] === "local" ? "allow" : "deny");
  return setting === "allow" ? "private-allowed" : "public-only";
}

/** The subscriptions table of the destination in the request scope, never from request input. */
const subscriptionsTable = () =>
  tableName(config()[Env.stage], Scope.tenant(), CONTEXT_SERVICE, SUBSCRIPTIONS_TABLE);
const timersTable = () =>
  loadConfigValue(platformTableEnvName(CONTEXT_SERVICE, SUBSCRIPTION_TIMERS_TABLE), z.string().min(1));

function mqttPublisher(): MqttPublisher {
  let chosen: MqttPublisher | undefined;
  const pick = (): MqttPublisher => {
    if (chosen) return chosen;
    const kind = publisherConfig()[IotEnv.publisher];
    if (kind === "iot-data") chosen = buildIotDataPublisher(new IoTDataPlaneClient({ maxAttempts: 2 }));
    else if (kind === "mqtt") {
      chosen = buildBrokerPublisher(() => ({
        url: loadConfigValue(IotEnv.mqttUrl, z.url()),
        username: loadConfigValue(IotEnv.mqttUsername, z.string().min(1)),
        password: loadConfigValue(IotEnv.mqttPassword, z.string().min(1)),
      }));
    } else throw new DeliveryRefusedError("MQTT notifications are not configured in this deployment");
    return chosen;
  };
  return { publish: (message) => pick().publish(message) };
}

/** The timer table, opened on first use (module load never reads configuration). */
function lazyTimers(client: ReturnType<typeof createDocumentClient>): TimerStore {
  let store: TimerStore | undefined;
  const open = () => {
    store ??= buildDynamoDbTimerStore(client, timersTable());
    return store;
  };
  return {
    set: (tenant, id, due) => open().set(tenant, id, due),
    remove: (tenant, id) => open().remove(tenant, id),
    due: (now) => open().due(now),
    advance: (timer, next) => open().advance(timer, next),
  };
}

let api: SubscriptionDeps | undefined;
let notifier: NotifierDeps | undefined;

export function subscriptionDeps(): SubscriptionDeps {
  if (api) return api;
  const client = createDocumentClient();
  api = {
    subscriptions: () => buildDynamoDbSubscriptionStore(client, subscriptionsTable()),
    timers: lazyTimers(client),
    contexts: contextDeps().contexts,
    get network() {
      return networkPolicy();
    },
  };
  return api;
}

export function notifierDeps(): NotifierDeps {
  if (notifier) return notifier;
  const client = createDocumentClient();
  let http: HttpSender | undefined;
  notifier = {
    subscriptions: () => buildDynamoDbSubscriptionStore(client, subscriptionsTable()),
    entities: contextDeps().store,
    timers: lazyTimers(client),
    contexts: contextDeps().contexts,
    http: {
      post: (request) => {
        http ??= buildHttpSender(networkPolicy());
        return http.post(request);
      },
    },
    mqtt: mqttPublisher(),
    get network() {
      return networkPolicy();
    },
  };
  return notifier;
}

/** The stage, for reading destinations from stream ARNs. */
export const stage = () => config()[Env.stage];
