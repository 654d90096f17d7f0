/**
 * The Russian production calendar as the SLA engine uses it: which days are worked, counting
 * working days, and when a request received at some instant counts as registered.
 *
 * Rules (domain reference §3.1): a five-day week; the non-working holidays of ТК РФ ст. 112 and
 * the Government's yearly transfers, including working Saturdays; regional overlays on top.
 * A term runs from the day after its event (ГК РФ ст. 191) and, if its last day is not worked,
 * ends on the next working day (ст. 193). A year the data does not cover is an explicit
 * `GW_SLA_CALENDAR_MISSING` naming the year — never a weekends-only guess.
 *
 * The data lives in `config/calendars/` (see calendar-load.ts); this file is pure.
 */
import { GatewayError } from '../core/errors';
import { addDays, weekdayIndex } from '../infra/adapter-kit/dates';
import { localToInstant, parseTimeOfDay, toLocal } from './local-time';

/** The worked/non-worked facts of one year, federal and regional days already merged. */
export interface YearDays {
  readonly year: number;
  /** Monday–Friday dates that are not worked. */
  readonly nonWorkingWeekdays: ReadonlySet<string>;
  /** Saturday/Sunday dates that are worked. */
  readonly workingWeekends: ReadonlySet<string>;
  /** Working days shortened by one hour before a holiday (ТК РФ ст. 95). */
  readonly shortenedDays: ReadonlySet<string>;
  /** Where the facts come from, for messages: e.g. 'ru-2025.json + regions/16.json'. */
  readonly origin: string;
}

/** The longest stretch of consecutive days off the calendar will walk through (New Year is 12). */
const MAX_DAYS_OFF_IN_A_ROW = 40;

/**
 * Working-day arithmetic over the covered years. Immutable; build one per (country, region)
 * with `buildWorkingCalendar` and share it between schools of that region.
 */
export class WorkingCalendar {
  private readonly years: ReadonlyMap<number, YearDays>;

  /**
   * @param id names the calendar in messages, e.g. 'RU' or 'RU+16'.
   * @param hint tells the operator how to add a missing year.
   */
  constructor(readonly id: string, years: Iterable<YearDays>, private readonly hint: string) {
    this.years = new Map([...years].map((y) => [y.year, y]));
  }

  /** Years with data, ascending. */
  coveredYears(): number[] {
    return [...this.years.keys()].sort((a, b) => a - b);
  }

  covers(year: number): boolean {
    return this.years.has(year);
  }

  /** Facts of the year of `date`; GW_SLA_CALENDAR_MISSING naming the year when not covered. */
  yearOf(date: string): YearDays {
    const year = Number(date.slice(0, 4));
    const y = this.years.get(year);
    if (y === undefined) {
      const covered = this.coveredYears();
      const span = covered.length === 0 ? 'none' : covered.join(', ');
      throw new GatewayError(
        'GW_SLA_CALENDAR_MISSING',
        `production calendar ${this.id} does not cover ${year} (covered years: ${span}); ${this.hint.replaceAll('{year}', String(year))}`,
        { context: { year, calendar: this.id } },
      );
    }
    return y;
  }

  /** True when `date` is worked under a five-day week with this calendar's holidays and transfers. */
  isWorkingDay(date: string): boolean {
    const y = this.yearOf(date);
    return weekdayIndex(date) >= 5 ? y.workingWeekends.has(date) : !y.nonWorkingWeekdays.has(date);
  }

  /** True when `date` is a working day shortened by one hour. */
  isShortenedDay(date: string): boolean {
    return this.yearOf(date).shortenedDays.has(date) && this.isWorkingDay(date);
  }

  /** `date` itself when it is worked, else the next working day. */
  workingDayOnOrAfter(date: string): string {
    let d = date;
    for (let i = 0; i <= MAX_DAYS_OFF_IN_A_ROW; i++) {
      if (this.isWorkingDay(d)) return d;
      d = addDays(d, 1);
    }
    throw new GatewayError('GW_CONFIG_INVALID', `production calendar ${this.id} has more than ${MAX_DAYS_OFF_IN_A_ROW} days off in a row after ${date}`);
  }

  /** The first working day strictly after `date`. */
  nextWorkingDay(date: string): string {
    return this.workingDayOnOrAfter(addDays(date, 1));
  }

