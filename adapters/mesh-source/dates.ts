/**
 * Calendar arithmetic on 'YYYY-MM-DD' strings (through UTC midnights, free of the host zone),
 * and Moscow wall-clock → UTC. МЭШ sends naive ISO date-times (`YYYY-MM-DDTHH:MM:SS`) in
 * Moscow time (sources §4.5); some answers carry an offset, which then wins.
 */
import { offsetMinutes, realDate } from '../../src/infra/adapter-kit/dates';

export { addDays, formatDate, localDate, mondayOf, offsetMinutes, parseDate, weekdayIndex } from '../../src/infra/adapter-kit/dates';

/** 'YYYY-MM-DD' or the date part of a date-time; undefined when not a real date. */
export function vendorDate(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$/.exec(v.trim());
  if (!m || !m[1]) return undefined;
  return realDate(m[1]);
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Parsed parts of a vendor date-time: its local date and HH:MM as written, and the UTC instant. */
export function vendorDateTime(v: unknown, utcOffset: string): { date: string; time: string; utc: string } | undefined {
  if (typeof v !== 'string') return undefined;
  const m = DATE_TIME.exec(v.trim());
  if (!m) return undefined;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  if (vendorDate(date) === undefined || Number(m[4]) > 23 || Number(m[5]) > 59) return undefined;
  const zone = m[8];
  const off = zone === undefined ? offsetMinutes(utcOffset) : zone === 'Z' ? 0 : offsetMinutes(zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`);
  const ms = Math.round(Number(`0${m[7] ?? ''}`) * 1000);
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? '0'), ms) - off * 60_000;
  return { date, time: `${m[4]}:${m[5]}`, utc: new Date(t).toISOString().replace(/\.000Z$/, 'Z') };
}

/** Naive (Moscow) or offset date-time → UTC ISO ('…Z'). */
export function toUtc(v: unknown, utcOffset: string): string | undefined {
  return vendorDateTime(v, utcOffset)?.utc;
}

/** Local midnight of a date → UTC ISO. */
export function dateStartUtc(date: string, utcOffset: string): string {
  return toUtc(`${date}T00:00:00`, utcOffset) as string;
}
