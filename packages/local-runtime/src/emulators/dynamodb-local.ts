import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { errorFields, log } from "@sdp/kernel";
import { waitForPort } from "../net";

export interface DynamoDbLocalOptions {
  readonly port: number;
  readonly host?: string;
  /** Directory for the database file; omitted: in memory (tests). */
  readonly dataDir?: string;
}

export interface RunningDynamoDbLocal {
  readonly endpoint: string;
  readonly process: ChildProcess;
  /** The indexes on DynamoDB Local's stream-record table after start; none in memory or without a JDK. */
  readonly streamRecordIndexes: readonly string[];
  stop(): Promise<void>;
}

/** The file DynamoDB Local keeps every table in, under `-sharedDb`. */
const SHARED_DATABASE_FILE = "shared-local-instance.db";
const STREAM_RECORD_INDEXES_SOURCE = fileURLToPath(
  new URL("../../java/StreamRecordIndexes.java", import.meta.url),
);

/** The DynamoDB Local jar shipped inside the `amplify-dynamodb-simulator` npm package. */
export function dynamoDbLocalJar(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve("amplify-dynamodb-simulator/package.json");
  return join(dirname(packageJson), "emulator", "DynamoDBLocal.jar");
}

export class JavaMissingError extends Error {
  constructor(cause?: unknown) {
    super(
      "DynamoDB Local needs a Java runtime (17 or newer) on PATH. Install one, e.g. `apt-get install openjdk-17-jdk-headless`, then start again.",
      { cause },
    );
    this.name = "JavaMissingError";
  }
}

export function assertJavaAvailable(): void {
  const result = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (result.error || result.status !== 0) throw new JavaMissingError(result.error);
}

/** Starts DynamoDB Local (the AWS jar) as a child process and waits until it accepts connections. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<RunningDynamoDbLocal> {
  assertJavaAvailable();
  const host = options.host ?? "127.0.0.1";
  const jar = dynamoDbLocalJar();
  const storage = options.dataDir ? ["-dbPath", options.dataDir] : ["-inMemory"];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // The JVM is started through a small shell guard that ends it when our stdin closes, so a runtime
  // killed with SIGKILL does not leave an orphaned DynamoDB Local holding the port and the data files.
  // It also records the JVM's pid next to the data, so a quick restart waits for the old one to go.
  const guard =
    'exec 3<&0; java "$@" </dev/null & jvm=$!; [ -n "$SDP_JVM_PID_FILE" ] && echo $jvm > "$SDP_JVM_PID_FILE"; trap \'kill $jvm 2>/dev/null\' TERM INT; (cat <&3 >/dev/null; kill $jvm 2>/dev/null) & wait $jvm';
  const pidFile = options.dataDir ? join(options.dataDir, "jvm.pid") : undefined;
  if (pidFile) await awaitPreviousJvm(pidFile);
  const child = spawn(
    "sh",
    [
      "-c",
      guard,
      "dynamodb-local",
      "-Xmx1g",
      `-Djava.library.path=${join(dirname(jar), "DynamoDBLocal_lib")}`,
      "-jar",
      jar,
      "-sharedDb",
      ...storage,
      "-port",
      String(options.port),
    ],
    {
      stdio: ["pipe", "pipe", "pipe"],
      cwd: dirname(jar),
      env: { ...process.env, SDP_JVM_PID_FILE: pidFile ?? "" },
    },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    if (output.length < 10_000) output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<never>((_, reject) => {
    child.once("exit", (code) =>
      reject(new Error(`DynamoDB Local exited with code ${code}: ${output.trim()}`)),
    );
  });
  exited.catch(() => undefined);
  await Promise.race([waitForPort(options.port, host, 60_000), exited]);
  const endpoint = `http://${host}:${options.port}`;
  let streamRecordIndexes: string[] = [];
  if (options.dataDir) {
    // DynamoDB Local creates its database file on the first request.
    await touchDatabase(endpoint);
    streamRecordIndexes = await indexStreamRecords(join(options.dataDir, SHARED_DATABASE_FILE), dirname(jar));
  }
  return {
    endpoint,
    process: child,
    streamRecordIndexes,
    stop: () => stopChild(child),
  };
}

async function touchDatabase(endpoint: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }));
  } finally {
    client.destroy();
  }
}

/**
 * Indexes DynamoDB Local's stream records by stream and by shard (see StreamRecordIndexes.java for
 * why), before any request reaches it. Java's source launcher needs a JDK; with a bare JRE the
 * platform still works, only slower as its streams grow, and says so.
 */
async function indexStreamRecords(databaseFile: string, jarDir: string): Promise<string[]> {
  const lib = join(jarDir, "DynamoDBLocal_lib");
  try {
    const { stdout } = await promisify(execFile)(
      "java",
      [
        `-Djava.library.path=${lib}`,
        "-cp",
        join(lib, "sqlite4java.jar"),
        STREAM_RECORD_INDEXES_SOURCE,
        databaseFile,
        "30000",
      ],
      { timeout: 60_000, encoding: "utf8" },
    );
    return stdout.split("\n").filter((line) => line !== "");
  } catch (error) {
    log.warn(
      "DynamoDB Local's stream records are not indexed (a JDK, e.g. openjdk-17-jdk-headless, adds the indexes): the local platform slows down as its streams grow",
      errorFields(error),
    );
    return [];
  }
}

/**
 * A runtime killed with SIGKILL takes its JVM down only a moment later; two JVMs on one database file
 * would corrupt it, so a new start first makes sure the previous one is gone.
 */
async function awaitPreviousJvm(pidFile: string, timeoutMs = 15_000): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  // Only a process that is still that DynamoDB Local counts: a reused pid must never be signalled.
  const alive = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("DynamoDBLocal.jar");
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + timeoutMs;
  if (alive()) process.kill(pid, "SIGTERM");
  while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive()) process.kill(pid, "SIGKILL");
}

export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
