import { type DeviceRegistration, DeviceTopics, ProvisionedDevice } from "@sdp/contracts";
import type { z } from "zod";

/**
 * The demo destination's devices: people counters at its hotspots, beach occupancy, air quality, noise,
 * car parks and a queue monitor, in both payload formats. `sdp simulate` makes them talk.
 */
export type DemoDeviceKind = "crowd" | "beach" | "air" | "noise" | "parking" | "queue";

export interface DemoDevice {
  readonly kind: DemoDeviceKind;
  /** How busy the place is at its peak, 0..1, and what it holds (people, cars). */
  readonly popularity: number;
  readonly capacity: number;
  readonly registration: z.input<typeof DeviceRegistration>;
}

const point = (latitude: number, longitude: number) => ({
  type: "Point" as const,
  coordinates: [longitude, latitude] as [number, number],
});

const counter = (
  deviceId: string,
  name: string,
  latitude: number,
  longitude: number,
  popularity: number,
  capacity: number,
): DemoDevice => ({
  kind: "crowd",
  popularity,
  capacity,
  registration: {
    deviceId,
    protocol: "ul2",
    entityType: "CrowdFlowObserved",
    attributes: [
      { objectId: "c", name: "peopleCount", valueType: "integer", unitCode: "C62" },
      { objectId: "o", name: "occupancy", valueType: "number", unitCode: "P1" },
      { objectId: "b", name: "batteryLevel", valueType: "number", unitCode: "P1" },
    ],
    staticAttributes: [{ name: "name", value: name }],
    location: point(latitude, longitude),
    expectedIntervalSeconds: 300,
    description: `People counter at ${name}`,
  },
});

export const DEMO_FLEET: readonly DemoDevice[] = [
  counter("pc-plaza-mayor", "Plaza Mayor", 36.7213, -4.4214, 1, 900),
  counter("pc-paseo-maritimo", "Paseo Marítimo", 36.7182, -4.4123, 0.9, 1500),
  counter("pc-mercado", "Mercado Central", 36.7226, -4.4251, 0.7, 600),
  counter("pc-castillo", "Castillo de Villamar", 36.7232, -4.4158, 0.6, 400),
  ...[
    ["beach-levante", "Playa de Levante", 36.7161, -4.4079, 4000],
    ["beach-poniente", "Playa de Poniente", 36.7139, -4.4301, 2500],
  ].map(
    ([deviceId, name, latitude, longitude, capacity]): DemoDevice => ({
      kind: "beach",
      popularity: 1,
      capacity: Number(capacity),
      registration: {
        deviceId: String(deviceId),
        protocol: "json",
        entityType: "Beach",
        attributes: [
          { objectId: "people", name: "peopleOccupancy", valueType: "integer", unitCode: "C62" },
          { objectId: "rate", name: "occupationRate", valueType: "string" },
        ],
        staticAttributes: [{ name: "name", value: String(name) }],
        location: point(Number(latitude), Number(longitude)),
        expectedIntervalSeconds: 600,
      },
    }),
  ),
  ...[
    ["aq-centro", "Centro", 36.7201, -4.4203],
    ["aq-puerto", "Puerto", 36.7148, -4.4188],
  ].map(
    ([deviceId, name, latitude, longitude]): DemoDevice => ({
      kind: "air",
      popularity: 1,
      capacity: 0,
      registration: {
        deviceId: String(deviceId),
        protocol: "json",
        entityType: "AirQualityObserved",
        attributes: [
          { objectId: "pm10", name: "pm10", valueType: "number", unitCode: "GQ" },
          { objectId: "pm25", name: "pm25", valueType: "number", unitCode: "GQ" },
          { objectId: "no2", name: "no2", valueType: "number", unitCode: "GQ" },
          { objectId: "o3", name: "o3", valueType: "number", unitCode: "GQ" },
          { objectId: "aqi", name: "airQualityIndex", valueType: "integer" },
        ],
        staticAttributes: [{ name: "name", value: `Estación ${name}` }],
        location: point(Number(latitude), Number(longitude)),
        expectedIntervalSeconds: 900,
      },
    }),
  ),
  {
    kind: "noise",
    popularity: 0.8,
    capacity: 0,
    registration: {
      deviceId: "noise-puerto",
      protocol: "ul2",
      entityType: "NoiseLevelObserved",
      attributes: [
        { objectId: "laeq", name: "LAeq", valueType: "number", unitCode: "2N" },
        { objectId: "lamax", name: "LAmax", valueType: "number", unitCode: "2N" },
      ],
      location: point(36.7151, -4.4172),
      expectedIntervalSeconds: 600,
    },
  },
  ...[
    ["parking-mercado", "Parking Mercado", 36.7229, -4.4262, 320],
    ["parking-playa", "Parking Playa de Levante", 36.7168, -4.4092, 540],
  ].map(
    ([deviceId, name, latitude, longitude, capacity]): DemoDevice => ({
      kind: "parking",
      popularity: 0.9,
      capacity: Number(capacity),
      registration: {
        deviceId: String(deviceId),
        protocol: "json",
        entityType: "OffStreetParking",
        attributes: [
          { objectId: "free", name: "availableSpotNumber", valueType: "integer" },
          { objectId: "used", name: "occupiedSpotNumber", valueType: "integer" },
        ],
        staticAttributes: [
          { name: "name", value: String(name) },
          { name: "totalSpotNumber", value: Number(capacity) },
        ],
        location: point(Number(latitude), Number(longitude)),
        expectedIntervalSeconds: 300,
      },
    }),
  ),
  {
    kind: "queue",
    popularity: 0.7,
    capacity: 120,
    registration: {
      deviceId: "queue-castillo",
      protocol: "ul2",
      entityType: "QueueMonitor",
      attributes: [
        { objectId: "w", name: "ticketsToServe", valueType: "integer" },
        { objectId: "t", name: "lastTicketIssued", valueType: "integer" },
      ],
      staticAttributes: [{ name: "serviceName", value: "Visitas al Castillo" }],
      location: point(36.7233, -4.4157),
      expectedIntervalSeconds: 300,
    },
  },
];

