/**
 * Calendar arithmetic on school-local dates ('YYYY-MM-DD' strings).
 *
 * NetSchool payloads carry no time zone (sources §1.9): dates are the school's wall clock.
 * Working on date strings through UTC midnights keeps the arithmetic free of the host's
 * time zone and of DST.
 */

import { offsetMinutes, realDate } from '../../src/infra/adapter-kit/dates';

export { addDays, daysBetween, formatDate, localDate, mondayOf, offsetMinutes, parseDate, weekdayIndex } from '../../src/infra/adapter-kit/dates';

const VENDOR_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?)?$/;

/** 'YYYY-MM-DDT00:00:00[.fffffff]' or 'YYYY-MM-DD' → 'YYYY-MM-DD'; undefined when not a valid date. */
export function vendorDate(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = VENDOR_DATE.exec(v.trim());
  if (!m) return undefined;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  return realDate(date);
}

/** 'HH:MM' or 'HH:MM:SS' → 'HH:MM'; undefined otherwise. */
export function vendorTime(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d(?:\.\d+)?)?$/.exec(v.trim());
  return m ? `${m[1]}:${m[2]}` : undefined;
}

/** Vendor wall-clock date-time (no zone) → UTC ISO instant ('…Z'), using the school's offset. */
export function vendorDateTimeToUtc(v: unknown, utcOffset: string): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,7})?)?$/.exec(v.trim());
  if (!m || vendorDate(m[1]) === undefined) return undefined;
  const ms = Math.round(Number(`0${m[5] ?? ''}`) * 1000);
  const t = Date.UTC(
    Number(m[1]!.slice(0, 4)), Number(m[1]!.slice(5, 7)) - 1, Number(m[1]!.slice(8, 10)),
    Number(m[2]), Number(m[3]), Number(m[4] ?? '0'), ms,
  ) - offsetMinutes(utcOffset) * 60_000;
  return new Date(t).toISOString().replace(/\.000Z$/, 'Z');
}
