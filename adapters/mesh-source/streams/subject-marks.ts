import type { Issue } from '../../../src/core/errors';
import { dateStartUtc, vendorDate } from '../dates';
import { academicYearKey, intOf, invalid, isObject, record, textOf, type Mapped, type MapContext, type StudentInfo } from './common';
import { markValue } from './marks';
import { periodKind } from './vocabulary';

export interface SubjectMarksContext extends MapContext { student: StudentInfo }

/** 'YYYY-MM-DD' (start_iso) or 'DD.MM.YYYY' (start): clients show both (sources §4.4). */
export function periodDate(iso: unknown, plain: unknown): string | undefined {
  const a = vendorDate(iso);
  if (a) return a;
  if (typeof plain === 'string') {
    const m = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(plain.trim());
    if (m) return vendorDate(`${m[3]}-${m[2]}-${m[1]}`);
    return vendorDate(plain);
  }
  return undefined;
}

/** Academic year record from its key '2025-2026' (1 Sep – 31 Aug: assumed, МЭШ gives no bounds here). */
export function mapAcademicYear(key: string, today: string): Mapped {
  const [a, b] = key.split('-');
  const startDate = `${a}-09-01`;
  const endDate = `${b}-08-31`;
  return record('academic_year', key, { title: `${a}/${b}`, startDate, endDate, isCurrent: startDate <= today && today <= endDate });
}

function valueOf(v: unknown): string | undefined {
  return typeof v === 'number' ? String(v) : textOf(v, 16);
}

/**
 * One subject of `subject_marks` → reporting periods, period marks (`fixed_value`, the term
 * final) and the annual mark (`year_mark`). The running `value`/`average` are not marks and are
 * dropped. No entry times exist here: `markedAt` is the start of the period's last day
 * (annual: of the last period), an ASSUMPTION written in the README.
 */
export function mapSubjectMarks(s: unknown, ctx: SubjectMarksContext): Mapped[] {
  const o = isObject(s) ? s : {};
  const subjectId = intOf(o.subject_id);
  const student = ctx.student.id;
  if (subjectId === undefined) return [invalid('mark', `${student}:?`, [{ path: '/subject_id', message: 'not an integer' }], s)];
  const out: Mapped[] = [];
  const subjectRef = ctx.ids.ref('subject', String(subjectId));
  const studentRef = ctx.ids.ref('person', String(student));
  let lastEnd: string | undefined;
  const periods = Array.isArray(o.periods) ? o.periods : [];
  periods.forEach((p, i) => {
    const po = isObject(p) ? p : {};
    const start = periodDate(po.start_iso, po.start);
    const end = periodDate(po.end_iso, po.end);
    const title = textOf(po.title, 100);
    const key = `${start ?? '?'}:${end ?? '?'}`;
    const issues: Issue[] = [];
    if (!start) issues.push({ path: `/periods/${i}/start_iso`, message: 'not a date' });
    if (!end) issues.push({ path: `/periods/${i}/end_iso`, message: 'not a date' });
    if (!title) issues.push({ path: `/periods/${i}/title`, message: 'missing' });
    if (issues.length > 0 || !start || !end || !title) { out.push(invalid('reporting_period', key, issues, p)); return; }
    if (!lastEnd || end > lastEnd) lastEnd = end;
    const { kind, sequence } = periodKind(title);
    const yearKey = academicYearKey(start);
    out.push(record('reporting_period', key, {
      academicYearId: ctx.ids.ref('academic_year', yearKey), kind, sequence: Math.min(12, sequence ?? i + 1), title, startDate: start, endDate: end,
    }));
    const fixed = valueOf(po.fixed_value);
    if (fixed === undefined) return;
    const sourceId = `${student}:${subjectId}:${key}`;
    const v = markValue(fixed, intOf(fixed), undefined, undefined);
    if (!v) { out.push(invalid('mark', sourceId, [{ path: `/periods/${i}/fixed_value`, message: 'not a mark' }], p)); return; }
    out.push(record('mark', sourceId, {
      kind: 'period', studentId: studentRef, subjectId: subjectRef, reportingPeriodId: ctx.ids.ref('reporting_period', key),
      value: v.value, markStatus: v.markStatus, date: end, markedAt: dateStartUtc(end, ctx.utcOffset),
    }));
  });
  const year = valueOf(o.year_mark);
  if (year !== undefined && lastEnd) {
    const sourceId = `${student}:${subjectId}:year:${academicYearKey(lastEnd)}`;
    const v = markValue(year, intOf(year), undefined, undefined);
    out.push(v
      ? record('mark', sourceId, { kind: 'annual', studentId: studentRef, subjectId: subjectRef, value: v.value, markStatus: v.markStatus, date: lastEnd, markedAt: dateStartUtc(lastEnd, ctx.utcOffset) })
      : invalid('mark', sourceId, [{ path: '/year_mark', message: 'not a mark' }], s));
  }
  return out;
}
