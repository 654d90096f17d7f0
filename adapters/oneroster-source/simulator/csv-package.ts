/**
 * Generator of OneRoster 1.2 CSV packages from the demo district, for tests and the demo:
 * `bulk` (every live object; 1.2 writes status `active` and the dates, `blankBulkStatus`
 * leaves them blank as 1.1 did) or `delta` (objects changed after `since`, tobedeleted ones
 * included). Users' roles go to roles.csv and line items' score scales to lineItemScoreScales.csv
 * as in 1.2; manifest.csv declares every file bulk, delta or absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Collection } from '../collections';
import type { DemoDistrict, Obj } from './data';

/** Columns of each file (portal-and-standards §B1, CSV binding; demographics trimmed to what the demo fills). */
export const CSV_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  orgs: ['name', 'type', 'identifier', 'parentSourcedId'],
  academicSessions: ['title', 'type', 'startDate', 'endDate', 'parentSourcedId', 'schoolYear'],
  courses: ['schoolYearSourcedId', 'title', 'courseCode', 'grades', 'orgSourcedId', 'subjects', 'subjectCodes'],
  classes: ['title', 'grades', 'courseSourcedId', 'classCode', 'classType', 'location', 'schoolSourcedId', 'termSourcedIds', 'subjects', 'subjectCodes', 'periods'],
  users: ['enabledUser', 'username', 'userIds', 'givenName', 'familyName', 'middleName', 'identifier', 'email', 'sms', 'phone', 'agentSourcedIds', 'grades', 'password', 'userMasterIdentifier', 'preferredFirstName', 'preferredMiddleName', 'preferredLastName', 'primaryOrgSourcedId', 'pronouns'],
  roles: ['userSourcedId', 'roleType', 'role', 'beginDate', 'endDate', 'orgSourcedId', 'userProfileSourcedId'],
  demographics: ['birthDate', 'sex'],
  enrollments: ['classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role', 'primary', 'beginDate', 'endDate'],
  categories: ['title', 'weight'],
  lineItems: ['title', 'description', 'assignDate', 'dueDate', 'classSourcedId', 'categorySourcedId', 'academicSessionSourcedId', 'resultValueMin', 'resultValueMax', 'schoolSourcedId'],
  lineItemScoreScales: ['lineItemSourcedId', 'scoreScaleSourcedId'],
  results: ['lineItemSourcedId', 'studentSourcedId', 'scoreStatus', 'score', 'scoreDate', 'comment', 'textScore', 'classSourcedId', 'inProgress', 'incomplete', 'late', 'missing'],
  scoreScales: ['title', 'type', 'courseSourcedId', 'classSourcedId', 'scoreScaleValue'],
};

/** Files of the 1.2 binding the generator never writes (declared absent). */
const OTHER_FILES = ['classResources', 'courseResources', 'resources', 'userResources', 'userProfiles', 'resultScoreScales', 'lineItemLearningObjectiveIds', 'resultLearningObjectiveIds'];

export function csvCell(v: unknown): string {
  let s: string;
  if (v === undefined || v === null) s = '';
  else if (Array.isArray(v)) s = v.map((x) => csvListItem(x)).join(',');
  else if (typeof v === 'object') s = String((v as Obj).sourcedId ?? '');
  else s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvListItem(x: unknown): string {
  if (typeof x !== 'object' || x === null) return String(x);
  const o = x as Obj;
  if ('identifier' in o) return `{${String(o.type)}:${String(o.identifier)}}`;
  if ('itemValueLHS' in o) return `{${String(o.itemValueLHS)}:${String(o.itemValueRHS)}}`;
  return String(o.sourcedId ?? '');
}

/** The value of CSV column `col` of a wire object (`classSourcedId` → `class.sourcedId`, …). */
function valueOf(o: Obj, col: string): unknown {
  if (col === 'academicSessionSourcedId') return o.academicSession ?? o.gradingPeriod;
  const many = /^(.+)SourcedIds$/.exec(col);
  if (many) return o[`${many[1] as string}s`];
  const one = /^(.+)SourcedId$/.exec(col);
  return one ? o[one[1] as string] : o[col];
}

type Rows = Record<string, Obj[]>;

function rowsOf(district: DemoDistrict, keep: (o: Obj) => boolean): Rows {
  const rows: Rows = {};
  const add = (file: string, o: Obj): void => { (rows[file] ??= []).push(o); };
  for (const [c, list] of Object.entries(district.data) as [Collection, Obj[]][]) {
    for (const o of list) {
      if (!keep(o)) continue;
      add(c, o);
      if (c === 'users') {
        for (const [i, r] of ((o.roles ?? []) as Obj[]).entries()) {
          add('roles', { sourcedId: `${o.sourcedId as string}-role-${i + 1}`, status: o.status, dateLastModified: o.dateLastModified, user: { sourcedId: o.sourcedId }, ...r });
        }
      }
      if (c === 'lineItems' && o.scoreScale) {
        add('lineItemScoreScales', { sourcedId: `${o.sourcedId as string}-ss`, status: o.status, dateLastModified: o.dateLastModified, lineItem: { sourcedId: o.sourcedId }, scoreScale: o.scoreScale });
      }
    }
  }
  return rows;
}

export interface CsvPackageOptions {
  mode: 'bulk' | 'delta';
  /** Delta: objects modified strictly after this instant. */
  since?: string;
  /** Bulk: leave status and dateLastModified blank (the 1.1 way). */
  blankBulkStatus?: boolean;
  systemName?: string;
}

/** Writes one package into `dir` (created); returns the files written with their row counts. */
export function writeCsvPackage(dir: string, district: DemoDistrict, o: CsvPackageOptions): Record<string, number> {
  fs.mkdirSync(dir, { recursive: true });
  const since = o.since !== undefined ? Date.parse(o.since) : -Infinity;
  const rows = o.mode === 'bulk'
    ? rowsOf(district, (x) => x.status !== 'tobedeleted')
    : rowsOf(district, (x) => Date.parse(String(x.dateLastModified)) > since);
  const counts: Record<string, number> = {};
  const manifest: [string, string][] = [['manifest.version', '1.0'], ['oneroster.version', '1.2']];
  for (const [file, cols] of Object.entries(CSV_COLUMNS)) {
    const list = rows[file] ?? [];
    if (list.length === 0) { manifest.push([`file.${file}`, 'absent']); continue; }
    const header = ['sourcedId', 'status', 'dateLastModified', ...cols];
    const blank = o.mode === 'bulk' && o.blankBulkStatus;
    const lines = [header.join(','), ...list.map((x) => [
      csvCell(x.sourcedId), blank ? '' : csvCell(x.status), blank ? '' : csvCell(x.dateLastModified), ...cols.map((c) => csvCell(valueOf(x, c))),
    ].join(','))];
    fs.writeFileSync(path.join(dir, `${file}.csv`), `${lines.join('\r\n')}\r\n`);
    manifest.push([`file.${file}`, o.mode]);
    counts[file] = list.length;
  }
  for (const f of OTHER_FILES) manifest.push([`file.${f}`, 'absent']);
  manifest.push(['source.systemName', o.systemName ?? 'Демонстрационный OneRoster'], ['source.systemCode', 'demo-oneroster']);
  fs.writeFileSync(path.join(dir, 'manifest.csv'), `${['propertyName,value', ...manifest.map(([k, v]) => `${csvCell(k)},${csvCell(v)}`)].join('\r\n')}\r\n`);
  return counts;
}
