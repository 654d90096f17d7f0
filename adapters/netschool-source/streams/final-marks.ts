import { GatewayError, type Issue } from '../../../src/core/errors';
import { localToUtc } from '../dates';
import { intOf, invalid, isObject, record, subjectKey, textOf, type Mapped, type MapContext } from './common';
import type { TermRange } from './school-years';
import { finalMarkValue, termKind, yearTotalKind, type FinalValue } from './vocabulary';

export interface TotalsContext extends MapContext {
  studentId: number;
  /** Mobile `/subjects`: subject names by the mobile subject id (totals carry only the id). */
  subjects: ReadonlyMap<number, string>;
  /** Terms known from the web report filters (the `school_years` stream's reporting periods). */
  terms: readonly TermRange[];
  /**
   * How a totals `term{id,name}` finds its reporting period: `id` = the web TERMID equal to
   * `term.id` (the same server, inferred), falling back to the number in the name; `number` =
   * only the number in the name («2», «2 четверть», «II полугодие») against the term's sequence.
   */
  termMatch: 'id' | 'number';
  /** Last day of the school year ('YYYY-MM-DD'): the date of year totals. */
  yearEnd: string;
}

type Row = Record<string, unknown>;
const rows = (v: unknown): [number, Row][] => (Array.isArray(v) ? v : []).map((x, i) => [i, isObject(x) ? x : {}]);

function matchTerm(term: Row, ctx: TotalsContext): TermRange | 'unmatched' | 'no-terms' {
  if (ctx.terms.length === 0) return 'no-terms';
  const id = intOf(term.id);
  if (ctx.termMatch === 'id' && id !== undefined) {
    const byId = ctx.terms.find((t) => t.sourceId === String(id));
    if (byId) return byId;
  }
  const name = textOf(typeof term.name === 'number' ? String(term.name) : term.name, 100);
  const n = name ? termKind(name).sequence : undefined;
  const byNumber = n !== undefined ? ctx.terms.filter((t) => t.sequence === n) : [];
  return byNumber.length === 1 && byNumber[0] ? byNumber[0] : 'unmatched';
}

function valueFields(v: Extract<FinalValue, { kind: 'value' }>): Record<string, unknown> {
  return { value: v.value, markStatus: v.markStatus };
}

/**
 * One student's mobile `GET /totals?studentId&schoolYearId` answer (sources §1.8:
 * `[{subjectId, termTotals[{term{id,name}, mark, markCode, avgMark}], yearTotals[{period{id,
 * periodName, periodType}, mark}]}]`) → period marks (one per term with a result) and annual,
 * final or exam marks (yearTotals). Pure.
 *
 * Ids: `<student>|term|<mobile subject id>|<term id>` and `<student>|year|<subject>|<period id>`;
 * yearTotals repeated with the same period id (a known quirk) give the same id, and the reader
 * keeps the first. `markedAt` and `date` are the term's (or year's) last day at 00:00 school
 * time: totals carry no entry time (assumed). `avgMark` is not kept (it moves with every mark).
 */
export function mapTotals(raw: unknown, ctx: TotalsContext): Mapped[] {
  if (!Array.isArray(raw)) throw new GatewayError('GW_SRC_PROTOCOL', 'NetSchool mobile /totals: answer is not a list');
  const out: Mapped[] = [];
  const student = ctx.ids.ref('person', String(ctx.studentId));
  for (const [i, s] of rows(raw)) {
    const mobileSubject = intOf(s.subjectId);
    const subjectName = mobileSubject !== undefined ? ctx.subjects.get(mobileSubject) : undefined;
    const subjectIssue: Issue[] = subjectName ? [] : [{ path: `/${i}/subjectId`, message: 'subject not in /subjects' }];
    const subjectId = subjectName ? ctx.ids.ref('subject', subjectKey(subjectName)) : undefined;

    for (const [j, tt] of rows(s.termTotals)) {
      const v = finalMarkValue(tt.mark);
      if (v.kind === 'none') continue;
      const term = isObject(tt.term) ? tt.term : {};
      const termId = intOf(term.id);
      const sourceId = `${ctx.studentId}|term|${mobileSubject ?? '?'}|${termId ?? '?'}`;
      const issues = [...subjectIssue];
      if (v.kind === 'unknown') issues.push({ path: `/${i}/termTotals/${j}/mark`, message: 'not a known final mark' });
      const range = termId === undefined ? 'unmatched' : matchTerm(term, ctx);
      if (range === 'unmatched') issues.push({ path: `/${i}/termTotals/${j}/term`, message: 'term matches no reporting period' });
      if (issues.length > 0 || v.kind !== 'value' || range === 'unmatched') { out.push(invalid('mark', sourceId, issues, tt)); continue; }
      // Without the report filters no term dates are known: the term id is taken as the TERMID.
      const periodSourceId = range === 'no-terms' ? String(termId) : range.sourceId;
      const end = range === 'no-terms' ? ctx.yearEnd : range.end;
      out.push(record('mark', sourceId, {
        kind: 'period', studentId: student, subjectId,
        reportingPeriodId: ctx.ids.ref('reporting_period', periodSourceId),
        ...valueFields(v),
        date: end,
        markedAt: localToUtc(end, '00:00', ctx.utcOffset),
      }));
    }

    for (const [j, yt] of rows(s.yearTotals)) {
      const v = finalMarkValue(yt.mark);
      if (v.kind === 'none') continue;
      const period = isObject(yt.period) ? yt.period : {};
      const periodId = intOf(period.id);
      const sourceId = `${ctx.studentId}|year|${mobileSubject ?? '?'}|${periodId ?? '?'}`;
      const kind = yearTotalKind(textOf(period.periodName, 100), textOf(period.periodType, 100));
      const issues = [...subjectIssue];
      if (v.kind === 'unknown') issues.push({ path: `/${i}/yearTotals/${j}/mark`, message: 'not a known final mark' });
      if (periodId === undefined) issues.push({ path: `/${i}/yearTotals/${j}/period/id`, message: 'period without an integer id' });
      if (!kind) issues.push({ path: `/${i}/yearTotals/${j}/period/periodType`, message: 'not a year, final or exam period' });
      if (issues.length > 0 || v.kind !== 'value') { out.push(invalid('mark', sourceId, issues, yt)); continue; }
      out.push(record('mark', sourceId, {
        kind, studentId: student, subjectId,
        ...valueFields(v),
        date: ctx.yearEnd,
        markedAt: localToUtc(ctx.yearEnd, '00:00', ctx.utcOffset),
      }));
    }
  }
  return out;
}
