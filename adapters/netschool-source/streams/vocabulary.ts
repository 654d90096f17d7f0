/**
 * NetSchool vocabularies → canonical codes. Each table is data so the README mapping table
 * and the tests read the same thing.
 */

import { nameTable, normName as norm } from '../../../src/infra/adapter-kit/mapping';
import { COMMON_WORK_TYPES } from '../../../src/infra/adapter-kit/work-types';

/** Assignment type name (grade/assignment/types) → canonical workType code. */
export const WORK_TYPES: readonly (readonly [string, string])[] = [
  ...COMMON_WORK_TYPES,
  ['Изложение', 'ext:izlozhenie'],
  ['Реферат', 'ext:referat'],
  // Short names as netschoolpy's docs list the types (sources §1.5); servers differ.
  ['Самостоятельная', 'independent_work'],
  ['Лабораторная', 'lab_work'],
  // Seen in nm17's reference (an overdue «Чтение наизусть»); no standard code fits.
  ['Чтение наизусть', 'ext:chtenie-naizust'],
];

const WORK_TYPE_BY_NAME = nameTable(WORK_TYPES);

/** Canonical workType of a NetSchool assignment type; unknown types keep their id as `ext:netschool-type-<id>`. */
export function workTypeCode(typeName: string | undefined, typeId: number): string {
  return (typeName !== undefined ? WORK_TYPE_BY_NAME.get(norm(typeName)) : undefined) ?? `ext:netschool-type-${typeId}`;
}

export function isHomeworkType(typeName: string | undefined): boolean {
  return typeName !== undefined && WORK_TYPE_BY_NAME.get(norm(typeName)) === 'homework';
}

/** Attendance letters (mobile API `attendance`, report letters) → canonical category. */
export const ATTENDANCE_CODES: readonly (readonly [string, string])[] = [
  ['Н', 'absent_invalid'],
  ['НП', 'absent_invalid'],
  ['Б', 'absent_illness'],
  ['УП', 'absent_valid'],
  ['У', 'absent_valid'],
  ['П', 'absent_valid'],
  ['ОП', 'late'],
  ['О', 'late'],
];

const ATTENDANCE_BY_CODE = new Map(ATTENDANCE_CODES.map(([code, cat]) => [code, cat]));

export function attendanceCategory(code: string): string {
  return ATTENDANCE_BY_CODE.get(code.trim().toUpperCase()) ?? 'unknown';
}

/** Term title → reporting period kind and sequence ('2 четверть' → quarter 2; 'I полугодие' → half_year 1). */
export function termKind(title: string): { kind: string; sequence: number | undefined } {
  const t = norm(title);
  const kind = /четверт/.test(t) ? 'quarter' : /триместр/.test(t) ? 'trimester' : /полугод/.test(t) ? 'half_year'
    : /модул/.test(t) ? 'module' : /год/.test(t) ? 'year' : 'ext:term';
  const arabic = /(\d{1,2})/.exec(t);
  const roman = /(^|\s)(iv|v|i{1,3})(\s|$)/.exec(t);
  const romans: Record<string, number> = { i: 1, ii: 2, iii: 3, iv: 4, v: 5 };
  const sequence = arabic ? Number(arabic[1]) : roman ? romans[roman[2] as string] : undefined;
  return { kind, sequence };
}

/** Canonical reading of a final (term or year) result of the mobile `/totals`. */
export type FinalValue =
  | { kind: 'none' }
  | { kind: 'value'; value: Record<string, unknown>; markStatus: 'graded' | 'exempt' | 'not_attested' }
  | { kind: 'unknown' };

/** Text results of `/totals` (`mark` is string | number | null, sources §1.8–1.9) → status. */
export const FINAL_TEXT_VALUES: readonly (readonly [string, 'exempt' | 'not_attested' | 'pass' | 'fail'])[] = [
  ['н/а', 'not_attested'], ['на', 'not_attested'], ['не аттестован', 'not_attested'], ['неаттестован', 'not_attested'],
  ['осв', 'exempt'], ['освобожден', 'exempt'], ['освобождена', 'exempt'],
  ['зач', 'pass'], ['зачет', 'pass'], ['зачтено', 'pass'],
  ['незач', 'fail'], ['незачет', 'fail'], ['не зачтено', 'fail'],
];
const FINAL_TEXT = new Map(FINAL_TEXT_VALUES.map(([k, v]) => [k, v]));

/**
 * A `/totals` result → canonical value and status. 1–5 (number or numeric string) → five_point;
 * «5-»/«4+» (not seen, accepted) → five_point_modifiers ±0.25; зачёт/незачёт → pass_fail; н/а and
 * осв → not_attested / exempt with the text kept as written; null or '' → nothing yet.
 */
export function finalMarkValue(v: unknown): FinalValue {
  if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) return { kind: 'none' };
  const raw = String(v).trim();
  if (/^[1-5]$/.test(raw)) return { kind: 'value', value: { scale: 'five_point', raw, numeric: Number(raw) }, markStatus: 'graded' };
  const mod = /^([1-5])\s*([+-])$/.exec(raw);
  if (mod) {
    const numeric = Math.min(5, Math.max(1, Number(mod[1]) + (mod[2] === '+' ? 0.25 : -0.25)));
    return { kind: 'value', value: { scale: 'five_point_modifiers', raw: `${mod[1]}${mod[2]}`, numeric }, markStatus: 'graded' };
  }
  const key = norm(raw).replace(/\.$/, '');
  const t = FINAL_TEXT.get(key);
  if (t === 'pass' || t === 'fail') {
    return { kind: 'value', value: { scale: 'pass_fail', raw: raw.slice(0, 16), numeric: null, passed: t === 'pass' }, markStatus: 'graded' };
  }
  if (t) return { kind: 'value', value: { scale: 'text', raw: raw.slice(0, 16), numeric: null }, markStatus: t };
  return { kind: 'unknown' };
}

/**
 * Kind of a `/totals` yearTotals entry from `period.periodName` / `periodType` (values not
 * documented; read by keyword): экзамен → exam, итог → final, год → annual; else undefined.
 */
export const YEAR_TOTAL_KINDS: readonly (readonly [RegExp, 'exam' | 'final' | 'annual'])[] = [
  [/экзам|exam/i, 'exam'],
  [/итог|final/i, 'final'],
  // «год» as a word start only: «Полугодие» is a half-year, not the year.
  [/(^|[^а-яё])год|year|annual/i, 'annual'],
];

export function yearTotalKind(periodName: string | undefined, periodType: string | undefined): 'exam' | 'final' | 'annual' | undefined {
  for (const text of [periodName, periodType]) {
    if (!text) continue;
    const hit = YEAR_TOTAL_KINDS.find(([re]) => re.test(text));
    if (hit) return hit[1];
  }
  return undefined;
}
