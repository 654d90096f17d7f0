/**
 * Lookups by reference (the ФГИС pull API's reads): records by indexed body fields, persons by
 * external id, current revisions of many ids. The indexes are migration 11 (migrations-fgis.ts);
 * without them (a ledger built with its own migration list) the same SQL still answers, by scan.
 */
import type { FieldQuery, IndexedField, StoredRecord } from '../../core/ledger';
import { StatementCache, type Db } from './connection';
import { toStoredRecord, type RecordRow } from './rows';

/** Textually equal to the index expressions of migrations-fgis.ts (the planner matches them by shape). */
const FIELD_SQL: Readonly<Record<IndexedField, string>> = {
  id: 'r.id',
  personId: "json_extract(v.body, '$.personId')",
  guardianId: "json_extract(v.body, '$.guardianId')",
  studentId: "json_extract(v.body, '$.studentId')",
  lessonId: "json_extract(v.body, '$.lessonId')",
  classGroupId: "json_extract(v.body, '$.classGroupId')",
  date: "json_extract(v.body, '$.date')",
  dueDate: "json_extract(v.body, '$.dueDate')",
  dueLessonId: "json_extract(v.body, '$.dueLessonId')",
};

/**
 * The SQL and parameters of a field query. Led by the body's indexes (CROSS JOIN keeps SQLite
 * from starting at `records_kind`, which would read the whole kind), or by `records_id` when the
 * query names ids. Without the indexes (`indexed` false) it reads the kind through `records_kind`
 * instead of scanning every version of every kind. Undefined when an `in` list is empty.
 */
export function fieldQuerySql(q: FieldQuery, indexed = true): { sql: string; params: unknown[] } | undefined {
  const terms: string[] = [];
  const params: unknown[] = [];
  for (const c of q.where) {
    const f = FIELD_SQL[c.field];
    if (c.eq !== undefined) { terms.push(`${f} = ?`); params.push(c.eq); }
    if (c.in !== undefined) {
      if (c.in.length === 0) return undefined;
      terms.push(`${f} IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(c.in));
    }
    if (c.from !== undefined) { terms.push(`${f} >= ?`); params.push(c.from); }
    if (c.to !== undefined) { terms.push(`${f} <= ?`); params.push(c.to); }
  }
  const byId = q.where.some((c) => c.field === 'id');
  const from = byId || !indexed
    ? 'records r JOIN record_versions v ON v.revision = r.revision'
    : 'record_versions v CROSS JOIN records r ON r.revision = v.revision';
  // Unary + keeps these off `records_kind`: without statistics SQLite would prefer it to records_id.
  const p = byId || indexed ? '+' : '';
  terms.push(`${p}r.school_id = ?`, `${p}r.entity_type = ?`, `${p}r.status = 'active'`);
  params.push(q.schoolId, q.entityType);
  return { sql: `SELECT r.*, v.body FROM ${from} WHERE ${terms.join(' AND ')} ORDER BY r.revision`, params };
}

export class FieldLookups {
  private readonly dynamic: StatementCache;
  private readonly externalIndexed: boolean;
  private readonly bodyIndexed: boolean;

  constructor(db: Db) {
    this.dynamic = new StatementCache(db);
    this.externalIndexed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'person_external_ids'").get() !== undefined;
    this.bodyIndexed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'record_versions_class_date'").get() !== undefined;
  }

  find(q: FieldQuery): StoredRecord[] {
    const built = fieldQuerySql(q, this.bodyIndexed);
    if (built === undefined) return [];
    return this.dynamic.get<RecordRow>(built.sql).all(...built.params).map(toStoredRecord);
  }

  /**
   * Persons carrying an external id, in arrival order, through `person_external_ids`; false when
   * that table is absent (the caller scans instead).
   */
  personsByExternalId(idType: string, value: string): StoredRecord[] | false {
    if (!this.externalIndexed) return false;
    return this.dynamic.get<RecordRow>(`SELECT r.*, v.body FROM records r JOIN record_versions v ON v.revision = r.revision
      WHERE r.revision IN (SELECT revision FROM person_external_ids WHERE type = ? AND value = ?) AND r.entity_type = 'person'
      ORDER BY r.seq`)
      .all(idType, value)
      .map(toStoredRecord);
  }

  currentRevisions(ids: readonly string[]): Map<string, number> {
    const map = new Map<string, number>();
    if (ids.length === 0) return map;
    const rows = this.dynamic.get<{ id: string; revision: number }>('SELECT id, revision FROM records WHERE id IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(ids));
    for (const row of rows) map.set(row.id, row.revision);
    return map;
  }
}
