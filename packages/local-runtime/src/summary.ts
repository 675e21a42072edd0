import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/** The machine-readable description of a running local platform, in `$SDP_DATA_DIR/runtime.json`. */
export const RuntimeSummary = z.object({
  api: z.string(),
  health: z.string(),
  mqtt: z.string(),
  dynamodb: z.string(),
  kinesis: z.string(),
  events: z.string(),
  issuer: z.string(),
  jwks: z.string(),
  stage: z.string(),
  region: z.string(),
  dataDir: z.string(),
  pid: z.number(),
  startedAt: z.string(),
  mqttService: z.object({ username: z.string(), password: z.string() }),
  demoTenant: z.string().optional(),
  adminToken: z.string().optional(),
  /** A registered device of the demo destination with its MQTT credentials, for a plain MQTT client. */
  demoDevice: z
    .object({
      deviceId: z.string(),
      entityId: z.string(),
      clientId: z.string(),
      username: z.string(),
      password: z.string(),
      telemetryTopic: z.string(),
      commandTopicFilter: z.string(),
      protocol: z.enum(["json", "ul2"]),
      samplePayload: z.string(),
    })
    .optional(),
});
export type RuntimeSummary = z.infer<typeof RuntimeSummary>;

export const RUNTIME_SUMMARY_FILE = "runtime.json";

export function writeRuntimeSummary(dataDir: string, summary: RuntimeSummary): string {
  const file = join(dataDir, RUNTIME_SUMMARY_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(summary, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return file;
}

export function readRuntimeSummary(dataDir: string): RuntimeSummary {
  return RuntimeSummary.parse(JSON.parse(readFileSync(join(dataDir, RUNTIME_SUMMARY_FILE), "utf8")));
}

export function removeRuntimeSummary(dataDir: string): void {
  rmSync(join(dataDir, RUNTIME_SUMMARY_FILE), { force: true });
}
