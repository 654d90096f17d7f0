/**
 * A OneRoster CSV row (portal-and-standards §B1, CSV binding) → the object the REST binding
 * would send, so one set of mapping functions serves both:
 * - `<x>SourcedId` → `x: {sourcedId, type}` (a GUIDRef), `<x>SourcedIds` → `xs: [GUIDRef…]`;
 * - list columns (grades, subjects, subjectCodes, periods) → arrays; numbers → numbers;
 * - `userIds` `{type:identifier},…` → `[{type, identifier}]`; `scoreScaleValue` `{lhs:rhs},…` → value pairs;
 * - `metadata.<key>` columns → `metadata: {key}`; blank cells are left out (a blank status is active);
 * - a line item's `academicSessionSourcedId` (1.2) and `gradingPeriodSourcedId` (1.1) both keep their meaning.
 */

type Row = Record<string, string>;
type Obj = Record<string, unknown>;

/** Referenced object type of a `<x>SourcedId` column, for the GUIDRef `type` (REST shape). */
const REF_TYPES: Readonly<Record<string, string>> = {
  class: 'class', school: 'org', org: 'org', user: 'user', course: 'course', parent: 'org', lineItem: 'lineItem',
  student: 'user', category: 'category', academicSession: 'academicSession', gradingPeriod: 'academicSession',
  scoreScale: 'scoreScale', schoolYear: 'academicSession', primaryOrg: 'org', term: 'academicSession', agent: 'user',
};

const LISTS = new Set(['grades', 'subjects', 'subjectCodes', 'periods']);
const NUMBERS = new Set(['score', 'weight', 'resultValueMin', 'resultValueMax']);

/** Splits a CSV list cell: comma-separated, optionally in brackets or quotes. */
export function splitList(v: string): string[] {
  return v.replace(/^\[|\]$/g, '').split(',').map((x) => x.trim().replace(/^"|"$/g, '')).filter(Boolean);
}

/** `{type:identifier},{type:identifier}` pairs (userIds, scoreScaleValue). */
export function splitPairs(v: string): [string, string][] {
  const out: [string, string][] = [];
  for (const m of v.matchAll(/\{([^{}:]*):([^{}]*)\}/g)) out.push([(m[1] as string).trim(), (m[2] as string).trim()]);
  return out;
}

/**
 * The REST-shaped object of one CSV row of `file`. For a 1.2 users row (no `role` column) the
 * roles come from roles.csv (`roles`), joined by the caller.
 */
export function objectOfRow(file: string, row: Row, roles?: Obj[]): Obj {
  const o: Obj = {};
  const metadata: Obj = {};
  for (const [k, raw] of Object.entries(row)) {
    const v = typeof raw === 'string' ? raw.trim() : '';
    if (v === '') continue;
    if (k.startsWith('metadata.')) { metadata[k.slice(9)] = v; continue; }
    let m = /^(.+)SourcedIds$/.exec(k);
    if (m) {
      const key = m[1] as string;
      o[`${key}s`] = splitList(v).map((id) => ({ sourcedId: id, type: REF_TYPES[key] ?? key }));
      continue;
    }
    m = /^(.+)SourcedId$/.exec(k);
    if (m) { const key = m[1] as string; o[key] = { sourcedId: v, type: REF_TYPES[key] ?? key }; continue; }
    if (LISTS.has(k)) { o[k] = splitList(v); continue; }
    if (NUMBERS.has(k)) { o[k] = /^-?\d+(?:\.\d+)?$/.test(v) ? Number(v) : v; continue; }
    if (k === 'userIds') { o[k] = splitPairs(v).map(([type, identifier]) => ({ type, identifier })); continue; }
    if (k === 'scoreScaleValue') { o[k] = splitPairs(v).map(([itemValueLHS, itemValueRHS]) => ({ itemValueLHS, itemValueRHS })); continue; }
    o[k] = v;
  }
  if (Object.keys(metadata).length > 0) o.metadata = metadata;
  if (file === 'users' && o.role === undefined && roles) o.roles = roles;
  return o;
}

/** A roles.csv row → `RoleDType` (`{roleType, role, org, beginDate, endDate}`) and its user. */
export function roleOfRow(row: Row): { userId: string; role: Obj } | undefined {
  const userId = row.userSourcedId?.trim();
  const role = row.role?.trim();
  if (!userId || !role) return undefined;
  const o: Obj = { roleType: row.roleType?.trim() || 'primary', role };
  if (row.orgSourcedId?.trim()) o.org = { sourcedId: row.orgSourcedId.trim(), type: 'org' };
  if (row.beginDate?.trim()) o.beginDate = row.beginDate.trim();
  if (row.endDate?.trim()) o.endDate = row.endDate.trim();
  if (row.status?.trim() === 'tobedeleted') return undefined;
  return { userId, role: o };
}
