/**
 * Line items → assessment; results → mark. A line item's category says whether it is a piece of
 * work (current marks) or the column of period, annual, final or exam marks (README, "Work types").
 */
import type { Issue } from '../../../src/core/errors';
import { isObject, localDateOf, missing, numOf, orRecord, refOf, sourcedIdOf, textOf, unmappable, utcOf, type Mapped, type OrMapContext } from './common';
import type { LineItemInfo, LookupTables } from './lookups';
import { noId } from './roster';
import { readCategory, readScore, SCORE_STATUS, type CategoryReading } from './vocabulary';

export interface GradebookContext extends OrMapContext {
  tables: LookupTables;
  categoryMap: Readonly<Record<string, string>>;
  defaultWeight: number;
  schoolSourcedId?: string;
}

function categoryOf(categoryId: string | undefined, ctx: GradebookContext): CategoryReading & { weight?: number } {
  const info = categoryId ? ctx.tables.categories.get(categoryId) : undefined;
  return { ...readCategory(categoryId, info?.title, ctx.categoryMap), ...(info?.weight !== undefined ? { weight: info.weight } : {}) };
}

/** The reporting period of a line item: its grading period, else its academic session unless that is the year. */
function periodOf(li: { gradingPeriodId?: string; academicSessionId?: string }, ctx: GradebookContext): string | undefined {
  if (li.gradingPeriodId) return li.gradingPeriodId;
  const s = li.academicSessionId ? ctx.tables.sessions.get(li.academicSessionId) : undefined;
  return li.academicSessionId && s?.type !== 'schoolYear' ? li.academicSessionId : undefined;
}

/**
 * A line item → assessment: class, the class's course as subject, the category as work type
 * and weight (the configured default when the category has none, or one outside (0, 100]).
 * Line items of mark categories (period, annual…) are mark columns, not work: they yield nothing.
 */
export function mapLineItem(raw: unknown, ctx: GradebookContext): Mapped[] {
  const id = sourcedIdOf(raw);
  if (!id || !isObject(raw)) return [noId('assessment', raw)];
  if (ctx.schoolSourcedId && refOf(raw.school) && refOf(raw.school) !== ctx.schoolSourcedId) return [];
  const categoryId = refOf(raw.category);
  const cat = categoryOf(categoryId, ctx);
  if (cat.markKind !== 'current' || !cat.workType) return [];
  const classId = refOf(raw.class);
  const courseId = classId ? ctx.tables.classes.get(classId)?.courseId : undefined;
  const date = localDateOf(raw.assignDate, ctx.utcOffset);
  const issues = missing([['/class', classId], ['/assignDate', date]]);
  if (classId && !courseId) issues.push({ path: '/class/sourcedId', message: 'class unknown to the provider or without a course' });
  if (issues.length > 0) return [unmappable('assessment', id, issues, raw)];
  const title = textOf(raw.title, 500);
  const dueDate = localDateOf(raw.dueDate, ctx.utcOffset);
  const max = numOf(raw.resultValueMax);
  const period = periodOf({ ...(refOf(raw.gradingPeriod) ? { gradingPeriodId: refOf(raw.gradingPeriod) } : {}), ...(refOf(raw.academicSession) ? { academicSessionId: refOf(raw.academicSession) } : {}) }, ctx);
  const weight = cat.weight !== undefined && cat.weight > 0 && cat.weight <= 100 ? cat.weight : ctx.defaultWeight;
  const description = textOf(raw.description, 1000);
  return [orRecord('assessment', id, raw, {
    classGroupId: ctx.ids.ref('class_group', classId as string), subjectId: ctx.ids.ref('subject', courseId as string),
    workType: cat.workType, weight, date,
    ...(title ? { title } : {}), ...(dueDate ? { dueDate } : {}),
    ...(period ? { reportingPeriodId: ctx.ids.ref('reporting_period', period) } : {}),
    ...(max !== undefined && max > 0 ? { maxScore: max } : {}),
  }, { metadata: { ...(description ? { description } : {}), ...(cat.weight !== undefined && weight !== cat.weight ? { categoryWeight: cat.weight } : {}) } })];
}

const FLAGS = ['late', 'missing', 'incomplete', 'inProgress'] as const;

