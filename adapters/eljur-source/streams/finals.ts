import { GatewayError } from '../../../src/core/errors';
import { wallClockToUtc } from '../dates';
import { byStudents, invalid, isObject, listOf, periodKey, record, subjectKey, textOf, type Mapped, type MapContext } from './common';
import type { SchoolYearInfo } from './periods';
import { finalKind, readMarkValue } from './vocabulary';

export interface FinalsContext extends MapContext {
  year: SchoolYearInfo;
}

const norm = (s: string): string => s.toLowerCase().replace(/ё/g, 'е').replace(/\s+/g, ' ').trim();

/**
 * One `getfinalassessments` answer (`students{<id>:{items[{name, assessments[{value, comment,
 * period}]}]}}`) → period, annual, final and exam marks. Pure.
 *
 * A `period` naming a getperiods period is a period mark closing it; «Год»/«Годовая» is annual,
 * «Итоговая» final, «Экзамен» exam; any other label is a period mark only if it matches a period,
 * else `invalid` at `/period`. Id: `<student>|final|<subject>|<period>`. `markedAt` is the
 * period's (or year's) last day at 00:00 school time: the journal gives no entry time (assumed).
 */
export function mapFinals(result: unknown, ctx: FinalsContext): Mapped[] {
  if (!isObject(result) || (!isObject(result.students) && !Array.isArray(result.students))) {
    throw new GatewayError('GW_SRC_PROTOCOL', 'ЭлЖур getfinalassessments: answer has no students');
  }
  const out: Mapped[] = [];
  for (const [studentId, entry] of byStudents(result.students)) {
    for (const [ii, item] of listOf(entry.items)) {
      const it = isObject(item) ? item : {};
      const subject = textOf(it.name, 200);
      for (const [ai, a] of listOf(it.assessments)) {
        const o = isObject(a) ? a : {};
        const periodName = textOf(o.period, 100);
        const path = `/students/${studentId}/items/${ii}/assessments/${ai}`;
        const sourceId = `${studentId}|final|${subject ? subjectKey(subject) : '?'}|${periodName ? norm(periodName) : '?'}`;
        const issues = [];
        if (!subject) issues.push({ path: `/students/${studentId}/items/${ii}/name`, message: 'subject without a name' });
        if (!periodName) issues.push({ path: `${path}/period`, message: 'no period' });
        const reading = readMarkValue(o.value);
        if (reading.kind === 'unknown') issues.push({ path: `${path}/value`, message: 'not a known mark value' });
        const period = periodName ? ctx.year.periods.find((p) => p.key === periodKey(ctx.year.key, periodName)) : undefined;
        const fk = periodName ? finalKind(periodName) : 'period';
        if (periodName && fk === 'period' && !period) issues.push({ path: `${path}/period`, message: 'names no known period' });
        if (issues.length > 0 || reading.kind === 'unknown') { out.push(invalid('mark', sourceId, issues, a)); continue; }
        const kind = period ? 'period' : fk;
        const comment = textOf(o.comment, 2000);
        out.push(record('mark', sourceId, {
          kind,
          studentId: ctx.ids.ref('person', studentId),
          subjectId: ctx.ids.ref('subject', subjectKey(subject as string)),
          ...(period ? { reportingPeriodId: ctx.ids.ref('reporting_period', period.key) } : {}),
          ...(reading.kind === 'value' ? { value: reading.value, markStatus: 'graded' } : { value: { scale: 'text', raw: reading.raw, numeric: null }, markStatus: reading.markStatus }),
          ...(comment ? { teacherComment: comment } : {}),
          date: period ? period.end : ctx.year.end,
          markedAt: wallClockToUtc(`${period ? period.end : ctx.year.end} 00:00:00`, ctx.utcOffset),
        }));
      }
    }
  }
  return out;
}
