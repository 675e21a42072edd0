import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { ApiKeyPepper, IdentityEnv } from "@sdp/contracts";

/** Creates a secret file once (mode 0600) and reads it ever after, so keys hashed with it keep verifying. */
function persistentSecret(file: string): string {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
  } catch (error) {
    if (!(error instanceof Error && "code" in error && error.code === "EEXIST")) throw error;
  }
  return ApiKeyPepper.parse(readFileSync(file, "utf8").trim());
}

/**
 * The identity and lifecycle environment of the local platform: the API-key pepper (generated once in
 * the data directory), archives as files under `<dataDir>/exports`, and the local user directory.
 */
export function localIdentityEnv(dataDir: string): Record<string, string> {
  return {
    [IdentityEnv.apiKeyPepper]: persistentSecret(join(dataDir, "identity", "api-key-pepper")),
    [IdentityEnv.archiveStore]: "file",
    [IdentityEnv.archiveDir]: pathToFileURL(join(dataDir, "exports")).href,
    [IdentityEnv.userDirectory]: "local",
  };
}
