import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ProvisionedDevice } from "@sdp/contracts";
import {
  DEMO_FLEET,
  DEMO_TENANT,
  type DemoDevice,
  type RuntimeSummary,
  readRuntimeSummary,
} from "@sdp/local-runtime";
import mqtt, { type MqttClient } from "mqtt";
import { z } from "zod";

const MeasurementsAnswer = z.object({ accepted: z.number() });

/**
 * `sdp simulate`: the demo destination's devices come alive. Each device connects to the MQTT broker with
 * its own identity and publishes realistic readings (QoS 1) — crowds with daily and weekend cycles at the
 * hotspots, beach occupancy, air quality, noise, car parks, queues — while an HTTP feeder sends the car
 * parks' readings the way a legacy parking system would. Bounded in time or in messages.
 */
export const SIMULATE_USAGE = `  simulate [--devices N] [--duration SECONDS] [--messages N] [--interval SECONDS] [--speed X] [--no-http]
                                 run the demo destination's devices (MQTT) and an HTTP feeder
                                 (--speed 60: a simulated minute per second, ending now;
                                 the feeder uses SDP_API_KEY if set, else the admin token)`;

const NGSILD_TENANT = "NGSILD-Tenant";

const localTime = new Intl.DateTimeFormat("en-GB", {
  timeZone: DEMO_TENANT.timeZone,
  weekday: "short",
  hour: "numeric",
  minute: "numeric",
  hourCycle: "h23",
});

/** 0..1: how busy a place is at this hour of this day (in the destination's time zone). */
function activity(kind: DemoDevice["kind"], at: Date): number {
  const parts = Object.fromEntries(localTime.formatToParts(at).map((part) => [part.type, part.value]));
  const hour = Number(parts.hour) + Number(parts.minute) / 60;
  const weekend = parts.weekday === "Sat" || parts.weekday === "Sun";
  const bump = (centre: number, width: number) => Math.exp(-((hour - centre) ** 2) / (2 * width ** 2));
  switch (kind) {
    case "crowd":
      // Morning stroll, lunch and the evening paseo; weekends busier.
      return Math.min(1, (0.15 + 0.45 * bump(12.5, 2) + 0.6 * bump(20.5, 2.2)) * (weekend ? 1.35 : 1));
    case "beach":
      return Math.min(1, bump(16, 2.8) * (weekend ? 1 : 0.65));
    case "parking":
      return Math.min(1, (0.2 + 0.7 * bump(13, 3.5) + 0.4 * bump(21, 1.5)) * (weekend ? 1.15 : 1));
    case "queue":
      return hour < 10 || hour > 19 ? 0 : bump(12, 2.2) * (weekend ? 1.3 : 0.8);
    case "noise":
      return Math.min(1, 0.2 + 0.5 * bump(13, 3) + 0.7 * bump(22.5, 1.8) * (weekend ? 1.3 : 0.9));
    case "air":
      // Traffic: morning and evening rush.
      return Math.min(1, 0.25 + 0.6 * bump(8.5, 1.2) + 0.5 * bump(19, 1.5));
  }
}

const jitter = (amount: number) => (Math.random() * 2 - 1) * amount;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

interface SimulatedDevice {
  readonly demo: DemoDevice;
  readonly thingName: string;
  readonly topic: string;
  readonly username: string;
  readonly password: string;
  battery: number;
  tickets: number;
}

/** One reading of a device at a (simulated) time, in its protocol. */
function reading(device: SimulatedDevice, at: Date): string {
  const { demo } = device;
  const level = Math.max(0, Math.min(1, activity(demo.kind, at) * demo.popularity + jitter(0.05)));
  const timestamp = at.toISOString();
  device.battery = Math.max(0.05, device.battery - Math.random() * 0.0005);
  switch (demo.kind) {
    case "crowd": {
      const people = Math.round(level * demo.capacity);
      return `${timestamp}|c|${people}|o|${round(level, 2)}|b|${round(device.battery, 3)}`;
    }
    case "beach": {
      const people = Math.round(level * demo.capacity);
      const rate = level > 0.75 ? "high" : level > 0.4 ? "medium" : level > 0.05 ? "low" : "none";
      return JSON.stringify({ people, rate, TimeInstant: timestamp });
    }
    case "air": {
      const no2 = round(15 + 70 * level + jitter(4));
      const pm10 = round(12 + 30 * level + jitter(3));
      const pm25 = round(pm10 * 0.55);
      const o3 = round(40 + 50 * activity("beach", at) + jitter(5));
      const aqi = Math.round(Math.max(no2 / 2, pm10, o3 / 1.2));
      return JSON.stringify({ pm10, pm25, no2, o3, aqi, TimeInstant: timestamp });
    }
    case "noise": {
      const laeq = round(42 + 30 * level + jitter(2));
      return `${timestamp}|laeq|${laeq}|lamax|${round(laeq + 8 + Math.random() * 12)}`;
    }
    case "parking": {
      const used = Math.min(demo.capacity, Math.round(level * demo.capacity));
      return JSON.stringify({ free: demo.capacity - used, used, TimeInstant: timestamp });
    }
    case "queue": {
      const waiting = Math.round(level * demo.capacity);
      device.tickets += Math.round(Math.random() * 3 * level);
      return `${timestamp}|w|${waiting}|t|${device.tickets}`;
    }
  }
}

