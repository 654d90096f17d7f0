/**
 * OneRoster vocabularies → canonical codes. Tables are data, so the README and the tests read
 * the same thing (README, "Mapping tables").
 */
import { nameTable, normName } from '../../../src/infra/adapter-kit/mapping';
import { COMMON_WORK_TYPES } from '../../../src/infra/adapter-kit/work-types';
import { extCode } from './common';

/** User role → canonical person role (RoleDType.role of 1.2, `role` of 1.1). */
export const PERSON_ROLES: Readonly<Record<string, string>> = {
  student: 'student', teacher: 'teacher', parent: 'guardian', guardian: 'guardian', relative: 'guardian',
};

export function personRole(role: string): string {
  return PERSON_ROLES[role] ?? extCode('', role);
}

/** Guardian-side role → guardian_link relation and whether the person is a legal representative (СК РФ ст. 64). */
export const GUARDIAN_RELATIONS: Readonly<Record<string, { relation: string; isLegalRepresentative: boolean }>> = {
  parent: { relation: 'parent', isLegalRepresentative: true },
  guardian: { relation: 'legal_representative', isLegalRepresentative: true },
  relative: { relation: 'relative', isLegalRepresentative: false },
};

/** Enrollment role → membership role. */
export function membershipRole(role: string): string {
  return role === 'student' || role === 'teacher' ? role : extCode('', role);
}

/** Category title → workType code, or `mark:<kind>` for line items that hold period, annual, final or exam marks. */
export const CATEGORY_TABLE: readonly (readonly [string, string])[] = [
  ...COMMON_WORK_TYPES,
  ['Домашняя работа', 'homework'],
  ['Проверочная работа', 'control_work'],
  ['Четвертная', 'mark:period'], ['Четвертная отметка', 'mark:period'], ['Триместровая отметка', 'mark:period'],
  ['Полугодовая отметка', 'mark:period'], ['Отметка за период', 'mark:period'], ['Отметка за четверть', 'mark:period'],
  ['Годовая', 'mark:annual'], ['Годовая отметка', 'mark:annual'],
  ['Итоговая', 'mark:final'], ['Итоговая отметка', 'mark:final'],
  ['Экзаменационная отметка', 'mark:exam'],
  ['Homework', 'homework'], ['Classwork', 'classwork'], ['Class work', 'classwork'], ['Participation', 'oral_answer'],
  ['Oral', 'oral_answer'], ['Quiz', 'test'], ['Test', 'test'], ['Exam', 'exam'], ['Essay', 'essay'], ['Project', 'project'],
  ['Lab', 'lab_work'], ['Laboratory', 'lab_work'], ['Dictation', 'dictation'], ['Practical work', 'practical_work'],
  ['Grading period', 'mark:period'], ['Term grade', 'mark:period'], ['Final grade', 'mark:final'], ['Annual grade', 'mark:annual'],
];

const CATEGORY_BY_NAME = nameTable(CATEGORY_TABLE);

export type MarkKind = 'current' | 'period' | 'annual' | 'final' | 'exam';

export interface CategoryReading { workType?: { code: string; title: string }; markKind: MarkKind }

/**
 * A category (by sourcedId or title) → work type or mark kind. The configured `categoryMap` wins
 * (keys: sourcedId, or title case-insensitively), then the built-in table; an unknown category
 * is a current-mark work type `ext:oneroster-<sourcedId>`.
 */
export function readCategory(categoryId: string | undefined, title: string | undefined, categoryMap: Readonly<Record<string, string>>): CategoryReading {
  const byMap = categoryId !== undefined && categoryMap[categoryId] !== undefined ? categoryMap[categoryId]
    : title !== undefined ? Object.entries(categoryMap).find(([k]) => normName(k) === normName(title))?.[1] : undefined;
  const code = byMap ?? (title !== undefined ? CATEGORY_BY_NAME.get(normName(title)) : undefined)
    ?? extCode('oneroster', categoryId ?? 'none');
  const shown = title ?? 'Без категории';
  if (code.startsWith('mark:')) return { markKind: code.slice(5) as MarkKind };
  return { markKind: 'current', workType: { code, title: shown } };
}

/** Academic session type (+ title) → reporting period kind. */
export function periodKind(type: string | undefined, title: string): string {
  const t = normName(title);
  if (/четверт|quarter/.test(t)) return 'quarter';
  if (/триместр|trimester/.test(t)) return 'trimester';
  if (/полугод|semester/.test(t) || type === 'semester') return 'half_year';
  if (/модул|module/.test(t)) return 'module';
  if (type === 'gradingPeriod') return 'ext:grading-period';
  if (type === 'term') return 'ext:term';
  return type && /^ext:/.test(type) ? extCode('', type.slice(4)) : 'ext:term';
}

/**
 * Sequence of a period: a number or Roman numeral in its title (`2 четверть`, `II полугодие`),
 * else the period's place in the school year from its start month (assumed; README).
 */
