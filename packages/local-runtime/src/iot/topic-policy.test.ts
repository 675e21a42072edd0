// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IoT substitution templates and policy variables are literal ${...} strings.
import { describe, expect, it } from "vitest";
import {
  devicePolicy,
  filterCovers,
  iotPolicyDocument,
  mayConnect,
  mayPublish,
  mayReceive,
  maySubscribe,
  topicMatches,
  UNRESTRICTED_POLICY,
} from "./topic-policy";

describe("topicMatches", () => {
  it.each([
    ["a/b/c", "a/b/c", true],
    ["a/b/c", "a/b", false],
    ["a/b", "a/b/c", false],
    ["a/+/c", "a/b/c", true],
    ["a/+/c", "a//c", true],
    ["a/+", "a/b/c", false],
    ["+", "a", true],
    ["+", "a/b", false],
    ["+/+", "/a", true],
    ["a/#", "a", true],
    ["a/#", "a/", true],
    ["a/#", "a/b/c/d", true],
    ["a/#", "ab", false],
    ["#", "a/b", true],
    ["#", "/", true],
    ["A/b", "a/b", false],
    ["a/b/", "a/b", false],
    ["a/b/", "a/b/", true],
  ])("filter %s against topic %s is %s", (filter, topic, expected) => {
    // Prepare: the cases above
    // Act
    const matched = topicMatches(filter, topic);
    // Assess
    expect(matched).toBe(expected);
  });

  it("keeps wildcards in the first level away from $ topics [MQTT-4.7.2-1]", () => {
    // Prepare
    const topic = "$SYS/broker/clients";
    // Act
    const results = [
      topicMatches("#", topic),
      topicMatches("+/broker/clients", topic),
      topicMatches("$SYS/#", topic),
    ];
    // Assess
    expect(results).toEqual([false, false, true]);
  });

  it("matches nothing for malformed filters or topics", () => {
    // Prepare
    const cases: Array<[string, string]> = [
      ["a/#/c", "a/b/c"],
      ["a/b#", "a/b#"],
      ["a+/b", "a+/b"],
      ["", ""],
      ["#", ""],
      ["a/+", "a/+"],
      ["a/#", "a/#"],
    ];
    // Act
    const results = cases.map(([filter, topic]) => topicMatches(filter, topic));
    // Assess
    expect(results).toEqual(cases.map(() => false));
  });
});

describe("filterCovers", () => {
  it.each([
    ["cmd/t/d/#", "cmd/t/d/#", true],
    ["cmd/t/d/#", "cmd/t/d", true],
    ["cmd/t/d/#", "cmd/t/d/+", true],
    ["cmd/t/d/#", "cmd/t/d/+/ack", true],
    ["cmd/t/d/#", "cmd/t/+/#", false],
    ["cmd/t/d/#", "cmd/t/#", false],
    ["cmd/t/d/#", "cmd/t", false],
    ["cmd/t/d/#", "#", false],
    ["a/+", "a/b", true],
    ["a/+", "a/+", true],
    ["a/+", "a/#", false],
    ["a/b", "a/+", false],
    ["#", "$SYS/#", false],
  ])("%s covers %s: %s", (allowed, requested, expected) => {
    // Prepare: the cases above
    // Act
    const covered = filterCovers(allowed, requested);
    // Assess
    expect(covered).toBe(expected);
  });
});

