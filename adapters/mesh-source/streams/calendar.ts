import { addDays, vendorDate } from '../dates';
import { academicYearKey, isObject, record, textOf, type Mapped, type MapContext } from './common';
import { holidayKind } from './vocabulary';

/**
 * `periods_schedules` days (sources §4.4, [inferred]: `date, type, title, description`) →
 * holiday periods: consecutive non-school days of one kind and title become one period.
 * Weekends are not holidays; days with an unreadable date are skipped.
 */
export function mapCalendar(days: readonly unknown[], ctx: MapContext): Mapped[] {
  const rows = days.flatMap((d) => {
    if (!isObject(d)) return [];
    const date = vendorDate(d.date);
    const kind = holidayKind(typeof d.type === 'string' ? d.type : undefined);
    return date && kind ? [{ date, kind, title: textOf(d.title, 200) }] : [];
  }).sort((a, b) => a.date.localeCompare(b.date));
  const out: Mapped[] = [];
  let cur: { start: string; end: string; kind: string; title: string | undefined } | undefined;
  const flush = (): void => {
    if (!cur) return;
    out.push(record('holiday_period', `${cur.start}:${cur.kind}`, {
      kind: cur.kind, ...(cur.title ? { title: cur.title } : {}), startDate: cur.start, endDate: cur.end,
      academicYearId: ctx.ids.ref('academic_year', academicYearKey(cur.start)),
    }));
  };
  for (const r of rows) {
    // A weekend inside a vacation breaks nothing: the gap may be up to 2 days of weekend.
    if (cur && r.kind === cur.kind && r.title === cur.title && r.date <= addDays(cur.end, 3)) { cur.end = r.date; continue; }
    flush();
    cur = { start: r.date, end: r.date, kind: r.kind, title: r.title };
  }
  flush();
  return out;
}
