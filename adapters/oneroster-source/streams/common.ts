/**
 * Lenient readers of OneRoster fields shared by the mapping functions. The REST binding and the
 * CSV rows (converted by csv/rows.ts) arrive in the same JSON shape; drift between binding
 * versions and providers is accepted here, so the mappers stay simple.
 */
import type { Issue } from '../../../src/core/errors';
import type { IdResolver } from '../../../src/core/ids';
import type { EntityType, ExternalId, RecordStatus } from '../../../src/core/records';
import { offsetMinutes, realDate } from '../../../src/infra/adapter-kit/dates';
import { invalid, isObject, record, type Mapped } from '../../../src/infra/adapter-kit/mapping';

export { invalid, isObject, numOf, record, textOf, type Mapped } from '../../../src/infra/adapter-kit/mapping';

export interface OrMapContext {
  ids: IdResolver;
  /** School offset for turning UTC date-times into school dates. */
  utcOffset: string;
}

/** The sourcedId of a GUIDRef (`{href, sourcedId, type}`), also of a bare id string (drift). */
export function refOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() !== '' ? v.trim() : undefined;
  if (isObject(v) && typeof v.sourcedId === 'string' && v.sourcedId.trim() !== '') return v.sourcedId.trim();
  return undefined;
}

/** The sourcedIds of a GUIDRef list. */
export function refsOf(v: unknown): string[] {
  return Array.isArray(v) ? v.flatMap((x) => refOf(x) ?? []) : [];
}

/**
 * Record status: `tobedeleted` (also the `inactive` of 1.0, which 1.1+ read as tobedeleted, and
 * `deleted` some providers send); anything else, and a blank status of a bulk CSV row, is active.
 */
export function statusOf(v: unknown): RecordStatus {
  const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
  return s === 'tobedeleted' || s === 'inactive' || s === 'deleted' ? 'tobedeleted' : 'active';
}

/** A date-time as canonical UTC (`…Z`); an offset is converted; undefined when not a date-time. */
export function utcOf(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString().replace(/\.000Z$/, 'Z');
}

/** A plain date `YYYY-MM-DD` (also the date part of a date-time written as a date). */
export function dateOf(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})$/.exec(v.trim());
  return m ? realDate(m[1] as string) : undefined;
}

/**
 * The school-local date of a OneRoster date-time (UTC), or a plain date as is. OneRoster stores
 * `assignDate`/`dueDate` as UTC date-times; a local midnight written as UTC falls on the right day.
 */
export function localDateOf(v: unknown, utcOffset: string): string | undefined {
  const d = dateOf(v);
  if (d) return d;
  const u = utcOf(v);
  if (!u) return undefined;
  return new Date(Date.parse(u) + offsetMinutes(utcOffset) * 60_000).toISOString().slice(0, 10);
}

/** OneRoster booleans are the strings 'true'/'false'; real booleans are accepted too. */
export function boolOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  return undefined;
}

/** A list of strings (also a comma-separated string, as CSV writes lists). */
export function listOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim());
  if (typeof v === 'string' && v.trim() !== '') return v.split(',').map((x) => x.trim()).filter(Boolean);
  return [];
}

/** The sourcedId of a raw record, or undefined. */
export function sourcedIdOf(raw: unknown): string | undefined {
  return isObject(raw) ? refOf(raw.sourcedId) : undefined;
}

/** `source-local` external id of a OneRoster record. */
export function localId(sourcedId: string): ExternalId {
  return { type: 'source-local', value: sourcedId, issuer: 'oneroster' };
}

/**
 * A canonical record with the OneRoster envelope: status from `status`, the journal's
 * modification time from `dateLastModified` (the record's `dateLastModified` in the ledger).
 */
export function orRecord(entity: EntityType, sourceId: string, raw: Record<string, unknown>, fields: Record<string, unknown>, extra: { externalIds?: ExternalId[]; metadata?: Record<string, unknown> } = {}): Mapped {
  const modified = utcOf(raw.dateLastModified);
  const metadata = extra.metadata && Object.keys(extra.metadata).length > 0 ? extra.metadata : undefined;
  return record(entity, sourceId, fields, {
    status: statusOf(raw.status),
    ...(modified ? { sourceModifiedAt: modified } : {}),
    ...(extra.externalIds ? { externalIds: extra.externalIds } : {}),
    ...(metadata ? { metadata } : {}),
  });
}

/** An `invalid` result for `raw` with these issues (the raw record goes to quarantine). */
export function unmappable(entity: EntityType, sourceId: string, issues: Issue[], raw: unknown): Mapped {
  return invalid(entity, sourceId, issues, raw);
}

/** Builds the issue list of required fields that are missing. */
export function missing(checks: readonly [string, unknown][]): Issue[] {
  return checks.filter(([, v]) => v === undefined).map(([path]) => ({ path, message: 'missing or not in the expected format' }));
}

/** Canonical ext code from any text: `ext:<prefix>-<token>` (the pattern allows [A-Za-z0-9_.:-], ≤64). */
export function extCode(prefix: string, token: string): string {
  const t = token.replace(/[^A-Za-z0-9_.:-]/g, '').slice(0, 60 - prefix.length);
  return `ext:${[prefix, t].filter(Boolean).join('-') || 'other'}`;
}
