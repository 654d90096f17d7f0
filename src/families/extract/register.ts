/**
 * The register of weekly paper extracts: one row per (school, week, student, version) with its
 * deadline, state and the ledger records it carried. It lives in the ledger's SQLite file
 * (tables `paper_extracts` and `paper_extract_records` of migration 7,
 * src/ledger/sqlite/migrations-extracts.ts) and works on the ledger's connection, so the
 * withdrawal purge destroys a family's extracts in the same transaction as its records.
 * The SLA engine reads the two tables read-only (`servedAt` semantics: `handed_over_at` of an
 * extract carrying the record).
 *
 * States: generated → printed → handed_over. Recording a changed extract for the same week and
 * student (a mark entered late) makes a new version and supersedes the old one unless that was
 * already handed over (then both stay: the new one is a correction). An unchanged extract
 * (same content hash) is not recorded again. `servedAt(recordId)` gives the SLA engine the
 * moment a record reached the family on paper (RecordFacts.servedAt).
 *
 * Withdrawal purge (`purgeHooks()`): the child's register rows and PDF files go, and so does
 * each class bundle PDF that carried the child's pages; the consent purge's audit row counts
 * both. The removed bundles are remembered (`takeRemovedBundles()`) so that, once the purge has
 * committed, `reprintClassBundles` (reprint.ts) prints each again for the families left in it.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PurgeHook } from '../../core/consent';
import { GatewayError } from '../../core/errors';
import { DEFAULT_ID_NAMESPACE, uuidv5 } from '../../core/ids';
import type { Ledger } from '../../core/ledger';
import { guard, type Db } from '../../ledger/sqlite/connection';
import { SqliteLedger } from '../../ledger/sqlite/sqlite-ledger';
import type { RecordRef } from './assemble';

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
  /** Where the extract's PDF was written (absolute path), once it is on disk. */
  setPdfPath(id: string, path: string): Promise<void>;
  latest(schoolId: string, week: string, studentId: string): Promise<PaperExtract | undefined>;
  list(filter: ExtractFilter): Promise<PaperExtract[]>;
  markPrinted(ids: readonly string[], at: string): Promise<number>;
  /** GW_API_NOT_FOUND for an unknown id, GW_API_BAD_REQUEST for a superseded one. */
  markHandedOver(id: string, actor: string, at: string): Promise<PaperExtract>;
  /** Extracts not handed over whose deadline has passed. */
  overdue(now: string): Promise<PaperExtract[]>;
  /** When a record first reached its family on paper (earliest hand-over of an extract carrying it). */
  servedAt(recordId: string): Promise<string | undefined>;
  /** A class bundle PDF was written carrying these students' pages (so the withdrawal purge finds every copy, whatever folder it went to). */
  recordBundle?(b: { path: string; schoolId: string; week: string; classGroupId: string; studentIds: readonly string[] }): Promise<void>;
}

interface Row {
  id: string; school_id: string; week: string; week_start: string; week_end: string; class_group_id: string; student_id: string;
  version: number; state: ExtractState; due_at: string; generated_at: string; content_hash: string; pdf_sha256: string; pdf_path: string | null;
  printed_at: string | null; handed_over_at: string | null; handed_over_by: string | null; superseded_by: string | null;
}

/** Hook names in the purge audit (`destroyed.other`). */
export const EXTRACT_PURGE_ROWS = 'paper_extracts';
export const EXTRACT_PURGE_FILES = 'paper_extract_files';

/** The class bundle a family PDF belongs to: `<week dir>/<class>/<id>.pdf` → `<week dir>/<class>.pdf` (run.ts lays them out so). */
export const classBundleOf = (familyPdf: string): string => `${dirname(familyPdf)}.pdf`;

/** `family_state` keys of the class bundles that carried a student's pages (as SMS opt-outs keep theirs; no schema change). */
const bundlePrefix = (schoolId: string, studentId: string): string => `extract-bundle|${schoolId}|${studentId}|`;
const bundleKey = (schoolId: string, studentId: string, path: string): string => `${bundlePrefix(schoolId, studentId)}${path}`;

