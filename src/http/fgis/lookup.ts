/**
 * The reads behind one `GET /Schedule`: records by reference through `Ledger.findRecords` (indexed
 * in the SQLite ledger), or, for a ledger without it, the school's records of a kind read once per
 * answer and tested with the same conditions.
 */
import type { FieldCondition, FieldQuery, Ledger, StoredRecord } from '../../core/ledger';
import type { EntityType } from '../../core/records';

export interface RecordLookup {
  /** Active current records of a school and kind passing every condition, in revision order. */
  find(schoolId: string, entityType: EntityType, where: readonly FieldCondition[]): Promise<StoredRecord[]>;
  /** Active current records of a school and kind by id. */
  byIds(schoolId: string, entityType: EntityType, ids: Iterable<string>): Promise<Map<string, StoredRecord>>;
}

/** One lookup per answer: the fallback's reads are kept for the answer's lifetime only. */
export function recordLookup(ledger: Ledger): RecordLookup {
  const loaded = new Map<string, Promise<StoredRecord[]>>();
  const query = async (q: FieldQuery): Promise<StoredRecord[]> => {
    if (q.where.some((c) => c.in !== undefined && c.in.length === 0)) return [];
    if (ledger.findRecords) return ledger.findRecords(q);
    const key = `${q.schoolId}\u0000${q.entityType}`;
    let all = loaded.get(key);
    if (!all) {
      all = ledger.listRecords({ schoolId: q.schoolId, entityType: q.entityType }).then((rs) => rs.filter((r) => r.status === 'active'));
      loaded.set(key, all);
    }
    return (await all).filter((r) => matchesConditions(r, q.where));
  };
  return {
    find: (schoolId, entityType, where) => query({ schoolId, entityType, where }),
    async byIds(schoolId, entityType, ids) {
      const list = [...new Set(ids)];
      return new Map((await query({ schoolId, entityType, where: [{ field: 'id', in: list }] })).map((r) => [r.id, r]));
    },
  };
}

/** The conditions of a FieldQuery on a record in memory (string fields only, as in the ledger's SQL). */
export function matchesConditions(r: StoredRecord, where: readonly FieldCondition[]): boolean {
  return where.every((c) => {
    const raw = c.field === 'id' ? r.id : r.record[c.field];
    if (typeof raw !== 'string') return false;
    if (c.eq !== undefined && raw !== c.eq) return false;
    if (c.in !== undefined && !c.in.includes(raw)) return false;
    if (c.from !== undefined && raw < c.from) return false;
    if (c.to !== undefined && raw > c.to) return false;
    return true;
  });
}
