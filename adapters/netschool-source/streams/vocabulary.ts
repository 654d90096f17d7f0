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