export function periodSequence(kind: string, title: string, startDate: string): number {
  const t = normName(title);
  const arabic = /(^|\D)(1[0-2]|[1-9])(\D|$)/.exec(t);
  if (arabic) return Number(arabic[2]);
  const roman = /(^|\s)(iv|v|i{1,3})(\s|$)/.exec(t);
  const romans: Record<string, number> = { i: 1, ii: 2, iii: 3, iv: 4, v: 5 };
  if (roman) return romans[roman[2] as string] as number;
  const m = Number(startDate.slice(5, 7));
  const schoolMonth = ((m - 9 + 12) % 12) + 1; // September = 1
  if (kind === 'quarter') return schoolMonth <= 2 ? 1 : schoolMonth <= 4 ? 2 : schoolMonth <= 7 ? 3 : 4;
  if (kind === 'trimester') return schoolMonth <= 3 ? 1 : schoolMonth <= 6 ? 2 : 3;
  if (kind === 'half_year') return schoolMonth <= 4 ? 1 : 2;
  return schoolMonth;
}

export type MarkValue = { scale: string; raw: string; numeric: number | null; passed?: boolean };
export type ScoreReading =
  | { kind: 'value'; value: MarkValue }
  | { kind: 'status'; markStatus: 'not_attested' | 'exempt' | 'debt'; raw: string }
  | { kind: 'none' }
  | { kind: 'unknown'; path: '/score' | '/textScore' };

/** A Russian mark written as text: 1–5, 5-/4+, зач/незач, н/а, осв, «.». Undefined when it is none of these. */
export function readMarkText(raw: string): ScoreReading | undefined {
  const t = normName(raw);
  let m = /^([1-5])$/.exec(t);
  if (m) return { kind: 'value', value: { scale: 'five_point', raw, numeric: Number(m[1]) } };
  m = /^([1-5])\s*([+-])$/.exec(t);
  if (m) return { kind: 'value', value: { scale: 'five_point_modifiers', raw, numeric: Math.min(5, Math.max(1, Number(m[1]) + (m[2] === '+' ? 0.25 : -0.25))) } };
  if (['зач', 'зачет', 'зачтено'].includes(t)) return { kind: 'value', value: { scale: 'pass_fail', raw, numeric: null, passed: true } };
  if (['незач', 'незачет', 'не зачтено'].includes(t)) return { kind: 'value', value: { scale: 'pass_fail', raw, numeric: null, passed: false } };
  if (t === 'н/а' || t === 'на') return { kind: 'status', markStatus: 'not_attested', raw };
  if (t === 'осв' || t === 'освобожден') return { kind: 'status', markStatus: 'exempt', raw };
  if (t === '.' || t === 'точка') return { kind: 'status', markStatus: 'debt', raw };
  return undefined;
}

/** A numeric score → scale by the line item's `resultValueMax` (or, without one, by the value itself). */
export function readNumericScore(score: number, max: number | undefined): ScoreReading {
  const raw = String(score).slice(0, 16);
  const bound = max !== undefined && max > 0 ? max : score;
  if (score < 0) return { kind: 'unknown', path: '/score' };
  if (bound <= 5 && score >= 1) {
    return Number.isInteger(score)
      ? { kind: 'value', value: { scale: 'five_point', raw, numeric: score } }
      : { kind: 'value', value: { scale: 'five_point_modifiers', raw, numeric: score } };
  }
  if (bound <= 10 && score <= 10) return { kind: 'value', value: { scale: 'ten_point', raw, numeric: score } };
  if (bound <= 100 && score <= 100) return { kind: 'value', value: { scale: 'hundred_point', raw, numeric: score } };
  return { kind: 'unknown', path: '/score' };
}

/**
 * score / textScore of a Result → a mark value or status. A score scale, when the result or
 * its line item names one, first rewrites the text (LHS → RHS). Text that is a Russian mark wins;
 * other text with a numeric score is kept as the score's raw text; text alone is the `text` scale.
 */
export function readScore(score: unknown, textScore: unknown, max: number | undefined, scale: readonly [string, string][]): ScoreReading {
  const viaScale = (s: string): string => scale.find(([l]) => normName(l) === normName(s))?.[1] ?? s;
  const text = typeof textScore === 'string' && textScore.trim() !== '' ? viaScale(textScore.trim()) : undefined;
  const num = typeof score === 'number' && Number.isFinite(score) ? score
    : typeof score === 'string' && /^-?\d+(?:[.,]\d+)?$/.test(score.trim()) ? Number(score.trim().replace(',', '.')) : undefined;
  if (score !== undefined && score !== null && score !== '' && num === undefined) return { kind: 'unknown', path: '/score' };
  if (text !== undefined) {
    if (text.length > 16) return { kind: 'unknown', path: '/textScore' };
    const r = readMarkText(text);
    if (r) return r;
    if (num === undefined) return { kind: 'value', value: { scale: 'text', raw: text, numeric: null } };
  }
  if (num !== undefined) {
    const mapped = scale.length > 0 ? viaScale(String(num)) : String(num);
    if (mapped !== String(num)) return readMarkText(mapped) ?? (mapped.length <= 16 ? { kind: 'value', value: { scale: 'text', raw: mapped, numeric: null } } : { kind: 'unknown', path: '/score' });
    return readNumericScore(num, max);
  }
  return { kind: 'none' };
}

/** What a `scoreStatus` says about a result without a value (with a value, it is graded). */
export const SCORE_STATUS: Readonly<Record<string, 'graded' | 'exempt' | 'debt' | 'not_attested' | 'no-mark'>> = {
  'fully graded': 'graded',
  'partially graded': 'no-mark',
  submitted: 'no-mark',
  'not submitted': 'debt',
  exempt: 'exempt',
  'ext:exempt': 'exempt',
  'ext:debt': 'debt',
  'ext:not-attested': 'not_attested',
  'ext:not_attested': 'not_attested',
  'ext:deferred': 'not_attested',
};
