// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IoT substitution templates and policy variables are literal ${...} strings.
import {
  PutRecordsCommand,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
} from "@aws-sdk/client-kinesis";
import { createKinesisClient } from "@sdp/aws";
import { afterEach, describe, expect, it } from "vitest";
import {
  compileSubstitutionTemplate,
  createIotRulesBridge,
  type IotErrorActionMessage,
} from "./rules-bridge";
import { createStream, deleteStream, readStream, temporaryQueue } from "./test-support";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function isPutRecordsInput(input: object): input is PutRecordsCommandInput {
  return "Records" in input && "StreamName" in input;
}

/**
 * A Kinesis client whose PutRecords reports the records chosen by `fail` as throttled without sending
 * them, and sends the others for real: the partial failure PutRecords documents.
 */
function throttlingClient(fail: (call: number, index: number) => boolean) {
  const kinesis = createKinesisClient();
  const underlying = createKinesisClient();
  let call = 0;
  kinesis.middlewareStack.add(
    (next) => async (args) => {
      if (!isPutRecordsInput(args.input)) return next(args);
      call++;
      const records = args.input.Records ?? [];
      const failing = records.map((_, index) => fail(call, index));
      const passing = records.filter((_, index) => !failing[index]);
      const real =
        passing.length > 0
          ? await underlying.send(
              new PutRecordsCommand({ StreamName: args.input.StreamName, Records: passing }),
            )
          : { Records: [] };
      const realResults = [...(real.Records ?? [])];
      const output: PutRecordsCommandOutput = {
        $metadata: {},
        FailedRecordCount: failing.filter(Boolean).length,
        Records: failing.map((failed) =>
          failed
            ? { ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: "Rate exceeded for shard" }
            : (realResults.shift() ?? {}),
        ),
      };
      return { output, response: {} };
    },
    { step: "initialize", name: "throttleSomeRecords" },
  );
  return kinesis;
}

async function setUp(streamExists = true) {
  const kinesis = createKinesisClient();
  const streamName = `iot-${crypto.randomUUID()}`;
  if (streamExists) {
    await createStream(kinesis, streamName);
    cleanups.push(() => deleteStream(kinesis, streamName));
  }
  const errors = await temporaryQueue(`errors-${crypto.randomUUID()}`);
  cleanups.push(errors.remove);
  const rule = {
    name: `ingest_${crypto.randomUUID().replaceAll("-", "")}`,
    topicFilter: "dt/+/+/#",
    streamName,
    partitionKey: "${topic(2)}/${topic(3)}",
    errorQueue: errors.queue,
  };
  return { kinesis, streamName, errors: errors.queue, rule };
}

