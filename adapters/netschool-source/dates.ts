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

/**
 * A journal timestamp in any of the shapes NetSchool answers carry → UTC ISO instant:
 * wall-clock 'YYYY-MM-DDTHH:MM[:SS[.f…]]' (school time, the usual case), an ISO string with `Z`
 * or an offset, or a number (the mobile API types `resultDate` as string | number, sources §1.8;
 * a number is read as Unix milliseconds, or seconds below 1e11 — assumed, no sample seen).
 */
export function vendorInstant(v: unknown, utcOffset: string): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 1e8) {
    const d = new Date(v < 1e11 ? v * 1000 : v);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace(/\.000Z$/, 'Z');
  }
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  const local = vendorDateTimeToUtc(s, utcOffset);
  if (local) return local;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:?\d{2})$/.test(s)) return undefined;
  const t = Date.parse(s.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(t) ? undefined : new Date(t).toISOString().replace(/\.000Z$/, 'Z');
}

/** School-local date and time ('YYYY-MM-DD', 'HH:MM') → UTC ISO instant. */
export function localToUtc(date: string, time: string, utcOffset: string): string {
  return vendorDateTimeToUtc(`${date}T${time}:00`, utcOffset) as string;
}
