/**
 * The `files` stream's cursor position (JSON in `Cursor.position`):
 *
 * - `done`: files whose records were all yielded, with their identity and content hash. Listed
 *   in a committed cursor, they are committed: the next read moves them to the archive first
 *   (never the read that finished them, whose checkpoint may not be committed yet) and never
 *   reads a file with the same identity again.
 * - `partial`: the file being read at the last checkpoint inside it: a byte offset at a record
 *   boundary, with what is needed to go on from there (CSV delimiter and header, XML root), and
 *   the SHA-256 of the bytes before the offset so a changed file is never resumed.
 */
import type { Cursor } from '../../src/core/cursor';
import type { Delimiter } from './formats/csv';
import type { FileIdentity } from './inbox';
import type { FileFormat } from './spec';

export interface DoneFile extends FileIdentity {
  sha256: string;
  records: number;
  invalid: number;
}

export interface PartialFile extends FileIdentity {
  format: FileFormat;
  /** Encoding decided so far (`ascii`: nothing but ASCII before the offset). */
  encoding: 'ascii' | 'utf-8' | 'windows-1251';
  offset: number;
  /** Line of the file at `offset`. */
  line: number;
  records: number;
  invalid: number;
  prefixSha256: string;
  csv?: { delimiter: Delimiter; header: string[] };
  xml?: { index: number; rootName: string; rootAttrs: Record<string, string> };
}

export interface FilePosition {
  done: DoneFile[];
  partial?: PartialFile;
}

/** Reads a position; anything that is not one (or no cursor) is the empty position: everything is read, dedup absorbs repeats. */
export function parsePosition(c: Cursor | null): FilePosition {
  if (!c) return { done: [] };
  try {
    const p = JSON.parse(c.position) as Partial<FilePosition>;
    const done = Array.isArray(p.done) ? p.done.filter(isIdentity) : [];
    const partial = p.partial && isIdentity(p.partial) && typeof p.partial.offset === 'number' ? p.partial : undefined;
    return { done, ...(partial ? { partial } : {}) };
  } catch {
    return { done: [] };
  }
}

function isIdentity(x: unknown): x is DoneFile {
  const f = x as Partial<FileIdentity> | null;
  return typeof f === 'object' && f !== null && typeof f.name === 'string' && typeof f.size === 'number' && typeof f.mtimeMs === 'number';
}

export function toCursor(p: FilePosition, signpost: string): Cursor {
  return { v: 1, position: JSON.stringify(p), signpost };
}
