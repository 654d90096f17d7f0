import type { Issue } from '../../../src/core/errors';
import { vendorDate } from '../dates';
import { gradeLevelOf, intOf, invalid, isObject, record, textOf, type Mapped, type StudentInfo } from './common';

export interface RosterContext {
  ids: { ref(entity: 'academic_year' | 'class_group' | 'person' | 'subject', sourceId: string): string };
  yearKey: string;
  yearStart: string;
}

/** Children of a `family/mobile/v1/profile` answer, with the ids the reader needs. */
export function childrenOf(raw: unknown): { info: StudentInfo; raw: Record<string, unknown> }[] {
  const list = isObject(raw) && Array.isArray(raw.children) ? raw.children : [];
  return list.flatMap((c) => {
    const id = isObject(c) ? intOf(c.id) : undefined;
    if (!isObject(c) || id === undefined) return [];
    const classUnitId = intOf(c.class_unit_id);
    const className = textOf(c.class_name, 100);
    return [{ info: { id, ...(classUnitId !== undefined ? { classUnitId } : {}), ...(className ? { className } : {}) }, raw: c }];
  });
}

/**
 * A profile child → class group, person (student) and membership. The membership begins at the
 * school year's start (assumed: the family API gives no enrolment date).
 */
export function mapChild(c: Record<string, unknown>, ctx: RosterContext): Mapped[] {
  const id = intOf(c.id) as number;
  const family = textOf(c.last_name, 100);
  const given = textOf(c.first_name, 100);
  const middle = textOf(c.middle_name, 100);
  const issues: Issue[] = [];
  if (!family) issues.push({ path: '/last_name', message: 'missing' });
  if (!given) issues.push({ path: '/first_name', message: 'missing' });
  if (issues.length > 0) return [invalid('person', String(id), issues, c)];
  const out: Mapped[] = [];
  const classUnitId = intOf(c.class_unit_id);
  const className = textOf(c.class_name, 100);
  if (classUnitId !== undefined && className) {
    const grade = intOf(c.class_level_id) ?? gradeLevelOf(className);
    out.push(record('class_group', String(classUnitId), {
      kind: grade !== undefined ? 'class' : 'ext:class', title: className,
      ...(grade !== undefined ? { gradeLevel: grade } : {}),
      academicYearId: ctx.ids.ref('academic_year', ctx.yearKey),
    }));
  }
  const birthDate = vendorDate(c.birth_date);
  const guid = textOf(c.contingent_guid, 64);
  out.push(record('person', String(id), {
    roles: ['student'], familyName: family, givenName: given, ...(middle ? { middleName: middle } : {}), ...(birthDate ? { birthDate } : {}),
  }, guid ? { externalIds: [{ type: 'source-local', value: String(id), issuer: 'mesh' }, { type: 'mesh-contingent-guid', value: guid, issuer: 'mesh' }] } : {}));
  if (classUnitId !== undefined) {
    out.push(record('membership', `${id}@${classUnitId}`, {
      personId: ctx.ids.ref('person', String(id)), classGroupId: ctx.ids.ref('class_group', String(classUnitId)),
      role: 'student', primary: true, beginDate: ctx.yearStart,
    }));
  }
  return out;
}

/** `subjects/list` → subjects (`{payload:[{subject_id, subject_name}]}` or a bare list). */
export function mapSubjects(raw: unknown): Mapped[] {
  const list = Array.isArray(raw) ? raw : isObject(raw) && Array.isArray(raw.payload) ? raw.payload : [];
  return list.flatMap((s) => {
    const id = isObject(s) ? intOf(s.subject_id ?? s.id) : undefined;
    const title = isObject(s) ? textOf(s.subject_name ?? s.name, 200) : undefined;
    if (id === undefined) return [];
    return [title ? record('subject', String(id), { title }) : invalid('subject', String(id), [{ path: '/subject_name', message: 'missing' }], s)];
  });
}
