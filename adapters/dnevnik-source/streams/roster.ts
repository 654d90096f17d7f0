import { vendorDate } from '../dates';
import type { Casing } from '../spec';
import { field, gradeLevelOf, idListOf, idOf, invalid, isObject, record, textOf, type Mapped, type MapContext } from './common';

export interface GroupInfo { id: string; name: string; type: string; raw: unknown }

/** `users/me/context` → the school ids and the class groups the token sees. */
export function contextOf(body: unknown): { personId?: string; schoolIds: string[]; groups: GroupInfo[] } {
  const o = isObject(body) ? body : {};
  const schools = Array.isArray(field(o, 'schools')) ? field(o, 'schools') as unknown[] : [];
  const groups = Array.isArray(field(o, 'eduGroups')) ? field(o, 'eduGroups') as unknown[] : [];
  const personId = idOf(o, 'personId');
  return {
    ...(personId ? { personId } : {}),
    schoolIds: schools.flatMap((s) => { const id = isObject(s) ? idOf(s, 'id') : undefined; return id ? [id] : []; }),
    groups: groups.flatMap((g) => {
      if (!isObject(g)) return [];
      const id = idOf(g, 'id');
      const name = textOf(field(g, 'name'), 100);
      return id && name ? [{ id, name, type: textOf(field(g, 'type'), 40) ?? 'Group', raw: g }] : [];
    }),
  };
}

export function mapGroup(g: GroupInfo, ctx: MapContext & { academicYearSourceId?: string }): Mapped {
  const grade = gradeLevelOf(g.name);
  return record('class_group', g.id, {
    kind: g.type === 'Subgroup' ? 'subgroup' : 'class',
    title: g.name,
    ...(grade !== undefined ? { gradeLevel: grade } : {}),
    ...(ctx.academicYearSourceId ? { academicYearId: ctx.ids.ref('academic_year', ctx.academicYearSourceId) } : {}),
  });
}

interface Fio { familyName: string; givenName: string; middleName?: string }

function fioOf(o: Record<string, unknown>, casing: Casing): Fio | undefined {
  const familyName = textOf(field(o, 'lastName', casing), 100);
  const givenName = textOf(field(o, 'firstName', casing), 100);
  const middleName = textOf(field(o, 'middleName', casing), 100);
  if (familyName && givenName) return { familyName, givenName, ...(middleName ? { middleName } : {}) };
  // Some answers give only `shortName`/`fio`: 'Фамилия Имя [Отчество]'.
  const parts = (textOf(field(o, 'fio', casing) ?? field(o, 'shortName', casing), 300) ?? '').split(' ').filter(Boolean);
  const [f, g, ...rest] = parts;
  return f && g ? { familyName: f, givenName: g, ...(rest.length > 0 ? { middleName: rest.join(' ') } : {}) } : undefined;
}

/**
 * `edu-groups/{g}/students` → persons and their memberships. `beginDate` is the school year's
 * start: the API gives no enrolment date (README, "assumed").
 */
export function mapStudents(list: readonly unknown[], groupId: string, beginDate: string, ctx: MapContext): Mapped[] {
  const out: Mapped[] = [];
  for (const s of list) {
    const o = isObject(s) ? s : {};
    const id = idOf(o, 'id') ?? idOf(o, 'person');
    const fio = fioOf(o, 'auto');
    if (!id || !fio) {
      out.push(invalid('person', id ?? `${groupId}#?`, [{ path: id ? '/lastName' : '/id_str', message: id ? 'no name' : 'no id' }], s));
      continue;
    }
    const birthDate = vendorDate(field(o, 'birthday'));
    out.push(record('person', id, { roles: ['student'], ...fio, ...(birthDate ? { birthDate } : {}) }));
    out.push(record('membership', `${groupId}:${id}`, {
      personId: ctx.ids.ref('person', id), classGroupId: ctx.ids.ref('class_group', groupId),
      role: 'student', primary: true, beginDate,
    }));
  }
  return out;
}

/** `edu-groups/{g}/subjects` → subjects. */
export function mapSubjects(list: readonly unknown[]): Mapped[] {
  return list.map((s) => {
    const o = isObject(s) ? s : {};
    const id = idOf(o, 'id');
    const title = textOf(field(o, 'name'), 200);
    if (!id || !title) return invalid('subject', id ?? '?', [{ path: id ? '/name' : '/id_str', message: 'missing' }], s);
    return record('subject', id, { title });
  });
}

/**
 * `edu-groups/{g}/teachers` → teachers and what they teach in the group. The answer is
 * PascalCase like `schools/{s}/teachers` (`Id, ShortName, FirstName, …, Subjects`); `Subjects`
 * may hold ids or subject objects. Emails are not copied (not needed downstream).
 */
export function mapTeachers(list: readonly unknown[], groupId: string, casing: Casing, ctx: MapContext & { academicYearSourceId?: string }): Mapped[] {
  const out: Mapped[] = [];
  for (const t of list) {
    const o = isObject(t) ? t : {};
    const id = idOf(o, 'id', casing) ?? idOf(o, 'person', casing);
    const fio = fioOf(o, casing);
    if (!id || !fio) {
      out.push(invalid('person', id ?? `${groupId}#teacher?`, [{ path: id ? '/LastName' : '/Id', message: id ? 'no name' : 'no id' }], t));
      continue;
    }
    out.push(record('person', id, { roles: ['teacher'], ...fio }));
    for (const subjectId of idListOf(o, 'subjects', casing)) {
      out.push(record('teaching_assignment', `${id}:${subjectId}:${groupId}`, {
        teacherId: ctx.ids.ref('person', id), subjectId: ctx.ids.ref('subject', subjectId),
        classGroupId: ctx.ids.ref('class_group', groupId),
        ...(ctx.academicYearSourceId ? { academicYearId: ctx.ids.ref('academic_year', ctx.academicYearSourceId) } : {}),
      }));
    }
  }
  return out;
}
