/**
 * Orgs, academic sessions, courses and classes → school, academic_year / reporting_period,
 * subject and class_group. Pure functions of one OneRoster object (plus lookup tables).
 */
import { gradeLevelOf } from '../../../src/infra/adapter-kit/mapping';
import {
  dateOf, extCode, isObject, listOf, localId, missing, orRecord, refOf, refsOf, sourcedIdOf, textOf, unmappable, type Mapped, type OrMapContext,
} from './common';
import type { EntityType, ExternalId } from '../../../src/core/records';
import type { LookupTables } from './lookups';
import { periodKind, periodSequence } from './vocabulary';
import type { ScheduledClassKind } from '../spec';

/** Academic year key: OneRoster's `schoolYear` (the year the school year ends in, e.g. 2026). */
export const yearKey = (schoolYear: string): string => `schoolYear:${schoolYear}`;

/** A record without a sourcedId cannot be keyed: it is quarantined under `?`. */
export const noId = (entity: EntityType, raw: unknown): Mapped => unmappable(entity, '?', [{ path: '/sourcedId', message: 'record without sourcedId' }], raw);

export interface OrgContext { timeZone: string; schoolSourcedId?: string }

/** An org of type `school` → school (other org types, and other schools when one is configured, yield nothing). */
export function mapOrg(raw: unknown, ctx: OrgContext): Mapped[] {
  const id = sourcedIdOf(raw);
  if (!id || !isObject(raw)) return [noId('school', raw)];
  if (raw.type !== 'school') return [];
  if (ctx.schoolSourcedId && id !== ctx.schoolSourcedId) return [];
  const name = textOf(raw.name, 500);
  if (!name) return [unmappable('school', id, missing([['/name', name]]), raw)];
  const identifier = textOf(raw.identifier, 256);
  const externalIds: ExternalId[] = [localId(id), ...(identifier ? [{ type: 'oneroster-identifier', value: identifier, issuer: 'oneroster' }] : [])];
  const parent = refOf(raw.parent);
  return [orRecord('school', id, raw, { name, timeZone: ctx.timeZone }, { externalIds, metadata: parent ? { parentOrgSourcedId: parent } : {} })];
}

export interface SessionContext extends OrMapContext { today: string }

/**
 * An academic session → academic_year (type `schoolYear`, keyed by its schoolYear so every
 * term finds its year without a lookup) or reporting_period (term, semester, gradingPeriod, ext:).
 */
export function mapSession(raw: unknown, ctx: SessionContext): Mapped[] {
  const id = sourcedIdOf(raw);
  if (!id || !isObject(raw)) return [noId('reporting_period', raw)];
  const schoolYear = typeof raw.schoolYear === 'string' && /^\d{4}$/.test(raw.schoolYear.trim()) ? raw.schoolYear.trim() : undefined;
  const startDate = dateOf(raw.startDate);
  const endDate = dateOf(raw.endDate);
  const title = textOf(raw.title, 100);
  const type = typeof raw.type === 'string' ? raw.type : undefined;
  const entity = type === 'schoolYear' ? 'academic_year' : 'reporting_period';
  const issues = missing([['/schoolYear', schoolYear], ['/startDate', startDate], ['/endDate', endDate], ['/title', title], ['/type', type]]);
  if (issues.length > 0) return [unmappable(entity, entity === 'academic_year' && schoolYear ? yearKey(schoolYear) : id, issues, raw)];
  const y = schoolYear as string;
  if (entity === 'academic_year') {
    return [orRecord('academic_year', yearKey(y), raw, {
      title: `${Number(y) - 1}/${y}`, startDate, endDate, isCurrent: (startDate as string) <= ctx.today && ctx.today <= (endDate as string),
    }, { externalIds: [localId(id)], metadata: { oneRosterTitle: title } })];
  }
  const kind = periodKind(type, title as string);
  const parent = refOf(raw.parent);
  return [orRecord('reporting_period', id, raw, {
    academicYearId: ctx.ids.ref('academic_year', yearKey(y)),
    kind, sequence: periodSequence(kind, title as string, startDate as string), title, startDate, endDate,
    // A grading period nests in a term; a term's parent is the year, which is not a period.
    ...(type === 'gradingPeriod' && parent ? { parentReportingPeriodId: ctx.ids.ref('reporting_period', parent) } : {}),
  }, { metadata: { oneRosterType: type } })];
}

