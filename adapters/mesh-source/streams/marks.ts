import type { Issue } from '../../../src/core/errors';
import { toUtc, vendorDate } from '../dates';
import { intOf, invalid, isObject, numOf, record, textOf, type Mapped, type MapContext, type StudentInfo } from './common';
import { workTypeCode } from './vocabulary';

export interface MarkContext extends MapContext {
  student: StudentInfo;
  /** Where the number comes from: `value` (string) or `values[0].grade.five` (sources §4.4). */
  markValueFrom: 'value' | 'grade_five';
}

/** `{payload:[…]}` or a bare list: clients model both (sources §4.4). */
export function payloadOf(raw: unknown): unknown[] | undefined {
  if (Array.isArray(raw)) return raw;
  if (isObject(raw) && Array.isArray(raw.payload)) return raw.payload;
  return undefined;
}

/** A mark value as written → canonical MarkValue and status; undefined when unreadable. */
export function markValue(raw: string | undefined, five: number | undefined, hundred: number | undefined, systemType: string | undefined):
  { value: Record<string, unknown>; markStatus: string } | undefined {
  const t = (raw ?? '').trim().toLowerCase();
  if (t === 'н/а' || t === 'на') return { value: { scale: 'text', raw: 'н/а', numeric: null }, markStatus: 'not_attested' };
  if (t === 'осв' || t === 'освобожден') return { value: { scale: 'text', raw: 'осв', numeric: null }, markStatus: 'exempt' };
  if (t === 'зач' || t === 'зачет' || t === 'зачёт') return { value: { scale: 'pass_fail', raw: 'зач', numeric: null, passed: true }, markStatus: 'graded' };
  if (t === 'незач') return { value: { scale: 'pass_fail', raw: 'незач', numeric: null, passed: false }, markStatus: 'graded' };
  if (five !== undefined && Number.isInteger(five) && five >= 1 && five <= 5) {
    return { value: { scale: 'five_point', raw: (raw ?? String(five)).slice(0, 16), numeric: five }, markStatus: 'graded' };
  }
  if (systemType === 'hundred' && hundred !== undefined && hundred >= 0 && hundred <= 100) {
    return { value: { scale: 'hundred_point', raw: (raw ?? String(hundred)).slice(0, 16), numeric: hundred }, markStatus: 'graded' };
  }
  return undefined;
}

const slug = (s: string): string => s.toLowerCase().replace(/ё/g, 'е').replace(/\s+/g, '-').slice(0, 80);

/**
 * Assessment key: the family API names no work id, so one journal column is assumed to be one
 * (class, subject, day, form of control, weight); marks of classmates for the same work meet there.
 */
export function assessmentKey(classUnitId: number, subjectId: number, date: string, form: string, weight: number): string {
  return `${classUnitId}:${subjectId}:${date}:${slug(form)}:${weight}`;
}

/**
 * One `family/mobile/v1/marks` answer for one student → assessments and current marks.
 * A mark that cannot be mapped yields `invalid`; a body that is not a list is a protocol error
 * (the reader throws it).
 */
export function mapMarks(raw: unknown, ctx: MarkContext): Mapped[] | undefined {
  const list = payloadOf(raw);
  if (!list) return undefined;
  return list.flatMap((m) => mapMark(m, ctx));
}

export function mapMark(m: unknown, ctx: MarkContext): Mapped[] {
  const o = isObject(m) ? m : {};
  const id = intOf(o.id);
  const sourceId = id !== undefined ? String(id) : `${ctx.student.id}:${String(o.date)}:${String(o.subject_id)}`;
  const subjectId = intOf(o.subject_id);
  const date = vendorDate(o.date);
  const weight = numOf(o.weight);
  const first = Array.isArray(o.values) && isObject(o.values[0]) ? o.values[0] : undefined;
  const grade = first && isObject(first.grade) ? first.grade : undefined;
  const raw = typeof o.value === 'string' ? o.value : typeof o.value === 'number' ? String(o.value) : undefined;
  const five = ctx.markValueFrom === 'grade_five' ? numOf(grade?.five) : numOf(raw);
  const parsed = markValue(raw, five, numOf(grade?.hundred), typeof first?.grade_system_type === 'string' ? first.grade_system_type : undefined);
  const issues: Issue[] = [];
  if (id === undefined) issues.push({ path: '/id', message: 'mark without an integer id' });
  if (subjectId === undefined) issues.push({ path: '/subject_id', message: 'not an integer' });
  if (!date) issues.push({ path: '/date', message: 'not a date' });
  if (!parsed) issues.push({ path: ctx.markValueFrom === 'grade_five' ? '/values/0/grade/five' : '/value', message: 'not a mark МЭШ shows (1-5, зач/незач, н/а, осв, 0-100)' });
  if (weight === undefined || weight <= 0 || weight > 100) issues.push({ path: '/weight', message: 'weight is not a positive number' });
  if (issues.length > 0 || !parsed || !date || subjectId === undefined || weight === undefined) return [invalid('mark', sourceId, issues, m)];

  const form = textOf(o.control_form_name, 200) ?? 'Без формы контроля';
  const isExam = o.is_exam === true;
  const out: Mapped[] = [];
  const classUnitId = ctx.student.classUnitId;
  let assessmentId: string | undefined;
  if (classUnitId !== undefined) {
    const key = assessmentKey(classUnitId, subjectId, date, form, weight);
    assessmentId = ctx.ids.ref('assessment', key);
    out.push(record('assessment', key, {
      classGroupId: ctx.ids.ref('class_group', String(classUnitId)),
      subjectId: ctx.ids.ref('subject', String(subjectId)),
      workType: { code: workTypeCode(form, isExam), title: form },
      weight, date,
    }));
  }
  const createdAt = toUtc(o.created_at, ctx.utcOffset);
  const updatedAt = toUtc(o.updated_at, ctx.utcOffset);
  const comment = textOf(o.comment, 2000);
  const pointDate = vendorDate(o.point_date);
  out.push(record('mark', sourceId, {
    kind: isExam ? 'exam' : 'current',
    studentId: ctx.ids.ref('person', String(ctx.student.id)),
    subjectId: ctx.ids.ref('subject', String(subjectId)),
    ...(assessmentId ? { assessmentId } : {}),
    value: parsed.value,
    weight,
    markStatus: parsed.markStatus,
    ...(comment ? { teacherComment: comment } : {}),
    date,
    // The journal's entry time; a mark without created_at falls back to its day's start (assumed).
    markedAt: createdAt ?? toUtc(`${date}T00:00:00`, ctx.utcOffset),
  }, {
    ...(createdAt ? { sourceCreatedAt: createdAt } : {}),
    ...(updatedAt ?? createdAt ? { sourceModifiedAt: (updatedAt ?? createdAt) as string } : {}),
    ...(o.is_point === true ? { metadata: { meshPoint: true, ...(pointDate ? { pointDate } : {}) } } : {}),
  }));
  return out;
}
