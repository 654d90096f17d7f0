import { isObject, normName as norm, textOf, type Fio } from '../../../src/infra/adapter-kit/mapping';

/** Mapping results and lenient field readers shared by the source adapters. */
export { gradeLevelOf, intOf, invalid, isObject, numOf, record, textOf, type Fio, type MapContext, type Mapped } from '../../../src/infra/adapter-kit/mapping';

/** A boolean, also from 0/1, "0"/"1", "true"/"false" (another drifting field). */
export function boolOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === '1' || v === 'true') return true;
  if (v === 0 || v === '0' || v === 'false') return false;
  return undefined;
}

/** An id as a string: numbers and numeric strings alike ('123' and 123 are one id). */
export function idOf(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  return undefined;
}

/** `result.students` is a map keyed by student id, or (getperiods) an array with `name` = id. */
export function byStudents(students: unknown): [string, Record<string, unknown>][] {
  if (Array.isArray(students)) {
    return students.flatMap((s) => {
      const id = isObject(s) ? idOf(s.name ?? s.id) : undefined;
      return id && isObject(s) ? [[id, s] as [string, Record<string, unknown>]] : [];
    });
  }
  if (isObject(students)) {
    return Object.entries(students).flatMap(([k, s]) => (isObject(s) ? [[idOf(s.name) ?? k, s] as [string, Record<string, unknown>]] : []));
  }
  return [];
}

/** A list that may come as an array or as a map keyed by number/id (`items`, `homework`). */
export function listOf(v: unknown): [string, unknown][] {
  if (Array.isArray(v)) return v.map((x, i) => [String(i), x]);
  if (isObject(v)) return Object.entries(v);
  return [];
}

/** Subject key: ЭлЖур names subjects but gives no subject id in the diary. */
export function subjectKey(name: string): string {
  return `name:${norm(name)}`;
}

/** Class key within a school year ('2025' + '5А' → '2025:5а'). */
export function classKey(yearKey: string, className: string): string {
  return `${yearKey}:${className.replace(/\s+/g, '').toLowerCase()}`;
}

/** Reporting period key within a school year. */
export function periodKey(yearKey: string, periodName: string): string {
  return `${yearKey}:${norm(periodName)}`;
}

/** 'Фамилия Имя [Отчество]' → parts; undefined when fewer than two. */
export function parseFio(v: unknown): Fio | undefined {
  const t = textOf(v, 300);
  if (!t) return undefined;
  const [familyName, givenName, ...rest] = t.split(' ').filter(Boolean);
  if (!familyName || !givenName) return undefined;
  return { familyName, givenName, ...(rest.length > 0 ? { middleName: rest.join(' ') } : {}) };
}

/** The school year (`2025` for 2025/2026) a date falls in: September starts a year. */
export function yearKeyOf(date: string): string {
  const y = Number(date.slice(0, 4));
  return String(Number(date.slice(5, 7)) >= 8 ? y : y - 1);
}
