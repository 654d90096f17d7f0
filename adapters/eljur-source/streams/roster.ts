import { classKey, gradeLevelOf, idOf, invalid, isObject, parseFio, record, textOf, type Mapped, type MapContext } from './common';

export interface RosterContext extends MapContext {
  yearKey: string;
  /** First day of the school year: ЭлЖур gives no enrolment dates. */
  yearStart: string;
}

/** A student the account sees, from `getrules` `relations.students`. */
export interface RulesStudent { id: string; className?: string; raw: Record<string, unknown> }

/** Students of a `getrules` result (`relations.students` map keyed by id). */
export function studentsOfRules(result: unknown): RulesStudent[] {
  const rel = isObject(result) && isObject(result.relations) ? result.relations : undefined;
  const students = rel && isObject(rel.students) ? rel.students : {};
  return Object.entries(students).flatMap(([k, s]) => {
    if (!isObject(s)) return [];
    const id = idOf(s.name) ?? k;
    const className = textOf(s.class, 50);
    return [{ id, raw: s, ...(className ? { className } : {}) }];
  });
}

/**
 * `getrules` → class groups (with homeroom teachers from `relations.groups`), students and
 * their memberships. Teachers are keyed by their ЭлЖур user id (`hometeacher_id`).
 */
export function mapRules(result: unknown, ctx: RosterContext): Mapped[] {
  const out: Mapped[] = [];
  const rel = isObject(result) && isObject(result.relations) ? result.relations : {};
  const groups = isObject(rel.groups) ? rel.groups : {};
  const classes = new Set<string>();
  for (const s of studentsOfRules(result)) if (s.className) classes.add(s.className);
  for (const g of Object.keys(groups)) classes.add(g);
  for (const name of [...classes].sort()) {
    const g = isObject(groups[name]) ? groups[name] as Record<string, unknown> : {};
    const teacherId = idOf(g.hometeacher_id);
    const teacherFio = parseFio(g.hometeacher_name);
    if (teacherId && teacherFio) out.push(record('person', teacherId, { roles: ['teacher'], ...teacherFio }));
    const grade = gradeLevelOf(name);
    out.push(record('class_group', classKey(ctx.yearKey, name), {
      kind: grade !== undefined ? 'class' : 'ext:class', title: name,
      ...(grade !== undefined ? { gradeLevel: grade } : {}),
      academicYearId: ctx.ids.ref('academic_year', ctx.yearKey),
      ...(teacherId && teacherFio ? { homeroomTeacherId: ctx.ids.ref('person', teacherId) } : {}),
    }));
  }
  for (const s of studentsOfRules(result)) {
    const fio = parseFio(s.raw.title);
    if (!fio) { out.push(invalid('person', s.id, [{ path: `/relations/students/${s.id}/title`, message: 'name is not «Фамилия Имя [Отчество]»' }], s.raw)); continue; }
    out.push(record('person', s.id, { roles: ['student'], ...fio }));
    if (s.className) {
      const ck = classKey(ctx.yearKey, s.className);
      out.push(record('membership', `${s.id}@${ck}`, {
        personId: ctx.ids.ref('person', s.id), classGroupId: ctx.ids.ref('class_group', ck), role: 'student', primary: true, beginDate: ctx.yearStart,
      }));
    }
  }
  return out;
}
