import { z } from "zod";

/**
 * Device payload decoders, following the FIWARE IoT Agent conventions (DESIGN §7). A payload holds one
 * or more measure groups; each group is a set of `objectId → value` pairs with an optional timestamp.
 * Decoders check the syntax only; what the values mean comes from the device's attribute mapping.
 */
export type RawValue =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "json"; readonly value: unknown };

export interface MeasureGroup {
  /** The device's own timestamp (UTC, ISO 8601), if it sent one. */
  readonly observedAt?: string;
  readonly values: ReadonlyArray<readonly [objectId: string, value: RawValue]>;
}

/** A payload that can never be processed, whatever the retries: malformed, empty or not understood. */
export class PayloadError extends Error {
  override readonly name = "PayloadError";
}

/** Groups per payload: a device batching more readings than this is misconfigured. */
export const MAX_GROUPS_PER_PAYLOAD = 100;

/** The attribute IoT Agents use for the device's timestamp. */
export const TIMESTAMP_KEY = "TimeInstant";

const Timestamp = z.iso.datetime({ offset: true });
const ObjectId = /^[A-Za-z0-9_.-]{1,64}$/;

/** A device timestamp in UTC, or a PayloadError. ISO 8601 with a zone (`Z` or an offset) only. */
export function parseTimestamp(text: string): string {
  if (!Timestamp.safeParse(text).success) {
    throw new PayloadError(`timestamp ${JSON.stringify(text.slice(0, 40))} is not ISO 8601 with a time zone`);
  }
  return new Date(text).toISOString();
}

const looksLikeTimestamp = (text: string) => /^\d{4}-\d{2}-\d{2}T/.test(text);

function checkObjectId(objectId: string): string {
  if (!ObjectId.test(objectId)) {
    throw new PayloadError(
      `object id ${JSON.stringify(objectId.slice(0, 70))} is not 1-64 letters, digits, _, . or -`,
    );
  }
  return objectId;
}

/**
 * UltraLight 2.0: `key|value|key|value`, groups separated by `#`, a group optionally starting with a
 * timestamp (`2024-07-01T10:00:00Z|c|12`) or carrying `TimeInstant|<timestamp>`.
 */
export function decodeUltraLight(text: string): MeasureGroup[] {
  const trimmed = text.trim();
  if (trimmed === "") throw new PayloadError("empty UltraLight payload");
  const parts = trimmed.split("#");
  if (parts.length > MAX_GROUPS_PER_PAYLOAD)
    throw new PayloadError(`more than ${MAX_GROUPS_PER_PAYLOAD} measure groups`);
  return parts.map((part, index) => {
    const fields = part.trim().split("|");
    let observedAt: string | undefined;
    if (fields.length % 2 === 1) {
      const first = fields.shift() ?? "";
      if (!looksLikeTimestamp(first)) {
        throw new PayloadError(
          `measure group ${index + 1} has an odd number of fields and does not start with a timestamp`,
        );
      }
      observedAt = parseTimestamp(first);
    }
    const values: Array<readonly [string, RawValue]> = [];
    for (let field = 0; field < fields.length; field += 2) {
      const key = (fields[field] ?? "").trim();
      const value = (fields[field + 1] ?? "").trim();
      if (key === "") throw new PayloadError(`measure group ${index + 1} has an empty key`);
      if (value === "") throw new PayloadError(`measure group ${index + 1}: ${key} has no value`);
      if (key === TIMESTAMP_KEY) {
        observedAt = parseTimestamp(value);
        continue;
      }
      values.push([checkObjectId(key), { kind: "text", text: value }]);
    }
    if (values.length === 0) throw new PayloadError(`measure group ${index + 1} has no measures`);
    return observedAt === undefined ? { values } : { observedAt, values };
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON: an object of `objectId: value` (with an optional `TimeInstant`), or an array of such objects. */
export function decodeJson(text: string): MeasureGroup[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PayloadError("payload is not valid JSON");
  }
  const objects = Array.isArray(parsed) ? parsed : [parsed];
  if (objects.length === 0) throw new PayloadError("empty JSON array");
  if (objects.length > MAX_GROUPS_PER_PAYLOAD)
    throw new PayloadError(`more than ${MAX_GROUPS_PER_PAYLOAD} measure groups`);
  return objects.map((object, index) => {
    if (!isPlainObject(object)) throw new PayloadError(`measure group ${index + 1} is not a JSON object`);
    let observedAt: string | undefined;
    const values: Array<readonly [string, RawValue]> = [];
    for (const [key, value] of Object.entries(object)) {
      if (key === TIMESTAMP_KEY) {
        if (typeof value !== "string") throw new PayloadError(`${TIMESTAMP_KEY} must be a string`);
        observedAt = parseTimestamp(value);
        continue;
      }
      if (value === null) throw new PayloadError(`measure group ${index + 1}: ${key} is null`);
      values.push([checkObjectId(key), { kind: "json", value }]);
    }
    if (values.length === 0) throw new PayloadError(`measure group ${index + 1} has no measures`);
    return observedAt === undefined ? { values } : { observedAt, values };
  });
}

export function decodePayload(protocol: "json" | "ul2", payload: Buffer | string): MeasureGroup[] {
  const text = typeof payload === "string" ? payload : payload.toString("utf8");
  return protocol === "ul2" ? decodeUltraLight(text) : decodeJson(text);
}

/**
 * A command acknowledgement: UltraLight devices answer `<device>@<command>|<result>` (the result is the
 * text after the first `|`); JSON devices answer any JSON. Anything else is kept as text.
 */
export function decodeAck(protocol: "json" | "ul2", payload: Buffer): unknown {
  const text = payload.toString("utf8").trim();
  if (protocol === "ul2") {
    const match = /^[^@|]+@[^|]+\|(.*)$/s.exec(text);
    return match ? (match[1] ?? "") : text;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The text a command is published as: UltraLight `<device>@<command>|<params>`, else JSON. */
export function encodeCommand(
  protocol: "json" | "ul2",
  deviceId: string,
  command: { readonly commandId: string; readonly command: string; readonly params?: unknown },
): string {
  if (protocol === "ul2") {
    const params =
      command.params === undefined
        ? ""
        : typeof command.params === "string"
          ? command.params
          : JSON.stringify(command.params);
    return `${deviceId}@${command.command}|${params}`;
  }
  return JSON.stringify({
    commandId: command.commandId,
    command: command.command,
    ...(command.params === undefined ? {} : { params: command.params }),
  });
}
