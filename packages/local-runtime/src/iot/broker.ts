import type { EventEmitter } from "node:events";
import { createServer, type Socket } from "node:net";
import { errorFields, log } from "@sdp/kernel";
import {
  Aedes,
  type AuthErrorCode,
  type AuthenticateError,
  type Client,
  type ConnectPacket,
  type PublishPacket,
  type Subscription,
} from "aedes";
import {
  devicePolicy,
  mayConnect,
  mayPublish,
  mayReceive,
  maySubscribe,
  type TopicPolicy,
  UNRESTRICTED_POLICY,
} from "./topic-policy";

/** Who a connection is: a device (thing) of a destination, or one of the platform's own clients. */
export type BrokerIdentity =
  | { readonly kind: "device"; readonly tenant: string; readonly thing: string }
  | { readonly kind: "service"; readonly name: string };

/**
 * Checks a device's credentials (locally username/password stand in for the X.509 certificate, DESIGN
 * §5). Resolves null for unknown devices or wrong secrets; it decides who the caller is, the broker then
 * decides what the caller may do from the topic policy.
 */
export interface DeviceAuthenticator {
  authenticate(
    clientId: string,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<BrokerIdentity | null>;
}

export interface BrokerMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly clientId: string;
  readonly identity: BrokerIdentity;
  readonly qos: 0 | 1;
}

export interface MqttBrokerOptions {
  readonly port: number;
  readonly host?: string;
  readonly authenticator: DeviceAuthenticator;
  /** IoT Core's message payload limit, 128 KiB, unless told otherwise. */
  readonly maxPayloadBytes?: number;
  /**
   * The rules engine. A message is delivered and acknowledged (PUBACK) only after this resolved; if it
   * rejects, the publisher is disconnected without an acknowledgement so that it delivers again.
   */
  readonly onMessage?: (message: BrokerMessage) => Promise<void>;
}

// A type alias, not an interface, so it is assignable to Record<string, unknown> (health reports).
export type MqttBrokerStats = {
  /** Clients connected now. */
  readonly connections: number;
  /** Publishes accepted: authorised, within limits, and taken by `onMessage` (platform publishes too). */
  readonly messagesIn: number;
  /** CONNECTs answered with a non-zero CONNACK return code. */
  readonly refusedConnections: number;
  /** Publishes outside the topic policy, over the topic quotas or with QoS 2; each cost a disconnect. */
  readonly refusedPublishes: number;
  /** Subscriptions answered with SUBACK 0x80. */
  readonly refusedSubscriptions: number;
  /** Publishes over `maxPayloadBytes`; each cost a disconnect. */
  readonly oversized: number;
  /** Publishes whose `onMessage` rejected; each cost a disconnect and will be delivered again. */
  readonly handlerFailures: number;
};

export interface RunningMqttBroker {
  /** `mqtt://host:port` */
  readonly url: string;
  stop(): Promise<void>;
  /**
   * A platform-side publish (IoT Core's data-plane Publish), e.g. a command to a device. Like in IoT
   * Core it passes the rules engine (`onMessage`) before it is delivered to subscribers.
   */
  publish(topic: string, payload: Buffer | string, qos?: 0 | 1): Promise<void>;
  stats(): MqttBrokerStats;
}

/** IoT Core's payload limit. */
export const IOT_MAX_PAYLOAD_BYTES = 128 * 1024;

/** The identity and client id of publishes made through {@link RunningMqttBroker.publish}. */
export const PLATFORM_PUBLISHER: { readonly identity: BrokerIdentity; readonly clientId: string } = {
  identity: { kind: "service", name: "platform" },
  clientId: "platform",
};

// CONNACK return codes of MQTT 3.1.1; aedes declares them as an ambient const enum, which
// isolatedModules cannot read.
const BAD_USERNAME_OR_PASSWORD = 4 as AuthErrorCode;
const NOT_AUTHORIZED = 5 as AuthErrorCode;
const MQTT_3_1_1 = 4;

interface Session {
  readonly identity: BrokerIdentity;
  readonly policy: TopicPolicy;
}

class Refusal extends Error {
  override readonly name = "Refusal";
}

