import { type IoTDataPlaneClient, PublishCommand } from "@aws-sdk/client-iot-data-plane";
import { errorFields, log } from "@sdp/kernel";
import mqtt, { type MqttClient } from "mqtt";
import type { CommandPublisher } from "../domain/ports";

/** IoT Core's data-plane Publish (QoS 1), as the platform publishes to devices in AWS. */
export function buildIotDataPublisher(client: IoTDataPlaneClient): CommandPublisher {
  return {
    async publish(topic, payload) {
      await client.send(new PublishCommand({ topic, qos: 1, payload: Buffer.from(payload, "utf8") }));
    },
  };
}

export interface MqttPublisherOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly connectTimeoutMs?: number;
}

/**
 * Publishes through the local broker with the platform's service credential (QoS 1, resolved on the
 * PUBACK). One connection per container, opened on first use.
 */
export function buildMqttPublisher(options: MqttPublisherOptions): CommandPublisher {
  let connection: Promise<MqttClient> | undefined;
  const connect = () => {
    connection ??= new Promise<MqttClient>((resolve, reject) => {
      const client = mqtt.connect(options.url, {
        protocolVersion: 4,
        clientId: `${options.username}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
        username: options.username,
        password: options.password,
        reconnectPeriod: 1000,
        connectTimeout: options.connectTimeoutMs ?? 5000,
      });
      const timer = setTimeout(() => {
        client.end(true);
        connection = undefined;
        reject(new Error("could not connect to the MQTT broker"));
      }, options.connectTimeoutMs ?? 5000);
      client.once("connect", () => {
        clearTimeout(timer);
        resolve(client);
      });
      client.on("error", (error) => log.warn("platform MQTT client error", errorFields(error)));
    });
    return connection;
  };
  return {
    async publish(topic, payload) {
      const client = await connect();
      await client.publishAsync(topic, payload, { qos: 1 });
    },
  };
}
