import type { Issue } from '../../../src/core/errors';
import type { IdResolver } from '../../../src/core/ids';
import type { EntityType, MappedRecord } from '../../../src/core/records';
import type { Casing } from '../spec';

/** One vendor record mapped: a canonical record, or why it could not be. */
export type Mapped =
  | { kind: 'record'; record: MappedRecord }
  | { kind: 'invalid'; entityType: EntityType; sourceId: string; issues: Issue[]; raw: unknown };

export interface MapContext {
  ids: IdResolver;
  /** School UTC offset, e.g. '+03:00' (payload datetimes carry none). */
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

const pascal = (k: string): string => k.charAt(0).toUpperCase() + k.slice(1);

/**
 * A field by its camelCase name; with `auto` the PascalCase twin is read too (`firstName` /
 * `FirstName`), because some endpoints answer in PascalCase (§2.3) and clients disagree.
 */
export function field(o: Record<string, unknown>, key: string, casing: Casing = 'auto'): unknown {
  if (casing === 'pascal') return o[pascal(key)];
  if (casing === 'camel') return o[key];
  return o[key] !== undefined ? o[key] : o[pascal(key)];
}

/**
 * An id as an exact decimal string: the `_str` twin first (`id_str`, `Id_str`, `idStr`), else
 * the numeric field (already a string when it was past 2^53: see json.ts). Undefined when absent.
 */
export function idOf(o: Record<string, unknown>, key: string, casing: Casing = 'auto'): string | undefined {
  for (const k of [`${key}_str`, `${key}Str`]) {
    const v = field(o, k, casing);
    if (typeof v === 'string' && /^-?\d+$/.test(v)) return v;
  }
  return idValue(field(o, key, casing));
}

/** A bare id value (number or numeric string) as a decimal string. */
export function idValue(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return v.trim();
  return undefined;
}

/** A list of ids: `<key>_str` strings first, else `<key>` numbers/strings, else objects with an id. */
export function idListOf(o: Record<string, unknown>, key: string, casing: Casing = 'auto'): string[] {
  const strs = field(o, `${key}_str`, casing);
  const list = Array.isArray(strs) ? strs : field(o, key, casing);
  if (!Array.isArray(list)) return [];
  return list.flatMap((x) => {
    const v = isObject(x) ? idOf(x, 'id', casing) ?? idOf(x, 'person', casing) : idValue(x);
    return v !== undefined ? [v] : [];
  });
}

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

/** Grade (параллель) from a class name: '5А' → 5; undefined when there is none. */
export function gradeLevelOf(name: string): number | undefined {
  const m = /^\s*(\d{1,2})/.exec(name);
  if (!m) return undefined;
  const g = Number(m[1]);
  return g >= 0 && g <= 12 ? g : undefined;
}

/** A list from a bare array or from a wrapper object's `key` (shapes drift between clients). */
export function listOf(body: unknown, ...keys: string[]): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (!isObject(body)) return undefined;
  for (const k of keys) {
    const v = field(body, k);
    if (Array.isArray(v)) return v;
  }
  return undefined;
}

export function intOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,15}$/.test(v.trim())) return Number(v.trim());
  return undefined;
}
