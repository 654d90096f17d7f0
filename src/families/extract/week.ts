/**
 * ISO weeks ('2025-W46', Monday to Sunday) in a school's calendar, and the deadline of a weekly
 * paper extract.
 *
 * Deadline: the extract of week W is handed over during the next week and is due at the end of
 * its Sunday (24:00 school time). This is the `paper-weekly` obligation of the regulation
 * profiles ("the record must be on the paper report of the week after the one in which the
 * journal had it": start = the Monday after, 7 calendar days, no roll to a working day), so the
 * extract's deadline and the SLA verdict on the records it carries agree. `handOverWeeks` = 0
 * makes it the end of week W itself, for schools that hand over on Friday of the same week.
 */
import { GatewayError } from '../../core/errors';
import { addDays, daysBetween, mondayOf } from '../../infra/adapter-kit/dates';
import { endOfLocalDay, localDateOf } from '../../sla/local-time';

export interface IsoWeek {
  /** '2025-W46'. */
  id: string;
  year: number;
  week: number;
  /** Monday, 'YYYY-MM-DD'. */
  start: string;
  /** Sunday. */
  end: string;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The ISO week a date belongs to (its Thursday decides the year). */
export function isoWeekOf(date: string): IsoWeek {
  const start = mondayOf(date);
  const thursday = addDays(start, 3);
  const year = Number(thursday.slice(0, 4));
  const week1 = mondayOf(`${year}-01-04`);
  const week = daysBetween(week1, start) / 7 + 1;
  return { id: `${year}-W${pad(week)}`, year, week, start, end: addDays(start, 6) };
}

/** Parses 'YYYY-Www'; GW_API_BAD_REQUEST for anything else or a week the year does not have. */
export function parseIsoWeek(s: string): IsoWeek {
  const m = /^(\d{4})-W(\d{2})$/.exec(s.trim());
  const bad = (): GatewayError => new GatewayError('GW_API_BAD_REQUEST', `week ${JSON.stringify(s)} is not an ISO week like 2025-W46`, { issues: [{ path: '/week', message: 'expected YYYY-Www' }] });
  if (!m) throw bad();
  const year = Number(m[1]);
  const week = Number(m[2]);
  if (week < 1) throw bad();
  const w = isoWeekOf(addDays(mondayOf(`${year}-01-04`), (week - 1) * 7));
  if (w.year !== year || w.week !== week) throw bad();
  return w;
}

/** The last week that has ended by `now` in the school's zone (on a Monday: the week before). */
export function lastFinishedWeek(now: Date, timeZone: string): IsoWeek {
  return isoWeekOf(addDays(mondayOf(localDateOf(now, timeZone)), -7));
}

/** When the extract of `week` must have been handed over: the end of Sunday `handOverWeeks` later, school time. */
export function extractDueAt(week: IsoWeek, timeZone: string, handOverWeeks = 1): Date {
  return endOfLocalDay(addDays(week.end, 7 * handOverWeeks), timeZone);
}
