/**
 * The DateTime of NGSI-LD payloads (clause 4.6.3): `YYYY-MM-DDThh:mm:ssZ`, every component present, an
 * optional fraction of one to six digits, and the trailing `Z` — timestamps are in UTC, and the string
 * shall not express a difference from UTC, so `+02:00` is refused rather than converted. In requests the
 * fraction may follow a comma instead of a decimal point; it is stored with the point, as answers write it.
 */
export type DateTimeCheck =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly reason: string };

const SHAPE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?|)$/;
const EXAMPLE = "such as 2024-05-01T10:00:00Z";
const MAX_FRACTION_DIGITS = 6;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

export function parseDateTime(raw: unknown): DateTimeCheck {
  if (typeof raw !== "string") return { ok: false, reason: `must be a date-time string ${EXAMPLE}` };
  const match = SHAPE.exec(raw);
  if (!match) return { ok: false, reason: `must be an ISO 8601 date-time in UTC ${EXAMPLE}` };
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  if (zone !== "Z") {
    return {
      ok: false,
      reason:
        zone === ""
          ? `has no time zone: NGSI-LD date-times are in UTC and end in Z, ${EXAMPLE}`
          : `is given with the UTC offset ${zone}: NGSI-LD date-times are in UTC and end in Z (clause 4.6.3), ${EXAMPLE}`,
    };
  }
  const y = Number(year);
  const mo = Number(month);
  if (mo < 1 || mo > 12 || Number(day) < 1 || Number(day) > daysIn(y, mo))
    return { ok: false, reason: `is not a calendar date (${year}-${month}-${day})` };
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59)
    return { ok: false, reason: `is not a time of day (${hour}:${minute}:${second})` };
  if (fraction !== undefined && fraction.length > MAX_FRACTION_DIGITS)
    return {
      ok: false,
      reason: `has ${fraction.length} fractional digits; at most ${MAX_FRACTION_DIGITS} are allowed`,
    };
  return { ok: true, value: raw.replace(",", ".") };
}