describe("device policy", () => {
  it("confines a device to its own destination and name", () => {
    // Prepare
    const policy = devicePolicy("costa-brava", "sensor-1");
    // Act
    const allowed = {
      connect: [mayConnect(policy, "sensor-1"), mayConnect(policy, "sensor-2")],
      publish: [
        "dt/costa-brava/sensor-1",
        "dt/costa-brava/sensor-1/air",
        "dt/costa-brava/sensor-1/air/pm25",
        "cmd/costa-brava/sensor-1/01JA/ack",
        "dt/costa-brava/sensor-2/air",
        "dt/mallorca/sensor-1/air",
        "dt/costa-brava",
        "cmd/costa-brava/sensor-1/01JA",
        "cmd/costa-brava/sensor-1/01JA/ack/more",
        "cmd/costa-brava/sensor-2/01JA/ack",
      ].map((topic) => mayPublish(policy, topic)),
      subscribe: [
        "cmd/costa-brava/sensor-1/#",
        "cmd/costa-brava/sensor-1/+",
        "cmd/costa-brava/sensor-1/01JA",
        "cmd/costa-brava/+/#",
        "cmd/costa-brava/sensor-2/#",
        "dt/costa-brava/sensor-1/#",
        "#",
      ].map((filter) => maySubscribe(policy, filter)),
      receive: [
        mayReceive(policy, "cmd/costa-brava/sensor-1/01JA"),
        mayReceive(policy, "cmd/mallorca/sensor-1/01JA"),
      ],
    };
    // Assess
    expect(allowed).toEqual({
      connect: [true, false],
      publish: [true, true, true, true, false, false, false, false, false, false],
      subscribe: [true, true, true, false, false, false, false],
      receive: [true, false],
    });
  });

  it("enforces IoT Core's topic depth and length quotas on devices", () => {
    // Prepare
    const policy = devicePolicy("costa-brava", "sensor-1");
    // Act
    const deep = mayPublish(policy, "dt/costa-brava/sensor-1/a/b/c/d/e");
    const deeper = mayPublish(policy, "dt/costa-brava/sensor-1/a/b/c/d/e/f");
    const long = mayPublish(policy, `dt/costa-brava/sensor-1/${"x".repeat(256)}`);
    // Assess
    expect([deep, deeper, long]).toEqual([true, false, false]);
  });

  it("refuses names that would not be a single topic level", () => {
    // Prepare
    const attempts = [
      () => devicePolicy("costa-brava", "sensor/1"),
      () => devicePolicy("costa-brava", "+"),
      () => devicePolicy("costa-brava", "#"),
      () => devicePolicy("Costa/Brava", "sensor-1"),
    ];
    // Act
    const outcomes = attempts.map((attempt) => {
      try {
        attempt();
        return "accepted";
      } catch {
        return "refused";
      }
    });
    // Assess
    expect(outcomes).toEqual(["refused", "refused", "refused", "refused"]);
  });

  it("lets the platform's own clients do anything", () => {
    // Prepare
    const policy = UNRESTRICTED_POLICY;
    // Act
    const results = [
      mayConnect(policy, "anything"),
      mayPublish(policy, "cmd/costa-brava/sensor-1/01JA"),
      maySubscribe(policy, "#"),
      maySubscribe(policy, "$SYS/#"),
      mayPublish(policy, "a/+"),
    ];
    // Assess
    expect(results).toEqual([true, true, true, true, false]);
  });
});

describe("iotPolicyDocument", () => {
  it("renders the same grammar with IoT policy variables", () => {
    // Prepare
    const scope = { partition: "aws", region: "eu-west-1", account: "123456789012" };
    const prefix = "arn:aws:iot:eu-west-1:123456789012";
    const thing = "${iot:Connection.Thing.ThingName}";
    const destination = "${iot:Connection.Thing.Attributes[destination]}";
    // Act
    const document = iotPolicyDocument(scope);
    // Assess
    expect(document).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "iot:Connect",
          Resource: `${prefix}:client/${thing}`,
          Condition: { Bool: { "iot:Connection.Thing.IsAttached": "true" } },
        },
        {
          Effect: "Allow",
          Action: "iot:Publish",
          Resource: [
            `${prefix}:topic/dt/${destination}/${thing}`,
            `${prefix}:topic/dt/${destination}/${thing}/*`,
            `${prefix}:topic/cmd/${destination}/${thing}/*/ack`,
          ],
        },
        {
          Effect: "Allow",
          Action: "iot:Subscribe",
          Resource: [
            `${prefix}:topicfilter/cmd/${destination}/${thing}`,
            `${prefix}:topicfilter/cmd/${destination}/${thing}/*`,
          ],
        },
        {
          Effect: "Allow",
          Action: "iot:Receive",
          Resource: [
            `${prefix}:topic/cmd/${destination}/${thing}`,
            `${prefix}:topic/cmd/${destination}/${thing}/*`,
          ],
        },
      ],
    });
  });
});
