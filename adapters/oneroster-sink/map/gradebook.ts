/**
 * Canonical assessment → OneRoster LineItem (+ its Category); canonical mark → Result; the
 * columns (line items) that hold period, annual, final and exam marks. Pure functions: the
 * README's "Mapping" tables describe them row by row.
 */
import { categoryIdOf, markCategoryIdOf, sectionIdOf } from '../ids';
import type { LineItemClassMode } from '../spec';
import { FIXED_MODIFIED, localDateOf, localMidnightUtc, metadataOf, modifiedOf, num, ref, statusOf, str, type MapOptions, type Obj } from './common';

export interface GradebookOptions extends MapOptions {
  lineItemClass: LineItemClassMode;
}

interface WorkType { code: string; title: string }

function workTypeOf(a: Obj): WorkType {
  const w = (a.workType ?? {}) as Partial<WorkType>;
  return { code: String(w.code ?? 'ext:unknown'), title: String(w.title ?? 'Работа') };
}

/** The OneRoster class a line item of this assessment names. */
export function lineItemClassOf(a: Obj, mode: LineItemClassMode): string {
  const classGroupId = String(a.classGroupId);
  return mode === 'section' ? sectionIdOf(classGroupId, String(a.subjectId)) : classGroupId;
}

/** The category of an assessment: its work type (code and title) with the assessment's weight. */
export function categoryOf(a: Obj): Obj {
  const w = workTypeOf(a);
  const weight = num(a.weight) ?? 1;
  return {
    sourcedId: categoryIdOf(w.code, w.title, weight),
    status: 'active',
    dateLastModified: FIXED_MODIFIED,
    title: w.title,
    weight,
    metadata: { diaryGateway: { entity: 'category', workTypeCode: w.code } },
  };
}

/** An assessment → LineItem. `dueDate` defaults to the work's date (OneRoster requires one). */
export function lineItemOf(a: Obj, o: GradebookOptions): Obj {
  const w = workTypeOf(a);
  const date = String(a.date);
  const max = num(a.maxScore);
  const period = str(a.reportingPeriodId);
  return {
    sourcedId: String(a.id),
    status: statusOf(a),
    dateLastModified: modifiedOf(a),
    title: str(a.title) ?? w.title,
    assignDate: localMidnightUtc(date, o.utcOffset),
    dueDate: localMidnightUtc(str(a.dueDate) ?? date, o.utcOffset),
    class: ref(o, 'class', lineItemClassOf(a, o.lineItemClass)),
    school: ref(o, 'org', o.orgOf(String(a.schoolId))),
    category: ref(o, 'category', String(categoryOf(a).sourcedId)),
    ...(period ? { gradingPeriod: ref(o, 'academicSession', period) } : {}),
    ...(max !== undefined ? { resultValueMin: 0, resultValueMax: max } : {}),
    metadata: metadataOf(a, {
      workTypeCode: w.code, weight: num(a.weight), classGroupId: a.classGroupId, subjectId: a.subjectId,
      lessonId: str(a.lessonId), teacherId: str(a.teacherId), date, dueDate: str(a.dueDate),
    }),
  };
}

/** Titles of the categories of mark columns (the oneroster-source table reads them back as mark kinds). */
export const MARK_CATEGORY_TITLES: Readonly<Record<string, string>> = {
  period: 'Отметка за период',
  annual: 'Годовая отметка',
  final: 'Итоговая отметка',
  exam: 'Экзаменационная отметка',
};

export function markCategoryOf(kind: string): Obj {
  return {
    sourcedId: markCategoryIdOf(kind), status: 'active', dateLastModified: FIXED_MODIFIED,
    title: MARK_CATEGORY_TITLES[kind] ?? kind, metadata: { diaryGateway: { entity: 'category', markKind: kind } },
  };
}

export interface ColumnInput {
  sourcedId: string;
  kind: string;
  sectionId: string;
  schoolId: string;
  subjectTitle: string;
  /** The reporting period (period marks) or academic year (others), when known. */
  sessionId?: string;
  sessionIsPeriod: boolean;
  /** School-local dates of the column (the period, the year, else the first mark's day). */
  startDate: string;
  endDate: string;
  modified: string;
}

