import type { Cursor } from '../../src/core/cursor';

/**
 * Delta cursor of a OneRoster collection stream.
 *
 * `position` = the greatest `dateLastModified` seen (ISO UTC), capped at `signpost` = the run's
 * start; the next run asks for `dateLastModified>'position − lookbackMinutes'`, so records whose
 * modification was committed late or stamped by a clock a little behind ours are read again
 * (the ledger's content hash drops the unchanged ones). A run that sees nothing keeps the old
 * position. In CSV mode `position` is the name (or fingerprint) of the last package taken in.
 */
export interface DeltaWindow {
  /** Nothing to read: the cursor is from the future. */
  skip: boolean;
  /** Lower bound for `dateLastModified` (exclusive), absent for a full read. */
  since?: string;
  signpost: string;
}

/** A cursor the run cannot have produced yet (signpost, or a date-time position, after now). */
export function isFutureCursor(from: Cursor | null, now: Date): boolean {
  if (!from) return false;
  if (from.signpost && Date.parse(from.signpost) > now.getTime()) return true;
  const t = Date.parse(from.position);
  return /^\d{4}-\d{2}-\d{2}T/.test(from.position) && !Number.isNaN(t) && t > now.getTime();
}

/** ISO UTC without a `.000` millisecond part (friendlier to providers that compare strings). */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

/** The window of one read: from the cursor minus the lookback, else from `since` (`sync --since`), else everything. */
export function deltaWindow(from: Cursor | null, now: Date, lookbackMinutes: number, since?: string): DeltaWindow {
  const signpost = isoUtc(now.getTime());
  if (isFutureCursor(from, now)) return { skip: true, signpost };
  const pos = from && /^\d{4}-\d{2}-\d{2}T/.test(from.position) ? Date.parse(from.position) : NaN;
  if (!Number.isNaN(pos)) return { skip: false, since: isoUtc(pos - lookbackMinutes * 60_000), signpost };
  if (since) {
    const t = Date.parse(/T/.test(since) ? since : `${since.slice(0, 10)}T00:00:00Z`);
    if (!Number.isNaN(t)) return { skip: false, since: isoUtc(t), signpost };
  }
  return { skip: false, signpost };
}

/** Tracks the greatest `dateLastModified` of a read and makes its checkpoint. */
export class MaxSeen {
  private max = -Infinity;

  see(dateLastModified: unknown): void {
    if (typeof dateLastModified !== 'string') return;
    const t = Date.parse(dateLastModified);
    if (!Number.isNaN(t) && t > this.max) this.max = t;
  }

  get seen(): boolean {
    return this.max > -Infinity;
  }

  /**
   * The cursor after a complete read: the greatest date seen (never behind the previous position)
   * capped at the signpost; nothing seen keeps the previous position, or (first read) takes the signpost.
   */
  cursor(from: Cursor | null, signpost: string): Cursor {
    const cap = Date.parse(signpost);
    const prev = from && /^\d{4}-\d{2}-\d{2}T/.test(from.position) ? Date.parse(from.position) : NaN;
    let position: string;
    // Never behind the previous position: everything up to it was read before (the lookback
    // re-reads records older than it, which must not pull the cursor back).
    if (this.seen) position = isoUtc(Math.min(Number.isNaN(prev) ? this.max : Math.max(this.max, prev), cap));
    else if (!Number.isNaN(prev)) position = from!.position;
    else position = signpost;
    return { v: 1, position, signpost };
  }
}

/** The delta filter (`dateLastModified>'…'`), chained with ` AND ` to a configured one. */
export function deltaFilter(since: string | undefined, extra: string | undefined): string | undefined {
  const parts = [...(since ? [`dateLastModified>'${since}'`] : []), ...(extra ? [extra.trim()] : [])];
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}
