import type { Cursor } from '../../src/core/cursor';
import { addDays, localDate, mondayOf, vendorDate } from './dates';

/**
 * Weeks the `journal` stream reads in one run. `position` = Monday of the last week read,
 * capped at the current week (later weeks are plans that change); `signpost` = the run's start.
 * The next run starts `lookbackWeeks` before the position: marks and absences are entered and
 * edited days later, and the group endpoints have no "changed since" filter. The ledger's
 * content hash drops what did not change.
 */
export interface WeekWindow { today: string; currentWeek: string; weeks: string[]; signpost: string }

/** A cursor written after `now` (its signpost, or a full-refresh position): reads nothing. */
export function isFutureCursor(from: Cursor | null, now: Date): boolean {
  if (!from) return false;
  if (from.signpost && Date.parse(from.signpost) > now.getTime()) return true;
  const t = Date.parse(from.position);
  return /T/.test(from.position) && !Number.isNaN(t) && t > now.getTime();
}

export function weekWindow(i: {
  now: Date; utcOffset: string; weeksBack: number; weeksAhead: number; lookbackWeeks: number; from: Cursor | null; since?: string;
}): WeekWindow {
  const today = localDate(i.now, i.utcOffset);
  const currentWeek = mondayOf(today);
  const signpost = i.now.toISOString();
  if (isFutureCursor(i.from, i.now)) return { today, currentWeek, weeks: [], signpost };
  let first: string;
  const pos = i.from ? vendorDate(i.from.position.slice(0, 10)) : undefined;
  if (i.from) {
    if (!pos) return { today, currentWeek, weeks: [], signpost };
    first = addDays(mondayOf(pos), -7 * i.lookbackWeeks);
  } else if (i.since && vendorDate(i.since.slice(0, 10))) {
    first = mondayOf(i.since.slice(0, 10));
  } else {
    first = addDays(currentWeek, -7 * i.weeksBack);
  }
  const last = addDays(currentWeek, 7 * i.weeksAhead);
  const weeks: string[] = [];
  for (let w = first; w <= last; w = addDays(w, 7)) weeks.push(w);
  return { today, currentWeek, weeks, signpost };
}

export function weekCursor(monday: string, win: WeekWindow): Cursor {
  return { v: 1, position: monday < win.currentWeek ? monday : win.currentWeek, signpost: win.signpost };
}

/** Checkpoint of a full-refresh stream: the run's start, so a later run is never "from the future". */
export function refreshCursor(now: Date): Cursor {
  const t = now.toISOString();
  return { v: 1, position: t, signpost: t };
}
