/**
 * An opaque, per-stream position. Only the adapter that produced it interprets `position`.
 *
 * Invariant: the runner commits a cursor in the same ledger transaction as every record
 * read before it, so a cursor never runs ahead of committed data ("ack after commit").
 * `signpost` is the run's start time: adapters cap `position` at it so records changed
 * during a run are caught on the next one.
 */
export interface Cursor {
  v: 1;
  position: string;
  signpost?: string;
}

export function isCursor(x: unknown): x is Cursor {
  return typeof x === 'object' && x !== null && (x as Cursor).v === 1 && typeof (x as Cursor).position === 'string';
}
