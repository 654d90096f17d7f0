import type Database from 'better-sqlite3';
import type { Cursor } from '../../core/cursor';
import type {
  CursorRow, QuarantineEntry, QuarantineFilter, RecordFilter, RecordVersion, RunSummary, StoredRecord,
} from '../../core/ledger';
import { StatementCache, type Db } from './connection';
import {
  buildWhere, limitOffset, toCursorRow, toQuarantineEntry, toRecordVersion, toRunSummary, toStoredRecord,
  type CursorDbRow, type QuarantineRow, type RecordRow, type RunRow, type VersionRow,
} from './rows';

const RECORD_SELECT = `SELECT r.*, v.body FROM records r JOIN record_versions v ON v.revision = r.revision`;
const ZERO_COUNTS: RunSummary['counts'] = { read: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0, enqueued: 0 };

/** Records, cursors, quarantine, runs and locks: everything outside intake and the delivery state machine. */
export class LedgerLookups {
  private readonly recordById: Database.Statement<[string], RecordRow>;
  private readonly history: Database.Statement<[string], VersionRow>;
  private readonly cursorOf: Database.Statement<[string, string, string], { cursor: string }>;
  private readonly quarantineById: Database.Statement<[number], QuarantineRow>;
  private readonly insertRun: Database.Statement<unknown[]>;
  private readonly updateRun: Database.Statement<unknown[]>;
  private readonly takeLock: Database.Statement<[string, string, string, string, string | null]>;
  private readonly lockRow: Database.Statement<[string], { owner: string; until: string }>;
  private readonly failRunning: Database.Statement<[string, string, string, string]>;
  private readonly dropLock: Database.Statement<[string, string]>;
  private readonly dynamic: StatementCache;

  constructor(db: Db) {
    this.dynamic = new StatementCache(db);
    this.recordById = db.prepare(`${RECORD_SELECT} WHERE r.id = ?`);
    this.history = db.prepare(`SELECT record_id, revision, content_hash, status, run_id, ingested_at, body
      FROM record_versions WHERE record_seq = (SELECT seq FROM records WHERE id = ?) ORDER BY revision`);
    this.cursorOf = db.prepare('SELECT cursor FROM cursors WHERE school_id = ? AND source_instance = ? AND stream = ?');
    this.quarantineById = db.prepare('SELECT * FROM quarantine WHERE id = ?');
    this.insertRun = db.prepare(`INSERT INTO runs (run_id, school_id, source_instance, trigger, started_at, status, counts)
      VALUES (?, ?, ?, ?, ?, 'running', ?)`);
    this.updateRun = db.prepare('UPDATE runs SET finished_at = ?, status = ?, counts = ?, streams = ?, error = ? WHERE run_id = ?');
    // Free, expired, or already ours (re-taking extends it); otherwise the upsert changes nothing.
    this.takeLock = db.prepare(`INSERT INTO locks (name, owner, until) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
      WHERE locks.until <= ? OR locks.owner = excluded.owner OR locks.owner = ?`);
    this.lockRow = db.prepare('SELECT owner, until FROM locks WHERE name = ?');
    this.failRunning = db.prepare(`UPDATE runs SET status = 'failed', finished_at = ?, error = ?
      WHERE school_id = ? AND source_instance = ? AND status = 'running'`);
    this.dropLock = db.prepare('DELETE FROM locks WHERE name = ? AND owner = ?');
  }

  getRecord(id: string): StoredRecord | undefined {
    const row = this.recordById.get(id);
    return row === undefined ? undefined : toStoredRecord(row);
  }

  getRecordHistory(id: string): RecordVersion[] {
    return this.history.all(id).map(toRecordVersion);
  }

