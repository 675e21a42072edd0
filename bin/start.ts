import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PLATFORM_ADMIN_GROUP, TokenClaims } from "@sdp/contracts";
import {
  removeRuntimeSummary,
  seedDemoDevices,
  seedDemoTenant,
  startLocalRuntime,
  writeRuntimeSummary,
} from "@sdp/local-runtime";
import { serviceManifests } from "../functions/registry";

/** `npm start`: the whole platform on this machine, with the demo destination. */
const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const dataDir = resolve(process.env.SDP_DATA_DIR ?? resolve(root, ".sdp-data"));
process.env.SDP_LOG_LEVEL ??= "warn";
// Known and documented (docs/decisions.md): the code runs on Node 20 and 22; the warning is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const started = Date.now();
process.stderr.write(`Starting the Smart Destination Platform (data in ${dataDir})\n`);

// A summary left by a killed run would describe a platform that is gone.
removeRuntimeSummary(dataDir);
const runtime = await startLocalRuntime({ manifests: serviceManifests, root, dataDir });
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  // A socket or timer of a component being stopped can still raise; like a component that fails to
  // stop (runtime.stop logs and goes on), it is reported and the stop completes rather than ending
  // the process half-way with no word of why.
  const report = (error: unknown) =>
    process.stderr.write(
      `while stopping: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  process.on("uncaughtException", report);
  process.on("unhandledRejection", report);
  process.stderr.write(`\n${signal}: stopping…\n`);
  removeRuntimeSummary(dataDir);
  await runtime.stop();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

try {
  const adminToken = await runtime.signToken(
    { [TokenClaims.groups]: [PLATFORM_ADMIN_GROUP] },
    "bootstrap-admin",
    7 * 24 * 3600,
  );
  const demoTenant = await seedDemoTenant(runtime.summary.api, adminToken);
  const demoDevice = await seedDemoDevices(runtime.summary.api, adminToken, demoTenant);
  const summary = { ...runtime.summary, demoTenant, adminToken, demoDevice };
  const file = writeRuntimeSummary(dataDir, summary);
  process.stdout.write(
    [
      "",
      `Smart Destination Platform is up in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      `  API            ${summary.api}`,
      `  health         ${summary.health}`,
      `  MQTT           ${summary.mqtt}`,
      `  DynamoDB       ${summary.dynamodb}`,
      `  Kinesis        ${summary.kinesis}`,
      `  demo tenant    ${demoTenant}`,
      `  demo device    ${demoDevice.clientId} on ${demoDevice.telemetryTopic} (credentials in the summary)`,
      `  admin token    (bootstrap platform admin, valid 7 days)`,
      `    ${adminToken}`,
      `  summary        ${file}`,
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
} catch (error) {
  process.stderr.write(`start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  await runtime.stop();
  process.exit(1);
}
