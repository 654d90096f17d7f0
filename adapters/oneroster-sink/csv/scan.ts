/**
 * Paging through the ledger for the CSV export, and the school index the export looks things up
 * in. The index holds ids, titles and dates of the roster (years, periods, subjects, classes,
 * memberships, guardian links) and which subjects each class has sections for — never marks or
 * record bodies — so a delta package can name the unchanged objects its rows refer to.
 */
import type { Ledger, StoredRecord } from '../../../src/core/ledger';
import type { EntityType } from '../../../src/core/records';
import type { Obj } from '../map/common';
import { schoolYearOf } from '../map/roster';

export const PAGE_SIZE = 500;

/** Current records of one kind of a school with revision > `after`, in revision order, a page at a time. */
export async function* pages(ledger: Ledger, schoolId: string, entityType: EntityType, after = 0, limit = PAGE_SIZE): AsyncGenerator<StoredRecord[]> {
  let from = after;
  for (;;) {
    const page = await ledger.listRecords({ schoolId, entityType, afterRevision: from, limit });
    if (page.length === 0) return;
    yield page;
    from = (page[page.length - 1] as StoredRecord).revision;
    if (page.length < limit) return;
  }
}

/**
 * The greatest revision of any current record of the school, found by probing `listRecords`
 * (limit 1, the smallest revision after x): doubling steps up, then bisecting. O(log revisions)
 * indexed reads, no scan. Taken before the export reads anything: its rows cover everything up
 * to it (and possibly later changes, which the next delta sends again — never fewer).
 */
export async function maxRevision(ledger: Ledger, schoolId: string, after = 0): Promise<number> {
  const next = async (x: number): Promise<number | undefined> => (await ledger.listRecords({ schoolId, afterRevision: x, limit: 1 }))[0]?.revision;
  let lo = await next(after);
  if (lo === undefined) return after;
  let step = 1024;
  let hi = lo + step;
  for (let r = await next(hi); r !== undefined; r = await next(hi)) { lo = r; step *= 2; hi = lo + step; }
  // Invariant: a record at lo, none after hi (one at hi itself may exist).
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await next(mid);
    if (r === undefined) hi = mid; else lo = r;
  }
  return (await next(lo)) ?? lo;
}

export interface MemberLite { rec: Obj; classGroupId: string; personId: string }

export interface SchoolIndex {
  years: Map<string, { schoolYear: string; startDate: string; endDate: string; isCurrent: boolean }>;
  periods: Map<string, { startDate: string; endDate: string; academicYearId: string }>;
  subjects: Map<string, string>;
  classes: Map<string, Obj>;
  /** Active student memberships per class group (the record, for derived section enrollments). */
  students: Map<string, MemberLite[]>;
  /** A student's class (for the section of their non-current marks): a primary membership wins, else one in a `class`. */
  homeroomOf: Map<string, string>;
  /** Subjects with a section per class group (from active assessments and teaching assignments), with the latest change. */
  sections: Map<string, Map<string, string>>;
  /** Guardian → students (active guardian links). */
  agents: Map<string, string[]>;
  /** Terms for a class without a year: the current (else latest) year. */
  fallbackTerms: string[];
}

const s = (v: unknown): string => String(v ?? '');

export function addSection(ix: SchoolIndex, classGroupId: string, subjectId: string, modified: string): boolean {
  let m = ix.sections.get(classGroupId);
  if (!m) { m = new Map(); ix.sections.set(classGroupId, m); }
  const prev = m.get(subjectId);
  if (prev === undefined || prev < modified) m.set(subjectId, modified);
  return prev === undefined;
}

/** Reads the roster kinds, assessments (for sections) and guardian links of the school into an index. */
export async function buildIndex(ledger: Ledger, schoolId: string): Promise<SchoolIndex> {
  const ix: SchoolIndex = {
    years: new Map(), periods: new Map(), subjects: new Map(), classes: new Map(), students: new Map(),
    homeroomOf: new Map(), sections: new Map(), agents: new Map(), fallbackTerms: [],
  };
  const each = async (e: EntityType, fn: (r: Obj, active: boolean) => void): Promise<void> => {
    for await (const page of pages(ledger, schoolId, e)) for (const r of page) fn(r.record, r.status === 'active');
  };
  await each('academic_year', (r) => ix.years.set(s(r.id), { schoolYear: schoolYearOf(s(r.endDate)), startDate: s(r.startDate), endDate: s(r.endDate), isCurrent: r.isCurrent === true }));
  await each('reporting_period', (r) => ix.periods.set(s(r.id), { startDate: s(r.startDate), endDate: s(r.endDate), academicYearId: s(r.academicYearId) }));
  await each('subject', (r) => ix.subjects.set(s(r.id), s(r.title)));
  await each('class_group', (r) => ix.classes.set(s(r.id), { id: r.id, title: r.title, kind: r.kind, schoolId: r.schoolId, academicYearId: r.academicYearId, gradeLevel: r.gradeLevel }));
  await each('membership', (r, active) => {
    if (!active || r.role !== 'student') return;
    const m: MemberLite = { rec: r, classGroupId: s(r.classGroupId), personId: s(r.personId) };
    ix.students.set(m.classGroupId, [...(ix.students.get(m.classGroupId) ?? []), m]);
    if (r.primary === true || !ix.homeroomOf.has(m.personId) && ix.classes.get(m.classGroupId)?.kind === 'class') ix.homeroomOf.set(m.personId, m.classGroupId);
  });
  for (const e of ['teaching_assignment', 'assessment'] as const) {
    await each(e, (r, active) => { if (active && r.classGroupId && r.subjectId) addSection(ix, s(r.classGroupId), s(r.subjectId), s(r.dateLastModified)); });
  }
  await each('guardian_link', (r, active) => { if (active) ix.agents.set(s(r.guardianId), [...(ix.agents.get(s(r.guardianId)) ?? []), s(r.studentId)]); });
  const years = [...ix.years.entries()].sort((a, b) => a[1].startDate.localeCompare(b[1].startDate));
  const current = years.find(([, y]) => y.isCurrent) ?? years[years.length - 1];
  if (current) ix.fallbackTerms = [current[0]];
  return ix;
}