  /**
   * The `n`-th working day after `date` (the event day itself is not counted, ГК РФ ст. 191).
   * `n` = 0 gives `date` itself. Crossing into an uncovered year throws, naming that year.
   */
  addWorkingDays(date: string, n: number): string {
    if (!Number.isInteger(n) || n < 0) throw new GatewayError('GW_INTERNAL', `addWorkingDays: bad count ${n}`);
    let d = date;
    for (let i = 0; i < n; i++) d = this.nextWorkingDay(d);
    return d;
  }

  /** `n` calendar days after `date`; no calendar data needed (the year is not checked). */
  addCalendarDays(date: string, n: number): string {
    return addDays(date, n);
  }

  /** Working days from `from` to `to`, both included. */
  countWorkingDays(from: string, to: string): number {
    let count = 0;
    for (let d = from; d <= to; d = addDays(d, 1)) if (this.isWorkingDay(d)) count++;
    return count;
  }

  /** Working days in a covered year. */
  workingDaysIn(year: number): number {
    this.yearOf(`${year}-01-01`);
    return this.countWorkingDays(`${year}-01-01`, `${year}-12-31`);
  }
}

// ---------------------------------------------------------------------------------------------
// Working hours and the registration rule

/**
 * Office hours of the body that registers requests (usually the school), in its own time zone.
 * A shortened pre-holiday day ends `shortenedByMinutes` earlier.
 */
export interface WorkingHours {
  /** 'HH:MM', e.g. '09:00'. */
  start: string;
  /** 'HH:MM', e.g. '18:00'; must be after start. */
  end: string;
  /** Default 60 (ТК РФ ст. 95). */
  shortenedByMinutes?: number;
}

/** Used when a school's SLA settings give no working hours. Schools should set their own. */
export const DEFAULT_WORKING_HOURS: Readonly<WorkingHours> = Object.freeze({ start: '09:00', end: '18:00', shortenedByMinutes: 60 });

interface HoursMinutes { start: number; end: number }

function hoursOn(date: string, hours: WorkingHours, cal: WorkingCalendar): HoursMinutes {
  const start = parseTimeOfDay(hours.start);
  let end = parseTimeOfDay(hours.end);
  if (end <= start) throw new GatewayError('GW_CONFIG_INVALID', `working hours end ${hours.end} is not after start ${hours.start}`);
  if (cal.isShortenedDay(date)) end = Math.max(start, end - (hours.shortenedByMinutes ?? 60));
  return { start, end };
}

/** The instant working hours begin on a working `date`. */
export function workingDayStart(date: string, timeZone: string, hours: WorkingHours, cal: WorkingCalendar): Date {
  return localToInstant(date, hoursOn(date, hours, cal).start, timeZone);
}

/** The start of working hours on the first working day after the local date of `instant`. */
export function nextWorkingDayStart(instant: Date, timeZone: string, hours: WorkingHours, cal: WorkingCalendar): Date {
  const next = cal.nextWorkingDay(toLocal(instant, timeZone).date);
  return workingDayStart(next, timeZone, hours, cal);
}

/** When a request counts as registered. */
export interface Registration {
  /** The local date it counts as received on; its terms run from the day after. */
  date: string;
  /** The instant it counts from: the receipt itself within hours, else the opening of `date`. */
  at: Date;
  /** True when it was received after hours or on a day off and moved to the next working day. */
  movedToNextWorkingDay: boolean;
}

/**
 * Applies the registration rule of the regulations (domain reference §1.1): a request received
 * after working hours or on a non-working day counts as received on the next working day. One
 * received on a working day before opening counts from that day's opening.
 */
export function registrationOf(receivedAt: Date, timeZone: string, hours: WorkingHours, cal: WorkingCalendar): Registration {
  const local = toLocal(receivedAt, timeZone);
  if (!cal.isWorkingDay(local.date)) {
    const date = cal.nextWorkingDay(local.date);
    return { date, at: workingDayStart(date, timeZone, hours, cal), movedToNextWorkingDay: true };
  }
  const h = hoursOn(local.date, hours, cal);
  if (local.minuteOfDay >= h.end) {
    const date = cal.nextWorkingDay(local.date);
    return { date, at: workingDayStart(date, timeZone, hours, cal), movedToNextWorkingDay: true };
  }
  if (local.minuteOfDay < h.start) {
    return { date: local.date, at: localToInstant(local.date, h.start, timeZone), movedToNextWorkingDay: false };
  }
  return { date: local.date, at: receivedAt, movedToNextWorkingDay: false };
}