  /** Ordered by revision, so `afterRevision` + `limit` pages through a watermark export. */
  listRecords(f: RecordFilter): StoredRecord[] {
    const w = buildWhere([['r.school_id = ?', f.schoolId], ['r.entity_type = ?', f.entityType], ['r.revision > ?', f.afterRevision]]);
    const page = limitOffset(f.limit, undefined);
    return this.dynamic.get<RecordRow>(`${RECORD_SELECT} ${w.where} ORDER BY r.revision ${page.sql}`)
      .all(...w.params, ...page.params)
      .map(toStoredRecord);
  }

  /** Scans the current bodies of one kind for an external id (persons are few per school). */
  findByExternalId(entityType: string, idType: string, value: string): StoredRecord[] {
    return this.dynamic.get<RecordRow>(`${RECORD_SELECT} WHERE r.entity_type = ? AND EXISTS (
        SELECT 1 FROM json_each(v.body, '$.externalIds') e
        WHERE json_extract(e.value, '$.type') = ? AND json_extract(e.value, '$.value') = ?)`)
      .all(entityType, idType, value)
      .map(toStoredRecord);
  }

  getCursor(schoolId: string, sourceInstance: string, stream: string): Cursor | null {
    const row = this.cursorOf.get(schoolId, sourceInstance, stream);
    return row === undefined ? null : (JSON.parse(row.cursor) as Cursor);
  }

  listCursors(schoolId?: string): CursorRow[] {
    const w = buildWhere([['school_id = ?', schoolId]]);
    return this.dynamic.get<CursorDbRow>(`SELECT * FROM cursors ${w.where} ORDER BY school_id, source_instance, stream`)
      .all(...w.params)
      .map(toCursorRow);
  }

  /** Open entries only unless `includeResolved`; oldest first. */
  listQuarantine(f: QuarantineFilter): QuarantineEntry[] {
    const w = buildWhere([['school_id = ?', f.schoolId]], f.includeResolved === true ? [] : ['resolved_at IS NULL']);
    const page = limitOffset(f.limit, f.offset);
    return this.dynamic.get<QuarantineRow>(`SELECT * FROM quarantine ${w.where} ORDER BY id ${page.sql}`)
      .all(...w.params, ...page.params)
      .map(toQuarantineEntry);
  }

  getQuarantine(id: number): QuarantineEntry | undefined {
    const row = this.quarantineById.get(id);
    return row === undefined ? undefined : toQuarantineEntry(row);
  }

  startRun(run: Omit<RunSummary, 'status' | 'counts' | 'finishedAt'>): void {
    this.insertRun.run(run.runId, run.schoolId, run.sourceInstance, run.trigger, run.startedAt, JSON.stringify(ZERO_COUNTS));
  }

  finishRun(runId: string, r: Pick<RunSummary, 'finishedAt' | 'status' | 'counts' | 'streams' | 'error'>): void {
    this.updateRun.run(r.finishedAt ?? null, r.status, JSON.stringify(r.counts), json(r.streams), json(r.error), runId);
  }

  /** Newest first. */
  listRuns(f: { schoolId?: string; sourceInstance?: string; limit?: number }): RunSummary[] {
    const w = buildWhere([['school_id = ?', f.schoolId], ['source_instance = ?', f.sourceInstance]]);
    const page = limitOffset(f.limit, undefined);
    return this.dynamic.get<RunRow>(`SELECT * FROM runs ${w.where} ORDER BY started_at DESC, rowid DESC ${page.sql}`)
      .all(...w.params, ...page.params)
      .map(toRunSummary);
  }

  tryLock(name: string, owner: string, until: string, now: string, takeOverFrom?: string): boolean {
    return this.takeLock.run(name, owner, until, now, takeOverFrom ?? null).changes > 0;
  }

  lockHolder(name: string): { owner: string; until: string } | undefined {
    return this.lockRow.get(name);
  }

  failInterruptedRuns(schoolId: string, sourceInstance: string, now: string, error: string): number {
    return this.failRunning.run(now, error, schoolId, sourceInstance).changes;
  }

  unlock(name: string, owner: string): void {
    this.dropLock.run(name, owner);
  }
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
