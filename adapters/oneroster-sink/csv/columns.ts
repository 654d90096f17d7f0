/**
 * OneRoster 1.2 CSV binding: the files the export writes, their exact header rows, and the
 * flattening of a REST-shaped object (GUIDRefs, lists) into one row.
 *
 * Headers: portal-and-standards §B1 (a transcription of the 1.2 CSV binding) for results,
 * lineItems, enrollments, academicSessions, categories and roles; orgs, courses and classes as
 * in 1.1 (unchanged in 1.2); users.csv with 1.2's `resourceSourcedIds` and the `preferredGivenName`
 * / `preferredMiddleName` / `preferredFamilyName` spelling of the CSV binding (the REST binding
 * says preferredFirstName/LastName) — from a secondary source, see the README.
 */
import type { Obj } from '../map/common';

const BASE = ['sourcedId', 'status', 'dateLastModified'] as const;

export const CSV_HEADERS = {
  orgs: [...BASE, 'name', 'type', 'identifier', 'parentSourcedId'],
  academicSessions: [...BASE, 'title', 'type', 'startDate', 'endDate', 'parentSourcedId', 'schoolYear'],
  courses: [...BASE, 'schoolYearSourcedId', 'title', 'courseCode', 'grades', 'orgSourcedId', 'subjects', 'subjectCodes'],
  classes: [...BASE, 'title', 'grades', 'courseSourcedId', 'classCode', 'classType', 'location', 'schoolSourcedId', 'termSourcedIds', 'subjects', 'subjectCodes', 'periods'],
  users: [...BASE, 'enabledUser', 'username', 'userIds', 'givenName', 'familyName', 'middleName', 'identifier', 'email', 'sms', 'phone',
    'agentSourcedIds', 'grades', 'password', 'userMasterIdentifier', 'resourceSourcedIds', 'preferredGivenName', 'preferredMiddleName',
    'preferredFamilyName', 'primaryOrgSourcedId', 'pronouns'],
  roles: [...BASE, 'userSourcedId', 'roleType', 'role', 'beginDate', 'endDate', 'orgSourcedId', 'userProfileSourcedId'],
  enrollments: [...BASE, 'classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role', 'primary', 'beginDate', 'endDate'],
  categories: [...BASE, 'title', 'weight'],
  lineItems: [...BASE, 'title', 'description', 'assignDate', 'dueDate', 'classSourcedId', 'categorySourcedId', 'academicSessionSourcedId',
    'resultValueMin', 'resultValueMax', 'schoolSourcedId'],
  results: [...BASE, 'lineItemSourcedId', 'studentSourcedId', 'scoreStatus', 'score', 'scoreDate', 'comment', 'textScore', 'classSourcedId',
    'inProgress', 'incomplete', 'late', 'missing'],
} as const satisfies Record<string, readonly string[]>;

export type CsvFile = keyof typeof CSV_HEADERS;
export const CSV_FILES = Object.keys(CSV_HEADERS) as CsvFile[];

/** Every data file of the 1.2 binding (the manifest names each one, `absent` when not written). */
export const ALL_12_FILES = [
  'academicSessions', 'categories', 'classes', 'classResources', 'courses', 'courseResources', 'demographics', 'enrollments',
  'lineItemLearningObjectiveIds', 'lineItems', 'lineItemScoreScales', 'orgs', 'resources', 'resultLearningObjectiveIds', 'results',
  'resultScoreScales', 'roles', 'scoreScales', 'userProfiles', 'userResources', 'users',
] as const;

const LISTS = new Set(['grades', 'subjects', 'subjectCodes', 'periods']);

/** One cell, RFC 4180 quoted when it holds a comma, a quote or a line break. */
export function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const idOf = (r: unknown): string => (r !== null && typeof r === 'object' ? String((r as Obj).sourcedId ?? '') : typeof r === 'string' ? r : '');

/** The value of CSV column `col` of a REST-shaped object (`classSourcedId` → `class.sourcedId`, …), unquoted. */
export function columnValue(o: Obj, col: string): string {
  if (col === 'academicSessionSourcedId') return idOf(o.academicSession ?? o.gradingPeriod);
  if (col === 'userIds') return Array.isArray(o.userIds) ? o.userIds.map((u) => `{${String((u as Obj).type)}:${String((u as Obj).identifier)}}`).join(',') : '';
  if (LISTS.has(col)) return Array.isArray(o[col]) ? (o[col] as unknown[]).map(String).join(',') : '';
  const many = /^(.+)SourcedIds$/.exec(col);
  if (many) { const v = o[`${many[1] as string}s`]; return Array.isArray(v) ? v.map(idOf).join(',') : ''; }
  const one = /^(.+)SourcedId$/.exec(col);
  if (one) return idOf(o[one[1] as string]);
  const v = o[col];
  return v === undefined || v === null || typeof v === 'object' ? '' : String(v);
}

/** The row of `file` for a REST-shaped object, as quoted cells. */
export function rowOf(file: CsvFile, o: Obj): string[] {
  return CSV_HEADERS[file].map((c) => csvCell(columnValue(o, c)));
}
