import type { Cursor } from '../../src/core/cursor';
import { addDays, eljurDate, localDate, mondayOf } from './dates';

/**
 * Which weeks a weekly stream (`diary`, `marks`) reads in one run.
 *
 * Cursor: `position` = Monday ('YYYY-MM-DD') of the last week read, capped at the run's current
 * week (later weeks are plans that change); `signpost` = the run's start (ISO UTC). The next run
 * starts `lookbackWeeks` before the position: ЭлЖур gives no modification times, teachers enter
 * marks days late, and the ledger's content hash drops what did not change.
 */
export interface WeekWindowInput {
  now: Date;
  utcOffset: string;
  weeksBack: number;
  weeksAhead: number;
  lookbackWeeks: number;
  from: Cursor | null;
  since?: string;
  /** Never read before this date (the school year's start), if known. */
  floor?: string;
}

export interface WeekWindow { today: string; currentWeek: string; weeks: string[]; signpost: string }

/** A cursor whose signpost, or date-time position, lies after now: it reads nothing and raises nothing. */
export function isFutureCursor(from: Cursor | null, now: Date): boolean {
  if (!from) return false;
  if (from.signpost && Date.parse(from.signpost) > now.getTime()) return true;
  const t = Date.parse(from.position);
  return /T/.test(from.position) && !Number.isNaN(t) && t > now.getTime();
}

export function weekWindow(i: WeekWindowInput): WeekWindow {
  const today = localDate(i.now, i.utcOffset);
  const currentWeek = mondayOf(today);
  const last = addDays(currentWeek, 7 * i.weeksAhead);
  const signpost = i.now.toISOString();
  const empty = { today, currentWeek, weeks: [], signpost };
  let first: string;
  if (i.from) {
    if (isFutureCursor(i.from, i.now)) return empty;
    const position = eljurDate(i.from.position.slice(0, 10));
    if (!position) return empty;
    first = addDays(mondayOf(position), -7 * i.lookbackWeeks);
  } else if (i.since && eljurDate(i.since.slice(0, 10))) {
    first = mondayOf(eljurDate(i.since.slice(0, 10)) as string);
  } else {
    first = addDays(currentWeek, -7 * i.weeksBack);
  }
  if (i.floor && first < mondayOf(i.floor)) first = mondayOf(i.floor);
  const weeks: string[] = [];
  for (let w = first; w <= last; w = addDays(w, 7)) weeks.push(w);
  return { today, currentWeek, weeks, signpost };
}

export function weekCursor(monday: string, win: WeekWindow): Cursor {
  return { v: 1, position: monday < win.currentWeek ? monday : win.currentWeek, signpost: win.signpost };
}
