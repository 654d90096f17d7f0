/**
 * The register of weekly paper extracts: one row per (school, week, student, version) with its
 * deadline, state and the ledger records it carried.
 *
 * Proposed ledger representation (for the lead to move into the ledger's migrations, e.g. as a
 * new step after FAMILIES_SQL, and to expose as `Ledger.extracts`): the two tables of
 * PAPER_EXTRACTS_SQL. Until then `SqliteExtractRegister` runs the same SQL on a file of its own
 * (`openExtractRegister(path)`), so nothing here touches the ledger's schema.
 *
 * States: generated → printed → handed_over. Recording a changed extract for the same week and
 * student (a mark entered late) makes a new version and supersedes the old one unless that was
 * already handed over (then both stay: the new one is a correction). An unchanged extract
 * (same content hash) is not recorded again. `servedAt(recordId)` gives the SLA engine the
 * moment a record reached the family on paper (RecordFacts.servedAt).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { GatewayError } from '../../core/errors';
import { DEFAULT_ID_NAMESPACE, uuidv5 } from '../../core/ids';
import type { RecordRef } from './assemble';

export const PAPER_EXTRACTS_SQL = `
CREATE TABLE IF NOT EXISTS paper_extracts (
  id              TEXT PRIMARY KEY,
  school_id       TEXT NOT NULL,
  week            TEXT NOT NULL,
  week_start      TEXT NOT NULL,
  week_end        TEXT NOT NULL,
  class_group_id  TEXT NOT NULL,
  student_id      TEXT NOT NULL,
  version         INTEGER NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('generated', 'printed', 'handed_over', 'superseded')),
  due_at          TEXT NOT NULL,
  generated_at    TEXT NOT NULL,
  content_hash    TEXT NOT NULL,
  pdf_sha256      TEXT NOT NULL,
  pdf_path        TEXT,
  printed_at      TEXT,
  handed_over_at  TEXT,
  handed_over_by  TEXT,
  superseded_by   TEXT,
  UNIQUE (school_id, week, student_id, version)
);
CREATE INDEX IF NOT EXISTS paper_extracts_due ON paper_extracts (state, due_at);
CREATE INDEX IF NOT EXISTS paper_extracts_class ON paper_extracts (school_id, week, class_group_id);
CREATE TABLE IF NOT EXISTS paper_extract_records (
  extract_id  TEXT NOT NULL REFERENCES paper_extracts (id),
  record_id   TEXT NOT NULL,
  revision    INTEGER NOT NULL,
  PRIMARY KEY (extract_id, record_id)
);
CREATE INDEX IF NOT EXISTS paper_extract_records_record ON paper_extract_records (record_id);
`;

export type ExtractState = 'generated' | 'printed' | 'handed_over' | 'superseded';

export interface NewPaperExtract {
  schoolId: string;
  week: string;
  weekStart: string;
  weekEnd: string;
  classGroupId: string;
  studentId: string;
  dueAt: string;
  generatedAt: string;
  contentHash: string;
  pdfSha256: string;
  pdfPath?: string;
  refs: readonly RecordRef[];
}

export interface PaperExtract extends Omit<NewPaperExtract, 'refs'> {
  id: string;
  version: number;
  state: ExtractState;
  refs: RecordRef[];
  printedAt?: string;
  handedOverAt?: string;
  handedOverBy?: string;
  supersededBy?: string;
}

export interface ExtractFilter {
  schoolId?: string;
  week?: string;
  classGroupId?: string;
  studentId?: string;
  state?: ExtractState;
}

export interface ExtractRegister {
  /** Records a generated extract; `created` false when the latest version has the same content. */
  record(x: NewPaperExtract): Promise<{ extract: PaperExtract; created: boolean }>;
  latest(schoolId: string, week: string, studentId: string): Promise<PaperExtract | undefined>;
  list(filter: ExtractFilter): Promise<PaperExtract[]>;
  markPrinted(ids: readonly string[], at: string): Promise<number>;
  /** GW_API_NOT_FOUND for an unknown id, GW_API_BAD_REQUEST for a superseded one. */
  markHandedOver(id: string, actor: string, at: string): Promise<PaperExtract>;
  /** Extracts not handed over whose deadline has passed. */
  overdue(now: string): Promise<PaperExtract[]>;
  /** When a record first reached its family on paper (earliest hand-over of an extract carrying it). */
  servedAt(recordId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

interface Row {
  id: string; school_id: string; week: string; week_start: string; week_end: string; class_group_id: string; student_id: string;
  version: number; state: ExtractState; due_at: string; generated_at: string; content_hash: string; pdf_sha256: string; pdf_path: string | null;
  printed_at: string | null; handed_over_at: string | null; handed_over_by: string | null; superseded_by: string | null;
}

export class SqliteExtractRegister implements ExtractRegister {
  constructor(private readonly db: Database.Database, private readonly idNamespace = DEFAULT_ID_NAMESPACE) {}

  private refsOf(id: string): RecordRef[] {
    return this.db.prepare('SELECT record_id AS id, revision FROM paper_extract_records WHERE extract_id = ? ORDER BY record_id').all(id) as RecordRef[];
  }

  private toExtract(r: Row): PaperExtract {
    return {
      id: r.id, schoolId: r.school_id, week: r.week, weekStart: r.week_start, weekEnd: r.week_end, classGroupId: r.class_group_id,
      studentId: r.student_id, version: r.version, state: r.state, dueAt: r.due_at, generatedAt: r.generated_at, contentHash: r.content_hash,
      pdfSha256: r.pdf_sha256, refs: this.refsOf(r.id),
      ...(r.pdf_path ? { pdfPath: r.pdf_path } : {}), ...(r.printed_at ? { printedAt: r.printed_at } : {}),
      ...(r.handed_over_at ? { handedOverAt: r.handed_over_at } : {}), ...(r.handed_over_by ? { handedOverBy: r.handed_over_by } : {}),
      ...(r.superseded_by ? { supersededBy: r.superseded_by } : {}),
    };
  }

  async latest(schoolId: string, week: string, studentId: string): Promise<PaperExtract | undefined> {
    const r = this.db.prepare('SELECT * FROM paper_extracts WHERE school_id = ? AND week = ? AND student_id = ? ORDER BY version DESC LIMIT 1').get(schoolId, week, studentId) as Row | undefined;
    return r ? this.toExtract(r) : undefined;
  }

  async record(x: NewPaperExtract): Promise<{ extract: PaperExtract; created: boolean }> {
    const tx = this.db.transaction((): { id: string; created: boolean } => {
      const prev = this.db.prepare('SELECT * FROM paper_extracts WHERE school_id = ? AND week = ? AND student_id = ? ORDER BY version DESC LIMIT 1').get(x.schoolId, x.week, x.studentId) as Row | undefined;
      if (prev && prev.content_hash === x.contentHash) return { id: prev.id, created: false };
      const version = (prev?.version ?? 0) + 1;
      const id = uuidv5(`paper_extract|${x.schoolId}|${x.week}|${x.studentId}|${version}`, this.idNamespace);
      this.db.prepare(`INSERT INTO paper_extracts (id, school_id, week, week_start, week_end, class_group_id, student_id, version, state, due_at, generated_at, content_hash, pdf_sha256, pdf_path)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'generated', ?, ?, ?, ?, ?)`)
        .run(id, x.schoolId, x.week, x.weekStart, x.weekEnd, x.classGroupId, x.studentId, version, x.dueAt, x.generatedAt, x.contentHash, x.pdfSha256, x.pdfPath ?? null);
      const ins = this.db.prepare('INSERT INTO paper_extract_records (extract_id, record_id, revision) VALUES (?, ?, ?)');
      for (const r of x.refs) ins.run(id, r.id, r.revision);
      this.db.prepare(`UPDATE paper_extracts SET state = 'superseded', superseded_by = ? WHERE school_id = ? AND week = ? AND student_id = ? AND version < ? AND state IN ('generated', 'printed')`)
        .run(id, x.schoolId, x.week, x.studentId, version);
      return { id, created: true };
    });
    const { id, created } = tx();
    return { extract: this.toExtract(this.db.prepare('SELECT * FROM paper_extracts WHERE id = ?').get(id) as Row), created };
  }

  async list(f: ExtractFilter): Promise<PaperExtract[]> {
    const where: string[] = [];
    const params: string[] = [];
    const add = (col: string, v: string | undefined): void => { if (v !== undefined) { where.push(`${col} = ?`); params.push(v); } };
    add('school_id', f.schoolId); add('week', f.week); add('class_group_id', f.classGroupId); add('student_id', f.studentId); add('state', f.state);
    const sql = `SELECT * FROM paper_extracts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY school_id, week, class_group_id, student_id, version`;
    return (this.db.prepare(sql).all(...params) as Row[]).map((r) => this.toExtract(r));
  }

  async markPrinted(ids: readonly string[], at: string): Promise<number> {
    const st = this.db.prepare(`UPDATE paper_extracts SET state = 'printed', printed_at = ? WHERE id = ? AND state = 'generated'`);
    return this.db.transaction(() => ids.reduce((n, id) => n + st.run(at, id).changes, 0))();
  }

  async markHandedOver(id: string, actor: string, at: string): Promise<PaperExtract> {
    const r = this.db.prepare('SELECT * FROM paper_extracts WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new GatewayError('GW_API_NOT_FOUND', `paper extract ${id} not found`);
    if (r.state === 'superseded') throw new GatewayError('GW_API_BAD_REQUEST', `paper extract ${id} was superseded by ${r.superseded_by}; hand over the newer version`);
    if (r.state !== 'handed_over') {
      this.db.prepare(`UPDATE paper_extracts SET state = 'handed_over', handed_over_at = ?, handed_over_by = ?, printed_at = COALESCE(printed_at, ?) WHERE id = ?`).run(at, actor, at, id);
    }
    return this.toExtract(this.db.prepare('SELECT * FROM paper_extracts WHERE id = ?').get(id) as Row);
  }

  async overdue(now: string): Promise<PaperExtract[]> {
    return (this.db.prepare(`SELECT * FROM paper_extracts WHERE state IN ('generated', 'printed') AND due_at < ? ORDER BY due_at`).all(now) as Row[]).map((r) => this.toExtract(r));
  }

  async servedAt(recordId: string): Promise<string | undefined> {
    const v = this.db.prepare(`SELECT MIN(e.handed_over_at) FROM paper_extract_records x JOIN paper_extracts e ON e.id = x.extract_id
      WHERE x.record_id = ? AND e.handed_over_at IS NOT NULL`).pluck().get(recordId) as string | null | undefined;
    return v ?? undefined;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** The interim register on a file of its own (until the ledger carries the tables). */
export function openExtractRegister(path: string, idNamespace = DEFAULT_ID_NAMESPACE): SqliteExtractRegister {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec(PAPER_EXTRACTS_SQL);
  return new SqliteExtractRegister(db, idNamespace);
}
