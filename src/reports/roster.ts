/** Finding classes, periods and students in a school view; shared by the reports and the extracts. */
import type { ClassGroup, Membership, Person, ReportingPeriod, Subject } from '../core/canonical-types';
import { GatewayError } from '../core/errors';
import type { SchoolView } from './ledger-view';
import { ru } from './labels';

const same = (a: string | undefined, b: string): boolean => a !== undefined && ru.compare(a.trim(), b.trim()) === 0;

/** A class by canonical id, journal id or title («8б», case-insensitive); GW_API_NOT_FOUND when none. */
export function findClass(view: SchoolView, key: string): ClassGroup {
  const all = view.all<ClassGroup>('class_group');
  const hit = all.find((c) => c.id === key) ?? all.find((c) => c.sourceId === key)
    ?? all.find((c) => (c.kind === 'class' || !c.parentClassGroupId) && same(c.title, key));
  if (!hit) throw new GatewayError('GW_API_NOT_FOUND', `class ${JSON.stringify(key)} not found in school ${view.schoolId}`);
  return hit;
}

/** A reporting period by canonical id, journal id or title («I четверть»); GW_API_NOT_FOUND when none. */
export function findPeriod(view: SchoolView, key: string): ReportingPeriod {
  const all = view.all<ReportingPeriod>('reporting_period');
  const hit = all.find((p) => p.id === key) ?? all.find((p) => p.sourceId === key) ?? all.find((p) => same(p.title, key));
  if (!hit) throw new GatewayError('GW_API_NOT_FOUND', `reporting period ${JSON.stringify(key)} not found in school ${view.schoolId}`);
  return hit;
}

/** The most specific period containing `date` (a quarter rather than the year). */
export function periodOn(view: SchoolView, date: string): ReportingPeriod | undefined {
  return view.all<ReportingPeriod>('reporting_period')
    .filter((p) => p.startDate <= date && date <= p.endDate)
    .sort((a, b) => span(a) - span(b) || ru.compare(a.title, b.title))[0];
}
const span = (p: ReportingPeriod): number => Date.parse(p.endDate) - Date.parse(p.startDate);

/** True when the membership overlaps [from, to]. */
export function activeBetween(m: Pick<Membership, 'beginDate' | 'endDate'>, from: string, to: string): boolean {
  return m.beginDate <= to && (m.endDate === undefined || m.endDate >= from);
}

/** Subgroups split from the class (группы по английскому …). */
export function subgroupsOf(view: SchoolView, classId: string): ClassGroup[] {
  return view.all<ClassGroup>('class_group').filter((c) => c.parentClassGroupId === classId);
}

/** Students of the class during [from, to], sorted by name. */
export function studentsOf(view: SchoolView, classId: string, from: string, to: string): Person[] {
  const ids = new Set(view.all<Membership>('membership')
    .filter((m) => m.classGroupId === classId && m.role === 'student' && activeBetween(m, from, to))
    .map((m) => m.personId));
  return [...ids].map((id) => view.get<Person>(id)).filter((p): p is Person => p !== undefined).sort(byName);
}

/** Class groups (the class and its subgroups) a student belongs to during [from, to]. */
export function groupsOfStudent(view: SchoolView, studentId: string, from: string, to: string): Set<string> {
  return new Set(view.all<Membership>('membership')
    .filter((m) => m.personId === studentId && m.role === 'student' && activeBetween(m, from, to))
    .map((m) => m.classGroupId));
}

/** The student's main class during [from, to]: a primary membership, else a group of kind class. */
export function mainClassOf(view: SchoolView, studentId: string, from: string, to: string): ClassGroup | undefined {
  const ms = view.all<Membership>('membership').filter((m) => m.personId === studentId && m.role === 'student' && activeBetween(m, from, to));
  const primary = ms.find((m) => m.primary === true);
  const groups = ms.map((m) => view.get<ClassGroup>(m.classGroupId)).filter((c): c is ClassGroup => c !== undefined);
  return (primary ? view.get<ClassGroup>(primary.classGroupId) : undefined) ?? groups.find((c) => c.kind === 'class') ?? groups[0];
}

export function byName(a: Person, b: Person): number {
  return ru.compare(a.familyName, b.familyName) || ru.compare(a.givenName, b.givenName) || ru.compare(a.middleName ?? '', b.middleName ?? '');
}

export function subjectTitle(view: SchoolView, id: string | undefined, short = false): string {
  const s = view.get<Subject>(id);
  return s ? (short ? s.shortTitle ?? s.title : s.title) : '—';
}
