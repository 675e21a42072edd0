import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";

/**
 * The local stand-in for IoT Core's device identities: where AWS issues an X.509 certificate per thing,
 * the local broker accepts a username (the thing name) and a password, stored hashed (scrypt) in the
 * data directory. Passwords are shown once, when issued.
 */
const Stored = z.object({
  things: z.record(
    z.string(),
    z.object({ tenant: z.string(), salt: z.string(), hash: z.string(), createdAt: z.string() }),
  ),
  services: z.record(z.string(), z.object({ salt: z.string(), hash: z.string() })),
});
type Stored = z.infer<typeof Stored>;

export type CredentialIdentity = { kind: "device"; tenant: string; thing: string } | { kind: "service"; name: string };

const hash = (secret: string, salt: string) => scryptSync(secret, salt, 32).toString("hex");

function matches(secret: string, salt: string, expected: string): boolean {
  const actual = Buffer.from(hash(secret, salt), "hex");
  const wanted = Buffer.from(expected, "hex");
  return actual.length === wanted.length && timingSafeEqual(actual, wanted);
}

export function openDeviceCredentialStore(file: string) {
  mkdirSync(dirname(file), { recursive: true });
  let state: Stored = existsSync(file)
    ? Stored.parse(JSON.parse(readFileSync(file, "utf8")))
    : { things: {}, services: {} };
  const persist = () => {
    const temporary = `${file}.tmp`;
    writeFileSync(temporary, JSON.stringify(state, null, 2), { mode: 0o600 });
    renameSync(temporary, file);
  };
  const issue = () => {
    const secret = randomBytes(24).toString("base64url");
    const salt = randomBytes(16).toString("hex");
    return { secret, salt, hash: hash(secret, salt) };
  };
  return {
    /** Issues (or re-issues, revoking the old one) a device's password. */
    issueDevice(tenant: string, thing: string): string {
      const { secret, salt, hash: digest } = issue();
      state = {
        ...state,
        things: { ...state.things, [thing]: { tenant, salt, hash: digest, createdAt: new Date().toISOString() } },
      };
      persist();
      return secret;
    },
    revokeDevice(thing: string): void {
      const { [thing]: _removed, ...rest } = state.things;
      state = { ...state, things: rest };
      persist();
    },
    issueService(name: string): string {
      const { secret, salt, hash: digest } = issue();
      state = { ...state, services: { ...state.services, [name]: { salt, hash: digest } } };
      persist();
      return secret;
    },
    hasDevice: (thing: string) => thing in state.things,
    authenticate(username: string | undefined, password: Buffer | undefined): CredentialIdentity | null {
      if (!username || !password) return null;
      const secret = password.toString("utf8");
      const thing = state.things[username];
      if (thing) return matches(secret, thing.salt, thing.hash) ? { kind: "device", tenant: thing.tenant, thing: username } : null;
      const service = state.services[username];
      if (service && matches(secret, service.salt, service.hash)) return { kind: "service", name: username };
      return null;
    },
  };
}

export type DeviceCredentialStore = ReturnType<typeof openDeviceCredentialStore>;
