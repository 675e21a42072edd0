/**
 * ISO 8601 durations (`P1Y2M10DT2H30M`, `PT15M`, `P1W`, `PT0.5S`) as `aggrPeriodDuration` takes them.
 * Years and months are calendar units: adding `P1M` to 31 January gives the last day of February.
 */
export interface Duration {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

const PATTERN =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d{1,9})?)S)?)?$/;

/** Parses a duration; undefined when the text is not one. */
export function parseDuration(text: string): Duration | undefined {
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const n = (value: string | undefined) => (value === undefined ? 0 : Number(value.replace(",", ".")));
  const duration = {
    years: n(m[1]),
    months: n(m[2]),
    weeks: n(m[3]),
    days: n(m[4]),
    hours: n(m[5]),
    minutes: n(m[6]),
    seconds: n(m[7]),
  };
  return Object.values(duration).every(Number.isFinite) ? duration : undefined;
}

export const isZero = (d: Duration) => Object.values(d).every((v) => v === 0);

/** The instant `times` durations after `from` (UTC; calendar arithmetic for years and months). */
export function addDuration(from: Date, d: Duration, times = 1): Date {
  const date = new Date(from.getTime());
  const months = (d.years * 12 + d.months) * times;
  if (months !== 0) {
    const day = date.getUTCDate();
    date.setUTCDate(1);
    date.setUTCMonth(date.getUTCMonth() + months);
    const last = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
    date.setUTCDate(Math.min(day, last));
  }
  const ms =
    (((d.weeks * 7 + d.days) * 24 + d.hours) * 60 + d.minutes) * 60_000 * times + d.seconds * 1000 * times;
  return new Date(date.getTime() + Math.round(ms));
}
