/**
 * ЭлЖур vocabularies → canonical codes. Tables are data so the README and tests read the same thing.
 */
import type { AttendanceCategory } from '../spec';

import { nameTable, normName as norm } from '../../../src/infra/adapter-kit/mapping';
import { COMMON_WORK_TYPES } from '../../../src/infra/adapter-kit/work-types';

/** Work type name (`mtype.type` in getmarks, `control_type` in the diary) → workType code. */
export const WORK_TYPES: readonly (readonly [string, string])[] = [
  ...COMMON_WORK_TYPES,
  ['Домашняя работа', 'homework'],
  ['Проверочная работа', 'control_work'],
];

const WORK_TYPE_BY_NAME = nameTable(WORK_TYPES);

/** Canonical workType code; unknown types become `ext:eljur-<id>` or `ext:eljur-other`. */
export function workTypeCode(name: string | undefined, id: string | undefined): string {
  const known = name !== undefined ? WORK_TYPE_BY_NAME.get(norm(name)) : undefined;
  if (known) return known;
  const token = id !== undefined ? id.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 40) : '';
  return token ? `ext:eljur-${token}` : 'ext:eljur-other';
}

export type MarkReading =
  | { kind: 'value'; value: { scale: string; raw: string; numeric: number | null; passed?: boolean } }
  | { kind: 'status'; markStatus: 'not_attested' | 'exempt' | 'debt'; raw: string }
  | { kind: 'unknown' };

/**
 * A mark `value` as written → canonical value or status.
 * 1–5 → five_point; «5-»/«4+» → five_point_modifiers (±0.25, assumed: sources §7 leave it open);
 * зач/незач → pass_fail; н/а → not_attested; осв → exempt; a lone «.»/«точка» → debt.
 */
export function readMarkValue(v: unknown): MarkReading {
  const raw = typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' ? v.trim() : undefined;
  if (!raw || raw.length > 16) return { kind: 'unknown' };
  const t = norm(raw);
  let m = /^([1-5])$/.exec(t);
  if (m) return { kind: 'value', value: { scale: 'five_point', raw, numeric: Number(m[1]) } };
  m = /^([1-5])\s*([+-])$/.exec(t);
  if (m) {
    const n = Number(m[1]) + (m[2] === '+' ? 0.25 : -0.25);
    return { kind: 'value', value: { scale: 'five_point_modifiers', raw, numeric: Math.min(5, Math.max(1, n)) } };
  }
  if (t === 'зач' || t === 'зачет' || t === 'зачтено') return { kind: 'value', value: { scale: 'pass_fail', raw, numeric: null, passed: true } };
  if (t === 'незач' || t === 'незачет' || t === 'не зачтено') return { kind: 'value', value: { scale: 'pass_fail', raw, numeric: null, passed: false } };
  if (t === 'н/а' || t === 'на') return { kind: 'status', markStatus: 'not_attested', raw };
  if (t === 'осв' || t === 'освобожден') return { kind: 'status', markStatus: 'exempt', raw };
  if (t === '.' || t === 'точка') return { kind: 'status', markStatus: 'debt', raw };
  return { kind: 'unknown' };
}

/** Absence pseudo-mark → category, from the configured table (case-insensitive). */
export function absenceCategory(value: string, table: Readonly<Record<string, AttendanceCategory>>): AttendanceCategory | undefined {
  const t = norm(value);
  for (const [code, cat] of Object.entries(table)) if (norm(code) === t) return cat;
  return undefined;
}

/** Period name → kind and sequence ('2 четверть' → quarter 2; 'I полугодие' → half_year 1). */
export function termKind(title: string): { kind: string; sequence: number | undefined } {
  const t = norm(title);
  const kind = /четверт/.test(t) ? 'quarter' : /триместр/.test(t) ? 'trimester' : /полугод/.test(t) ? 'half_year'
    : /модул/.test(t) ? 'module' : /^(учебный )?год|годов/.test(t) ? 'year' : 'ext:term';
  const arabic = /(\d{1,2})/.exec(t);
  const roman = /(^|\s)(iv|v|i{1,3})(\s|$)/.exec(t);
  const romans: Record<string, number> = { i: 1, ii: 2, iii: 3, iv: 4, v: 5 };
  const sequence = arabic ? Number(arabic[1]) : roman ? romans[roman[2] as string] : undefined;
  return { kind, sequence };
}

/** Final assessment `period` → mark kind: a year/итог/экзамен label, or a term (period). */
export function finalKind(period: string): 'annual' | 'final' | 'exam' | 'period' {
  const t = norm(period);
  if (/экзамен/.test(t)) return 'exam';
  if (/итог/.test(t)) return 'final';
  if (/^(учебный )?год|годов/.test(t)) return 'annual';
  return 'period';
}
