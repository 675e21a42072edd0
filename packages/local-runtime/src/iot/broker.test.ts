// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IoT substitution templates and policy variables are literal ${...} strings.
import { randomBytes } from "node:crypto";
import type { KinesisClient, PutRecordsCommandInput } from "@aws-sdk/client-kinesis";
import { createKinesisClient } from "@sdp/aws";
import mqtt, { ErrorWithSubackPacket, type IClientOptions, type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../net";
import { type BrokerMessage, IOT_MAX_PAYLOAD_BYTES, startMqttBroker } from "./broker";
import { createIotRulesBridge } from "./rules-bridge";
import {
  createStream,
  deleteStream,
  eventually,
  readStream,
  staticAuthenticator,
  temporaryQueue,
} from "./test-support";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const shortId = () => crypto.randomUUID().slice(0, 8);

interface StackOptions {
  /** Wraps the rules engine, e.g. to fail or count. */
  readonly onMessage?: (
    message: BrokerMessage,
    rules: (message: BrokerMessage) => Promise<void>,
  ) => Promise<void>;
  readonly kinesis?: KinesisClient;
  readonly createStream?: boolean;
}

/** A broker with the ingest rule into a fresh stream, two destinations, two devices and a platform client. */
async function startStack(options: StackOptions = {}) {
  const kinesis = options.kinesis ?? createKinesisClient();
  const reader = createKinesisClient();
  const tenant = `dest-${shortId()}`;
  const otherTenant = `dest-${shortId()}`;
  const thing = `sensor-${shortId()}`;
  const otherThing = `sensor-${shortId()}`;
  const streamName = `ingest-${crypto.randomUUID()}`;
  if (options.createStream ?? true) {
    await createStream(reader, streamName);
    cleanups.push(() => deleteStream(reader, streamName));
  }
  const errors = await temporaryQueue(`iot-errors-${shortId()}`);
  cleanups.push(errors.remove);
  const bridge = createIotRulesBridge({
    rules: [
      {
        name: "ingest",
        topicFilter: "dt/+/+/#",
        streamName,
        partitionKey: "${topic(2)}/${topic(3)}",
        errorQueue: errors.queue,
      },
    ],
    kinesis,
  });
  const handled: BrokerMessage[] = [];
  const rules = (message: BrokerMessage) => bridge.handle(message);
  const secret = crypto.randomUUID();
  const broker = await startMqttBroker({
    port: await freePort(),
    authenticator: staticAuthenticator([
      { username: thing, password: secret, identity: { kind: "device", tenant, thing } },
      {
        username: otherThing,
        password: secret,
        identity: { kind: "device", tenant: otherTenant, thing: otherThing },
      },
      { username: "platform", password: secret, identity: { kind: "service", name: "platform" } },
    ]),
    onMessage: async (message) => {
      handled.push(message);
      await (options.onMessage ? options.onMessage(message, rules) : rules(message));
    },
  });
  cleanups.push(async () => {
    await broker.stop();
    await bridge.flush();
  });

  async function connect(
    clientId: string,
    username: string,
    extra: IClientOptions = {},
  ): Promise<MqttClient> {
    const client = await mqtt.connectAsync(
      broker.url,
      {
        clientId,
        username,
        password: secret,
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5_000,
        ...extra,
      },
      false,
    );
    cleanups.push(() => client.endAsync(true));
    return client;
  }

  return {
    broker,
    bridge,
    reader,
    tenant,
    otherTenant,
    thing,
    otherThing,
    streamName,
    errors,
    handled,
    secret,
    connect,
  };
}

/** Resolves when the broker has dropped the connection. */
function closing(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once("close", () => resolve()));
}

function connectError(error: unknown): { code: unknown; message: string } {
  return {
    code: error instanceof Error && "code" in error ? error.code : undefined,
    message: error instanceof Error ? error.message : String(error),
  };
}