class ConnectRefusal extends Error implements AuthenticateError {
  override readonly name = "ConnectRefusal";
  constructor(
    readonly returnCode: AuthErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function policyOf(identity: BrokerIdentity): TopicPolicy {
  return identity.kind === "service" ? UNRESTRICTED_POLICY : devicePolicy(identity.tenant, identity.thing);
}

function identityFields(identity: BrokerIdentity): Record<string, string> {
  return identity.kind === "device"
    ? { tenant: identity.tenant, thing: identity.thing }
    : { service: identity.name };
}

/**
 * The local IoT Core message broker: aedes on TCP, speaking MQTT 3.1.1 only, with per-device
 * authentication and the device topic policy of ./topic-policy enforced on connect, publish, subscribe
 * and delivery.
 */
export async function startMqttBroker(options: MqttBrokerOptions): Promise<RunningMqttBroker> {
  const host = options.host ?? "127.0.0.1";
  const maxPayloadBytes = options.maxPayloadBytes ?? IOT_MAX_PAYLOAD_BYTES;
  const onMessage = options.onMessage;
  const sessions = new WeakMap<Client, Session>();
  // aedes hands the will to authenticate only through a private field; preConnect sees the packet.
  const connectPackets = new WeakMap<Client, ConnectPacket>();
  const counters = {
    messagesIn: 0,
    refusedConnections: 0,
    refusedPublishes: 0,
    refusedSubscriptions: 0,
    oversized: 0,
    handlerFailures: 0,
  };

  async function authenticate(client: Client, username: string | undefined, password: Buffer | undefined) {
    if (client.version !== MQTT_3_1_1) {
      // aedes already answers protocol levels above 4; MQTT 3.1 is refused too, as by IoT Core.
      throw new ConnectRefusal(NOT_AUTHORIZED, "only MQTT 3.1.1 is accepted");
    }
    const identity = await options.authenticator.authenticate(client.id, username, password);
    if (identity === null) throw new ConnectRefusal(BAD_USERNAME_OR_PASSWORD, "bad user name or password");
    const policy = policyOf(identity);
    if (!mayConnect(policy, client.id)) {
      throw new ConnectRefusal(NOT_AUTHORIZED, "client id is not the thing name");
    }
    // IoT Core authorises the will when the client connects, not when it is published.
    const will = connectPackets.get(client)?.will;
    if (will) {
      const bytes = typeof will.payload === "string" ? Buffer.byteLength(will.payload) : will.payload.length;
      if (will.qos === 2 || bytes > maxPayloadBytes || !mayPublish(policy, will.topic)) {
        throw new ConnectRefusal(NOT_AUTHORIZED, "will message not allowed");
      }
    }
    sessions.set(client, { identity, policy });
    return identity;
  }

  async function admit(client: Client | null, packet: PublishPacket): Promise<void> {
    const session = client ? sessions.get(client) : undefined;
    if (client === null || session === undefined)
      throw new Refusal("publish without an authenticated session");
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    const fields = { clientId: client.id, ...identityFields(session.identity), topic: packet.topic };
    if (payload.length > maxPayloadBytes) {
      counters.oversized++;
      log.warn("mqtt publish over the payload limit; disconnecting", { ...fields, bytes: payload.length });
      throw new Refusal("payload too large");
    }
    if (packet.qos === 2 || !mayPublish(session.policy, packet.topic)) {
      counters.refusedPublishes++;
      log.warn("mqtt publish not authorised; disconnecting", { ...fields, qos: packet.qos });
      throw new Refusal("publish not authorised");
    }
    if (onMessage) {
      try {
        await onMessage({
          topic: packet.topic,
          payload,
          clientId: client.id,
          identity: session.identity,
          qos: packet.qos,
        });
      } catch (error) {
        counters.handlerFailures++;
        log.error("mqtt message not taken by the rules engine; disconnecting", {
          ...fields,
          ...errorFields(error),
        });
        throw error;
      }
    }
    counters.messagesIn++;
  }

  const broker = await Aedes.createBroker({
    preConnect(client, packet, callback) {
      connectPackets.set(client, packet);
      const version = packet.protocolVersion ?? MQTT_3_1_1;
      if (version > MQTT_3_1_1) {
        // aedes itself answers "unacceptable protocol version" right after this hook.
        counters.refusedConnections++;
        log.warn("mqtt connection refused", {
          clientId: packet.clientId,
          returnCode: 1,
          reason: `MQTT protocol level ${version}`,
        });
      }
      callback(null, true);
    },
    authenticate(client, username, password, done) {
      authenticate(client, username, password).then(
        (identity) => {
          log.info("mqtt client connected", { clientId: client.id, ...identityFields(identity) });
          done(null, true);
        },
        (error: unknown) => {
          const refusal =
            error instanceof ConnectRefusal
              ? error
              : new ConnectRefusal(NOT_AUTHORIZED, "authentication failed");
          counters.refusedConnections++;
          log.warn("mqtt connection refused", {
            clientId: client.id,
            returnCode: refusal.returnCode,
            reason: refusal.message,
            ...(refusal === error ? {} : errorFields(error)),
          });
          done(refusal, false);
        },
      );
    },
    // Runs before aedes writes the PUBACK and before delivery (lib/handlers/publish.js), so awaiting the
    // rules engine here means an acknowledged message is already stored; an error disconnects.
    authorizePublish(client, packet, callback) {
      admit(client, packet).then(
        () => callback(null),
        (error: unknown) => callback(error instanceof Error ? error : new Error("publish refused")),
      );
    },
    authorizeSubscribe(client, subscription: Subscription, callback) {
      const session = sessions.get(client);
      // IoT Core has no QoS 2; a null subscription is answered with SUBACK 0x80.
      if (
        session === undefined ||
        subscription.qos === 2 ||
        !maySubscribe(session.policy, subscription.topic)
      ) {
        counters.refusedSubscriptions++;
        log.warn("mqtt subscription refused", {
          clientId: client.id,
          ...(session ? identityFields(session.identity) : {}),
          topicFilter: subscription.topic,
          qos: subscription.qos,
        });
        callback(null, null);
        return;
      }
      callback(null, subscription);
    },
    authorizeForward(client, packet) {
      const session = sessions.get(client);
      return session && mayReceive(session.policy, packet.topic) ? packet : null;
    },
  });
  broker.on("clientDisconnect", (client) => {
    log.debug("mqtt client disconnected", { clientId: client.id });
  });
  broker.on("clientError", (client, error) => {
    log.debug("mqtt client error", { clientId: client.id, ...errorFields(error) });
  });
  // aedes reports persistence and will-publishing trouble here; an unhandled 'error' would crash us.
  // (aedes' typings omit the event, hence the plain EventEmitter view.)
  const emitter: EventEmitter = broker;
  emitter.on("error", (error: unknown) => log.error("mqtt broker error", errorFields(error)));

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    broker.handle(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw error;
  }
  const url = `mqtt://${host}:${options.port}`;
  log.info("mqtt broker listening", { url, maxPayloadBytes });

  return {
    url,
    async stop() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections that never sent CONNECT are not aedes clients, so aedes cannot close them.
      for (const socket of sockets) socket.destroy();
      await closed;
      log.info("mqtt broker stopped", { url });
    },
    async publish(topic, payload, qos = 0) {
      const bytes = typeof payload === "string" ? Buffer.from(payload) : payload;
      if (!mayPublish(UNRESTRICTED_POLICY, topic)) throw new Error(`invalid topic name: ${topic}`);
      if (bytes.length > maxPayloadBytes) {
        throw new Error(`payload of ${bytes.length} bytes exceeds the limit of ${maxPayloadBytes}`);
      }
      if (onMessage) await onMessage({ topic, payload: bytes, qos, ...PLATFORM_PUBLISHER });
      counters.messagesIn++;
      await new Promise<void>((resolve, reject) => {
        broker.publish({ cmd: "publish", topic, payload: bytes, qos, retain: false, dup: false }, (error) =>
          error ? reject(error) : resolve(),
        );
      });
    },
    stats: () => ({ connections: broker.connectedClients, ...counters }),
  };
}
