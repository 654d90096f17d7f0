import type { Issue } from '../../../src/core/errors';
import type { IdResolver } from '../../../src/core/ids';
import type { EntityType, MappedRecord } from '../../../src/core/records';

/**
 * Result of mapping one vendor record: a canonical record, or the reasons it could not be
 * mapped (the reader turns those into `invalid` messages with GW_RECORD_UNMAPPABLE).
 */
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

/** An integer id, also when a server sends it as a numeric string. */
export function intOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** A finite number, also from a numeric string (servers drift: `weight: "2"`). */
export function numOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(?:[.,]\d+)?$/.test(v.trim())) return Number(v.trim().replace(',', '.'));
  return undefined;
}

export function textOf(v: unknown, max = 1000): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.replace(/\s+/g, ' ').trim();
  return t === '' ? undefined : t.slice(0, max);
}

/** Subject key: NetSchool's web diary names subjects but gives no id, so the name is the key. */
export function subjectKey(name: string): string {
  return `name:${name.toLowerCase().replace(/ё/g, 'е').replace(/\s+/g, ' ').trim()}`;
}

/** Class key: the class name within a school year (diary/init's classId is often 0). */
export function classKey(yearId: number, className: string): string {
  return `${yearId}:${className.replace(/\s+/g, '').toLowerCase()}`;
}

/** Grade (параллель) from a class name: '5а' → 5, '10 Б' → 10; undefined when there is none. */
export function gradeLevelOf(className: string): number | undefined {
  const m = /^\s*(\d{1,2})/.exec(className);
  if (!m) return undefined;
  const g = Number(m[1]);
  return g >= 0 && g <= 12 ? g : undefined;
}

export interface Fio { familyName: string; givenName: string; middleName?: string }

/** 'Фамилия Имя [Отчество]' (also initials 'Фамилия И. О.') → parts; undefined when fewer than two. */
export function parseFio(v: unknown): Fio | undefined {
  const t = textOf(v, 300);
  if (!t) return undefined;
  const parts = t.replace(/\.(?=\S)/g, '. ').split(' ').filter(Boolean);
  const [familyName, givenName, ...rest] = parts;
  if (!familyName || !givenName) return undefined;
  return { familyName, givenName, ...(rest.length > 0 ? { middleName: rest.join(' ') } : {}) };
}
