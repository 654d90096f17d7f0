import { vendorDate } from '../dates';
import { intOf, invalid, isObject, record, textOf, type Mapped, type MapContext } from './common';
import { termKind } from './vocabulary';

/** 'YYYY-MM-DD' bounds of a NetSchool term, as the reader found them. */
export interface TermRange { sourceId: string; title: string; start: string; end: string; sequence?: number }

/**
 * `context/years` / `years/current` item → academic_year.
 * Closed years are named «(*) 2019/2020»; the marker goes, the title keeps 'YYYY/YYYY'.
 */
export function mapSchoolYear(raw: unknown, currentYearId: number | undefined): Mapped {
  const id = isObject(raw) ? intOf(raw.id) : undefined;
  const sourceId = id !== undefined ? String(id) : 'unknown';
  if (!isObject(raw) || id === undefined) return invalid('academic_year', sourceId, [{ path: '/id', message: 'school year without an integer id' }], raw);
  const issues = [];
  const name = textOf(raw.name) ?? (isObject(raw.globalYear) ? textOf(raw.globalYear.name) : undefined);
  const m = name ? /(\d{4})\s*\/\s*(\d{2}(?:\d{2})?)/.exec(name) : null;
  if (!m) issues.push({ path: '/name', message: 'school year name is not like 2025/2026' });
  const startDate = vendorDate(raw.startDate);
  const endDate = vendorDate(raw.endDate);
  if (!startDate) issues.push({ path: '/startDate', message: 'not a date' });
  if (!endDate) issues.push({ path: '/endDate', message: 'not a date' });
  if (issues.length > 0 || !m) return invalid('academic_year', sourceId, issues, raw);
  return record('academic_year', sourceId, {
    title: `${m[1]}/${m[2]}`, startDate, endDate, isCurrent: currentYearId === id,
  });
}

/**
 * A TERMID filter item of `reports/studentGrades` plus its `period.range` from
 * `v2/reports/studentgrades/initfilters` → reporting_period.
 */
export function mapTerm(item: unknown, range: unknown, yearId: number, order: number, ctx: MapContext): { mapped: Mapped; term?: TermRange } {
  const value = isObject(item) ? textOf(String(item.value ?? '')) : undefined;
  const sourceId = value ?? `order:${order}`;
  const title = isObject(item) ? textOf(item.title, 100) : undefined;
  const start = isObject(range) ? vendorDate(range.start) : undefined;
  const end = isObject(range) ? vendorDate(range.end) : undefined;
  const issues = [];
  if (!value) issues.push({ path: '/value', message: 'term without an id' });
  if (!title) issues.push({ path: '/title', message: 'term without a title' });
  if (!start || !end) issues.push({ path: '/range', message: 'term without a date range' });
  if (issues.length > 0 || !title || !start || !end) return { mapped: invalid('reporting_period', sourceId, issues, { item, range }) };
  const { kind, sequence } = termKind(title);
  return {
    mapped: record('reporting_period', sourceId, {
      academicYearId: ctx.ids.ref('academic_year', String(yearId)), kind, sequence: sequence ?? order, title, startDate: start, endDate: end,
    }),
    term: { sourceId, title, start, end, sequence: sequence ?? order },
  };
}
