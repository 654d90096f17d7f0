import { GatewayError, type Issue } from '../../../src/core/errors';
import type { MappedRecord } from '../../../src/core/records';
import { vendorDate, vendorTime } from '../dates';
import { classKey, intOf, invalid, isObject, numOf, record, subjectKey, textOf, type Mapped } from './common';
import { mapStudentPart, needsMark, type MarkContext } from './diary-marks';
import type { AssignmentDetails } from './enrichment';
import type { TermRange } from './school-years';
import { isHomeworkType, workTypeCode } from './vocabulary';

export interface DiaryContext extends MarkContext {
  yearId: number;
  /** School-local date of the run: lessons up to it are `held`, later ones `scheduled`. */
  today: string;
  /** grade/assignment/types: typeId → name. */
  typeNames: ReadonlyMap<number, string>;
  terms: readonly TermRange[];
  /** The student's class from diary/init, used when the diary root has no className. */
  className?: string;
  /** `student/diary/assigns/{id}` answers by assignment id (absent: details not read). */
  details?: ReadonlyMap<number, AssignmentDetails>;
}

/** Homework text NetSchool shows for "nothing set" (seen in public clients' data). */
const EMPTY_HOMEWORK = new Set(['не задано', 'не задано.', '-']);

interface LessonInfo {
  id: number | undefined;
  /** Canonical lesson id, when the lesson has a classmeetingId. */
  ref: string | undefined;
  date: string | undefined;
  endTime: string | undefined;
  subjectName: string | undefined;
  classGroupId: string | undefined;
}

function termFor(ctx: DiaryContext, date: string | undefined, termName: string | undefined): TermRange | undefined {
  return (date ? ctx.terms.find((t) => t.start <= date && date <= t.end) : undefined)
    ?? (termName ? ctx.terms.find((t) => t.title.toLowerCase() === termName.toLowerCase()) : undefined);
}

/**
 * One `student/diary` answer (one student, one week) → lessons, assessments, marks and
 * homework. Pure: the same answer and context give the same records.
 *
 * - every lesson (`classmeetingId`) is a lesson; its teachers come only from the details of
 *   its works (teacherIds: [] without them);
 * - assignments of type «Домашнее задание» are homework; others are assessments, and so is
 *   homework this student has a mark, dot or debt for (the mark needs an assessment to point at);
 * - the student's mark, duty dot, overdue debt or comment: see diary-marks.ts;
 * - assignment details (when read) name the teachers of the lesson and the work, add the
 *   homework's description and mark deleted works `tobedeleted`.
 * A lesson or assignment that cannot be mapped yields `invalid` and the rest goes on; a body
 * that is not a diary at all is a protocol error.
 */
export function mapDiaryWeek(raw: unknown, ctx: DiaryContext): Mapped[] {
  if (!isObject(raw) || !Array.isArray(raw.weekDays)) {
    throw new GatewayError('GW_SRC_PROTOCOL', 'NetSchool student/diary: answer has no weekDays list');
  }
  const className = textOf(raw.className) ?? ctx.className;
  const termName = textOf(raw.termName);
  const out: Mapped[] = [];
  for (const day of raw.weekDays) {
    const lessons = isObject(day) && Array.isArray(day.lessons) ? day.lessons : [];
    for (const l of lessons) out.push(...mapLesson(l, className, termName, ctx));
  }
  return out;
}

function mapLesson(l: unknown, className: string | undefined, termName: string | undefined, ctx: DiaryContext): Mapped[] {
  const obj = isObject(l) ? l : {};
  const id = intOf(obj.classmeetingId);
  const date = vendorDate(obj.day);
  const startTime = vendorTime(obj.startTime);
  const endTime = vendorTime(obj.endTime);
  const subjectName = textOf(obj.subjectName, 200);
  const classGroupId = className ? ctx.ids.ref('class_group', classKey(ctx.yearId, className)) : undefined;
  const sourceId = id !== undefined ? String(id) : `${String(obj.day)}#${String(obj.number)}`;
  const issues: Issue[] = [];
  if (id === undefined) issues.push({ path: '/classmeetingId', message: 'lesson without an integer classmeetingId' });
  if (!date) issues.push({ path: '/day', message: 'not a date' });
  if (!startTime) issues.push({ path: '/startTime', message: 'not HH:MM' });
  if (!endTime) issues.push({ path: '/endTime', message: 'not HH:MM' });
  if (!subjectName) issues.push({ path: '/subjectName', message: 'missing' });
  if (!classGroupId) issues.push({ path: '/className', message: 'the diary names no class' });

  const assignments = Array.isArray(obj.assignments) ? obj.assignments : [];
  const teacherIds = [...new Set(assignments.flatMap((a) => {
    const aid = isObject(a) ? intOf(a.id) : undefined;
    return (aid !== undefined ? ctx.details?.get(aid)?.teacherIds : undefined) ?? [];
  }))].sort((a, b) => a - b).map((t) => ctx.ids.ref('person', String(t)));
  const out: Mapped[] = [];
  if (issues.length > 0) {
    out.push(invalid('lesson', sourceId, issues, l));
  } else {
    const number = intOf(obj.number);
    const room = textOf(obj.room, 100);
    out.push(record('lesson', sourceId, {
      classGroupId, subjectId: ctx.ids.ref('subject', subjectKey(subjectName as string)),
      date, startTime, endTime,
      ...(number !== undefined && number >= 0 && number <= 20 ? { number } : {}),
      ...(room ? { room } : {}),
      teacherIds,
      state: (date as string) <= ctx.today ? 'held' : 'scheduled',
    }));
  }
  const info: LessonInfo = { id, ref: id !== undefined ? ctx.ids.ref('lesson', String(id)) : undefined, date, endTime, subjectName, classGroupId };
  for (const a of assignments) out.push(...mapAssignment(a, info, termName, ctx));
  return out;
}