/** The device whose credentials `runtime.json` carries, ready for a plain MQTT client. */
export const DEMO_DEVICE_ID = "pc-plaza-mayor";

export interface DemoDeviceSummary {
  readonly deviceId: string;
  readonly entityId: string;
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
  readonly telemetryTopic: string;
  readonly commandTopicFilter: string;
  readonly protocol: "json" | "ul2";
  readonly samplePayload: string;
}

/**
 * Registers the demo fleet through the public device API, as an operator would (existing devices are
 * kept), and gives the demo device fresh credentials for `runtime.json` (a password is shown only once,
 * so a restart replaces it).
 */
export async function seedDemoDevices(
  api: string,
  adminToken: string,
  tenant: string,
): Promise<DemoDeviceSummary> {
  const headers = {
    authorization: `Bearer ${adminToken}`,
    "content-type": "application/json",
    "NGSILD-Tenant": tenant,
  };
  let demo: ProvisionedDevice | undefined;
  for (const { registration } of DEMO_FLEET) {
    const response = await fetch(`${api}/ingest/devices`, {
      method: "POST",
      headers,
      body: JSON.stringify(registration),
    });
    if (response.status === 201 && registration.deviceId === DEMO_DEVICE_ID)
      demo = ProvisionedDevice.parse(await response.json());
    else if (response.status !== 201 && response.status !== 409) {
      throw new Error(
        `could not register demo device ${registration.deviceId}: HTTP ${response.status} ${await response.text()}`,
      );
    } else await response.body?.cancel();
  }
  if (!demo) {
    const response = await fetch(`${api}/ingest/devices/${DEMO_DEVICE_ID}/credentials`, {
      method: "POST",
      headers,
    });
    if (response.status !== 201)
      throw new Error(`could not renew the demo device's credentials: HTTP ${response.status}`);
    demo = ProvisionedDevice.parse(await response.json());
  }
  const { device, credentials } = demo;
  if (credentials.kind !== "password") throw new Error("the local broker should issue password credentials");
  return {
    deviceId: device.deviceId,
    entityId: device.entityId,
    clientId: credentials.clientId,
    username: credentials.username,
    password: credentials.password,
    telemetryTopic: device.telemetryTopic,
    commandTopicFilter: DeviceTopics.commandFilter(tenant, device.thingName),
    protocol: device.protocol,
    samplePayload: "c|42|o|0.35|b|0.97",
  };
}
