import { GatewayError, type Issue } from '../../../src/core/errors';
import { eljurDate, wallClockToUtc } from '../dates';
import type { AttendanceCategory } from '../spec';
import { boolOf, byStudents, idOf, intOf, invalid, isObject, listOf, numOf, record, subjectKey, textOf, type Mapped, type MapContext } from './common';
import type { PeriodInfo } from './periods';
import { absenceCategory, readMarkValue, workTypeCode } from './vocabulary';

export interface MarksContext extends MapContext {
  absenceCodes: Readonly<Record<string, AttendanceCategory>>;
  periods: readonly PeriodInfo[];
}

/**
 * One `getmarks` answer (`students{<id>:{lessons[{name, marks[Mark]}]}}`) → marks and, for
 * absence pseudo-marks (н/оп… with `count:false`), attendance events instead of marks. Pure.
 *
 * Ids: ЭлЖур marks carry no id, so a mark is `<student>|<subject>|<date>|<nm>|<n>` where `n`
 * counts marks of the same lesson in answer order (an `id`, where a deployment sends one, wins).
 * Drift accepted: `weight`/`weight_float`/`countas` as numbers or numeric strings, `count` as
 * bool or 0/1, `nm` as number or string, `lessons` and `marks` as arrays or maps.
 */
export function mapMarks(result: unknown, ctx: MarksContext): Mapped[] {
  if (!isObject(result) || (!isObject(result.students) && !Array.isArray(result.students))) {
    throw new GatewayError('GW_SRC_PROTOCOL', 'ЭлЖур getmarks: answer has no students');
  }
  const out: Mapped[] = [];
  for (const [studentId, entry] of byStudents(result.students)) {
    for (const [li, lesson] of listOf(entry.lessons)) {
      const l = isObject(lesson) ? lesson : {};
      const subject = textOf(l.name, 200);
      const seen = new Map<string, number>();
      for (const [mi, mark] of listOf(l.marks)) {
        out.push(mapOne(mark, { studentId, subject, path: `/students/${studentId}/lessons/${li}/marks/${mi}`, seen }, ctx));
      }
    }
  }
  return out;
}

interface Where { studentId: string; subject: string | undefined; path: string; seen: Map<string, number> }

function mapOne(mark: unknown, w: Where, ctx: MarksContext): Mapped {
  const m = isObject(mark) ? mark : {};
  const date = eljurDate(m.date);
  const nm = idOf(m.nm ?? m.lesson_num) ?? '';
  const slot = `${w.studentId}|${w.subject ? subjectKey(w.subject) : '?'}|${date ?? String(m.date)}|${nm}`;
  const n = w.seen.get(slot) ?? 0;
  w.seen.set(slot, n + 1);
  const ownId = idOf(m.id);
  const raw = typeof m.value === 'number' ? String(m.value) : typeof m.value === 'string' ? m.value.trim() : undefined;
  const category = raw ? absenceCategory(raw, ctx.absenceCodes) : undefined;
  const base: Issue[] = [];
  if (!w.subject) base.push({ path: `${w.path.replace(/\/marks\/.*$/, '')}/name`, message: 'subject without a name' });
  if (!date) base.push({ path: `${w.path}/date`, message: 'not a date (YYYY-MM-DD)' });

  if (category) {
    // An absence: count:false, countas 0 in the journal; it is not a mark (sources §3.4).
    const sourceId = `${w.studentId}|${w.subject ? subjectKey(w.subject) : '?'}|${date ?? String(m.date)}|${nm}`;
    if (base.length > 0) return invalid('attendance_event', sourceId, base, mark);
    const reason = textOf(m.comment, 500);
    return record('attendance_event', sourceId, {
      studentId: ctx.ids.ref('person', w.studentId), date, code: (raw as string).slice(0, 16), category,
      ...(reason ? { reason } : {}),
    });
  }

  const sourceId = ownId ?? `${slot}|${n}`;
  const reading = readMarkValue(m.value);
  if (reading.kind === 'unknown') base.push({ path: `${w.path}/value`, message: 'not a known mark value' });
  const weight = m.weight_float !== undefined && m.weight_float !== null ? numOf(m.weight_float) : numOf(m.weight);
  if (m.weight !== undefined && m.weight !== null && weight === undefined) base.push({ path: `${w.path}/weight`, message: 'weight is not a number' });
  if (base.length > 0 || reading.kind === 'unknown') return invalid('mark', sourceId, base, mark);

  const comment = textOf(m.comment, 2000);
  const typeName = isObject(m.mtype) ? textOf(m.mtype.type, 200) : textOf(m.control_type, 200);
  const typeId = isObject(m.mtype) ? idOf(m.mtype.id) : undefined;
  const period = ctx.periods.find((p) => p.start <= (date as string) && (date as string) <= p.end);
  const counted = boolOf(m.count);
  // No canonical home for these: the work type (ЭлЖур has no work objects to make assessments
  // of), whether the mark counts in the average, and ЭлЖур's lesson_id (meaning unclear, §3.4).
  const metadata: Record<string, unknown> = {
    ...(typeName || typeId ? { workType: { code: workTypeCode(typeName, typeId), ...(typeName ? { title: typeName } : {}) } } : {}),
    ...(counted === false ? { countedInAverage: false } : {}),
    ...(intOf(m.lesson_id) !== undefined ? { eljurLessonId: intOf(m.lesson_id) } : {}),
  };
  return record('mark', sourceId, {
    kind: 'current',
    studentId: ctx.ids.ref('person', w.studentId),
    subjectId: ctx.ids.ref('subject', subjectKey(w.subject as string)),
    ...(reading.kind === 'value' ? { value: reading.value, markStatus: 'graded' } : { value: { scale: 'text', raw: reading.raw, numeric: null }, markStatus: reading.markStatus }),
    ...(weight !== undefined && weight > 0 && weight <= 100 ? { weight } : {}),
    ...(comment ? { teacherComment: comment } : {}),
    ...(period ? { reportingPeriodId: ctx.ids.ref('reporting_period', period.key) } : {}),
    date,
    // apiv3 marks carry no entry time: the day of the mark at 00:00 school time stands in (README, "assumed").
    markedAt: wallClockToUtc(`${date as string} 00:00:00`, ctx.utcOffset),
  }, Object.keys(metadata).length > 0 ? { metadata } : {});
}
