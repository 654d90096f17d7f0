/**
 * МЭШ vocabularies → canonical codes, as data so the README table and the tests read the same thing.
 */
import { nameTable, normName as norm } from '../../../src/infra/adapter-kit/mapping';
import { COMMON_WORK_TYPES } from '../../../src/infra/adapter-kit/work-types';

/** `control_form_name` (форма контроля) → canonical workType code. */
export const WORK_TYPES: readonly (readonly [string, string])[] = [
  ...COMMON_WORK_TYPES,
  ['Домашняя работа', 'homework'],
  ['Проверочная работа', 'independent_work'],
  ['Изложение', 'ext:izlozhenie'],
];
const WORK_TYPE_BY_NAME = nameTable(WORK_TYPES);

/** Unknown forms keep a slug of their name: `ext:mesh-form`; the title keeps the name. */
export function workTypeCode(name: string | undefined, isExam: boolean): string {
  const known = name !== undefined ? WORK_TYPE_BY_NAME.get(norm(name)) : undefined;
  if (known) return known;
  return isExam ? 'exam' : 'ext:mesh-form';
}

/**
 * `absence_reason_id` → category. МЭШ's enumeration is not public (sources §7); these ids are
 * what the simulator emits and an ASSUMPTION for the real service. A missed lesson without a
 * reason is `unknown` (the journal has not said whether it is excused yet).
 */
export const ABSENCE_REASONS: readonly (readonly [number, string, string])[] = [
  [1, 'absent_valid', 'уважительная причина'],
  [2, 'absent_illness', 'болезнь'],
  [3, 'absent_invalid', 'неуважительная причина'],
];
const ABSENCE_BY_ID = new Map(ABSENCE_REASONS.map(([id, cat]) => [id, cat]));

export function absenceCategory(reasonId: number | undefined): string {
  return reasonId === undefined ? 'unknown' : ABSENCE_BY_ID.get(reasonId) ?? 'unknown';
}

/** Period title → reporting period kind and sequence ('2 четверть' → quarter 2, 'I полугодие' → half_year 1). */
export function periodKind(title: string): { kind: string; sequence: number | undefined } {
  const t = norm(title);
  const kind = /четверт/.test(t) ? 'quarter' : /триместр/.test(t) ? 'trimester' : /полугод/.test(t) ? 'half_year'
    : /модул/.test(t) ? 'module' : /год/.test(t) ? 'year' : 'ext:term';
  const arabic = /(\d{1,2})/.exec(t);
  const roman = /(^|\s)(iv|v|i{1,3})(\s|$)/.exec(t);
  const romans: Record<string, number> = { i: 1, ii: 2, iii: 3, iv: 4, v: 5 };
  return { kind, sequence: arabic ? Number(arabic[1]) : roman ? romans[roman[2] as string] : undefined };
}

/** `periods_schedules` day `type` → holiday kind; null for school days. Values are [inferred] (§4.4). */
export function holidayKind(type: string | undefined): string | null {
  const t = norm(type ?? '');
  if (t === '' || /^(work|study|school|учеб)/.test(t)) return null;
  if (/vacation|каникул/.test(t)) return 'holiday';
  if (/holiday|праздн/.test(t)) return 'public_holiday';
  if (/quarantin|карантин/.test(t)) return 'quarantine';
  if (/weekend|выходн|day_off/.test(t)) return null;
  return 'non_instructional';
}
