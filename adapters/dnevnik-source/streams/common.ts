import type { Casing } from '../spec';
import { isObject } from '../../../src/infra/adapter-kit/mapping';

/** Mapping results and lenient field readers shared by the source adapters (`intOf` is our own: ids are 19 digits). */
export { gradeLevelOf, invalid, isObject, numOf, record, textOf, type MapContext, type Mapped } from '../../../src/infra/adapter-kit/mapping';

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
