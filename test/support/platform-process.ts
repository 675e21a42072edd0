import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type RuntimeSummary, readRuntimeSummary } from "../../packages/local-runtime/src/summary";

const root = resolve(import.meta.dirname, "../..");

export interface PlatformProcess {
  readonly child: ChildProcess;
  readonly summary: RuntimeSummary;
  readonly dataDir: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export const newDataDir = () => mkdtempSync(join(tmpdir(), "sdp-e2e-"));

/**
 * Runs the README's start command (`npm start`: `node --import tsx bin/start.ts`) as a separate
 * process on free ports, and waits for its runtime.json, exactly as a script or a person would.
 */
export async function startPlatform(dataDir: string, timeoutMs = 90_000): Promise<PlatformProcess> {
  const child = spawn(
    process.execPath,
    // tsx as a loader, not its CLI: the CLI relays signals and SIGKILLs a child that has not answered
    // within 60 ms, which a busy platform cannot promise; its graceful stop would be lost.
    ["--import", "tsx", join(root, "bin/start.ts")],
    {
      cwd: root,
      env: { ...process.env, SDP_DATA_DIR: dataDir, SDP_PORTS: "auto", SDP_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  const deadline = Date.now() + timeoutMs;
  const summaryFile = join(dataDir, "runtime.json");
  while (!existsSync(summaryFile)) {
    if (child.exitCode !== null) throw new Error(`the platform exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the platform was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    summary: readRuntimeSummary(dataDir),
    dataDir,
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
