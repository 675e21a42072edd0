import { type IoTDataPlaneClient, PublishCommand } from "@aws-sdk/client-iot-data-plane";
import { errorFields, log } from "@sdp/kernel";
import mqtt, { type MqttClient } from "mqtt";
import { DeliveryRefusedError, type MqttMessage, type MqttPublisher } from "../ports";

/**
 * MQTT notifications go through the platform's own broker: IoT Core's data-plane Publish in AWS (the
 * endpoint's host is the account's IoT endpoint), the local broker with the platform's service
 * credential on one machine. No other broker is ever contacted.
 */
function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** IoT Core's data-plane Publish (HTTPS); QoS as the endpoint asks (0 or 1). */
export function buildIotDataPublisher(client: Pick<IoTDataPlaneClient, "send">): MqttPublisher {
  return {
    async publish(message) {
      await withTimeout(
        client.send(
          new PublishCommand({
            topic: message.topic,
            qos: message.qos,
            payload: Buffer.from(message.payload, "utf8"),
          }),
        ),
        message.timeoutMs,
        "the IoT Core publish",
      );
    },
  };
}

export interface MqttBrokerOptions {
  /** The platform broker, e.g. `mqtt://127.0.0.1:1883`. */
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1"]);
const sameHost = (a: string, b: string) =>
  a.toLowerCase() === b.toLowerCase() || (LOOPBACK.has(a) && LOOPBACK.has(b));

/**
 * The local broker, reached with the platform's service credential (MQTT 3.1.1). One connection per
 * container, opened on first use and opened again after it fails.
 */
export function buildBrokerPublisher(options: () => MqttBrokerOptions): MqttPublisher {
  let connection: Promise<MqttClient> | undefined;
  const connect = (timeoutMs: number) => {
    connection ??= new Promise<MqttClient>((resolve, reject) => {
      const { url, username, password } = options();
      const client = mqtt.connect(url, {
        protocolVersion: 4,
        clientId: `${username}-notifier-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
        username,
        password,
        reconnectPeriod: 1000,
        connectTimeout: timeoutMs,
      });
      const timer = setTimeout(() => {
        client.end(true);
        connection = undefined;
        reject(new Error("could not connect to the MQTT broker"));
      }, timeoutMs);
      client.once("connect", () => {
        clearTimeout(timer);
        resolve(client);
      });
      client.on("error", (error) => log.warn("notifier MQTT client error", errorFields(error)));
    });
    return connection;
  };
  return {
    async publish(message: MqttMessage) {
      const broker = new URL(options().url);
      const port = broker.port === "" ? 1883 : Number(broker.port);
      const host = broker.hostname.replace(/^\[|\]$/g, "");
      if (!sameHost(message.host, host) || message.port !== port) {
        throw new DeliveryRefusedError(
          `${message.host}:${message.port} is not the platform's MQTT broker (${host}:${port})`,
        );
      }
      const client = await connect(message.timeoutMs);
      await withTimeout(
        client.publishAsync(message.topic, message.payload, { qos: message.qos }),
        message.timeoutMs,
        "the MQTT publish",
      );
    },
  };
}