function mapAssignment(a: unknown, lesson: LessonInfo, termName: string | undefined, ctx: DiaryContext): Mapped[] {
  const obj = isObject(a) ? a : {};
  const id = intOf(obj.id);
  const typeId = intOf(obj.typeId);
  const typeName = typeId !== undefined ? ctx.typeNames.get(typeId) : undefined;
  const sourceId = id !== undefined ? String(id) : `${lesson.id ?? 'lesson?'}#${String(obj.assignmentName ?? '')}`.slice(0, 200);
  const homework = isHomeworkType(typeName);
  const entity = homework ? 'homework' : 'assessment';
  const base: Issue[] = [];
  if (id === undefined) base.push({ path: '/id', message: 'assignment without an integer id' });
  if (typeId === undefined) base.push({ path: '/typeId', message: 'assignment without a type' });
  if (!lesson.subjectName) base.push({ path: '/subjectName', message: 'the lesson names no subject' });
  if (!lesson.classGroupId) base.push({ path: '/className', message: 'the diary names no class' });
  if (!lesson.date) base.push({ path: '/day', message: 'the lesson has no date' });
  if (base.length > 0) return [invalid(entity, sourceId, base, a)];

  const subjectId = ctx.ids.ref('subject', subjectKey(lesson.subjectName as string));
  const lessonId = lesson.ref;
  const dueDate = vendorDate(obj.dueDate);
  const title = textOf(obj.assignmentName, 500);
  const out: Mapped[] = [];
  const details = ctx.details?.get(id as number);
  const gone: Partial<MappedRecord> = details?.deleted ? { status: 'tobedeleted' } : {};
  const teacherId = details?.teacherIds[0];

  if (homework) {
    const name = textOf(obj.assignmentName, 20000);
    const extra = details?.description && textOf(details.description, 20000) !== name ? details.description : undefined;
    if (name && !EMPTY_HOMEWORK.has(name.toLowerCase())) {
      out.push(record('homework', sourceId, {
        classGroupId: lesson.classGroupId, subjectId,
        ...(lessonId ? { assignedLessonId: lessonId } : {}),
        dueDate: dueDate ?? lesson.date, text: extra ? `${name}\n${extra}`.slice(0, 20000) : name, isIndividual: false,
      }, gone));
    }
  }
  if (!homework || needsMark(obj, id as number, ctx)) {
    const weight = numOf(obj.weight);
    if (weight === undefined || weight <= 0 || weight > 100) {
      out.push(invalid('assessment', sourceId, [{ path: '/weight', message: 'weight is not a positive number' }], a));
    } else {
      const term = termFor(ctx, lesson.date, termName);
      out.push(record('assessment', sourceId, {
        classGroupId: lesson.classGroupId, subjectId,
        ...(lessonId ? { lessonId } : {}),
        ...(term ? { reportingPeriodId: ctx.ids.ref('reporting_period', term.sourceId) } : {}),
        ...(teacherId !== undefined ? { teacherId: ctx.ids.ref('person', String(teacherId)) } : {}),
        workType: { code: workTypeCode(typeName, typeId as number), title: typeName ?? `Тип ${typeId}` },
        ...(title ? { title } : {}),
        weight, date: lesson.date,
        ...(dueDate ? { dueDate } : {}),
      }, gone));
    }
  }
  out.push(...mapStudentPart(obj, {
    assignmentId: id as number, subjectId, lessonId, lessonDate: lesson.date as string, lessonEnd: lesson.endTime, homework,
  }, ctx));
  return out;
}
