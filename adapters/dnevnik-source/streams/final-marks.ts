import type { Issue } from '../../../src/core/errors';
import { vendorDateTimeToUtc } from '../dates';
import { field, idOf, invalid, isObject, record, type Mapped, type MapContext } from './common';
import { markValue } from './vocabulary';

/** Hyphenated keys as the API sends them (§2.4), with camelCase twins some clients show. */
const SUBJECT_MARKS_KEYS = ['per-subject-final-marks', 'perSubjectFinalMarks', 'PerSubjectFinalMarks'];
const FINAL_MARK_KEYS = ['final-mark', 'finalMark', 'FinalMark'];

function firstOf(o: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const k of keys) if (o[k] !== undefined) return o[k];
  return undefined;
}

/**
 * `edu-groups/{g}/final-marks` → period marks: `PersonFinalMark{person, group, reportingPeriod,
 * per-subject-final-marks[{subject, final-mark: Mark}]}`. `reportingPeriod` may be an id or an
 * object; without one the mark is `annual`.
 */
export function mapFinalMarks(list: readonly unknown[], ctx: MapContext): Mapped[] {
  const out: Mapped[] = [];
  for (const pf of list) {
    const o = isObject(pf) ? pf : {};
    const person = idOf(o, 'person');
    const rp = field(o, 'reportingPeriod');
    const period = isObject(rp) ? idOf(rp, 'id') : idOf(o, 'reportingPeriod');
    const subjects = firstOf(o, SUBJECT_MARKS_KEYS);
    for (const s of Array.isArray(subjects) ? subjects : []) {
      const so = isObject(s) ? s : {};
      const subject = idOf(so, 'subject');
      const fm = firstOf(so, FINAL_MARK_KEYS);
      if (fm === null || fm === undefined) continue;
      const mo = isObject(fm) ? fm : {};
      const sourceId = idOf(mo, 'id') ?? `${person ?? '?'}:${period ?? 'year'}:${subject ?? '?'}`;
      const value = markValue(field(mo, 'value'), field(mo, 'type'));
      const markedAt = vendorDateTimeToUtc(field(mo, 'date'), ctx.utcOffset);
      const issues: Issue[] = [];
      if (!person) issues.push({ path: '/person_str', message: 'no student' });
      if (!subject) issues.push({ path: '/per-subject-final-marks/subject_str', message: 'no subject' });
      if (!markedAt) issues.push({ path: '/per-subject-final-marks/final-mark/date', message: 'not a datetime' });
      if (!value.ok) issues.push({ path: '/per-subject-final-marks/final-mark/value', message: value.message });
      if (issues.length > 0 || !value.ok) { out.push(invalid('mark', sourceId, issues, s)); continue; }
      out.push(record('mark', sourceId, {
        kind: period ? 'period' : 'annual',
        studentId: ctx.ids.ref('person', person as string),
        subjectId: ctx.ids.ref('subject', subject as string),
        ...(period ? { reportingPeriodId: ctx.ids.ref('reporting_period', period) } : {}),
        value: value.value, markStatus: value.markStatus,
        markedAt,
      }, { sourceModifiedAt: markedAt as string }));
    }
  }
  return out;
}
