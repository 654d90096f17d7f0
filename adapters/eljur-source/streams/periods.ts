import { eljurDate } from '../dates';
import { boolOf, byStudents, invalid, isObject, listOf, periodKey, record, textOf, yearKeyOf, type Mapped, type MapContext } from './common';
import { termKind } from './vocabulary';

/** A period as the other streams need it. */
export interface PeriodInfo { key: string; name: string; start: string; end: string }

export interface SchoolYearInfo { key: string; start: string; end: string; periods: PeriodInfo[] }

/**
 * The periods of a `getperiods` answer (`result.students[]` is an array here, a map elsewhere;
 * both accepted). Periods are per school, so the first student that has any gives them.
 * `start`/`end` are `YYYYMMDD` (inferred in the reference) or `YYYY-MM-DD`; both accepted.
 */
export function periodsOf(result: unknown): { infos: PeriodInfo[]; raw: { period: unknown; start?: string; end?: string; name?: string }[] } {
  const students = byStudents(isObject(result) ? result.students : undefined);
  const first = students.find(([, s]) => listOf(s.periods).length > 0);
  const raw = (first ? listOf(first[1].periods) : []).map(([, p]) => {
    const o = isObject(p) ? p : {};
    const name = textOf(o.fullname, 100) ?? textOf(o.name, 100);
    const start = eljurDate(o.start);
    const end = eljurDate(o.end);
    return { period: p, ...(name ? { name } : {}), ...(start ? { start } : {}), ...(end ? { end } : {}) };
  });
  const valid = raw.filter((r): r is typeof r & { name: string; start: string; end: string } => Boolean(r.name && r.start && r.end && r.start <= r.end));
  const yearKey = valid.length > 0 ? yearKeyOf(valid.map((r) => r.start).sort()[0] as string) : undefined;
  const infos = yearKey ? valid.map((r) => ({ key: periodKey(yearKey, r.name), name: r.name, start: r.start, end: r.end })) : [];
  return { infos, raw };
}

/** The school year spanned by the periods; undefined when there are none. */
export function schoolYearOf(infos: readonly PeriodInfo[]): SchoolYearInfo | undefined {
  if (infos.length === 0) return undefined;
  const start = infos.map((p) => p.start).sort()[0] as string;
  const end = infos.map((p) => p.end).sort().reverse()[0] as string;
  return { key: yearKeyOf(start), start, end, periods: [...infos] };
}

/** `getperiods` → academic_year (derived: ЭлЖур has no year object) + reporting_period per period. */
export function mapPeriods(result: unknown, today: string, ctx: MapContext): Mapped[] {
  const { infos, raw } = periodsOf(result);
  const year = schoolYearOf(infos);
  const out: Mapped[] = [];
  if (year) {
    const y = Number(year.key);
    out.push(record('academic_year', year.key, {
      title: `${y}/${y + 1}`, startDate: year.start, endDate: year.end, isCurrent: year.start <= today && today <= year.end,
    }));
  }
  let order = 0;
  for (const r of raw) {
    order++;
    const sourceId = year && r.name ? periodKey(year.key, r.name) : `order:${order}`;
    const issues = [];
    if (!r.name) issues.push({ path: '/name', message: 'period without a name' });
    if (!r.start) issues.push({ path: '/start', message: 'not a date (YYYYMMDD)' });
    if (!r.end) issues.push({ path: '/end', message: 'not a date (YYYYMMDD)' });
    if (r.start && r.end && r.start > r.end) issues.push({ path: '/end', message: 'ends before it starts' });
    if (issues.length > 0 || !year || !r.name || !r.start || !r.end) {
      out.push(invalid('reporting_period', sourceId, issues.length > 0 ? issues : [{ path: '/start', message: 'no school year' }], r.period));
      continue;
    }
    const { kind, sequence } = termKind(r.name);
    const disabled = isObject(r.period) ? boolOf(r.period.disabled) : undefined;
    out.push(record('reporting_period', sourceId, {
      academicYearId: ctx.ids.ref('academic_year', year.key), kind,
      sequence: kind === 'year' ? 1 : sequence !== undefined && sequence >= 1 && sequence <= 12 ? sequence : Math.min(order, 12),
      title: r.name, startDate: r.start, endDate: r.end,
      ...(kind === 'year' ? { isFinalAttestation: true } : {}),
    }, disabled ? { metadata: { eljurDisabled: true } } : {}));
  }
  return out;
}
