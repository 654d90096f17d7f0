/**
 * Shared pieces of the canonical → OneRoster mapping: GUIDRefs, dates, status, and the metadata
 * block that carries what OneRoster has no field for. Pure functions.
 */
import { offsetMinutes } from '../../../src/infra/adapter-kit/dates';
import { GRADEBOOK_PATH, ROSTERING_PATH } from '../spec';

export type Obj = Record<string, unknown>;

/** GUIDRef target types and the service collection each lives in. */
export const REF_HOME = {
  org: ['rostering', 'orgs'],
  academicSession: ['rostering', 'academicSessions'],
  course: ['rostering', 'courses'],
  class: ['rostering', 'classes'],
  user: ['rostering', 'users'],
  category: ['gradebook', 'categories'],
  lineItem: ['gradebook', 'lineItems'],
} as const;
export type RefType = keyof typeof REF_HOME;

export interface GuidRef { href: string; sourcedId: string; type: RefType }

/** Where references point (`href` is required by the binding; a CSV export never writes it). */
export interface Hrefs { rostering: string; gradebook: string }

export const hrefsOf = (baseUrl: string, rosteringPath = ROSTERING_PATH, gradebookPath = GRADEBOOK_PATH): Hrefs => ({
  rostering: `${baseUrl.replace(/\/+$/, '')}${rosteringPath}`, gradebook: `${baseUrl.replace(/\/+$/, '')}${gradebookPath}`,
});

/** What every mapping function needs besides the record. */
export interface MapOptions {
  hrefs: Hrefs;
  /** `+03:00`: canonical dates are school-local. */
  utcOffset: string;
  /** The org sourcedId of a gateway school. */
  orgOf(schoolId: string): string;
}

export function ref(o: MapOptions, type: RefType, sourcedId: string): GuidRef {
  const [service, collection] = REF_HOME[type];
  return { href: `${o.hrefs[service]}/${collection}/${encodeURIComponent(sourcedId)}`, sourcedId, type };
}

/**
 * A school-local date as the UTC instant of its local midnight (`2025-09-01` at +03:00 →
 * `2025-08-31T21:00:00Z`). Something that is not a date comes back as it is, so the schema check
 * of the body names the field instead of the mapping throwing.
 */
export function localMidnightUtc(date: string, utcOffset: string): string {
  const t = Date.parse(`${date}T00:00:00Z`) - offsetMinutes(utcOffset) * 60_000;
  return /^\d{4}-\d{2}-\d{2}$/.test(date) && !Number.isNaN(t) ? isoSeconds(t) : date;
}

/** The school-local date of a UTC instant (or the input as it is when it is not one). */
export function localDateOf(isoUtc: string, utcOffset: string): string {
  const t = Date.parse(isoUtc);
  return Number.isNaN(t) ? isoUtc : new Date(t + offsetMinutes(utcOffset) * 60_000).toISOString().slice(0, 10);
}

/** ISO 8601 UTC without milliseconds when they are zero. */
export function isoSeconds(t: number): string {
  return new Date(t).toISOString().replace(/\.000Z$/, 'Z');
}

/** Canonical `dateLastModified` normalised to the same shape. */
export function modifiedOf(rec: Obj): string {
  const t = Date.parse(String(rec.dateLastModified));
  return Number.isNaN(t) ? String(rec.dateLastModified) : isoSeconds(t);
}

export const statusOf = (rec: Obj): 'active' | 'tobedeleted' => (rec.status === 'tobedeleted' ? 'tobedeleted' : 'active');

/** `ext:` code for OneRoster's extensible vocabularies (pattern `ext:[a-zA-Z0-9.\-_]+`). */
export function orExt(token: string): string {
  const t = token.replace(/^ext:/, '').replace(/[^a-zA-Z0-9._-]/g, '-').replace(/^-+|-+$/g, '');
  return `ext:${t || 'other'}`;
}

/**
 * `dateLastModified` of derived objects whose content is fixed by their sourcedId (categories,
 * the homeroom course): they never change, and every PUT of one must carry the same body, so
 * re-sending it is a no-op for the consumer whatever record made the gateway send it.
 */
export const FIXED_MODIFIED = '2000-01-01T00:00:00Z';

/** Key under `metadata` for what the gateway adds (OneRoster metadata is an open extension object). */
export const META_KEY = 'diaryGateway';

/**
 * `metadata: {diaryGateway: {...}}`: the canonical entity, the record's revision (the version a
 * consumer can order by when `dateLastModified` ties) and the fields OneRoster has no place for.
 * Undefined values are dropped. The source adapter's own `metadata` is not copied: it is the
 * journal's, unvetted, and may hold what must not leave the gateway.
 */
export function metadataOf(rec: Obj, extra: Obj = {}): Obj {
  const inner: Obj = { entity: rec.entityType };
  if (typeof rec.revision === 'number') inner.revision = rec.revision;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) inner[k] = v;
  return { [META_KEY]: inner };
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
