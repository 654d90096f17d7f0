import type { Cursor } from '../../src/core/cursor';
import { addDays, localDate, vendorDate } from './dates';

/**
 * Which days a dated stream (`schedule`, `marks`, `homework`) reads in one run, in chunks of
 * `CHUNK_DAYS` with a checkpoint after each.
 *
 * Cursor: `position` = the last day read ('YYYY-MM-DD'), capped at today (later days are plans
 * that change); `signpost` = the run's start (ISO UTC). The next run starts `lookbackDays` before
 * the position: the family API filters by the lesson date, not by when a mark was entered or
 * edited, so recent days are re-read and the ledger's content hash drops what did not change.
 */
export const CHUNK_DAYS = 7;

export interface DayWindowInput {
  now: Date; utcOffset: string; daysBack: number; daysAhead: number; lookbackDays: number;
  from: Cursor | null; since?: string;
}

export interface DayWindow { today: string; chunks: { from: string; to: string }[]; signpost: string }

/** A cursor the run cannot have produced yet (signpost, or a date-time position, after now). */
export function isFutureCursor(from: Cursor | null, now: Date): boolean {
  if (!from) return false;
  if (from.signpost && Date.parse(from.signpost) > now.getTime()) return true;
  const t = Date.parse(from.position);
  return !Number.isNaN(t) && t > now.getTime() + 86_400_000;
}

export function dayWindow(i: DayWindowInput): DayWindow {
  const today = localDate(i.now, i.utcOffset);
  const signpost = i.now.toISOString();
  if (isFutureCursor(i.from, i.now)) return { today, chunks: [], signpost };
  let first: string;
  if (i.from) {
    const pos = vendorDate(i.from.position);
    if (!pos) return { today, chunks: [], signpost };
    first = addDays(pos, -i.lookbackDays);
  } else if (i.since && vendorDate(i.since)) {
    first = vendorDate(i.since) as string;
  } else {
    first = addDays(today, -i.daysBack);
  }
  const last = addDays(today, i.daysAhead);
  const chunks: { from: string; to: string }[] = [];
  for (let d = first; d <= last; d = addDays(d, CHUNK_DAYS)) {
    const end = addDays(d, CHUNK_DAYS - 1);
    chunks.push({ from: d, to: end < last ? end : last });
  }
  return { today, chunks, signpost };
}

/** The checkpoint after reading a chunk ending `to`. */
export function dayCursor(to: string, win: DayWindow): Cursor {
  return { v: 1, position: to < win.today ? to : win.today, signpost: win.signpost };
}