/** The line item holding one kind of non-current marks of one section (and period). */
export function columnLineItemOf(c: ColumnInput, o: MapOptions): Obj {
  return {
    sourcedId: c.sourcedId,
    status: 'active',
    dateLastModified: c.modified,
    title: `${MARK_CATEGORY_TITLES[c.kind] ?? c.kind} · ${c.subjectTitle}`.slice(0, 250),
    assignDate: localMidnightUtc(c.startDate, o.utcOffset),
    dueDate: localMidnightUtc(c.endDate, o.utcOffset),
    class: ref(o, 'class', c.sectionId),
    school: ref(o, 'org', o.orgOf(c.schoolId)),
    category: ref(o, 'category', markCategoryIdOf(c.kind)),
    ...(c.sessionId ? { [c.sessionIsPeriod ? 'gradingPeriod' : 'academicSession']: ref(o, 'academicSession', c.sessionId) } : {}),
    metadata: { diaryGateway: { entity: 'mark-column', markKind: c.kind } },
  };
}

export interface ScoreParts { scoreStatus: string; score?: number; textScore?: string }

interface MarkValue { scale?: string; raw?: string; numeric?: number | null; passed?: boolean }

/**
 * A mark's value and status → scoreStatus, score, textScore. Five-point marks carry both (the
 * number and the mark as written, «5-»); ten- and hundred-point marks the number only (a text
 * «4» would read back as a five-point mark); pass/fail and text marks the text only; н/а, осв
 * and a debt are statuses (`ext:not-attested`, `exempt`, `not submitted`) with the text kept.
 */
export function scoreOf(m: Obj): ScoreParts {
  const v = (m.value ?? undefined) as MarkValue | undefined;
  const raw = str(v?.raw);
  const numeric = num(v?.numeric);
  switch (m.markStatus) {
    case 'exempt': return { scoreStatus: 'exempt', textScore: raw ?? 'осв' };
    case 'not_attested': return { scoreStatus: 'ext:not-attested', textScore: raw ?? 'н/а' };
    case 'debt': return { scoreStatus: 'not submitted', ...(raw ? { textScore: raw } : {}) };
    case 'deferred': return { scoreStatus: 'ext:deferred', ...(raw ? { textScore: raw } : {}) };
    default: break;
  }
  const graded = { scoreStatus: 'fully graded' };
  switch (v?.scale) {
    case 'five_point':
    case 'five_point_modifiers':
      return { ...graded, ...(numeric !== undefined ? { score: numeric } : {}), ...(raw ? { textScore: raw } : {}) };
    case 'ten_point':
    case 'hundred_point':
      return numeric !== undefined ? { ...graded, score: numeric } : { ...graded, ...(raw ? { textScore: raw } : {}) };
    default:
      return { ...graded, ...(raw ? { textScore: raw } : {}) };
  }
}

export type ResultPlan =
  | { kind: 'result'; result: Obj }
  /** The mark has no line item in the REST gradebook (period marks, or a current mark without its work). */
  | { kind: 'unsupported'; path: string; reason: string };

/**
 * A mark → Result on its line item: the assessment for a current mark, or `column` (a mark column
 * the CSV export derives) for the others. `classId` fills the optional `class` reference.
 */
export function resultOf(m: Obj, o: MapOptions, column?: { lineItemId: string; classId?: string }): ResultPlan {
  const kind = String(m.kind);
  const lineItemId = column?.lineItemId ?? (kind === 'current' ? str(m.assessmentId) : undefined);
  if (!lineItemId) {
    return kind === 'current'
      ? { kind: 'unsupported', path: '/assessmentId', reason: 'a current mark without its work has no OneRoster line item' }
      : { kind: 'unsupported', path: '/kind', reason: `a ${kind} mark has no line item in the REST gradebook (the class is unknown to the sink); export it with \`diary-gateway export oneroster\`` };
  }
  const v = (m.value ?? undefined) as MarkValue | undefined;
  const comment = str(m.teacherComment);
  return {
    kind: 'result',
    result: {
      sourcedId: String(m.id),
      status: statusOf(m),
      dateLastModified: modifiedOf(m),
      lineItem: ref(o, 'lineItem', lineItemId),
      student: ref(o, 'user', String(m.studentId)),
      ...(column?.classId ? { class: ref(o, 'class', column.classId) } : {}),
      ...scoreOf(m),
      scoreDate: localDateOf(String(m.markedAt), o.utcOffset),
      ...(comment ? { comment } : {}),
      metadata: metadataOf(m, {
        kind, markStatus: m.markStatus, scale: v?.scale, raw: v?.raw, numeric: v?.numeric, passed: v?.passed,
        date: str(m.date), weight: num(m.weight), subjectId: m.subjectId, reportingPeriodId: str(m.reportingPeriodId),
        lessonId: str(m.lessonId), teacherId: str(m.teacherId), deferral: m.deferral,
      }),
    },
  };
}
