import { ContextUpdate, DeviceRegistration } from "@sdp/contracts";
import { describe, expect, it } from "vitest";
import { deviceFrom } from "../src/domain/devices";
import { mapMeasureGroup, toContextUpdate } from "../src/domain/mapping";
import { decodeJson, decodeUltraLight, PayloadError } from "../src/domain/payloads";

const uniqueId = () => `dev-${crypto.randomUUID().slice(0, 8)}`;
const receivedAt = new Date("2024-07-01T10:00:30.000Z");

function device(overrides: Record<string, unknown> = {}) {
  const registration = DeviceRegistration.parse({
    deviceId: uniqueId(),
    protocol: "ul2",
    entityType: "CrowdFlowObserved",
    attributes: [
      { objectId: "c", name: "peopleCount", valueType: "integer", unitCode: "C62" },
      { objectId: "b", name: "batteryLevel", unitCode: "P1" },
      { objectId: "g", name: "location", type: "GeoProperty" },
      { objectId: "r", name: "refPointOfInterest", type: "Relationship" },
    ],
    staticAttributes: [{ name: "name", value: "Plaza Mayor" }],
    location: { type: "Point", coordinates: [-4.42, 36.72] },
    ...overrides,
  });
  return deviceFrom("villamar", registration, "2024-07-01T09:00:00.000Z");
}

const record = (thing: string, sequenceNumber = "1") => ({
  tenant: "villamar",
  thing,
  sequenceNumber,
  receivedAt,
});

describe("the attribute mapping", () => {
  it("turns object ids into typed NGSI-LD attributes with observedAt and unitCode", () => {
    // Prepare
    const subject = device();
    const [group] = decodeUltraLight(
      "2024-07-01T10:00:00Z|c|42|b|0.87|g|36.7213,-4.4217|r|urn:ngsi-ld:PointOfInterest:plaza",
    );
    if (!group) throw new Error("no group");
    // Act
    const observation = mapMeasureGroup(subject, group, receivedAt);
    // Assess
    const observedAt = "2024-07-01T10:00:00.000Z";
    expect(observation).toEqual({
      observedAt,
      observedAtSource: "device",
      battery: 0.87,
      attributes: {
        peopleCount: { type: "Property", value: 42, observedAt, unitCode: "C62" },
        batteryLevel: { type: "Property", value: 0.87, observedAt, unitCode: "P1" },
        location: {
          type: "GeoProperty",
          value: { type: "Point", coordinates: [-4.4217, 36.7213] },
          observedAt,
        },
        refPointOfInterest: { type: "Relationship", object: "urn:ngsi-ld:PointOfInterest:plaza", observedAt },
      },
    });
  });

  it("stamps measurements without a timestamp with the platform's arrival time", () => {
    // Prepare
    const [group] = decodeUltraLight("c|7");
    if (!group) throw new Error("no group");
    // Act
    const observation = mapMeasureGroup(device(), group, receivedAt);
    // Assess
    expect(observation.observedAt).toBe(receivedAt.toISOString());
    expect(observation.observedAtSource).toBe("platform");
  });

  it("passes unmapped object ids through under their own name, unless the device is explicit", () => {
    // Prepare
    const [group] = decodeJson('{"c": 3, "temperature": 21.5}');
    if (!group) throw new Error("no group");
    // Act
    const open = mapMeasureGroup(device({ protocol: "json" }), group, receivedAt);
    const explicit = mapMeasureGroup(
      device({ protocol: "json", explicitAttributes: true }),
      group,
      receivedAt,
    );
    // Assess
    expect(Object.keys(open.attributes).sort()).toEqual(["peopleCount", "temperature"]);
    expect(Object.keys(explicit.attributes)).toEqual(["peopleCount"]);
  });

  it.each([
    ["a count that is not an integer", "c|4.5"],
    ["a location that is not latitude,longitude", "g|somewhere"],
    ["a location out of range", "g|95,10"],
    ["a relationship that is not an entity id", "r|plaza"],
    ["an unmapped id that is no attribute name", "2x|1"],
    ["a timestamp an hour ahead", "2024-07-01T11:00:31Z|c|1"],
  ])("refuses %s", (_label, payload) => {
    // Prepare
    const [group] = decodeUltraLight(payload);
    if (!group) throw new Error("no group");
    // Act
    const attempt = () => mapMeasureGroup(device(), group, receivedAt);
    // Assess
    expect(attempt).toThrow(PayloadError);
  });

  it("refuses a group with nothing mapped on an explicit device", () => {
    // Prepare
    const [group] = decodeUltraLight("x|1");
    if (!group) throw new Error("no group");
    // Act
    const attempt = () => mapMeasureGroup(device({ explicitAttributes: true }), group, receivedAt);
    // Assess
    expect(attempt).toThrow(/no mapped attribute/);
  });
});

