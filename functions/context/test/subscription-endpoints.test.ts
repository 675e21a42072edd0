import { describe, expect, it } from "vitest";
import {
  checkEndpointInfo,
  classifyAddress,
  classifyHost,
  type EndpointTarget,
  parseEndpointUri,
} from "../src/subscriptions/endpoint";

const TENANT = "villamar";

describe("notification endpoint URIs", () => {
  it.each([
    "http://receiver.example.org/notify",
    "https://receiver.example.org:8443/ngsi/notify?source=sdp",
    "https://93.184.216.34/notify",
    "mqtt://broker.example.org:1883/notifications/villamar",
    "mqtts://broker.example.org/notifications/villamar/beaches/alerts",
  ])("accepts %s", (uri) => {
    // Act
    const result = parseEndpointUri(uri, TENANT, "public-only");
    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it.each([
    ["ftp://receiver.example.org/notify", /scheme ftp/],
    ["notify", /not an absolute URI/],
    ["http://169.254.169.254/latest/meta-data/", /link-local, metadata/],
    ["http://2852039166/latest/meta-data/", /link-local, metadata/],
    ["http://0xa9.0xfe.0xa9.0xfe/", /link-local, metadata/],
    ["http://[fd00:ec2::254]/latest/meta-data/", /link-local, metadata/],
    ["http://[::ffff:169.254.169.254]/", /link-local, metadata/],
    ["http://[fe80::1]/", /link-local, metadata/],
    ["http://metadata.google.internal/computeMetadata/v1/", /link-local, metadata/],
    ["http://0.0.0.0:8080/", /link-local, metadata/],
    ["http://224.0.0.1/", /multicast/],
    ["http://user:secret@receiver.example.org/", /credentials/],
    ["http://127.0.0.1:9001/2018-06-01/runtime/invocation/next", /loopback or private/],
    ["http://localhost:8080/", /loopback or private/],
    ["http://10.1.2.3/", /loopback or private/],
    ["http://[::1]/", /loopback or private/],
  ])("refuses %s when only public addresses are allowed", (uri, reason) => {
    // Act
    const result = parseEndpointUri(uri, TENANT, "public-only");
    // Assess
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.reasons.join("; ")).toMatch(reason);
  });

  it("accepts loopback receivers where the deployment allows private networks, never metadata", () => {
    // Act
    const loopback = parseEndpointUri("http://127.0.0.1:4100/notify", TENANT, "private-allowed");
    const metadata = parseEndpointUri("http://169.254.169.254/", TENANT, "private-allowed");
    // Assess
    expect(loopback.ok).toBe(true);
    expect(metadata.ok).toBe(false);
  });

  it.each([
    ["mqtt://broker.example.org/dt/villamar/thing-1", /notifications\/villamar/],
    ["mqtt://broker.example.org/notifications/otherplace/x", /notifications\/villamar/],
    ["mqtt://broker.example.org/notifications/villamar/%23", /\+, #/],
    ["mqtt://broker.example.org/notifications/villamar/a/b/c/d/e/f/g", /slashes/],
    ["mqtt://broker.example.org/notifications/villamar//x", /empty levels/],
  ])("keeps MQTT notifications under the destination's topic: %s", (uri, reason) => {
    // Act
    const result = parseEndpointUri(uri, TENANT, "public-only");
    // Assess
    expect(result.ok ? "" : result.reasons.join("; ")).toMatch(reason);
  });

  it("reads host, port and topic of an MQTT endpoint", () => {
    // Act
    const result = parseEndpointUri(
      "mqtt://127.0.0.1:18830/notifications/villamar/beaches",
      TENANT,
      "private-allowed",
    );
    // Assess
    expect(result).toEqual({
      ok: true,
      target: {
        kind: "mqtt",
        secure: false,
        host: "127.0.0.1",
        port: 18830,
        topic: "notifications/villamar/beaches",
      },
    });
  });
});

describe("address classes", () => {
  it.each([
    ["8.8.8.8", "public"],
    ["127.0.0.1", "private"],
    ["172.20.0.1", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["100.100.100.200", "forbidden"],
    ["169.254.0.1", "forbidden"],
    ["255.255.255.255", "forbidden"],
    ["2001:4860:4860::8888", "public"],
    ["::1", "private"],
    ["fc00::1", "private"],
    ["::", "forbidden"],
    ["ff02::1", "forbidden"],
    ["64:ff9b::a9fe:a9fe", "forbidden"],
    ["::ffff:10.0.0.1", "private"],
  ])("%s is %s", (address, expected) => {
    // Assess
    expect(classifyAddress(address)).toBe(expected);
  });

  it("knows names only for localhost and metadata services", () => {
    // Assess
    expect(classifyHost("receiver.example.org")).toBe("public");
    expect(classifyHost("api.localhost")).toBe("private");
    expect(classifyHost("INSTANCE-DATA.")).toBe("forbidden");
    expect(classifyAddress("receiver.example.org")).toBeUndefined();
  });
});

describe("receiverInfo and notifierInfo", () => {
  const http: EndpointTarget = { kind: "http", url: new URL("https://receiver.example.org/") };
  const mqtt: EndpointTarget = {
    kind: "mqtt",
    secure: false,
    host: "b",
    port: 1883,
    topic: "notifications/villamar",
  };

  it("takes receiverInfo as headers, refusing those the broker sets and header injection", () => {
    // Act
    const { problems } = checkEndpointInfo(
      http,
      [
        { key: "X-Api-Key", value: "k" },
        { key: "Content-Type", value: "text/plain" },
        { key: "Bad Header", value: "v" },
        { key: "X-Other", value: "a\r\nInjected: yes" },
      ],
      [],
      "endpoint",
    );
    // Assess
    expect(problems.map((p) => p.field)).toEqual([
      "endpoint.receiverInfo.1.key",
      "endpoint.receiverInfo.2.key",
      "endpoint.receiverInfo.3.value",
    ]);
  });

  it("reads MQTT-QoS and MQTT-Version for MQTT endpoints only", () => {
    // Act
    const ok = checkEndpointInfo(
      mqtt,
      [],
      [
        { key: "MQTT-QoS", value: "1" },
        { key: "MQTT-Version", value: "mqtt3.1.1" },
      ],
      "e",
    );
    const bad = checkEndpointInfo(
      mqtt,
      [],
      [
        { key: "MQTT-QoS", value: "2" },
        { key: "MQTT-Version", value: "mqtt5.0" },
      ],
      "e",
    );
    const onHttp = checkEndpointInfo(http, [], [{ key: "MQTT-QoS", value: "1" }], "e");
    // Assess
    expect(ok).toEqual({ problems: [], mqtt: { qos: 1 } });
    expect(bad.problems).toHaveLength(2);
    expect(onHttp.problems[0]?.reason).toMatch(/HTTP endpoint takes no notifierInfo/);
  });
});
