/**
 * School-local wall clock ↔ UTC instants, through `Intl` and IANA time-zone names.
 *
 * Russian schools sit in eleven time zones (Europe/Kaliningrad … Asia/Kamchatka); a deadline
 * such as "by the end of the day" ends at local midnight, so the instant differs per school.
 * Dates are 'YYYY-MM-DD' strings of the school's calendar; times are minutes after local
 * midnight. No function here reads the host's time zone.
 */
import { GatewayError } from '../core/errors';
import { addDays, DAY_MS } from '../infra/adapter-kit/dates';

const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit',
      });
    } catch (e: unknown) {
      throw new GatewayError('GW_CONFIG_INVALID', `time zone ${JSON.stringify(timeZone)} is not an IANA time zone`, { cause: e });
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws GW_CONFIG_INVALID unless `timeZone` is an IANA zone this Node knows (e.g. Asia/Novosibirsk). */
export function assertTimeZone(timeZone: string): void {
  formatterOf(timeZone);
}

/** A wall-clock reading in a time zone. */
export interface LocalTime {
  /** 'YYYY-MM-DD' in the zone. */
  date: string;
  /** Minutes after local midnight, 0…1439. */
  minuteOfDay: number;
}

interface Fields { y: number; mo: number; d: number; h: number; mi: number; s: number }

function fieldsAt(instantMs: number, timeZone: string): Fields {
  const parts = formatterOf(timeZone).formatToParts(new Date(instantMs));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return { y: get('year'), mo: get('month'), d: get('day'), h: get('hour') % 24, mi: get('minute'), s: get('second') };
}

/**
 * Offsets are cached per zone and quarter of an hour: every offset change in the tz database
 * since 1970 falls on a quarter-hour boundary, and `Intl.formatToParts` costs more than the rest
 * of a deadline computation together (the engine judges thousands of records a minute).
 */
const OFFSET_BUCKET_MS = 15 * MINUTE_MS;
const offsetCache = new Map<string, number>();
const MAX_CACHED_OFFSETS = 50_000;

function offsetOfWholeSecond(whole: number, timeZone: string): number {
  const f = fieldsAt(whole, timeZone);
  return Date.UTC(f.y, f.mo - 1, f.d, f.h, f.mi, f.s) - whole;
}

/** Offset of the zone from UTC at an instant, in ms (Asia/Novosibirsk → +7 h). */
export function offsetMsAt(instant: Date | number, timeZone: string): number {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const whole = Math.floor(ms / 1000) * 1000;
  if (whole < 0) return offsetOfWholeSecond(whole, timeZone);
  const bucket = Math.floor(whole / OFFSET_BUCKET_MS);
  const key = `${timeZone}|${bucket}`;
  let offset = offsetCache.get(key);
  if (offset === undefined) {
    offset = offsetOfWholeSecond(bucket * OFFSET_BUCKET_MS, timeZone);
    if (offsetCache.size >= MAX_CACHED_OFFSETS) offsetCache.clear();
    offsetCache.set(key, offset);
  }
  return offset;
}

/** The wall-clock date and minute of an instant in the zone. */
export function toLocal(instant: Date, timeZone: string): LocalTime {
  const wall = new Date(instant.getTime() + offsetMsAt(instant, timeZone));
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return { date: `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`, minuteOfDay: wall.getUTCHours() * 60 + wall.getUTCMinutes() };
}

/** The school-local date of an instant. */
export function localDateOf(instant: Date, timeZone: string): string {
  return toLocal(instant, timeZone).date;
}

/**
 * The instant at which the zone's clock shows `date` + `minuteOfDay` (1440 = the next midnight).
 * In a DST gap the later offset wins; Russia has had no DST since 2014.
 */
export function localToInstant(date: string, minuteOfDay: number, timeZone: string): Date {
  const wall = Date.parse(`${date}T00:00:00Z`) + minuteOfDay * MINUTE_MS;
  if (Number.isNaN(wall)) throw new GatewayError('GW_INTERNAL', `not a date: ${JSON.stringify(date)}`);
  const first = offsetMsAt(wall, timeZone);
  let t = wall - first;
  const second = offsetMsAt(t, timeZone);
  if (second !== first) t = wall - second;
  return new Date(t);
}

/** Local midnight starting `date`. */
export function startOfLocalDay(date: string, timeZone: string): Date {
  return localToInstant(date, 0, timeZone);
}

/** The end of `date` in the zone: 24:00, i.e. the next local midnight. A deadline "by the end of the day" is met at or before it. */
export function endOfLocalDay(date: string, timeZone: string): Date {
  return localToInstant(addDays(date, 1), 0, timeZone);
}

/** `n` hours after an instant (elapsed time: the same in every zone). */
export function addHours(instant: Date, n: number): Date {
  return new Date(instant.getTime() + n * HOUR_MS);
}

/** The same wall-clock time `n` calendar days later in the zone. */
export function addCalendarDaysAt(instant: Date, n: number, timeZone: string): Date {
  const l = toLocal(instant, timeZone);
  const seconds = instant.getTime() - localToInstant(l.date, l.minuteOfDay, timeZone).getTime();
  return new Date(localToInstant(addDays(l.date, n), l.minuteOfDay, timeZone).getTime() + seconds);
}

/** 'HH:MM' → minutes after midnight ('24:00' allowed as the end of the day). */
export function parseTimeOfDay(hhmm: string): number {
  const m = /^([01][0-9]|2[0-4]):([0-5][0-9])$/.exec(hhmm);
  if (m === null || (m[1] === '24' && m[2] !== '00')) {
    throw new GatewayError('GW_CONFIG_INVALID', `time of day ${JSON.stringify(hhmm)} is not HH:MM`);
  }
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Whole-day distance helper re-exported for the SLA modules. */
export { addDays, DAY_MS };
