import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { createRequire } from "node:module";

export interface KinesaliteOptions {
  readonly port: number;
  readonly host?: string;
  /** Directory for the LevelDB store; omitted: in memory (tests). */
  readonly dataDir?: string;
}

export interface RunningKinesalite {
  readonly endpoint: string;
  stop(): Promise<void>;
}

type KinesaliteFactory = (options: Record<string, unknown>) => Server;

/**
 * Starts kinesalite in this process. Stream operations complete at once (no CREATING delay), which
 * the code tolerates either way because it waits for ACTIVE like it must in AWS.
 */
export async function startKinesalite(options: KinesaliteOptions): Promise<RunningKinesalite> {
  const host = options.host ?? "127.0.0.1";
  const require = createRequire(import.meta.url);
  const kinesalite = require("kinesalite") as KinesaliteFactory;
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const server = kinesalite({
    ...(options.dataDir ? { path: options.dataDir } : {}),
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 200,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  return {
    endpoint: `http://${host}:${options.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
