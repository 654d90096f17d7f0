/**
 * Дневник.ру vocabularies → canonical codes, as data: the README table and the tests read these.
 */

import { nameTable, normName as norm } from '../../../src/infra/adapter-kit/mapping';
import { COMMON_WORK_TYPES } from '../../../src/infra/adapter-kit/work-types';

/** Lesson log entry `status` (§2.4) → attendance category. */
export const ATTENDANCE_STATUSES: readonly (readonly [string, string])[] = [
  ['Attend', 'present'],
  ['Absent', 'absent_invalid'],
  ['Ill', 'absent_illness'],
  ['Late', 'late'],
  ['Pass', 'absent_valid'],
];
const ATTENDANCE = new Map(ATTENDANCE_STATUSES.map(([s, c]) => [s.toLowerCase(), c]));

export function attendanceCategory(status: string): string {
  return ATTENDANCE.get(status.trim().toLowerCase()) ?? 'unknown';
}

/** Work type title (work-types/{school}) → canonical workType code. */
export const WORK_TYPES: readonly (readonly [string, string])[] = [
  ...COMMON_WORK_TYPES,
  ['Проверочная работа', 'ext:proverochnaya'],
];
const WORK_TYPE = nameTable(WORK_TYPES);

/** `Work.type` values that mean homework (the rest are lesson works). */
export const HOMEWORK_WORK_TYPES = ['Homework'] as const;

export function workTypeCode(title: string | undefined, workTypeId: string | undefined, workKind: string | undefined): string {
  const byTitle = title !== undefined ? WORK_TYPE.get(norm(title)) : undefined;
  if (byTitle) return byTitle;
  if (workKind === 'Homework') return 'homework';
  return `ext:dnevnik-type-${workTypeId ?? 'unknown'}`;
}

/**
 * Mark `type` / work `markType` → scale. Concrete codes were not seen in any client (§2.5): these
 * are the sim's and the common guesses; an unknown type falls back to the value's form.
 */
export const MARK_TYPES: readonly (readonly [string, string])[] = [
  ['Mark5', 'five_point'],
  ['mark5', 'five_point'],
  ['Mark10', 'ten_point'],
  ['Mark100', 'hundred_point'],
  ['Percent', 'hundred_point'],
  ['MarkPassFail', 'pass_fail'],
  ['Test', 'pass_fail'],
];
const MARK_TYPE = new Map(MARK_TYPES.map(([t, s]) => [t, s]));

/** Special values written instead of a grade. */
export const SPECIAL_MARKS: readonly (readonly [string, string])[] = [
  ['н/а', 'not_attested'],
  ['на', 'not_attested'],
  ['осв', 'exempt'],
  ['зач', 'passed'],
  ['незач', 'failed'],
];
const SPECIAL = new Map(SPECIAL_MARKS.map(([v, m]) => [v, m]));

export type MarkValueResult =
  | { ok: true; markStatus: 'graded' | 'not_attested' | 'exempt'; value: Record<string, unknown> }
  | { ok: false; message: string };

/** A mark's `value` (string; a number after a shape drift) and `type` → canonical value and status. */
export function markValue(raw: unknown, type: unknown): MarkValueResult {
  const text = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (text === '' || text.length > 16) return { ok: false, message: 'mark value is missing or not a string' };
  const special = SPECIAL.get(norm(text));
  if (special === 'not_attested' || special === 'exempt') {
    return { ok: true, markStatus: special, value: { scale: 'text', raw: text, numeric: null } };
  }
  if (special === 'passed' || special === 'failed') {
    return { ok: true, markStatus: 'graded', value: { scale: 'pass_fail', raw: text, numeric: null, passed: special === 'passed' } };
  }
  const scale = (typeof type === 'string' ? MARK_TYPE.get(type) : undefined);
  const mod = /^([1-5])([+-])$/.exec(text);
  if (mod && (scale === undefined || scale === 'five_point')) {
    const n = Number(mod[1]) + (mod[2] === '+' ? 0.25 : -0.25);
    return { ok: true, markStatus: 'graded', value: { scale: 'five_point_modifiers', raw: text, numeric: Math.min(5, Math.max(1, n)) } };
  }
  const n = numOf(text);
  if (n === undefined) return { ok: false, message: `mark value is not on a known scale` };
  const s = scale ?? (Number.isInteger(n) && n >= 1 && n <= 5 ? 'five_point' : n <= 10 ? 'ten_point' : 'hundred_point');
  const range: Record<string, [number, number]> = { five_point: [1, 5], ten_point: [0, 10], hundred_point: [0, 100] };
  const r = range[s];
  if (!r || n < r[0] || n > r[1] || (s === 'five_point' && !Number.isInteger(n))) return { ok: false, message: `mark ${s} value out of range` };
  return { ok: true, markStatus: 'graded', value: { scale: s, raw: text, numeric: n } };
}

function numOf(s: string): number | undefined {
  return /^\d+(?:[.,]\d+)?$/.test(s) ? Number(s.replace(',', '.')) : undefined;
}

/** Reporting period `type` → canonical kind. */
export const PERIOD_TYPES: readonly (readonly [string, string])[] = [
  ['Quarter', 'quarter'],
  ['Trimester', 'trimester'],
  ['Semester', 'half_year'],
  ['HalfYear', 'half_year'],
  ['Module', 'module'],
  ['Year', 'year'],
];
const PERIOD = new Map(PERIOD_TYPES.map(([t, k]) => [t.toLowerCase(), k]));

export function periodKind(type: unknown): string {
  const t = typeof type === 'string' ? type.trim() : '';
  return PERIOD.get(t.toLowerCase()) ?? (/^[A-Za-z0-9_.:-]{1,60}$/.test(t) ? `ext:${t}` : 'ext:unknown');
}
