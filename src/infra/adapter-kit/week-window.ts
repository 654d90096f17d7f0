import type { Cursor } from '../../core/cursor';
import { addDays, localDate, mondayOf } from './dates';

/**
 * Which weeks a weekly stream reads in one run (shared by the source adapters).
 *
 * Cursor: `position` = Monday ('YYYY-MM-DD') of the last week read, capped at the run's
 * current week (later weeks are plans that change); `signpost` = the run's start (ISO UTC).
 * The next run starts `lookbackWeeks` before the position, because teachers enter and edit
 * marks days after the lesson and journals give no modification time: the ledger's content
 * hash drops what did not change.
 */
export interface WeekWindowInput {
  now: Date;
  utcOffset: string;
  weeksBack: number;
  weeksAhead: number;
  lookbackWeeks: number;
  from: Cursor | null;
  /** `sync --since` lower bound (ISO date), read from when there is no cursor. */
  since?: string;
  /** Never read before this date (the school year's start), if known. */
  floor?: string;
}

export interface WeekWindow {
  /** School-local date of the run. */
  today: string;
  currentWeek: string;
  /** Mondays to read, oldest first; empty for a cursor from the future. */
  weeks: string[];
  signpost: string;
}

/**
 * A cursor the run cannot have produced yet: its signpost, or for full-refresh streams its
 * position (the run start), lies after `now`. Such a cursor reads nothing and raises nothing.
 */
export function isFutureCursor(from: Cursor | null, now: Date): boolean {
  if (!from) return false;
  if (from.signpost && Date.parse(from.signpost) > now.getTime()) return true;
  const t = Date.parse(from.position);
  return /T/.test(from.position) && !Number.isNaN(t) && t > now.getTime();
}

/**
 * The weeks to read. `toDate` reads a vendor date ('YYYY-MM-DD…') from the cursor position and
 * from `since`, undefined when it is not one; each adapter passes its own lenient or strict parser.
 */
export function weekWindow(i: WeekWindowInput, toDate: (v: string) => string | undefined): WeekWindow {
  const today = localDate(i.now, i.utcOffset);
  const currentWeek = mondayOf(today);
  const last = addDays(currentWeek, 7 * i.weeksAhead);
  const signpost = i.now.toISOString();
  const empty = { today, currentWeek, weeks: [], signpost };

  let first: string;
  if (i.from) {
    // A cursor written "after" this run started (clock moved back, or a forged cursor) is from
    // the future: nothing to read, and no error.
    if (isFutureCursor(i.from, i.now)) return empty;
    const position = toDate(i.from.position.slice(0, 10));
    if (!position) return empty;
    first = addDays(mondayOf(position), -7 * i.lookbackWeeks);
  } else if (i.since && toDate(i.since.slice(0, 10))) {
    first = mondayOf(toDate(i.since.slice(0, 10)) as string);
  } else {
    first = addDays(currentWeek, -7 * i.weeksBack);
  }
  if (i.floor && first < mondayOf(i.floor)) first = mondayOf(i.floor);
  const weeks: string[] = [];
  for (let w = first; w <= last; w = addDays(w, 7)) weeks.push(w);
  return { today, currentWeek, weeks, signpost };
}

/** The checkpoint after reading week `monday`. */
export function weekCursor(monday: string, win: WeekWindow): Cursor {
  return { v: 1, position: monday < win.currentWeek ? monday : win.currentWeek, signpost: win.signpost };
}

/** Checkpoint of a full-refresh stream: the run's start, so a later run is never "from the future". */
export function refreshCursor(now: Date): Cursor {
  const t = now.toISOString();
  return { v: 1, position: t, signpost: t };
}
