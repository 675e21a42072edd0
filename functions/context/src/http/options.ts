import { invalidData } from "../domain/errors";
import { type ActiveContext, expandTerm } from "../domain/jsonld";
import { LOCATION } from "../domain/model";
import { checkName } from "../domain/normalize";
import { expandNames } from "../domain/query";
import { type Format, parseLanguagePreference, type View } from "../domain/render";

/** The `options`, `format`, `attrs`, `pick`, `omit`, `lang` and `geometryProperty` query parameters. */
export interface RepresentationParameters {
  readonly options?: string;
  readonly format?: string;
  readonly attrs?: string;
  readonly pick?: string;
  readonly omit?: string;
  readonly lang?: string;
  readonly geometryProperty?: string;
}

const invalid = (field: string, reason: string) =>
  invalidData([{ field: `query.${field}`, reason }], "invalid request");

const FORMATS: Record<string, Format> = {
  keyValues: "keyValues",
  simplified: "keyValues",
  concise: "concise",
  normalized: "normalized",
};

/** The comma-separated `options` values, each checked against those the operation takes. */
export function parseOptions(text: string | undefined, allowed: readonly string[]): Set<string> {
  if (text === undefined) return new Set();
  const values = text.split(",").map((v) => v.trim());
  const unknown = values.find((v) => !allowed.includes(v));
  if (unknown !== undefined)
    throw invalid("options", `${JSON.stringify(unknown)} is not one of ${allowed.join(", ")}`);
  return new Set(values);
}

function members(ctx: ActiveContext, text: string, field: string): Set<string> {
  return new Set(
    text.split(",").map((name) => {
      const trimmed = name.trim();
      if (trimmed === "id" || trimmed === "type" || trimmed === "scope") return trimmed;
      const problem = checkName(trimmed);
      if (problem) throw invalid(field, `${JSON.stringify(trimmed)}: ${problem}`);
      return expandTerm(ctx, trimmed);
    }),
  );
}

export function parseView(
  ctx: ActiveContext,
  p: RepresentationParameters,
): View & { geometryProperty: string } {
  const options = parseOptions(p.options, ["keyValues", "simplified", "concise", "normalized", "sysAttrs"]);
  const formats = new Set([...options].flatMap((o) => (FORMATS[o] ? [FORMATS[o]] : [])));
  if (p.format !== undefined) {
    const format = FORMATS[p.format];
    if (!format) throw invalid("format", "must be keyValues, concise or normalized");
    formats.add(format);
  }
  if (formats.size > 1) throw invalid("options", "asks for more than one representation");
  const [format = "normalized"] = formats;
  if (p.pick !== undefined && p.omit !== undefined)
    throw invalid("pick", "pick and omit cannot be used together");
  if (p.pick !== undefined && p.attrs !== undefined)
    throw invalid("pick", "pick and attrs cannot be used together");
  let pick: Set<string> | undefined;
  if (p.pick !== undefined) pick = members(ctx, p.pick, "pick");
  // attrs selects attributes; id, type and scope are members of the entity and stay.
  else if (p.attrs !== undefined)
    pick = new Set(["id", "type", "scope", ...expandNames(ctx, p.attrs, "attrs")]);
  const lang = p.lang === undefined ? undefined : parseLanguagePreference(p.lang);
  if (p.lang !== undefined && !lang)
    throw invalid("lang", "must be language ranges such as fr,en;q=0.8 or *");
  let geometryProperty = LOCATION;
  if (p.geometryProperty !== undefined) {
    const problem = checkName(p.geometryProperty);
    if (problem) throw invalid("geometryProperty", problem);
    geometryProperty = expandTerm(ctx, p.geometryProperty);
  }
  return {
    format,
    sysAttrs: options.has("sysAttrs"),
    ...(lang ? { lang } : {}),
    ...(pick ? { pick } : {}),
    ...(p.omit === undefined ? {} : { omit: members(ctx, p.omit, "omit") }),
    geometryProperty,
  };
}

export function parseDetails(text: string | undefined): boolean {
  if (text === undefined || text === "false") return false;
  if (text === "true") return true;
  throw invalid("details", "must be true or false");
}

/** `options=update` appends to existing entities, `options=replace` (the default) replaces them. */
export function parseUpsertMode(text: string | undefined): "update" | "replace" {
  const options = parseOptions(text, ["update", "replace"]);
  if (options.size > 1) throw invalid("options", "update and replace exclude each other");
  return options.has("update") ? "update" : "replace";
}