describe("the local IoT Core broker with the Kinesis rule", () => {
  it("puts a device's telemetry on the stream with partition key <tenant>/<device> and the exact bytes", async () => {
    // Prepare
    const stack = await startStack();
    const device = await stack.connect(stack.thing, stack.thing);
    const payload = Buffer.concat([randomBytes(300), Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28])]);
    // Act
    await device.publishAsync(`dt/${stack.tenant}/${stack.thing}/air`, payload, { qos: 1 });
    // Assess
    const records = await readStream(stack.reader, stack.streamName);
    expect(records).toHaveLength(1);
    expect(records[0]?.PartitionKey).toBe(`${stack.tenant}/${stack.thing}`);
    expect(Buffer.from(records[0]?.Data ?? []).equals(payload)).toBe(true);
    expect(stack.handled.map((m) => [m.clientId, m.identity, m.qos])).toEqual([
      [stack.thing, { kind: "device", tenant: stack.tenant, thing: stack.thing }, 1],
    ]);
    expect(stack.broker.stats()).toMatchObject({ connections: 1, messagesIn: 1, refusedPublishes: 0 });
  });

  it("disconnects a device publishing under another destination or another device, and forwards nothing", async () => {
    // Prepare
    const stack = await startStack();
    const observer = await stack.connect("observer", "platform");
    const observed: string[] = [];
    observer.on("message", (topic) => observed.push(topic));
    await observer.subscribeAsync("#", { qos: 1 });
    const foreignTopics = [
      `dt/${stack.otherTenant}/${stack.thing}/air`,
      `dt/${stack.tenant}/${stack.otherThing}/air`,
      `cmd/${stack.tenant}/${stack.otherThing}/01JA/ack`,
    ];
    // Act
    const disconnected: boolean[] = [];
    for (const topic of foreignTopics) {
      const device = await stack.connect(stack.thing, stack.thing);
      const closed = closing(device);
      device.publish(topic, "spoofed", { qos: 0 });
      await closed;
      disconnected.push(!device.connected);
    }
    const control = await stack.connect(stack.thing, stack.thing);
    const ownTopic = `dt/${stack.tenant}/${stack.thing}/air`;
    await control.publishAsync(ownTopic, "genuine", { qos: 1 });
    await eventually(() => observed.includes(ownTopic));
    await stack.bridge.flush();
    // Assess
    expect(disconnected).toEqual([true, true, true]);
    expect(observed).toEqual([ownTopic]);
    expect(stack.handled.map((m) => m.topic)).toEqual([ownTopic]);
    const records = await readStream(stack.reader, stack.streamName);
    expect(records.map((r) => Buffer.from(r.Data ?? []).toString())).toEqual(["genuine"]);
    expect(stack.broker.stats()).toMatchObject({ refusedPublishes: 3, messagesIn: 1 });
  });

  it("refuses at CONNECT a wrong password, a client id other than the thing name, a foreign will and MQTT 5", async () => {
    // Prepare
    const stack = await startStack();
    const attempts: Array<[string, IClientOptions]> = [
      [stack.thing, { password: "wrong" }],
      [stack.thing, { username: "nobody" }],
      [stack.otherThing, {}],
      [
        stack.thing,
        {
          will: {
            topic: `dt/${stack.tenant}/${stack.otherThing}`,
            payload: Buffer.from("x"),
            qos: 0,
            retain: false,
          },
        },
      ],
      [stack.thing, { protocolVersion: 5 }],
    ];
    // Act
    const outcomes = [];
    for (const [clientId, extra] of attempts) {
      outcomes.push(
        await stack.connect(clientId, stack.thing, extra).then(
          () => ({ code: 0, message: "connected" }),
          (error: unknown) => connectError(error),
        ),
      );
    }
    // Assess
    expect(outcomes.map((outcome) => outcome.code)).toEqual([4, 4, 5, 5, 1]);
    expect(stack.broker.stats()).toMatchObject({ connections: 0, refusedConnections: 5 });
  });

  it("refuses subscriptions outside the policy and delivers a platform command inside it", async () => {
    // Prepare
    const stack = await startStack();
    const device = await stack.connect(stack.thing, stack.thing);
    const received: Array<[string, string]> = [];
    device.on("message", (topic, payload) => received.push([topic, payload.toString()]));
    const ownCommands = `cmd/${stack.tenant}/${stack.thing}/#`;
    // Act
    const refused = await device
      .subscribeAsync({
        [`cmd/${stack.tenant}/${stack.otherThing}/#`]: { qos: 1 },
        [`cmd/${stack.tenant}/+/#`]: { qos: 1 },
        [`dt/${stack.tenant}/${stack.thing}/#`]: { qos: 1 },
        "#": { qos: 0 },
        [`cmd/${stack.tenant}/${stack.thing}/+`]: { qos: 2 },
      })
      .then(
        (grants) => grants.map((grant) => grant.qos),
        // mqtt.js rejects a SUBACK that carries a failure code; the SUBACK itself is on the error.
        (error: unknown) => (error instanceof ErrorWithSubackPacket ? error.packet.granted : error),
      );
    const granted = await device.subscribeAsync(ownCommands, { qos: 1 });
    await stack.broker.publish(`cmd/${stack.tenant}/${stack.otherThing}/c-0`, "not yours", 1);
    await stack.broker.publish(`cmd/${stack.tenant}/${stack.thing}/c-1`, '{"action":"reboot"}', 1);
    await eventually(() => received.length > 0);
    // Assess
    expect(refused).toEqual([128, 128, 128, 128, 128]);
    expect(granted.map((grant) => [grant.topic, grant.qos])).toEqual([[ownCommands, 1]]);
    expect(received).toEqual([[`cmd/${stack.tenant}/${stack.thing}/c-1`, '{"action":"reboot"}']]);
    expect(device.connected).toBe(true);
    expect(stack.broker.stats().refusedSubscriptions).toBe(5);
  });

  it("disconnects a publish over 128 KiB and counts it, while exactly 128 KiB is accepted", async () => {
    // Prepare
    const stack = await startStack();
    const topic = `dt/${stack.tenant}/${stack.thing}/image`;
    const atLimit = randomBytes(IOT_MAX_PAYLOAD_BYTES);
    const overLimit = randomBytes(IOT_MAX_PAYLOAD_BYTES + 1);
    // Act
    const first = await stack.connect(stack.thing, stack.thing);
    const closed = closing(first);
    first.publish(topic, overLimit, { qos: 0 });
    await closed;
    const second = await stack.connect(stack.thing, stack.thing);
    await second.publishAsync(topic, atLimit, { qos: 1 });
    // Assess
    expect(stack.broker.stats()).toMatchObject({ oversized: 1, messagesIn: 1 });
    const records = await readStream(stack.reader, stack.streamName);
    expect(records.map((r) => Buffer.from(r.Data ?? []).equals(atLimit))).toEqual([true]);
  });

  it("captures the message in the error queue in AWS IoT's error-action shape when the stream does not exist", async () => {
    // Prepare
    const stack = await startStack({ createStream: false });
    const device = await stack.connect(stack.thing, stack.thing);
    const payload = Buffer.from('{"pm25":7}');
    const topic = `dt/${stack.tenant}/${stack.thing}/air`;
    // Act
    await device.publishAsync(topic, payload, { qos: 1 });
    // Assess
    expect(stack.errors.queue.list().map((message) => message.body)).toEqual([
      {
        ruleName: "ingest",
        topic,
        cloudwatchTraceId: expect.any(String),
        clientId: stack.thing,
        base64OriginalPayload: payload.toString("base64"),
        failures: [
          {
            failedAction: "KinesisAction",
            failedResource: stack.streamName,
            errorMessage: expect.stringMatching(/^ResourceNotFoundException/),
          },
        ],
      },
    ]);
    expect(stack.bridge.stats()).toMatchObject({ errorActions: 1, recordsPut: 0 });
  });

  it("sends the QoS 1 PUBACK only once the record is in Kinesis", async () => {
    // Prepare
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const kinesis = createKinesisClient();
    kinesis.middlewareStack.add(
      (next) => async (args) => {
        if (isPutRecords(args.input)) await gate;
        return next(args);
      },
      { step: "initialize", name: "holdPutRecords" },
    );
    const stack = await startStack({ kinesis });
    const device = await stack.connect(stack.thing, stack.thing);
    let acknowledged = false;
    // Act
    const publishing = device
      .publishAsync(`dt/${stack.tenant}/${stack.thing}/air`, "durable", { qos: 1 })
      .then(() => {
        acknowledged = true;
      });
    await eventually(() => stack.bridge.stats().pending === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const acknowledgedWhileHeld = acknowledged;
    const storedWhileHeld = await readStream(stack.reader, stack.streamName);
    release();
    await publishing;
    const storedAtAcknowledgement = await readStream(stack.reader, stack.streamName);
    // Assess
    expect(acknowledgedWhileHeld).toBe(false);
    expect(storedWhileHeld).toEqual([]);
    expect(storedAtAcknowledgement.map((r) => Buffer.from(r.Data ?? []).toString())).toEqual(["durable"]);
  });

  it("does not acknowledge a message the rules engine failed to take, so the device delivers it again", async () => {
    // Prepare
    let calls = 0;
    const stack = await startStack({
      onMessage: async (message, rules) => {
        calls++;
        if (calls === 1) throw new Error("rules engine unavailable");
        await rules(message);
      },
    });
    const device = await stack.connect(stack.thing, stack.thing, { reconnectPeriod: 50 });
    // Act
    await device.publishAsync(`dt/${stack.tenant}/${stack.thing}/air`, "retry me", { qos: 1 });
    // Assess
    expect(calls).toBe(2);
    expect(stack.broker.stats()).toMatchObject({ handlerFailures: 1, messagesIn: 1 });
    const records = await readStream(stack.reader, stack.streamName);
    expect(records.map((r) => Buffer.from(r.Data ?? []).toString())).toEqual(["retry me"]);
  });
});

function isPutRecords(input: object): input is PutRecordsCommandInput {
  return "Records" in input && "StreamName" in input;
}