describe("compileSubstitutionTemplate", () => {
  it("substitutes topic levels, client id, timestamp and uuids", () => {
    // Prepare
    const context = {
      topic: "dt/costa-brava/sensor-1/air",
      clientId: "sensor-1",
      timestamp: 1_700_000_000_123,
    };
    // Act
    const rendered = {
      levels: compileSubstitutionTemplate("${topic(2)}/${topic(3)}")(context),
      whole: compileSubstitutionTemplate("t=${topic()}")(context),
      past: compileSubstitutionTemplate("[${topic(9)}]")(context),
      client: compileSubstitutionTemplate("${ clientid() }@${timestamp()}")(context),
      uuid: compileSubstitutionTemplate("${newuuid()}")(context),
      literal: compileSubstitutionTemplate("fixed")(context),
    };
    // Assess
    expect(rendered).toMatchObject({
      levels: "costa-brava/sensor-1",
      whole: "t=dt/costa-brava/sensor-1/air",
      past: "[]",
      client: "sensor-1@1700000000123",
      literal: "fixed",
    });
    expect(rendered.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("rejects expressions it cannot evaluate when the rule is compiled", () => {
    // Prepare
    const templates = ["${deviceId}", "${topic(0)}", "${clientid(1)}", "${upper(topic())}"];
    // Act
    const outcomes = templates.map((template) => {
      try {
        compileSubstitutionTemplate(template);
        return "compiled";
      } catch {
        return "rejected";
      }
    });
    // Assess
    expect(outcomes).toEqual(["rejected", "rejected", "rejected", "rejected"]);
  });
});

describe("createIotRulesBridge against kinesalite", () => {
  it("batches concurrent messages into few PutRecords requests, keeping bytes and partition keys", async () => {
    // Prepare
    const { kinesis, streamName, rule } = await setUp();
    const bridge = createIotRulesBridge({ rules: [rule], kinesis, maxBatchRecords: 50, maxBatchDelayMs: 20 });
    const messages = Array.from({ length: 200 }, (_, index) => ({
      topic: `dt/costa-brava/sensor-${index % 7}/air`,
      payload: Buffer.from([index % 256, 0xff, 0x00, 0xc3]),
      clientId: `sensor-${index % 7}`,
    }));
    // Act
    await Promise.all(messages.map((message) => bridge.handle(message)));
    // Assess
    expect(bridge.stats()).toMatchObject({
      records: 200,
      recordsPut: 200,
      putRecordsRequests: 4,
      pending: 0,
    });
    const stored = await readStream(kinesis, streamName);
    expect(stored).toHaveLength(200);
    const seen = stored.map(
      (record) => `${record.PartitionKey}|${Buffer.from(record.Data ?? []).toString("hex")}`,
    );
    const sent = messages.map((m) => `costa-brava/${m.clientId}|${m.payload.toString("hex")}`);
    expect(seen.sort()).toEqual(sent.sort());
  });

  it("does not forward messages that match no rule", async () => {
    // Prepare
    const { kinesis, streamName, rule } = await setUp();
    const bridge = createIotRulesBridge({ rules: [rule], kinesis });
    // Act
    await bridge.handle({
      topic: "cmd/costa-brava/sensor-1/01JA/ack",
      payload: Buffer.from("ok"),
      clientId: "x",
    });
    await bridge.flush();
    // Assess
    expect(bridge.stats()).toMatchObject({ messages: 1, unmatched: 1, records: 0, putRecordsRequests: 0 });
    expect(await readStream(kinesis, streamName)).toEqual([]);
  });

  it("retries the records PutRecords reports as failed, and puts each exactly once", async () => {
    // Prepare
    const { streamName, rule, errors } = await setUp();
    const kinesis = throttlingClient((call, index) => call <= 2 && index % 2 === 1);
    const bridge = createIotRulesBridge({ rules: [rule], kinesis, retryBaseDelayMs: 5 });
    const payloads = Array.from({ length: 10 }, (_, index) => Buffer.from(`reading ${index}`));
    // Act
    await Promise.all(
      payloads.map((payload) =>
        bridge.handle({ topic: "dt/costa-brava/sensor-1", payload, clientId: "sensor-1" }),
      ),
    );
    // Assess
    const stored = await readStream(createKinesisClient(), streamName);
    expect(stored.map((record) => Buffer.from(record.Data ?? []).toString()).sort()).toEqual(
      payloads.map((payload) => payload.toString()).sort(),
    );
    expect(bridge.stats()).toMatchObject({ recordsPut: 10, errorActions: 0 });
    expect(bridge.stats().retries).toBeGreaterThanOrEqual(5);
    expect(errors.list()).toEqual([]);
  });

  it("sends a record that keeps failing to the error action after the last attempt", async () => {
    // Prepare
    const { streamName, rule, errors } = await setUp();
    const kinesis = throttlingClient(() => true);
    const bridge = createIotRulesBridge({ rules: [rule], kinesis, maxAttempts: 3, retryBaseDelayMs: 1 });
    const payload = Buffer.from('{"pm25":12}');
    // Act
    await bridge.handle({ topic: "dt/costa-brava/sensor-1/air", payload, clientId: "sensor-1" });
    // Assess
    expect(bridge.stats()).toMatchObject({
      putRecordsRequests: 3,
      retries: 2,
      errorActions: 1,
      recordsPut: 0,
    });
    expect(errors.list().map((message) => message.body)).toEqual([
      {
        ruleName: rule.name,
        topic: "dt/costa-brava/sensor-1/air",
        cloudwatchTraceId: expect.any(String),
        clientId: "sensor-1",
        base64OriginalPayload: payload.toString("base64"),
        failures: [
          {
            failedAction: "KinesisAction",
            failedResource: streamName,
            errorMessage: "ProvisionedThroughputExceededException: Rate exceeded for shard",
          },
        ],
      } satisfies IotErrorActionMessage,
    ]);
    expect(await readStream(createKinesisClient(), streamName)).toEqual([]);
  });

  it("captures a partition key Kinesis would refuse without failing the rest of the batch", async () => {
    // Prepare
    const { kinesis, streamName, rule, errors } = await setUp();
    const bridge = createIotRulesBridge({ rules: [{ ...rule, partitionKey: "${topic(4)}" }], kinesis });
    // Act
    await Promise.all([
      bridge.handle({
        topic: "dt/costa-brava/sensor-1",
        payload: Buffer.from("no 4th level"),
        clientId: "sensor-1",
      }),
      bridge.handle({
        topic: "dt/costa-brava/sensor-1/air",
        payload: Buffer.from("fine"),
        clientId: "sensor-1",
      }),
    ]);
    // Assess
    const stored = await readStream(kinesis, streamName);
    expect(stored.map((record) => record.PartitionKey)).toEqual(["air"]);
    expect(errors.list()).toHaveLength(1);
    expect(errors.list()[0]?.body).toMatchObject({
      topic: "dt/costa-brava/sensor-1",
      failures: [
        { failedAction: "KinesisAction", errorMessage: expect.stringMatching(/^ValidationException/) },
      ],
    });
  });
});
