import { GatewayError, type Issue } from '../../../src/core/errors';
import { vendorDate, vendorDateTimeToUtc, vendorTime } from '../dates';
import { classKey, intOf, invalid, isObject, numOf, record, subjectKey, textOf, type Mapped, type MapContext } from './common';
import type { TermRange } from './school-years';
import { isHomeworkType, workTypeCode } from './vocabulary';

export interface DiaryContext extends MapContext {
  studentId: number;
  yearId: number;
  /** School-local date of the run: lessons up to it are `held`, later ones `scheduled`. */
  today: string;
  /** grade/assignment/types: typeId → name. */
  typeNames: ReadonlyMap<number, string>;
  terms: readonly TermRange[];
  /** The student's class from diary/init, used when the diary root has no className. */
  className?: string;
}

/** Homework text NetSchool shows for "nothing set" (seen in public clients' data). */
const EMPTY_HOMEWORK = new Set(['не задано', 'не задано.', '-']);

interface LessonInfo {
  id: number | undefined;
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
 * - every lesson (`classmeetingId`) is a lesson; its teacher is unknown here (teacherIds: []);
 * - assignments of type «Домашнее задание» are homework; others are assessments, and so is
 *   homework that carries this student's mark (the mark needs an assessment to point at);
 * - `mark.mark` 1–5 → five_point value; `dutyMark` («точка») → status debt; `markComment.name`
 *   → teacherComment.
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
      teacherIds: [],
      state: (date as string) <= ctx.today ? 'held' : 'scheduled',
    }));
  }
  const info: LessonInfo = { id, date, endTime, subjectName, classGroupId };
  const assignments = Array.isArray(obj.assignments) ? obj.assignments : [];
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
  const lessonId = lesson.id !== undefined ? ctx.ids.ref('lesson', String(lesson.id)) : undefined;
  const dueDate = vendorDate(obj.dueDate);
  const title = textOf(obj.assignmentName, 500);
  const out: Mapped[] = [];
  const hasMark = isObject(obj.mark) && ((obj.mark.mark !== null && obj.mark.mark !== undefined) || obj.mark.dutyMark === true);

  if (homework) {
    const text = textOf(obj.assignmentName, 20000);
    if (text && !EMPTY_HOMEWORK.has(text.toLowerCase())) {
      out.push(record('homework', sourceId, {
        classGroupId: lesson.classGroupId, subjectId,
        ...(lessonId ? { assignedLessonId: lessonId } : {}),
        dueDate: dueDate ?? lesson.date, text, isIndividual: false,
      }));
    }
  }
  if (!homework || hasMark) {
    const weight = numOf(obj.weight);
    if (weight === undefined || weight <= 0 || weight > 100) {
      out.push(invalid('assessment', sourceId, [{ path: '/weight', message: 'weight is not a positive number' }], a));
    } else {
      const term = termFor(ctx, lesson.date, termName);
      out.push(record('assessment', sourceId, {
        classGroupId: lesson.classGroupId, subjectId,
        ...(lessonId ? { lessonId } : {}),
        ...(term ? { reportingPeriodId: ctx.ids.ref('reporting_period', term.sourceId) } : {}),
        workType: { code: workTypeCode(typeName, typeId as number), title: typeName ?? `Тип ${typeId}` },
        ...(title ? { title } : {}),
        weight, date: lesson.date,
        ...(dueDate ? { dueDate } : {}),
      }));
    }
  }
  const mark = mapMark(obj, id as number, subjectId, lessonId, lesson, ctx);
  if (mark) out.push(mark);
  return out;
}

function mapMark(a: Record<string, unknown>, assignmentId: number, subjectId: string, lessonId: string | undefined, lesson: LessonInfo, ctx: DiaryContext): Mapped | undefined {
  const m = a.mark;
  if (!isObject(m)) return undefined;
  const studentId = intOf(m.studentId) ?? ctx.studentId;
  const sourceId = `${assignmentId}:${studentId}`;
  const duty = m.dutyMark === true;
  const rawMark = m.mark;
  if ((rawMark === null || rawMark === undefined) && !duty) return undefined;
  let value: Record<string, unknown> | undefined;
  if (rawMark !== null && rawMark !== undefined) {
    const n = intOf(rawMark);
    if (n === undefined || n < 1 || n > 5) {
      return invalid('mark', sourceId, [{ path: '/mark/mark', message: 'mark is not an integer 1-5' }], a);
    }
    value = { scale: 'five_point', raw: String(n), numeric: n };
  }
  const comment = isObject(a.markComment) ? a.markComment : undefined;
  const teacherComment = comment ? textOf(comment.name, 2000) : undefined;
  const commentTeacher = comment && isObject(comment.teacher) ? intOf(comment.teacher.id) : undefined;
  // NetSchool's web diary has no entry time for marks; a comment's editTime is the closest
  // thing, otherwise the end of the lesson stands in for it (see README, "assumed").
  const markedAt = (comment ? vendorDateTimeToUtc(comment.editTime, ctx.utcOffset) : undefined)
    ?? vendorDateTimeToUtc(`${lesson.date}T${lesson.endTime ?? '00:00'}:00`, ctx.utcOffset);
  return record('mark', sourceId, {
    kind: 'current',
    studentId: ctx.ids.ref('person', String(studentId)),
    subjectId,
    assessmentId: ctx.ids.ref('assessment', String(assignmentId)),
    ...(lessonId ? { lessonId } : {}),
    ...(value ? { value } : {}),
    markStatus: value ? 'graded' : 'debt',
    ...(teacherComment ? { teacherComment } : {}),
    ...(commentTeacher !== undefined ? { teacherId: ctx.ids.ref('person', String(commentTeacher)) } : {}),
    date: lesson.date,
    markedAt,
  });
}
