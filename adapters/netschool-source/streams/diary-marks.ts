/**
 * A diary assignment's per-student part → its mark (graded, duty dot, or overdue) or, when
 * there is no mark, the teacher's comment as a recommendation. Pure; used by diary.ts.
 */
import type { MapContext } from './common';
import { intOf, invalid, isObject, record, textOf, type Mapped } from './common';
import { localToUtc, vendorDateTimeToUtc } from '../dates';
import type { OverdueItem } from './enrichment';

/** What the mark mapping needs of the diary context (see DiaryContext). */
export interface MarkContext extends MapContext {
  studentId: number;
  /** This student's overdue works (`pastMandatory`) by assignment id. */
  overdue?: ReadonlyMap<number, OverdueItem>;
  /** When this student's results were entered (mobile `resultDate`, UTC) by assignment id. */
  resultTimes?: ReadonlyMap<number, string>;
}

export interface MarkTarget {
  assignmentId: number;
  subjectId: string;
  lessonId: string | undefined;
  lessonDate: string;
  lessonEnd: string | undefined;
  /** The assignment is homework (no assessment is emitted for it unless a mark needs one). */
  homework: boolean;
}

/** Does this student owe or hold a mark for the assignment (so the assessment must exist)? */
export function needsMark(a: Record<string, unknown>, assignmentId: number, ctx: MarkContext): boolean {
  const m = isObject(a.mark) ? a.mark : undefined;
  return (m !== undefined && ((m.mark !== null && m.mark !== undefined) || m.dutyMark === true))
    || (ctx.overdue?.has(assignmentId) ?? false);
}

const latest = (...xs: (string | undefined)[]): string | undefined =>
  xs.filter((x): x is string => x !== undefined).sort().pop();

/**
 * - `mark.mark` 1–5 → five_point value, `markStatus: 'graded'`;
 * - `dutyMark` («точка») → `markStatus: 'debt'`; an overdue work without a mark (`pastMandatory`)
 *   → `debt` too, tagged `metadata.netschoolOverdue` (so are dots on overdue works);
 * - `markComment.name` → `teacherComment` (its teacher → `teacherId`); a comment on a work the
 *   student has no mark for → recommendation (lost when the comment names no teacher);
 * - `markedAt`: the mobile `resultDate`, else the comment's `editTime`, else the lesson's end
 *   (an overdue work: the end of its due date); `sourceModifiedAt`: the latest journal timestamp.
 */
export function mapStudentPart(a: Record<string, unknown>, t: MarkTarget, ctx: MarkContext): Mapped[] {
  const m = isObject(a.mark) ? a.mark : undefined;
  const studentId = (m ? intOf(m.studentId) : undefined) ?? ctx.studentId;
  const sourceId = `${t.assignmentId}:${studentId}`;
  const rawMark = m?.mark;
  const hasValue = rawMark !== null && rawMark !== undefined;
  const duty = m?.dutyMark === true;
  const overdue = ctx.overdue?.get(t.assignmentId);
  const comment = isObject(a.markComment) ? a.markComment : undefined;
  const teacherComment = comment ? textOf(comment.name, 2000) : undefined;
  const commentTeacher = comment && isObject(comment.teacher) ? intOf(comment.teacher.id) : undefined;
  const commentAt = comment ? vendorDateTimeToUtc(comment.editTime, ctx.utcOffset) : undefined;
  const student = ctx.ids.ref('person', String(studentId));

  if (!hasValue && !duty && !overdue) {
    if (!teacherComment || commentTeacher === undefined) return [];
    const commentId = comment ? intOf(comment.id) : undefined;
    return [record('recommendation', commentId !== undefined ? `comment:${commentId}` : `${sourceId}:comment`, {
      // Homework has no assessment of its own here: the lesson it was set at stands in for it.
      ...(t.homework && t.lessonId ? { targetType: 'lesson', targetId: t.lessonId }
        : { targetType: 'assessment', targetId: ctx.ids.ref('assessment', String(t.assignmentId)) }),
      studentId: student,
      authorId: ctx.ids.ref('person', String(commentTeacher)),
      text: teacherComment,
      visibility: 'student_and_guardians',
      ...(commentAt ? { writtenAt: commentAt } : {}),
    }, commentAt ? { sourceModifiedAt: commentAt } : {})];
  }

  let value: Record<string, unknown> | undefined;
  if (hasValue) {
    const n = intOf(rawMark);
    if (n === undefined || n < 1 || n > 5) {
      return [invalid('mark', sourceId, [{ path: '/mark/mark', message: 'mark is not an integer 1-5' }], a)];
    }
    value = { scale: 'five_point', raw: String(n), numeric: n };
  }
  const resultAt = ctx.resultTimes?.get(t.assignmentId);
  // NetSchool's web diary has no entry time for marks (see README, "assumed").
  const fallbackAt = !hasValue && !duty && overdue
    ? localToUtc(overdue.dueDate ?? t.lessonDate, '23:59', ctx.utcOffset)
    : localToUtc(t.lessonDate, t.lessonEnd ?? '00:00', ctx.utcOffset);
  const sourceModifiedAt = latest(resultAt, commentAt);
  return [record('mark', sourceId, {
    kind: 'current',
    studentId: student,
    subjectId: t.subjectId,
    assessmentId: ctx.ids.ref('assessment', String(t.assignmentId)),
    ...(t.lessonId ? { lessonId: t.lessonId } : {}),
    ...(value ? { value } : {}),
    markStatus: value ? 'graded' : 'debt',
    ...(teacherComment ? { teacherComment } : {}),
    ...(commentTeacher !== undefined ? { teacherId: ctx.ids.ref('person', String(commentTeacher)) } : {}),
    date: t.lessonDate,
    markedAt: resultAt ?? commentAt ?? fallbackAt,
  }, {
    ...(sourceModifiedAt ? { sourceModifiedAt } : {}),
    ...(overdue && !value ? { metadata: { netschoolOverdue: true } } : {}),
  })];
}
