import type { InvalidField } from "@sdp/contracts";

/**
 * Bulk registration from CSV, for operators who keep their device inventory in a spreadsheet.
 *
 * Columns (a header row names them, in any order; only `deviceId`, `protocol` and `entityType` are
 * required): `deviceId, protocol, entityType, entityId, expectedIntervalSeconds, latitude, longitude,
 * attributes, staticAttributes, explicitAttributes, description`.
 * - `attributes`: `objectId=name[:Type[:unitCode[:valueType]]]` separated by `;`, e.g.
 *   `c=peopleCount::C62:integer;b=batteryLevel::P1` (Type defaults to Property).
 * - `staticAttributes`: `name=value` separated by `;`; a value that is JSON (a number, true, a quoted
 *   string) is read as JSON, anything else as text.
 */
export const CSV_COLUMNS = [
  "deviceId",
  "protocol",
  "entityType",
  "entityId",
  "expectedIntervalSeconds",
  "latitude",
  "longitude",
  "attributes",
  "staticAttributes",
  "explicitAttributes",
  "description",
] as const;
type Column = (typeof CSV_COLUMNS)[number];

/** RFC 4180 records: comma-separated, double-quoted fields with `""` escapes, CRLF or LF line ends. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let index = 0;
  const source = text.replace(/^\uFEFF/, "");
  while (index < source.length) {
    const char = source[index];
    if (quoted) {
      if (char === '"' && source[index + 1] === '"') {
        field += '"';
        index += 2;
        continue;
      }
      if (char === '"') quoted = false;
      else field += char;
      index += 1;
      continue;
    }
    if (char === '"' && field === "") quoted = true;
    else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && source[index + 1] === "\n") index += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += char;
    index += 1;
  }
  if (quoted) throw new CsvError("a quoted field is not closed");
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((candidate) => !(candidate.length === 1 && candidate[0]?.trim() === ""));
}

export class CsvError extends Error {
  override readonly name = "CsvError";
}

function attributesOf(cell: string): unknown[] {
  return cell
    .split(";")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => {
      const [objectId = "", rest = ""] = part.split("=", 2);
      const [name, type, unitCode, valueType] = rest.split(":");
      return {
        objectId: objectId.trim(),
        name: name?.trim() ?? "",
        ...(type ? { type: type.trim() } : {}),
        ...(unitCode ? { unitCode: unitCode.trim() } : {}),
        ...(valueType ? { valueType: valueType.trim() } : {}),
      };
    });
}

function staticAttributesOf(cell: string): unknown[] {
  return cell
    .split(";")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => {
      const separator = part.indexOf("=");
      const name = separator < 0 ? part : part.slice(0, separator).trim();
      const text = separator < 0 ? "" : part.slice(separator + 1).trim();
      let value: unknown = text;
      try {
        value = JSON.parse(text);
      } catch {
        // Plain text.
      }
      return { name, value };
    });
}

export interface CsvRow {
  /** 1-based line of the row in the file (the header is line 1). */
  readonly line: number;
  readonly registration: Record<string, unknown>;
}

/**
 * Turns a CSV document into registration objects (validated afterwards like JSON ones), or field
 * problems for the document as a whole (an unknown column, a missing required column).
 */
export function registrationsFromCsv(text: string): { rows: CsvRow[]; problems: InvalidField[] } {
  let records: string[][];
  try {
    records = parseCsv(text);
  } catch (error) {
    return {
      rows: [],
      problems: [{ field: "body.csv", reason: error instanceof Error ? error.message : "is not CSV" }],
    };
  }
  const [header, ...data] = records;
  if (!header) return { rows: [], problems: [{ field: "body.csv", reason: "has no header row" }] };
  const columns = header.map((name) => name.trim());
  const known = new Set<string>(CSV_COLUMNS);
  const problems: InvalidField[] = columns
    .filter((name) => !known.has(name))
    .map((name) => ({ field: `body.csv.header.${name}`, reason: "is not a known column" }));
  for (const required of ["deviceId", "protocol", "entityType"] as const) {
    if (!columns.includes(required))
      problems.push({ field: `body.csv.header.${required}`, reason: "is required" });
  }
  if (data.length === 0) problems.push({ field: "body.csv", reason: "has no data rows" });
  if (problems.length > 0) return { rows: [], problems };
  const rows = data.map((cells, index) => {
    const cell = (column: Column) => {
      const position = columns.indexOf(column);
      return position < 0 ? "" : (cells[position] ?? "").trim();
    };
    const registration: Record<string, unknown> = {
      deviceId: cell("deviceId"),
      protocol: cell("protocol"),
      entityType: cell("entityType"),
    };
    if (cell("entityId")) registration.entityId = cell("entityId");
    if (cell("expectedIntervalSeconds"))
      registration.expectedIntervalSeconds = Number(cell("expectedIntervalSeconds"));
    if (cell("latitude") || cell("longitude")) {
      registration.location = {
        type: "Point",
        coordinates: [Number(cell("longitude")), Number(cell("latitude"))],
      };
    }
    if (cell("attributes")) registration.attributes = attributesOf(cell("attributes"));
    if (cell("staticAttributes"))
      registration.staticAttributes = staticAttributesOf(cell("staticAttributes"));
    if (cell("explicitAttributes"))
      registration.explicitAttributes = cell("explicitAttributes").toLowerCase() === "true";
    if (cell("description")) registration.description = cell("description");
    return { line: index + 2, registration };
  });
  return { rows, problems: [] };
}
