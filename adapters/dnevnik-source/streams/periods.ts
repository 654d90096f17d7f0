import { localDate, vendorDate } from '../dates';
import { field, idOf, intOf, invalid, isObject, record, textOf, type Mapped, type MapContext } from './common';
import { periodKind } from './vocabulary';

export interface PeriodRange { sourceId: string; start: string; end: string; year: number }

/** Academic year key: the `year` the periods carry (the year the school year starts in). */
export function yearTitle(year: number): string {
  return `${year}/${String((year + 1) % 100).padStart(2, '0')}`;
}

/**
 * `edu-groups/{g}/reporting-periods` → one academic year per `year` (its span = the union of its
 * periods) and the reporting periods. Whether `number` starts at 0 or 1 is unknown (§2.7): when
 * a year has a period numbered 0 its numbers are taken as 0-based; a period without a usable
 * number takes its position in date order.
 */
export function mapPeriods(list: readonly unknown[], ctx: MapContext & { now: Date }): { mapped: Mapped[]; ranges: PeriodRange[] } {
  const mapped: Mapped[] = [];
  const ranges: PeriodRange[] = [];
  const ok: { o: Record<string, unknown>; id: string; start: string; end: string; year: number }[] = [];
  for (const p of list) {
    const o = isObject(p) ? p : {};
    const id = idOf(o, 'id');
    const start = vendorDate(field(o, 'start'));
    const end = vendorDate(field(o, 'finish'));
    const year = intOf(field(o, 'year')) ?? (start ? Number(start.slice(0, 4)) - (Number(start.slice(5, 7)) < 8 ? 1 : 0) : undefined);
    const issues = [
      ...(id ? [] : [{ path: '/id_str', message: 'no id' }]),
      ...(start ? [] : [{ path: '/start', message: 'not a date' }]),
      ...(end ? [] : [{ path: '/finish', message: 'not a date' }]),
    ];
    if (issues.length > 0 || year === undefined) { mapped.push(invalid('reporting_period', id ?? '?', issues, p)); continue; }
    ok.push({ o, id: id as string, start: start as string, end: end as string, year });
  }
  ok.sort((a, b) => a.start.localeCompare(b.start));
  const today = localDate(ctx.now, ctx.utcOffset);
  for (const year of [...new Set(ok.map((p) => p.year))]) {
    const ps = ok.filter((p) => p.year === year);
    const startDate = ps.map((p) => p.start).reduce((a, b) => (a < b ? a : b));
    const endDate = ps.map((p) => p.end).reduce((a, b) => (a > b ? a : b));
    mapped.push(record('academic_year', String(year), { title: yearTitle(year), startDate, endDate, isCurrent: startDate <= today && today <= endDate }));
    const zeroBased = ps.some((p) => intOf(field(p.o, 'number')) === 0);
    ps.forEach((p, i) => {
      const raw = intOf(field(p.o, 'number'));
      const n = raw !== undefined && zeroBased ? raw + 1 : raw;
      const title = textOf(field(p.o, 'name'), 100) ?? `${n ?? i + 1} период`;
      mapped.push(record('reporting_period', p.id, {
        academicYearId: ctx.ids.ref('academic_year', String(year)),
        kind: periodKind(field(p.o, 'type')),
        sequence: n !== undefined && n >= 1 && n <= 12 ? n : i + 1,
        title, startDate: p.start, endDate: p.end,
      }));
      ranges.push({ sourceId: p.id, start: p.start, end: p.end, year });
    });
  }
  return { mapped, ranges };
}
