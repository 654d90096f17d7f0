/**
 * A read-only view of one school's current records, loaded from the ledger through
 * `listRecords` (paged by revision), for the reports and the weekly paper extracts.
 *
 * Only active records are kept (a `tobedeleted` tombstone hides its record), and never one
 * whose body the withdrawal purge destroyed (`isPurgedBody`: a stub without content). Loading is by
 * entity type for the whole school: the ledger contract has no filter by student or date yet,
 * so a report reads every mark of the school once and filters in memory (proposed: a
 * `RecordFilter.field` filter for studentId / classGroupId and a date range, see README).
 */
import type { Ledger } from '../core/ledger';
import type { CanonicalRecord, EntityType } from '../core/records';
import { isPurgedBody } from '../families/consent/subjects';

export const PAGE_SIZE = 5000;

export interface LoadedRecord {
  record: CanonicalRecord;
  revision: number;
}

export class SchoolView {
  private readonly byType = new Map<EntityType, LoadedRecord[]>();
  private readonly byIdMap = new Map<string, LoadedRecord>();

  constructor(readonly schoolId: string, loaded: Iterable<[EntityType, LoadedRecord[]]>) {
    for (const [type, list] of loaded) {
      this.byType.set(type, list);
      for (const r of list) this.byIdMap.set(r.record.id, r);
    }
  }

  /** Active records of one kind (empty when the kind was not loaded). */
  all<T = CanonicalRecord>(type: EntityType): T[] {
    return (this.byType.get(type) ?? []).map((r) => r.record as unknown as T);
  }

  get<T = CanonicalRecord>(id: string | undefined): T | undefined {
    return id === undefined ? undefined : (this.byIdMap.get(id)?.record as unknown as T | undefined);
  }

  revisionOf(id: string): number | undefined {
    return this.byIdMap.get(id)?.revision;
  }
}

/** Every active record of the given kinds for one school. */
export async function loadSchoolView(ledger: Ledger, schoolId: string, types: readonly EntityType[], pageSize = PAGE_SIZE): Promise<SchoolView> {
  const loaded: [EntityType, LoadedRecord[]][] = [];
  for (const entityType of types) {
    const list: LoadedRecord[] = [];
    let after = 0;
    for (;;) {
      const page = await ledger.listRecords({ schoolId, entityType, afterRevision: after, limit: pageSize });
      for (const s of page) if (s.status === 'active' && !isPurgedBody(s.record)) list.push({ record: s.record as CanonicalRecord, revision: s.revision });
      if (page.length < pageSize) break;
      after = page[page.length - 1]!.revision;
    }
    loaded.push([entityType, list]);
  }
  return new SchoolView(schoolId, loaded);
}
