import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type RuntimeSummary, readRuntimeSummary } from "@sdp/local-runtime";
import { DLQ_USAGE, runDlq } from "./dlq";
import { runSimulate, SIMULATE_USAGE } from "./simulate";

/**
 * `sdp`: the platform's command line. It finds a running local platform through
 * `$SDP_DATA_DIR/runtime.json` (or talks to any deployment given SDP_API_URL and SDP_TOKEN).
 */
const USAGE = `usage: sdp <command> [options]

commands:
  status                         health of every component of the running platform
  tenants list                   list destinations
  tenants get <slug>             show one destination
  tenants create --slug S --name N [--language es] [--currency EUR] [--time-zone Europe/Madrid] [--tier standard|premium]
                                 onboard a destination and wait until it is active
${DLQ_USAGE}
${SIMULATE_USAGE}

environment:
  SDP_DATA_DIR   data directory of the local platform (default ./.sdp-data)
  SDP_API_URL    API base URL (default: from runtime.json)
  SDP_TOKEN      bearer token (default: the bootstrap admin token from runtime.json)
`;

class UsageError extends Error {}

function target(): { api: string; token: string | undefined; summary: RuntimeSummary | undefined } {
  let summary: RuntimeSummary | undefined;
  try {
    summary = readRuntimeSummary(resolve(process.env.SDP_DATA_DIR ?? ".sdp-data"));
  } catch {
    summary = undefined;
  }
  const api = process.env.SDP_API_URL ?? summary?.api;
  if (!api) throw new UsageError("no running platform found: start it with `npm start`, or set SDP_API_URL");
  return { api, token: process.env.SDP_TOKEN ?? summary?.adminToken, summary };
}

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const { api, token } = target();
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown = text;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: shown as text.
  }
  return { status: response.status, json };
}

function print(value: unknown) {
  process.stdout.write(`${typeof value === "string" ? value : JSON.stringify(value, null, 2)}\n`);
}

async function expectOk(result: { status: number; json: unknown }) {
  if (result.status >= 400) {
    print(result.json);
    process.exitCode = 1;
    return false;
  }
  return true;
}

async function main(argv: string[]) {
  const [command, sub, ...rest] = argv;
  if (command === "dlq") {
    process.exitCode = await runDlq(argv.slice(1));
    return;
  }
  if (command === "simulate") {
    process.exitCode = await runSimulate(argv.slice(1));
    return;
  }
  if (command === "status") {
    const { summary, api } = target();
    const response = await fetch(summary?.health ?? `${api}/health`);
    print(await response.json());
    if (!response.ok) process.exitCode = 1;
    return;
  }
  if (command === "tenants" && sub === "list") {
    const result = await call("GET", "/platform/tenants?limit=100");
    if (await expectOk(result)) print(result.json);
    return;
  }
  if (command === "tenants" && sub === "get") {
    const slug = rest[0];
    if (!slug) throw new UsageError("tenants get needs a slug");
    const result = await call("GET", `/platform/tenants/${encodeURIComponent(slug)}`);
    if (await expectOk(result)) print(result.json);
    return;
  }
  if (command === "tenants" && sub === "create") {
    const { values } = parseArgs({
      args: rest,
      options: {
        slug: { type: "string" },
        name: { type: "string" },
        language: { type: "string" },
        currency: { type: "string" },
        "time-zone": { type: "string" },
        tier: { type: "string" },
      },
      strict: true,
    });
    const body = Object.fromEntries(
      Object.entries({
        slug: values.slug,
        name: values.name,
        defaultLanguage: values.language,
        currency: values.currency,
        timeZone: values["time-zone"],
        tier: values.tier,
      }).filter(([, value]) => value !== undefined),
    );
    const created = await call("POST", "/platform/tenants", body);
    if (!(await expectOk(created))) return;
    for (let attempt = 0; attempt < 300; attempt += 1) {
      const current = await call("GET", `/platform/tenants/${encodeURIComponent(String(values.slug))}`);
      const status = (current.json as { status?: unknown } | undefined)?.status;
      if (status === "active" || status === "failed") {
        print(current.json);
        if (status === "failed") process.exitCode = 1;
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error("the destination did not leave provisioning within 60 s");
  }
  throw new UsageError(
    command ? `unknown command: ${[command, sub].filter(Boolean).join(" ")}` : "no command",
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`sdp: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`sdp: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