async function api(summary: RuntimeSummary, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${summary.api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      [NGSILD_TENANT]: summary.demoTenant ?? "",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json: unknown = await response.json().catch(() => undefined);
  return { status: response.status, json };
}

/** Credentials of each simulated device: the demo device's from runtime.json, the others' renewed. */
async function identities(
  summary: RuntimeSummary,
  token: string,
  fleet: readonly DemoDevice[],
): Promise<SimulatedDevice[]> {
  const tenant = summary.demoTenant ?? "villamar";
  const devices: SimulatedDevice[] = [];
  for (const demo of fleet) {
    const deviceId = demo.registration.deviceId;
    if (summary.demoDevice && summary.demoDevice.deviceId === deviceId) {
      const { username, password, telemetryTopic } = summary.demoDevice;
      devices.push({
        demo,
        thingName: username,
        topic: telemetryTopic,
        username,
        password,
        battery: 0.97,
        tickets: 0,
      });
      continue;
    }
    const renewed = await api(summary, token, "POST", `/ingest/devices/${deviceId}/credentials`);
    const provisioned = ProvisionedDevice.safeParse(renewed.json);
    if (renewed.status !== 201 || !provisioned.success || provisioned.data.credentials.kind !== "password") {
      throw new Error(`could not get credentials for ${deviceId} in ${tenant}: HTTP ${renewed.status}`);
    }
    const { device, credentials } = provisioned.data;
    devices.push({
      demo,
      thingName: device.thingName,
      topic: device.telemetryTopic,
      username: credentials.username,
      password: credentials.password,
      battery: 0.8 + Math.random() * 0.2,
      tickets: 0,
    });
  }
  return devices;
}

function connect(url: string, device: SimulatedDevice): Promise<MqttClient> {
  return new Promise((resolvePromise, reject) => {
    const client = mqtt.connect(url, {
      protocolVersion: 4,
      clientId: device.thingName,
      username: device.username,
      password: device.password,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
    });
    client.once("connect", () => resolvePromise(client));
    client.once("error", (error) => {
      client.end(true);
      reject(error);
    });
  });
}

export interface SimulationResult {
  published: number;
  acknowledged: number;
  failed: number;
  httpAccepted: number;
  httpRejected: number;
}

/** `sdp simulate ...`; returns the exit code. */
export async function runSimulate(
  argv: readonly string[],
  write: (text: string) => void = (text) => process.stderr.write(text),
) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      devices: { type: "string" },
      duration: { type: "string" },
      messages: { type: "string" },
      interval: { type: "string" },
      speed: { type: "string" },
      "no-http": { type: "boolean" },
    },
    strict: true,
  });
  const number = (value: string | undefined, fallback: number, name: string) => {
    const parsed = value === undefined ? fallback : Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number`);
    return parsed;
  };
  const durationMs = number(values.duration, 30, "duration") * 1000;
  const maxMessages =
    values.messages === undefined ? Number.POSITIVE_INFINITY : number(values.messages, 1, "messages");
  const intervalMs = number(values.interval, 1, "interval") * 1000;
  const speed = number(values.speed, 1, "speed");
  const dataDir = resolve(process.env.SDP_DATA_DIR ?? ".sdp-data");
  const summary = readRuntimeSummary(dataDir);
  const token = process.env.SDP_TOKEN ?? summary.adminToken;
  if (!token) throw new Error("no admin token: set SDP_TOKEN");
  const count = Math.min(DEMO_FLEET.length, number(values.devices, DEMO_FLEET.length, "devices"));
  // The demo device first, so that even `--devices 1` shows the one runtime.json describes.
  const fleet = [...DEMO_FLEET]
    .sort(
      (a, b) =>
        Number(b.registration.deviceId === summary.demoDevice?.deviceId) -
        Number(a.registration.deviceId === summary.demoDevice?.deviceId),
    )
    .slice(0, count);
  const http = !values["no-http"];
  // The car parks report through their operator's system over HTTP, the rest over MQTT.
  const viaHttp = http ? fleet.filter((demo) => demo.kind === "parking") : [];
  const viaMqtt = fleet.filter((demo) => !viaHttp.includes(demo));

  write(
    `Simulating ${fleet.length} device(s) of ${summary.demoTenant ?? "?"}: ${viaMqtt.length} over MQTT, ${viaHttp.length} over HTTP\n`,
  );
  const devices = await identities(summary, token, viaMqtt);
  const clients = await Promise.all(devices.map((device) => connect(summary.mqtt, device)));
  const feederToken = process.env.SDP_API_KEY ?? token;
  const httpDevices = viaHttp.map((demo) => ({
    demo,
    thingName: "",
    topic: "",
    username: "",
    password: "",
    battery: 1,
    tickets: 0,
  }));

  const started = Date.now();
  // With --speed, simulated time runs faster and ends now, so device timestamps are never in the future.
  const simulatedStart = started - durationMs * (speed - 1);
  const simulatedNow = () => new Date(simulatedStart + (Date.now() - started) * speed);
  const result: SimulationResult = {
    published: 0,
    acknowledged: 0,
    failed: 0,
    httpAccepted: 0,
    httpRejected: 0,
  };
  const inFlight = new Set<Promise<unknown>>();
  const track = (promise: Promise<unknown>) => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
  };
  const interactive = process.stderr.isTTY === true;
  let lastPrinted = 0;
  const progress = (final = false) => {
    const elapsed = ((Date.now() - started) / 1000).toFixed(0).padStart(3);
    const line = `  ${elapsed}s  sim ${simulatedNow().toISOString().slice(0, 16)}Z  mqtt sent ${result.published} acked ${result.acknowledged} failed ${result.failed}  http accepted ${result.httpAccepted} refused ${result.httpRejected}`;
    if (interactive) write(`\r${line}${final ? "\n" : ""}`);
    else if (final || Date.now() - lastPrinted > 5000) {
      write(`${line}\n`);
      lastPrinted = Date.now();
    }
  };

  const done = () =>
    Date.now() - started >= durationMs ||
    result.published + result.httpAccepted + result.httpRejected >= maxMessages;
  while (!done()) {
    const at = simulatedNow();
    for (const [index, device] of devices.entries()) {
      if (done()) break;
      const client = clients[index];
      if (!client) continue;
      result.published += 1;
      track(
        client.publishAsync(device.topic, reading(device, at), { qos: 1 }).then(
          () => {
            result.acknowledged += 1;
          },
          () => {
            result.failed += 1;
          },
        ),
      );
    }
    if (httpDevices.length > 0 && !done()) {
      const measurements = httpDevices.map((device) => {
        const payload: unknown = JSON.parse(reading(device, at));
        return { deviceId: device.demo.registration.deviceId, payload };
      });
      track(
        fetch(`${summary.api}/ingest/measurements`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${feederToken}`,
            [NGSILD_TENANT]: summary.demoTenant ?? "",
            "content-type": "application/json",
          },
          body: JSON.stringify({ measurements }),
        }).then(async (response) => {
          const answer = MeasurementsAnswer.safeParse(await response.json().catch(() => undefined));
          const accepted = answer.success ? answer.data.accepted : 0;
          result.httpAccepted += accepted;
          result.httpRejected += measurements.length - accepted;
        }),
      );
    }
    progress();
    await new Promise((resolveSleep) => setTimeout(resolveSleep, intervalMs));
  }
  await Promise.allSettled([...inFlight]);
  progress(true);
  await Promise.all(clients.map((client) => client.endAsync()));
  write(
    `Done: ${result.acknowledged}/${result.published} MQTT messages acknowledged, ${result.httpAccepted} HTTP measurements accepted. ` +
      "See GET /ingest/health and the context-updates stream.\n",
  );
  return result.failed > 0 || result.httpRejected > 0 ? 1 : 0;
}
