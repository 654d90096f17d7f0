/**
 * Helpers shared by the push tests (this folder, test/unit/push-intake.test.ts and
 * test/integration/push.test.ts): a recording logger, ledger row counts, and item builders.
 */
import Database from 'better-sqlite3';
import type { Logger } from '../../../src/core/logger';

export interface LogLine { level: string; message: string; [k: string]: unknown }

/** A logger that keeps every line with its child fields (what a transport would receive). */
export function recordingLogger(lines: LogLine[], fields: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (message: string, meta?: Record<string, unknown>): void => { lines.push({ ...fields, ...meta, level, message }); };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: (f) => recordingLogger(lines, { ...fields, ...f }) };
}

/** Rows per table, read through a separate read-only connection. */
export function tableCounts(file: string): Record<string, number> {
  const peek = new Database(file, { readonly: true });
  try {
    const n = (t: string): number => peek.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number;
    return { records: n('records'), record_versions: n('record_versions'), deliveries: n('deliveries'), quarantine: n('quarantine') };
  } finally { peek.close(); }
}

export const subjectItem = (n: number, title = `Предмет ${n}`): Record<string, unknown> => ({ entityType: 'subject', sourceId: `subj-${n}`, title });

export function markItem(n: number, raw = '5', comment?: string): Record<string, unknown> {
  return {
    entityType: 'mark', sourceId: `mark-${n}`, sourceModifiedAt: '2025-11-12T10:05:00Z',
    kind: 'current', markStatus: 'graded', value: { scale: 'five_point', raw, numeric: Number(raw) },
    markedAt: '2025-11-12T10:05:00Z', date: '2025-11-12', ...(comment ? { teacherComment: comment } : {}),
    refs: { studentId: { entityType: 'person', sourceId: `st-${n}` }, subjectId: { entityType: 'subject', sourceId: 'subj-1' } },
  };
}

