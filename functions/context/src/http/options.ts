import { isDomainError } from "@sdp/contracts";
import { invalidData, invalidParameters } from "../domain/errors";
import { type ActiveContext, expandTerm } from "../domain/jsonld";
import { LOCATION } from "../domain/model";
import { checkName, isUri } from "../domain/normalize";
import { parseProjection } from "../domain/projection";
import { expandNames } from "../domain/query";
import { type Format, parseLanguagePreference, type View } from "../domain/render";
import { mapTypes, parseTypeSelection, type TypeExpression } from "../domain/type-selection";

/**
 * The `options`, `format`, `attrs`, `pick`, `omit`, `lang`, `datasetId` and `geometryProperty` query
 * parameters.
 */
export interface RepresentationParameters {
  readonly options?: string;
  readonly format?: string;
  readonly attrs?: string;
  readonly pick?: string;
  readonly omit?: string;
  readonly lang?: string;
  readonly datasetId?: string;
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
  // An option the operation does not support is InvalidRequest (clause 6.3.20).
  if (unknown !== undefined) {
    throw invalidParameters([
      { field: "query.options", reason: `${JSON.stringify(unknown)} is not one of ${allowed.join(", ")}` },
    ]);
  }
  return new Set(values);
}

/** `attrs` names attributes: `id` and `type` are entity members, not attributes (400). */
function attributeNames(ctx: ActiveContext, text: string): string[] {
  const core = text
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n === "id" || n === "type");
  if (core.length > 0) throw invalid("attrs", `${core.join(", ")} are entity members, not attributes`);
  return expandNames(ctx, text, "attrs");
}

/** `datasetId=a,b,@none`: URIs, or `@none` for the default instance (clause 4.5.5). */
function datasetIds(text: string): Set<string> {
  const ids = text.split(",").map((id) => id.trim());
  const wrong = ids.find((id) => id !== "@none" && !isUri(id));
  if (wrong !== undefined) throw invalid("datasetId", `${JSON.stringify(wrong)} is neither a URI nor @none`);
  return new Set(ids);
}

export function parseView(
  ctx: ActiveContext,
  p: RepresentationParameters,
): View & { geometryProperty: string } {
  const options = parseOptions(p.options, ["keyValues", "simplified", "concise", "normalized", "sysAttrs"]);
  const formats = new Set([...options].flatMap((o) => (FORMATS[o] ? [FORMATS[o]] : [])));
  if (formats.size > 1) throw invalid("options", "asks for more than one representation");
  let [format = "normalized"] = formats;
  if (p.format !== undefined) {
    const asked = FORMATS[p.format];
    if (!asked) {
      throw invalidParameters([
        { field: "query.format", reason: "must be keyValues, simplified, concise or normalized" },
      ]);
    }
    // format takes precedence over a representation named in options (clause 6.3.7).
    format = asked;
  }
  const projection = parseProjection(ctx, p);
  let pick = projection.pick;
  // attrs selects attributes; id, type and scope are members of the entity and stay.
  if (pick === undefined && p.attrs !== undefined)
    pick = new Set(["id", "type", "scope", ...attributeNames(ctx, p.attrs)]);
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
    ...(projection.omit ? { omit: projection.omit } : {}),
    ...(p.datasetId === undefined ? {} : { datasets: datasetIds(p.datasetId) }),
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

/**
 * The `type` selector of the operations on one entity (clause 4.17), its names expanded with the
 * request's @context: the operation applies only to an entity that matches it.
 */
export function parseTypeSelector(ctx: ActiveContext, text: string | undefined): TypeExpression | undefined {
  if (text === undefined) return undefined;
  try {
    return mapTypes(parseTypeSelection(text), (name) => expandTerm(ctx, name));
  } catch (error) {
    if (isDomainError(error)) throw invalid("type", error.detail ?? "is not a type selection");
    throw error;
  }
}
