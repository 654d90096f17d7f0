import { classKey, gradeLevelOf, intOf, invalid, isObject, parseFio, record, subjectKey, textOf, type Mapped, type MapContext } from './common';

export interface RosterContext extends MapContext {
  yearId: number;
  /** First day of the school year: NetSchool gives no enrolment dates, so memberships begin here. */
  yearStart: string;
}

/** A class group from a class name ('5а'). Names without a grade become `ext:class` groups. */
export function mapClassGroup(className: string, ctx: RosterContext): Mapped {
  const grade = gradeLevelOf(className);
  return record('class_group', classKey(ctx.yearId, className), {
    kind: grade !== undefined ? 'class' : 'ext:class',
    title: className.trim(),
    ...(grade !== undefined ? { gradeLevel: grade } : {}),
    academicYearId: ctx.ids.ref('academic_year', String(ctx.yearId)),
  });
}

/**
 * A `student/diary/init` student → person (student) and membership in their class.
 * `className` may come from the student's diary when init lacks it. An unusable name gives
 * one invalid person and no membership.
 */
export function mapStudent(raw: unknown, className: string | undefined, ctx: RosterContext): Mapped[] {
  const id = isObject(raw) ? intOf(raw.studentId ?? raw.id) : undefined;
  if (!isObject(raw) || id === undefined) return [invalid('person', 'unknown', [{ path: '/studentId', message: 'student without an integer id' }], raw)];
  const fio = parseFio(raw.nickName ?? raw.name);
  if (!fio) return [invalid('person', String(id), [{ path: '/nickName', message: 'name is not «Фамилия Имя [Отчество]»' }], raw)];
  // The membership only comes with a valid person, so it never points at a quarantined one.
  const out: Mapped[] = [record('person', String(id), { roles: ['student'], ...fio })];
  if (className) {
    const ck = classKey(ctx.yearId, className);
    out.push(record('membership', `${id}@${ck}`, {
      personId: ctx.ids.ref('person', String(id)), classGroupId: ctx.ids.ref('class_group', ck),
      role: 'student', primary: true, beginDate: ctx.yearStart,
    }));
  }
  return out;
}

export function mapSubject(name: string): Mapped {
  return record('subject', subjectKey(name), { title: name.trim() });
}

/** Teachers named by assignment details: `teachers[]`, or one `teacher` on older servers. */
export function teachersOfDetails(raw: unknown): { id: number; name: string }[] {
  if (!isObject(raw)) return [];
  const list = Array.isArray(raw.teachers) ? raw.teachers : isObject(raw.teacher) ? [raw.teacher] : [];
  return list.flatMap((t) => {
    const id = isObject(t) ? intOf(t.id) : undefined;
    const name = isObject(t) ? textOf(t.name) : undefined;
    return id !== undefined && name ? [{ id, name }] : [];
  });
}

export function mapTeacher(t: { id: number; name: string }): Mapped {
  const fio = parseFio(t.name);
  return fio
    ? record('person', String(t.id), { roles: ['teacher'], ...fio })
    : invalid('person', String(t.id), [{ path: '/teachers/name', message: 'name is not «Фамилия Имя [Отчество]»' }], t);
}

export function mapTeachingAssignment(teacherId: number, subjectName: string, className: string, ctx: RosterContext): Mapped {
  const ck = classKey(ctx.yearId, className);
  const sk = subjectKey(subjectName);
  return record('teaching_assignment', `${teacherId}@${ck}@${sk}`, {
    teacherId: ctx.ids.ref('person', String(teacherId)),
    subjectId: ctx.ids.ref('subject', sk),
    classGroupId: ctx.ids.ref('class_group', ck),
    academicYearId: ctx.ids.ref('academic_year', String(ctx.yearId)),
  });
}
