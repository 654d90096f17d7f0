/**
 * Quiet hours for SMS in the recipient's time zone.
 *
 * No federal rule sets sending hours for informational SMS; the default borrows 230-ФЗ's
 * window (domain reference §4.1): 08:00–22:00 on working days and 09:00–20:00 on days off.
 * "Working day" is the production calendar's (src/sla/calendar.ts): a transferred working
 * Saturday is a working day, a holiday Monday is a day off. Urgent notices (an absence alert)
 * may bypass the window, keep it, or have their own window — the school decides.
 */
import { GatewayError } from '../../core/errors';
import { addDays } from '../../infra/adapter-kit/dates';
import { localToInstant, parseTimeOfDay, toLocal } from '../../sla/local-time';

/** 'HH:MM'–'HH:MM' local time; `end` is exclusive and must be after `start` ('24:00' allowed). */
export interface SendWindow {
  start: string;
  end: string;
}

/** How urgent notices treat quiet hours: ignore them, keep the normal window, or use their own window every day. */
export type UrgentRule = { mode: 'bypass' } | { mode: 'respect' } | { mode: 'window'; window: SendWindow };

export interface QuietHoursPolicy {
  workingDay: SendWindow;
  dayOff: SendWindow;
  urgent: UrgentRule;
}

export const DEFAULT_QUIET_HOURS: Readonly<QuietHoursPolicy> = Object.freeze({
  workingDay: Object.freeze({ start: '08:00', end: '22:00' }),
  dayOff: Object.freeze({ start: '09:00', end: '20:00' }),
  // Urgent notices keep the window unless the school says otherwise: an absence alert is sent
  // during lessons anyway, and nothing in the law allows night-time SMS.
  urgent: Object.freeze({ mode: 'respect' as const }),
});

/** What the window needs of the production calendar (a `WorkingCalendar` fits). */
export interface DayCalendar {
  isWorkingDay(date: string): boolean;
}

export interface SendSlot {
  /** True when a message may go out at `now`. */
  allowedNow: boolean;
  /** `now` when allowed, else the start of the next allowed window. */
  sendAt: Date;
  /** The recipient's local date of `now` and whether the calendar works it. */
  localDate: string;
  dayKind: 'working_day' | 'day_off';
  /** The window applied on the recipient's day (absent when urgent notices bypass quiet hours). */
  window?: SendWindow;
}

function windowMinutes(w: SendWindow): { start: number; end: number } {
  const start = parseTimeOfDay(w.start);
  const end = parseTimeOfDay(w.end);
  if (end <= start) throw new GatewayError('GW_CONFIG_INVALID', `SMS send window end ${w.end} is not after start ${w.start}`);
  return { start, end };
}

function windowFor(date: string, policy: QuietHoursPolicy, cal: DayCalendar, urgent: boolean): SendWindow | undefined {
  if (urgent && policy.urgent.mode === 'bypass') return undefined;
  if (urgent && policy.urgent.mode === 'window') return policy.urgent.window;
  return cal.isWorkingDay(date) ? policy.workingDay : policy.dayOff;
}

/**
 * May an SMS go out at `now` to a recipient in `timeZone`, and if not, when? A calendar year
 * the production calendar does not cover throws GW_SLA_CALENDAR_MISSING (no weekends-only guess).
 */
export function sendSlot(now: Date, timeZone: string, policy: QuietHoursPolicy, cal: DayCalendar, urgent = false): SendSlot {
  const local = toLocal(now, timeZone);
  const dayKind = cal.isWorkingDay(local.date) ? 'working_day' : 'day_off';
  const today = windowFor(local.date, policy, cal, urgent);
  const base = { localDate: local.date, dayKind, ...(today ? { window: today } : {}) } as const;
  if (today === undefined) return { ...base, allowedNow: true, sendAt: now };
  const t = windowMinutes(today);
  if (local.minuteOfDay >= t.start && local.minuteOfDay < t.end) return { ...base, allowedNow: true, sendAt: now };
  if (local.minuteOfDay < t.start) return { ...base, allowedNow: false, sendAt: localToInstant(local.date, t.start, timeZone) };
  // Past today's window: every day has a non-empty window, so the next day's start is the answer.
  const next = addDays(local.date, 1);
  const w = windowFor(next, policy, cal, urgent) as SendWindow;
  return { ...base, allowedNow: false, sendAt: localToInstant(next, windowMinutes(w).start, timeZone) };
}
