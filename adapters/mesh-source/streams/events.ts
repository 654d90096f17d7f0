import type { Issue } from '../../../src/core/errors';
import { vendorDateTime } from '../dates';
import { intOf, invalid, isObject, record, textOf, type Mapped, type MapContext, type StudentInfo } from './common';
import { absenceCategory } from './vocabulary';

export interface EventContext extends MapContext {
  student: StudentInfo;
  /** Moscow date of the run: lessons up to it are `held`, later ones `scheduled`. */
  today: string;
}

/** The `response` list of an eventcalendar answer `{total_count, response[], errors}`. */
export function eventsOf(raw: unknown): unknown[] | undefined {
  if (isObject(raw) && Array.isArray(raw.response)) return raw.response;
  return Array.isArray(raw) ? raw : undefined;
}

/**
 * One event (sources §4.4) → a lesson and, when `is_missed_lesson`, the student's attendance
 * event. Events without a subject (school events, clubs) are not lessons and yield nothing.
 * - `cancelled` → state cancelled; `replaced` with `replaced_teacher_id` → substituted (that id is
 *   read as the teacher who was replaced, assumed); `replaced` without it stays held/scheduled and
 *   keeps `meshReplaced` in metadata (the schema needs the replaced teacher);
 * - times are Moscow wall clock as written (naive, or with an offset);
 * - teachers are not named by the family API: `teacherIds: []`.
 */
export function mapEvent(e: unknown, ctx: EventContext): Mapped[] {
  const o = isObject(e) ? e : {};
  if (o.subject_id === undefined || o.subject_id === null) return [];
  const id = intOf(o.id);
  const sourceId = id !== undefined ? String(id) : `${String(o.start_at)}#${String(o.subject_id)}`;
  const subjectId = intOf(o.subject_id);
  const start = vendorDateTime(o.start_at, ctx.utcOffset);
  const finish = vendorDateTime(o.finish_at, ctx.utcOffset);
  const classUnits = Array.isArray(o.class_unit_ids) ? o.class_unit_ids.map(intOf).filter((x): x is number => x !== undefined) : [];
  const classUnitId = classUnits[0] ?? ctx.student.classUnitId;
  const issues: Issue[] = [];
  if (id === undefined) issues.push({ path: '/id', message: 'event without an integer id' });
  if (subjectId === undefined) issues.push({ path: '/subject_id', message: 'not an integer' });
  if (!start) issues.push({ path: '/start_at', message: 'not a date-time' });
  if (!finish) issues.push({ path: '/finish_at', message: 'not a date-time' });
  if (classUnitId === undefined) issues.push({ path: '/class_unit_ids', message: 'no class for the lesson' });
  if (issues.length > 0 || !start || !finish || subjectId === undefined || classUnitId === undefined) return [invalid('lesson', sourceId, issues, e)];

  const replacedTeacher = intOf(o.replaced_teacher_id);
  const state = o.cancelled === true ? 'cancelled'
    : o.replaced === true && replacedTeacher !== undefined ? 'substituted'
      : start.date <= ctx.today ? 'held' : 'scheduled';
  const room = textOf(o.room_number ?? o.room_name, 100);
  const topic = textOf(o.lesson_theme, 1000);
  const out: Mapped[] = [record('lesson', sourceId, {
    classGroupId: ctx.ids.ref('class_group', String(classUnitId)),
    subjectId: ctx.ids.ref('subject', String(subjectId)),
    date: start.date, startTime: start.time, endTime: finish.time,
    ...(topic ? { topic } : {}),
    ...(room ? { room } : {}),
    teacherIds: [],
    state,
    ...(state === 'substituted' ? { replacedTeacherId: ctx.ids.ref('person', String(replacedTeacher)) } : {}),
  }, o.replaced === true && state !== 'substituted' ? { metadata: { meshReplaced: true } } : {})];

  if (o.is_missed_lesson === true) {
    const reason = intOf(o.absence_reason_id);
    out.push(record('attendance_event', `${sourceId}:${ctx.student.id}`, {
      studentId: ctx.ids.ref('person', String(ctx.student.id)),
      lessonId: ctx.ids.ref('lesson', sourceId),
      date: start.date,
      code: reason !== undefined ? `н/${reason}`.slice(0, 16) : 'н',
      category: absenceCategory(reason),
    }));
  }
  return out;
}
