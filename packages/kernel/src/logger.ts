import { Scope } from "./context";

type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function threshold(): number {
  const configured = process.env.SDP_LOG_LEVEL;
  if (configured === "silent") return Number.POSITIVE_INFINITY;
  return configured && configured in ORDER ? ORDER[configured as Level] : ORDER.info;
}

/**
 * Structured JSON logs with tenant and request ids (DESIGN §6). Callers pass facts, never personal
 * data or secrets.
 */
function write(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  if (ORDER[level] < threshold()) return;
  const scope = Scope.current();
  const line = {
    level,
    time: new Date().toISOString(),
    message,
    ...(scope?.requestId ? { requestId: scope.requestId } : {}),
    ...(scope?.tenant ? { tenant: scope.tenant } : {}),
    ...fields,
  };
  const text = `${JSON.stringify(line)}\n`;
  if (level === "error" || level === "warn") process.stderr.write(text);
  else process.stdout.write(text);
}

export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write("debug", message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write("info", message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write("warn", message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write("error", message, fields),
};

export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { errorName: error.name, errorMessage: error.message };
  return { errorName: typeof error };
}