/** Removes a file; true when it existed. Errors other than "not there" are thrown: a PDF that cannot be destroyed must fail the purge. */
function removeFile(path: string): boolean {
  try {
    rmSync(path);
    return true;
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** A class bundle PDF the withdrawal purge removed because it carried a purged child's pages. */
export interface RemovedBundle {
  /** Absolute path of the bundle (`<outDir>/<school>/<week>/<class>.pdf`). */
  path: string;
  schoolId: string;
  week: string;
  classGroupId: string;
  purgedChildren: string[];
}

export class SqliteExtractRegister implements ExtractRegister {
  private readonly removedBundles = new Map<string, RemovedBundle>();

  /** `db` is the ledger's connection (`SqliteLedger.database()`), migrated to version 7 or later. */
  constructor(private readonly db: Db, private readonly idNamespace = DEFAULT_ID_NAMESPACE) {}

  /** The class bundles removed by this register's purge hooks since the last call (and forgets them). */
  takeRemovedBundles(): RemovedBundle[] {
    const out = [...this.removedBundles.values()];
    this.removedBundles.clear();
    return out;
  }

  /** True while the register still has rows of this student (a purge that rolled back). */
  hasStudent(schoolId: string, studentId: string): boolean {
    return this.db.prepare('SELECT 1 FROM paper_extracts WHERE school_id = ? AND student_id = ? LIMIT 1').get(schoolId, studentId) !== undefined;
  }

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

  private byId(id: string): Row | undefined {
    return this.db.prepare('SELECT * FROM paper_extracts WHERE id = ?').get(id) as Row | undefined;
  }

  latest(schoolId: string, week: string, studentId: string): Promise<PaperExtract | undefined> {
    return guard(() => {
      const r = this.db.prepare('SELECT * FROM paper_extracts WHERE school_id = ? AND week = ? AND student_id = ? ORDER BY version DESC LIMIT 1').get(schoolId, week, studentId) as Row | undefined;
      return r ? this.toExtract(r) : undefined;
    });
  }

  record(x: NewPaperExtract): Promise<{ extract: PaperExtract; created: boolean }> {
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
    return guard(() => {
      const { id, created } = tx.immediate();
      return { extract: this.toExtract(this.byId(id) as Row), created };
    });
  }

  setPdfPath(id: string, path: string): Promise<void> {
    return guard(() => { this.db.prepare('UPDATE paper_extracts SET pdf_path = ? WHERE id = ?').run(path, id); });
  }

  list(f: ExtractFilter): Promise<PaperExtract[]> {
    const where: string[] = [];
    const params: string[] = [];
    const add = (col: string, v: string | undefined): void => { if (v !== undefined) { where.push(`${col} = ?`); params.push(v); } };
    add('school_id', f.schoolId); add('week', f.week); add('class_group_id', f.classGroupId); add('student_id', f.studentId); add('state', f.state);
    const sql = `SELECT * FROM paper_extracts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY school_id, week, class_group_id, student_id, version`;
    return guard(() => (this.db.prepare(sql).all(...params) as Row[]).map((r) => this.toExtract(r)));
  }

  markPrinted(ids: readonly string[], at: string): Promise<number> {
    const st = this.db.prepare(`UPDATE paper_extracts SET state = 'printed', printed_at = ? WHERE id = ? AND state = 'generated'`);
    return guard(() => this.db.transaction(() => ids.reduce((n, id) => n + st.run(at, id).changes, 0)).immediate());
  }

  markHandedOver(id: string, actor: string, at: string): Promise<PaperExtract> {
    return guard(() => {
      const r = this.byId(id);
      if (!r) throw new GatewayError('GW_API_NOT_FOUND', `paper extract ${id} not found`);
      if (r.state === 'superseded') throw new GatewayError('GW_API_BAD_REQUEST', `paper extract ${id} was superseded by ${r.superseded_by}; hand over the newer version`);
      if (r.state !== 'handed_over') {
        this.db.prepare(`UPDATE paper_extracts SET state = 'handed_over', handed_over_at = ?, handed_over_by = ?, printed_at = COALESCE(printed_at, ?) WHERE id = ?`).run(at, actor, at, id);
      }
      return this.toExtract(this.byId(id) as Row);
    });
  }

  overdue(now: string): Promise<PaperExtract[]> {
    return guard(() => (this.db.prepare(`SELECT * FROM paper_extracts WHERE state IN ('generated', 'printed') AND due_at < ? ORDER BY due_at`).all(now) as Row[]).map((r) => this.toExtract(r)));
  }

  recordBundle(b: { path: string; schoolId: string; week: string; classGroupId: string; studentIds: readonly string[] }): Promise<void> {
    const put = this.db.prepare('INSERT INTO family_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');
    const value = JSON.stringify({ week: b.week, classGroupId: b.classGroupId });
    return guard(() => this.db.transaction(() => { for (const st of b.studentIds) put.run(bundleKey(b.schoolId, st, b.path), value); }).immediate());
  }

  servedAt(recordId: string): Promise<string | undefined> {
    return guard(() => {
      const v = this.db.prepare(`SELECT MIN(e.handed_over_at) FROM paper_extract_records x JOIN paper_extracts e ON e.id = x.extract_id
        WHERE x.record_id = ? AND e.handed_over_at IS NOT NULL`).pluck().get(recordId) as string | null | undefined;
      return v ?? undefined;
    });
  }

  /**
   * The register's share of the withdrawal purge (src/core/consent.ts PurgeHook), run inside the
   * purge transaction: first the PDF files (the child's own and the class bundles that carried
   * its pages), then the register rows. Files first: if removing one fails, the purge fails
   * and is retried by the next run with the rows still there to find the files.
   */
  purgeHooks(): PurgeHook[] {
    const rows = (schoolId: string, childId: string): Array<{ pdf_path: string; week: string; class_group_id: string }> =>
      this.db.prepare('SELECT pdf_path, week, class_group_id FROM paper_extracts WHERE school_id = ? AND student_id = ? AND pdf_path IS NOT NULL')
        .all(schoolId, childId) as Array<{ pdf_path: string; week: string; class_group_id: string }>;
    const bundlesOf = (schoolId: string, childId: string): Array<{ pdf_path: string; week: string; class_group_id: string; bundle: string }> => {
      const prefix = bundlePrefix(schoolId, childId);
      return (this.db.prepare('SELECT name, value FROM family_state WHERE substr(name, 1, length(?)) = ?').all(prefix, prefix) as Array<{ name: string; value: string }>)
        .map((r) => {
          const v = JSON.parse(r.value) as { week: string; classGroupId: string };
          return { pdf_path: '', week: v.week, class_group_id: v.classGroupId, bundle: r.name.slice(prefix.length) };
        });
    };
    return [
      {
        name: EXTRACT_PURGE_FILES,
        destroy: (schoolId, childId) => {
          const found = [...rows(schoolId, childId).map((r) => ({ ...r, bundle: classBundleOf(r.pdf_path) })), ...bundlesOf(schoolId, childId)];
          const own = found.filter((r) => r.pdf_path !== '').map((r) => r.pdf_path);
          // Remembered whether or not the bundle is still on disk (a failed purge may have removed it already):
          // `takeRemovedBundles()` hands them to the reprint after the purge has committed.
          for (const r of found) {
            const path = r.bundle;
            const prev = this.removedBundles.get(path);
            this.removedBundles.set(path, { path, schoolId, week: r.week, classGroupId: r.class_group_id, purgedChildren: [...new Set([...(prev?.purgedChildren ?? []), childId])] });
          }
          const files = new Set([...own, ...found.map((r) => r.bundle)]);
          this.db.prepare('DELETE FROM family_state WHERE substr(name, 1, length(?)) = ?').run(bundlePrefix(schoolId, childId), bundlePrefix(schoolId, childId));
          let n = 0;
          for (const f of files) if (removeFile(f)) n++;
          return n;
        },
      },
      {
        name: EXTRACT_PURGE_ROWS,
        destroy: (schoolId, childId) => {
          const ids = JSON.stringify(this.db.prepare('SELECT id FROM paper_extracts WHERE school_id = ? AND student_id = ?').pluck().all(schoolId, childId));
          this.db.prepare('DELETE FROM paper_extract_records WHERE extract_id IN (SELECT value FROM json_each(?))').run(ids);
          // superseded_by of a surviving row never points here: versions supersede only within one student.
          return this.db.prepare('DELETE FROM paper_extracts WHERE id IN (SELECT value FROM json_each(?))').run(ids).changes;
        },
      },
    ];
  }
}

/** The register on the ledger's SQLite file (GW_INTERNAL for another ledger driver). */
export function createExtractRegister(ledger: Ledger, idNamespace = DEFAULT_ID_NAMESPACE): SqliteExtractRegister {
  if (!(ledger instanceof SqliteLedger)) throw new GatewayError('GW_INTERNAL', 'The paper extract register needs the SQLite ledger');
  return new SqliteExtractRegister(ledger.database(), idNamespace);
}