/** A course → subject (a class's subject is its course; README, "Subjects"). */
export function mapCourse(raw: unknown): Mapped[] {
  const id = sourcedIdOf(raw);
  if (!id || !isObject(raw)) return [noId('subject', raw)];
  const title = textOf(raw.title, 200);
  if (!title) return [unmappable('subject', id, missing([['/title', title]]), raw)];
  const courseCode = textOf(raw.courseCode, 64);
  const subjectCode = listOf(raw.subjectCodes)[0]?.slice(0, 64);
  const subjects = listOf(raw.subjects);
  return [orRecord('subject', id, raw, {
    title, ...(courseCode ? { courseCode } : {}), ...(subjectCode ? { subjectCode } : {}),
  }, { metadata: subjects.length > 0 ? { subjects } : {} })];
}

export interface ClassContext extends OrMapContext { tables: LookupTables; scheduledClassKind: ScheduledClassKind; schoolSourcedId?: string }

/** CEDS grade codes (`05`, `KG`, `PK`…) → grade level; Russian titles (`5А`) as a fallback. */
export function gradeOf(grades: readonly string[], title: string): number | undefined {
  for (const g of grades) {
    if (/^\d{1,2}$/.test(g) && Number(g) >= 1 && Number(g) <= 12) return Number(g);
    if (/^KG$/i.test(g)) return 0;
  }
  return gradeLevelOf(title);
}

/**
 * A class → class_group. `homeroom` is a class (5А); `scheduled` (a course section) is the
 * configured kind, a subgroup by default, with the course as its subject.
 */
export function mapClass(raw: unknown, ctx: ClassContext): Mapped[] {
  const id = sourcedIdOf(raw);
  if (!id || !isObject(raw)) return [noId('class_group', raw)];
  if (ctx.schoolSourcedId && refOf(raw.school) && refOf(raw.school) !== ctx.schoolSourcedId) return [];
  const title = textOf(raw.title, 100);
  const courseId = refOf(raw.course);
  const issues = missing([['/title', title]]);
  if (issues.length > 0) return [unmappable('class_group', id, issues, raw)];
  const classType = typeof raw.classType === 'string' ? raw.classType : 'scheduled';
  const grade = gradeOf(listOf(raw.grades), title as string);
  let kind: string;
  if (classType === 'homeroom') kind = grade !== undefined ? 'class' : 'ext:homeroom';
  else if (classType === 'scheduled') kind = ctx.scheduledClassKind === 'class' && grade === undefined ? 'ext:scheduled' : ctx.scheduledClassKind;
  else kind = /^ext:/.test(classType) ? extCode('', classType.slice(4)) : 'ext:scheduled';
  const year = refsOf(raw.terms).map((t) => ctx.tables.sessions.get(t)?.schoolYear).find(Boolean);
  const metadata: Record<string, unknown> = {
    oneRosterClassType: classType,
    ...(textOf(raw.classCode, 64) ? { classCode: textOf(raw.classCode, 64) } : {}),
    ...(listOf(raw.periods).length > 0 ? { periods: listOf(raw.periods) } : {}),
    ...(textOf(raw.location, 100) ? { location: textOf(raw.location, 100) } : {}),
  };
  return [orRecord('class_group', id, raw, {
    kind, title,
    ...(grade !== undefined ? { gradeLevel: grade } : {}),
    ...(year ? { academicYearId: ctx.ids.ref('academic_year', yearKey(year)) } : {}),
    ...(classType !== 'homeroom' && courseId ? { subjectId: ctx.ids.ref('subject', courseId) } : {}),
  }, { metadata })];
}