describe("context updates", () => {
  it("are valid ContextUpdates carrying static attributes and the device's location", () => {
    // Prepare
    const subject = device();
    const [group] = decodeUltraLight("2024-07-01T10:00:00Z|c|42");
    if (!group) throw new Error("no group");
    // Act
    const update = toContextUpdate(
      subject,
      group,
      0,
      mapMeasureGroup(subject, group, receivedAt),
      record(subject.thingName),
    );
    // Assess
    expect(ContextUpdate.parse(update)).toEqual(update);
    expect(update).toMatchObject({
      tenant: "villamar",
      entityId: `urn:ngsi-ld:CrowdFlowObserved:${subject.deviceId}`,
      entityType: "CrowdFlowObserved",
      staticAttributes: {
        name: { type: "Property", value: "Plaza Mayor" },
        location: { type: "GeoProperty", value: { type: "Point", coordinates: [-4.42, 36.72] } },
      },
      source: {
        deviceId: subject.deviceId,
        thing: `villamar_${subject.deviceId}`,
        observedAtSource: "device",
      },
    });
  });

  it("get the same updateId for the same device-stamped measurement on any record, another for other content", () => {
    // Prepare
    const subject = device();
    const update = (payload: string, sequenceNumber: string) => {
      const [group] = decodeUltraLight(payload);
      if (!group) throw new Error("no group");
      return toContextUpdate(
        subject,
        group,
        0,
        mapMeasureGroup(subject, group, receivedAt),
        record(subject.thingName, sequenceNumber),
      ).updateId;
    };
    // Act
    const first = update("2024-07-01T10:00:00Z|c|42", "100");
    const resent = update("2024-07-01T10:00:00Z|c|42", "200");
    const other = update("2024-07-01T10:00:00Z|c|43", "100");
    // Assess
    expect(resent).toBe(first);
    expect(other).not.toBe(first);
  });

  it("get their updateId from the stream record when the device sent no timestamp", () => {
    // Prepare
    const subject = device();
    const [group] = decodeUltraLight("c|42");
    if (!group) throw new Error("no group");
    const observation = mapMeasureGroup(subject, group, receivedAt);
    // Act
    const redelivered = [
      toContextUpdate(subject, group, 0, observation, record(subject.thingName, "100")).updateId,
      toContextUpdate(subject, group, 0, observation, record(subject.thingName, "100")).updateId,
    ];
    const another = toContextUpdate(
      subject,
      group,
      0,
      observation,
      record(subject.thingName, "101"),
    ).updateId;
    // Assess
    expect(redelivered[0]).toBe(redelivered[1]);
    expect(another).not.toBe(redelivered[0]);
  });
});

describe("device registrations", () => {
  it("default the entity id to urn:ngsi-ld:<Type>:<deviceId> and derive the thing name and topics", () => {
    // Prepare
    const deviceId = uniqueId();
    // Act
    const subject = deviceFrom(
      "villamar",
      DeviceRegistration.parse({ deviceId, protocol: "json", entityType: "OffStreetParking" }),
      "2024-07-01T09:00:00.000Z",
    );
    // Assess
    expect(subject).toMatchObject({
      entityId: `urn:ngsi-ld:OffStreetParking:${deviceId}`,
      thingName: `villamar_${deviceId}`,
      telemetryTopic: `dt/villamar/villamar_${deviceId}`,
      commandTopicPrefix: `cmd/villamar/villamar_${deviceId}`,
      expectedIntervalSeconds: 900,
    });
  });

  it.each([
    ["an entity id of another type", { entityId: "urn:ngsi-ld:Beach:x" }, "entityId"],
    [
      "a repeated object id",
      {
        attributes: [
          { objectId: "c", name: "a" },
          { objectId: "c", name: "b" },
        ],
      },
      "attributes",
    ],
    ["a reserved attribute name", { attributes: [{ objectId: "c", name: "type" }] }, "attributes"],
    ["a device id with a slash", { deviceId: "a/b" }, "deviceId"],
    ["an unknown protocol", { protocol: "lwm2m" }, "protocol"],
    ["an unknown field", { owner: "me" }, ""],
  ])("refuse %s", (_label, change, field) => {
    // Act
    const result = DeviceRegistration.safeParse({
      deviceId: uniqueId(),
      protocol: "ul2",
      entityType: "CrowdFlowObserved",
      ...change,
    });
    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => String(issue.path[0] ?? ""))).toContain(field);
  });
});
