/**
 * What the letters say, read from the ledger's current bodies (read-only SQL on the same file):
 * the child's name, subject and period titles, and the digest's sections for one child and one
 * time window. Records whose body was purged are skipped; the consent gate decides separately
 * which of the records found may go out.
 */
import type Database from 'better-sqlite3';
import type { EntityType } from '../../core/records';
import type { Db } from '../../ledger/sqlite/connection';
import type { ChildName } from './templates';

export interface BodyRow { id: string; entity_type: EntityType; school_id: string; body: string }

const CURRENT = 'FROM records r JOIN record_versions v ON v.revision = r.revision';
const LIVE = "r.status = 'active' AND json_extract(v.body, '$.purged') IS NULL";

export interface DigestRecords {
  marks: BodyRow[];
  homework: BodyRow[];
  changes: BodyRow[];
  tests: BodyRow[];
}

export class FamilyDataReader {
  private readonly byId: Database.Statement<[string], BodyRow>;
  private readonly newer: Database.Statement<[number, number], BodyRow & { revision: number; first_seen_at: string }>;
  private readonly maxRevision: Database.Statement<[], { m: number | null }>;
  private readonly classes: Database.Statement<[string, string], { c: string }>;
  private readonly marks: Database.Statement<[string, string, string, string], BodyRow>;
  private readonly homework: Database.Statement<[string, string, string, string, string], BodyRow>;
  private readonly changes: Database.Statement<[string, string, string, string, string], BodyRow>;
  private readonly tests: Database.Statement<[string, string, string, string], BodyRow>;

  constructor(db: Db) {
    const cols = 'r.id AS id, r.entity_type AS entity_type, r.school_id AS school_id, v.body AS body';
    this.byId = db.prepare(`SELECT ${cols} ${CURRENT} WHERE r.id = ? AND json_extract(v.body, '$.purged') IS NULL`);
    this.newer = db.prepare(`SELECT ${cols}, r.revision AS revision, r.first_seen_at AS first_seen_at ${CURRENT}
      WHERE r.revision > ? AND r.entity_type IN ('attendance_event', 'mark') ORDER BY r.revision LIMIT ?`);
    this.maxRevision = db.prepare('SELECT MAX(revision) AS m FROM records');
    this.classes = db.prepare(`SELECT DISTINCT json_extract(v.body, '$.classGroupId') AS c ${CURRENT}
      WHERE r.school_id = ? AND r.entity_type = 'membership' AND ${LIVE} AND json_extract(v.body, '$.personId') = ?`);
    this.marks = db.prepare(`SELECT ${cols} ${CURRENT} WHERE r.school_id = ? AND r.entity_type = 'mark' AND ${LIVE}
      AND json_extract(v.body, '$.studentId') = ? AND json_extract(v.body, '$.kind') = 'current' AND r.first_seen_at > ? AND r.first_seen_at <= ?
      ORDER BY json_extract(v.body, '$.date'), r.revision`);
    this.homework = db.prepare(`SELECT ${cols} ${CURRENT} WHERE r.school_id = ? AND r.entity_type = 'homework' AND ${LIVE}
      AND (json_extract(v.body, '$.classGroupId') IN (SELECT value FROM json_each(?))
           OR EXISTS (SELECT 1 FROM json_each(v.body, '$.studentIds') WHERE value = ?))
      AND r.first_seen_at > ? AND r.first_seen_at <= ? ORDER BY json_extract(v.body, '$.dueDate'), r.revision`);
    this.changes = db.prepare(`SELECT ${cols} ${CURRENT} WHERE r.school_id = ? AND r.entity_type = 'lesson' AND ${LIVE}
      AND json_extract(v.body, '$.classGroupId') IN (SELECT value FROM json_each(?))
      AND json_extract(v.body, '$.state') IN ('cancelled', 'substituted', 'moved')
      AND json_extract(v.body, '$.date') >= ? AND v.ingested_at > ? AND v.ingested_at <= ?
      ORDER BY json_extract(v.body, '$.date'), json_extract(v.body, '$.number')`);
    this.tests = db.prepare(`SELECT ${cols} ${CURRENT} WHERE r.school_id = ? AND r.entity_type = 'assessment_schedule_entry' AND ${LIVE}
      AND json_extract(v.body, '$.classGroupId') IN (SELECT value FROM json_each(?))
      AND json_extract(v.body, '$.plannedDate') >= ? AND json_extract(v.body, '$.plannedDate') <= ?
      ORDER BY json_extract(v.body, '$.plannedDate')`);
  }

  record(id: string): { row: BodyRow; body: Record<string, unknown> } | undefined {
    const row = this.byId.get(id);
    return row ? { row, body: JSON.parse(row.body) as Record<string, unknown> } : undefined;
  }

  /** Attendance events and marks stored after `revision`, oldest first. */
  newerThan(revision: number, limit: number): Array<BodyRow & { revision: number; first_seen_at: string }> {
    return this.newer.all(revision, limit);
  }

  latestRevision(): number {
    return this.maxRevision.get()?.m ?? 0;
  }

  childName(childId: string): ChildName | undefined {
    const p = this.record(childId)?.body;
    if (!p || typeof p['givenName'] !== 'string') return undefined;
    return { givenName: p['givenName'], ...(typeof p['familyName'] === 'string' ? { familyName: p['familyName'] } : {}) };
  }

  /** A subject's, period's or other record's `title`. */
  title(id: unknown): string | undefined {
    if (typeof id !== 'string') return undefined;
    const t = this.record(id)?.body['title'];
    return typeof t === 'string' ? t : undefined;
  }

  /** The digest's records for one child: window (from, to] of intake time; tests from `today` to `until` (school dates). */
  digest(schoolId: string, childId: string, from: string, to: string, today: string, until: string): DigestRecords {
    const classes = JSON.stringify(this.classes.all(schoolId, childId).map((c) => c.c).filter((c) => typeof c === 'string'));
    return {
      marks: this.marks.all(schoolId, childId, from, to),
      homework: this.homework.all(schoolId, classes, childId, from, to),
      changes: this.changes.all(schoolId, classes, today, from, to),
      tests: this.tests.all(schoolId, classes, today, until),
    };
  }
}
