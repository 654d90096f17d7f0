import type { Issue } from '../../../src/core/errors';
import type { IdResolver } from '../../../src/core/ids';
import type { EntityType, MappedRecord } from '../../../src/core/records';

/** One vendor record mapped: a canonical record, or why it could not be (→ `invalid`). */
export type Mapped =
  | { kind: 'record'; record: MappedRecord }
  | { kind: 'invalid'; entityType: EntityType; sourceId: string; issues: Issue[]; raw: unknown };

export interface MapContext {
  ids: IdResolver;
  /** Offset of naive date-times (Moscow, '+03:00'). */
  utcOffset: string;
}

/** What the reader knows about the student a family-API answer is for (from the profile). */
export interface StudentInfo {
  id: number;
  /** `class_unit_id` of the student's class. */
  classUnitId?: number;
  className?: string;
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

/** An integer id, also from a numeric string. */
export function intOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** A finite number, also from a numeric string ("2", "4,5"). */
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

/** Grade from a class name: '5-А' → 5. */
export function gradeLevelOf(className: string): number | undefined {
  const m = /^\s*(\d{1,2})/.exec(className);
  const g = m ? Number(m[1]) : NaN;
  return g >= 0 && g <= 12 ? g : undefined;
}

/** Academic year key of a date: 'YYYY-(YYYY+1)', the year starting 1 September. */
export function academicYearKey(date: string): string {
  const y = Number(date.slice(0, 4));
  const start = Number(date.slice(5, 7)) >= 9 ? y : y - 1;
  return `${start}-${start + 1}`;
}
