/**
 * Calendar arithmetic on school-local dates and the ЭлЖур date formats (sources §3.5):
 * request ranges `YYYYMMDD-YYYYMMDD`, day keys `YYYYMMDD`, mark dates `YYYY-MM-DD`,
 * lesson times `HH:MM:SS`, token expiry `YYYY-MM-DD hh:mm:ss` (school wall clock, no zone).
 */

import { offsetMinutes, realDate } from '../../src/infra/adapter-kit/dates';

export { addDays, formatDate, localDate, mondayOf, offsetMinutes, parseDate, weekdayIndex } from '../../src/infra/adapter-kit/dates';

const validIso = realDate;

/**
 * Any ЭлЖур date → 'YYYY-MM-DD': 'YYYYMMDD', 'YYYY-MM-DD', 'YYYY.MM.DD' (secondary sources),
 * also with a time part after a space or 'T'. Undefined when it is not a valid date.
 */
export function eljurDate(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) v = String(v);
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  let m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (m) return validIso(`${m[1]}-${m[2]}-${m[3]}`);
  m = /^(\d{4})[-.](\d{2})[-.](\d{2})(?:[ T].*)?$/.exec(s);
  if (m) return validIso(`${m[1]}-${m[2]}-${m[3]}`);
  return undefined;
}

/** 'YYYY-MM-DD' → 'YYYYMMDD' (the `days=` and day-key format). */
export function compactDate(date: string): string {
  return date.replace(/-/g, '');
}

/** The `days=` parameter: 'YYYYMMDD-YYYYMMDD'. */
export function daysParam(from: string, to: string): string {
  return `${compactDate(from)}-${compactDate(to)}`;
}

/** Parses a `days=` parameter back (simulator side); also accepts 'Y.m.d-Y.m.d'. */
export function parseDaysParam(v: unknown): { from: string; to: string } | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{8}|\d{4}\.\d{2}\.\d{2})-(\d{8}|\d{4}\.\d{2}\.\d{2})$/.exec(v.trim());
  if (!m) return undefined;
  const from = eljurDate(m[1]);
  const to = eljurDate(m[2]);
  return from && to && from <= to ? { from, to } : undefined;
}

/** 'HH:MM' or 'HH:MM:SS' → 'HH:MM'; undefined otherwise. */
export function eljurTime(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$/.exec(v.trim());
  return m ? `${(m[1] as string).padStart(2, '0')}:${m[2]}` : undefined;
}

/** School wall-clock 'YYYY-MM-DD[ T]hh:mm[:ss]' → UTC instant ('…Z'); undefined when not one. */
export function wallClockToUtc(v: unknown, utcOffset: string): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(v.trim());
  if (!m || !validIso(`${m[1]}-${m[2]}-${m[3]}`)) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? '0'))
    - offsetMinutes(utcOffset) * 60_000;
  return new Date(t).toISOString().replace(/\.000Z$/, 'Z');
}