/**
 * A result → mark. The value comes from `textScore` or `score` (README, "Mark values"); the
 * status from the value and `scoreStatus`; `markedAt` and the record's modification time are the
 * result's `dateLastModified`; `scoreDate` is kept in metadata; `date` is the line item's
 * assign date (the work's day), else the score date. A result with neither value nor a status that
 * stands for a mark (submitted, partially graded) is not a mark yet and yields nothing.
 */
export function mapResult(raw: unknown, ctx: GradebookContext): Mapped[] {
  const id = sourcedIdOf(raw);
  if (!id || !isObject(raw)) return [noId('mark', raw)];
  const studentId = refOf(raw.student);
  const lineItemId = refOf(raw.lineItem);
  const li: LineItemInfo | undefined = lineItemId ? ctx.tables.lineItems.get(lineItemId) : undefined;
  const classId = li?.classId ?? refOf(raw.class);
  const cls = classId ? ctx.tables.classes.get(classId) : undefined;
  if (ctx.schoolSourcedId && cls?.schoolId && cls.schoolId !== ctx.schoolSourcedId) return [];
  const markedAt = utcOf(raw.dateLastModified);
  const scoreDate = typeof raw.scoreDate === 'string' ? raw.scoreDate.trim() : undefined;
  const issues: Issue[] = missing([['/student', studentId], ['/lineItem', lineItemId], ['/dateLastModified', markedAt]]);
  if (lineItemId && !li) issues.push({ path: '/lineItem/sourcedId', message: 'line item unknown to the provider' });
  else if (li && !cls?.courseId) issues.push({ path: '/lineItem/sourcedId', message: 'the line item\'s class is unknown or has no course' });
  const scaleId = refOf(raw.scoreScale) ?? li?.scoreScaleId;
  const scale = scaleId ? ctx.tables.scoreScales.get(scaleId) : undefined;
  const reading = readScore(raw.score, raw.textScore, li?.resultValueMax, scale?.values ?? []);
  if (reading.kind === 'unknown') issues.push({ path: reading.path, message: 'not a mark value the gateway knows' });
  const cat = categoryOf(li?.categoryId, ctx);
  const period = li ? periodOf(li, ctx) : undefined;
  if (cat.markKind === 'period' && li && !period) issues.push({ path: '/lineItem/sourcedId', message: 'period mark on a line item without a grading period' });
  if (issues.length > 0) return [unmappable('mark', id, issues, raw)];

  const scoreStatus = typeof raw.scoreStatus === 'string' ? raw.scoreStatus.trim() : '';
  const byStatus = SCORE_STATUS[scoreStatus];
  let markStatus: string;
  let value: unknown;
  if (reading.kind === 'value') { markStatus = byStatus === 'exempt' ? 'exempt' : 'graded'; value = reading.value; }
  else if (reading.kind === 'status') { markStatus = reading.markStatus; value = { scale: 'text', raw: reading.raw, numeric: null }; }
  else if (byStatus === 'exempt' || byStatus === 'debt' || byStatus === 'not_attested') markStatus = byStatus;
  else return []; // no value, and the status is not a mark (submitted, partially graded, fully graded without score)

  const date = localDateOf(li?.assignDate, ctx.utcOffset) ?? localDateOf(scoreDate, ctx.utcOffset);
  const comment = textOf(raw.comment, 2000);
  const metadata: Record<string, unknown> = {
    ...(scoreStatus ? { scoreStatus } : {}),
    ...(scoreDate ? { scoreDate } : {}),
    ...Object.fromEntries(FLAGS.flatMap((f) => (raw[f] === 'true' || raw[f] === true ? [[f, true]] : []))),
    ...(scale?.title ? { scoreScale: scale.title } : {}),
    ...(li?.tobedeleted ? { lineItemDeleted: true } : {}),
  };
  return [orRecord('mark', id, raw, {
    kind: cat.markKind,
    studentId: ctx.ids.ref('person', studentId as string),
    subjectId: ctx.ids.ref('subject', cls?.courseId as string),
    ...(cat.markKind === 'current' ? { assessmentId: ctx.ids.ref('assessment', lineItemId as string) } : {}),
    ...(period ? { reportingPeriodId: ctx.ids.ref('reporting_period', period) } : {}),
    ...(value !== undefined ? { value } : {}),
    markStatus,
    ...(comment ? { teacherComment: comment } : {}),
    ...(date ? { date } : {}),
    markedAt,
  }, { metadata })];
}
