/**
 * The ledger facts the subject rules need, read from the same SQLite file (read-only): the roles
 * of persons and the children of guardians, both from the current record bodies. A body the
 * purge replaced counts as unknown, so the rules fail closed on it.
 */
import type Database from 'better-sqlite3';
import type { Db } from '../../ledger/sqlite/connection';
import type { SubjectLookups } from './subjects';

const CURRENT = 'FROM records r JOIN record_versions v ON v.revision = r.revision';

export class SqliteSubjectLookups implements SubjectLookups {
  private readonly roles: Database.Statement<[string], { id: string; roles: string | null }>;
  private readonly links: Database.Statement<[string, string], { g: string | null; s: string | null }>;

  /** `includeInactive`: count tombstoned links too (the purge asks "was this ever the child's family"). */
  constructor(db: Db, includeInactive = false) {
    this.roles = db.prepare(`SELECT r.id AS id, json_extract(v.body, '$.roles') AS roles ${CURRENT}
      WHERE r.id IN (SELECT value FROM json_each(?)) AND r.entity_type = 'person' AND json_extract(v.body, '$.purged') IS NULL`);
    this.links = db.prepare(`SELECT json_extract(v.body, '$.guardianId') AS g, json_extract(v.body, '$.studentId') AS s ${CURRENT}
      WHERE r.school_id = ? AND r.entity_type = 'guardian_link' ${includeInactive ? '' : "AND r.status = 'active'"}
        AND json_extract(v.body, '$.guardianId') IN (SELECT value FROM json_each(?))`);
  }

  personRolesSync(ids: readonly string[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    if (ids.length === 0) return out;
    for (const row of this.roles.all(JSON.stringify(ids))) {
      const parsed: unknown = row.roles === null ? [] : JSON.parse(row.roles);
      out.set(row.id, Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : []);
    }
    return out;
  }

  guardianChildrenSync(schoolId: string, guardianIds: readonly string[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    if (guardianIds.length === 0) return out;
    for (const row of this.links.all(schoolId, JSON.stringify(guardianIds))) {
      if (row.g === null || row.s === null) continue;
      const list = out.get(row.g) ?? [];
      if (!list.includes(row.s)) list.push(row.s);
      out.set(row.g, list);
    }
    return out;
  }

  personRoles(ids: readonly string[]): Promise<Map<string, string[]>> {
    return Promise.resolve(this.personRolesSync(ids));
  }

  guardianChildren(schoolId: string, guardianIds: readonly string[]): Promise<Map<string, string[]>> {
    return Promise.resolve(this.guardianChildrenSync(schoolId, guardianIds));
  }
}
