import { GatewayError, type Issue } from '../../../src/core/errors';
import { eljurDate, eljurTime } from '../dates';
import { boolOf, byStudents, classKey, idOf, intOf, invalid, isObject, listOf, parseFio, record, subjectKey, textOf, type Mapped, type MapContext } from './common';

export interface DiaryContext extends MapContext {
  studentId: string;
  className: string;
  yearKey: string;
  /** School-local date of the run: lessons up to it are `held`, later ones `scheduled`. */
  today: string;
}

/** Teacher key: the diary names teachers but gives no id. */
export function teacherKey(name: string): string {
  return `name:${name.toLowerCase().replace(/ё/g, 'е').replace(/\s+/g, ' ').trim()}`;
}

/** Lesson key: class, day, lesson number and subgroup (ЭлЖур's `lesson_id` is not an occurrence id). */
export function lessonKey(yearKey: string, className: string, date: string, num: string, grp: string | undefined): string {
  return `${classKey(yearKey, className)}|${date}|${num}${grp ? `|${grp}` : ''}`;
}

/**
 * One `getdiary` answer (one student, `days=` range, `rings=true`) → lessons, subjects,
 * teachers (by name), homework and holidays. Pure.
 *
 * - `students{<id>:{days{<YYYYMMDD>:{items{<num>:Lesson}, holiday_name}}}}`; `items` and
 *   `homework` may be maps or arrays; `num` may be a number or a string;
 * - homework listed under a lesson is due at that lesson (ЭлЖур shows homework on the day it
 *   is due); `individual` homework names this student.
 * The student's own entry is used; a body without `students` is a protocol error.
 */
export function mapDiary(result: unknown, ctx: DiaryContext): Mapped[] {
  if (!isObject(result) || (!isObject(result.students) && !Array.isArray(result.students))) {
    throw new GatewayError('GW_SRC_PROTOCOL', 'ЭлЖур getdiary: answer has no students');
  }
  const entry = byStudents(result.students).find(([id]) => id === ctx.studentId)?.[1];
  if (!entry) return [];
  const out: Mapped[] = [];
  const classGroupId = ctx.ids.ref('class_group', classKey(ctx.yearKey, ctx.className));
  for (const [dayKey, day] of listOf(entry.days)) {
    const d = isObject(day) ? day : {};
    const date = eljurDate(d.name) ?? eljurDate(dayKey);
    const holiday = textOf(d.holiday_name, 200);
    if (date && holiday) {
      out.push(record('holiday_period', `${classKey(ctx.yearKey, ctx.className)}|${date}`, {
        kind: 'holiday', title: holiday, startDate: date, endDate: date, classGroupIds: [classGroupId],
        academicYearId: ctx.ids.ref('academic_year', ctx.yearKey),
      }));
    }
    for (const [itemKey, item] of listOf(d.items)) out.push(...mapLesson(item, itemKey, date, dayKey, classGroupId, ctx));
  }
  return out;
}

function mapLesson(item: unknown, itemKey: string, date: string | undefined, dayKey: string, classGroupId: string, ctx: DiaryContext): Mapped[] {
  const o = isObject(item) ? item : {};
  const num = idOf(o.num) ?? itemKey;
  const grp = textOf(o.grp, 50);
  const subject = textOf(o.name, 200);
  const startTime = eljurTime(o.starttime);
  const endTime = eljurTime(o.endtime);
  const sourceId = date ? lessonKey(ctx.yearKey, ctx.className, date, num, grp) : `${dayKey}|${num}`;
  const issues: Issue[] = [];
  if (!date) issues.push({ path: `/days/${dayKey}/name`, message: 'day is not YYYYMMDD' });
  if (!subject) issues.push({ path: '/name', message: 'lesson without a subject' });
  if (!startTime) issues.push({ path: '/starttime', message: 'not HH:MM:SS (rings=true expected)' });
  if (!endTime) issues.push({ path: '/endtime', message: 'not HH:MM:SS (rings=true expected)' });
  if (issues.length > 0) return [invalid('lesson', sourceId, issues, item)];

  const out: Mapped[] = [];
  const subjectId = ctx.ids.ref('subject', subjectKey(subject as string));
  out.push(record('subject', subjectKey(subject as string), { title: subject }));
  const teacherName = textOf(o.teacher, 300);
  const teacherFio = parseFio(teacherName);
  const teacherIds: string[] = [];
  if (teacherName && teacherFio) {
    out.push(record('person', teacherKey(teacherName), { roles: ['teacher'], ...teacherFio }));
    teacherIds.push(ctx.ids.ref('person', teacherKey(teacherName)));
  }
  const number = intOf(o.num);
  const room = textOf(o.room, 100);
  const topic = textOf(o.topic, 1000);
  out.push(record('lesson', sourceId, {
    classGroupId, subjectId, date, startTime, endTime,
    ...(number !== undefined && number >= 0 && number <= 20 ? { number } : {}),
    ...(topic ? { topic } : {}), ...(room ? { room } : {}),
    teacherIds, state: (date as string) <= ctx.today ? 'held' : 'scheduled',
  }));
  const lessonId = ctx.ids.ref('lesson', sourceId);
  for (const [hwKey, hw] of listOf(o.homework)) {
    const h = isObject(hw) ? hw : {};
    const id = idOf(h.id) ?? `${sourceId}#${hwKey}`;
    const text = typeof h.value === 'string' ? h.value.trim() : undefined;
    if (text === undefined) { out.push(invalid('homework', id, [{ path: `/homework/${hwKey}/value`, message: 'homework without text' }], hw)); continue; }
    if (text === '') continue;
    const individual = boolOf(h.individual) === true;
    out.push(record('homework', id, {
      classGroupId, subjectId, dueLessonId: lessonId, dueDate: date, text: text.slice(0, 20000), isIndividual: individual,
      ...(individual ? { studentIds: [ctx.ids.ref('person', ctx.studentId)] } : {}),
    }));
  }
  return out;
}
