import type { Issue } from '../../../src/core/errors';
import type { IdResolver } from '../../../src/core/ids';
import type { EntityType, MappedRecord } from '../../../src/core/records';

/** Result of mapping one vendor record: a canonical record or the reasons it could not be mapped. */
export type Mapped =
  | { kind: 'record'; record: MappedRecord }
  | { kind: 'invalid'; entityType: EntityType; sourceId: string; issues: Issue[]; raw: unknown };

export interface MapContext {
  ids: IdResolver;
  /** School UTC offset, e.g. '+03:00' (payloads carry none). */
  utcOffset: string;
}

export function record(entityType: EntityType, sourceId: string, fields: Record<string, unknown>, extra: Partial<MappedRecord> = {}): Mapped {
  return { kind: 'record', record: { entityType, sourceId, fields, ...extra } };
}

export function invalid(entityType: EntityType, sourceId: string, issues: Issue[], raw: unknown): Mapped {
  return { kind: 'invalid', entityType, sourceId, issues, raw };
}

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** An integer, also from a numeric string (ids and `num` drift to strings, sources §3.3). */
export function intOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** A finite number, also from a numeric string with a dot or a comma (`weight: "2"`, `"1,5"`). */
export function numOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(?:[.,]\d+)?$/.test(v.trim())) return Number(v.trim().replace(',', '.'));
  return undefined;
}

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

export function textOf(v: unknown, max = 1000): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.replace(/\s+/g, ' ').trim();
  return t === '' ? undefined : t.slice(0, max);
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

const norm = (s: string): string => s.toLowerCase().replace(/ё/g, 'е').replace(/\s+/g, ' ').trim();

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

export function gradeLevelOf(className: string): number | undefined {
  const m = /^\s*(\d{1,2})/.exec(className);
  if (!m) return undefined;
  const g = Number(m[1]);
  return g >= 0 && g <= 12 ? g : undefined;
}

export interface Fio { familyName: string; givenName: string; middleName?: string }

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
