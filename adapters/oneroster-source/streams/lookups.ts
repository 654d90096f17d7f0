/**
 * What one record needs to know of others (a Result's subject is its LineItem's Class's Course):
 * small facts extracted from classes, academic sessions, categories, line items, score scales
 * and demographics. Plain data, so golden tests pass them in `context.json`.
 */
import { dateOf, isObject, numOf, refOf, refsOf, statusOf, textOf } from './common';

export interface ClassInfo { courseId?: string; termIds: string[]; schoolId?: string; classType?: string }
export interface SessionInfo { type?: string; schoolYear?: string; startDate?: string; endDate?: string }
export interface CategoryInfo { title?: string; weight?: number }
export interface LineItemInfo {
  classId?: string; categoryId?: string; gradingPeriodId?: string; academicSessionId?: string;
  scoreScaleId?: string; assignDate?: string; resultValueMax?: number; tobedeleted: boolean;
}
export interface ScoreScaleInfo { title?: string; type?: string; values: [string, string][] }

/** Lookup tables by sourcedId. Missing tables are empty maps. */
export interface LookupTables {
  classes: Map<string, ClassInfo>;
  sessions: Map<string, SessionInfo>;
  categories: Map<string, CategoryInfo>;
  lineItems: Map<string, LineItemInfo>;
  scoreScales: Map<string, ScoreScaleInfo>;
  /** userSourcedId → birth date (demographics share the user's sourcedId). */
  birthDates: Map<string, string>;
}

export function emptyTables(): LookupTables {
  return { classes: new Map(), sessions: new Map(), categories: new Map(), lineItems: new Map(), scoreScales: new Map(), birthDates: new Map() };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

export function classInfoOf(raw: Record<string, unknown>): ClassInfo {
  const courseId = refOf(raw.course);
  const schoolId = refOf(raw.school);
  const classType = str(raw.classType);
  return { termIds: refsOf(raw.terms), ...(courseId ? { courseId } : {}), ...(schoolId ? { schoolId } : {}), ...(classType ? { classType } : {}) };
}

export function sessionInfoOf(raw: Record<string, unknown>): SessionInfo {
  const type = str(raw.type);
  const schoolYear = str(raw.schoolYear);
  const startDate = dateOf(raw.startDate);
  const endDate = dateOf(raw.endDate);
  return { ...(type ? { type } : {}), ...(schoolYear ? { schoolYear } : {}), ...(startDate ? { startDate } : {}), ...(endDate ? { endDate } : {}) };
}

export function categoryInfoOf(raw: Record<string, unknown>): CategoryInfo {
  const title = textOf(raw.title, 200);
  const weight = numOf(raw.weight);
  return { ...(title ? { title } : {}), ...(weight !== undefined ? { weight } : {}) };
}

export function lineItemInfoOf(raw: Record<string, unknown>): LineItemInfo {
  const o: LineItemInfo = { tobedeleted: statusOf(raw.status) === 'tobedeleted' };
  const set = <K extends keyof LineItemInfo>(k: K, v: LineItemInfo[K] | undefined): void => { if (v !== undefined) o[k] = v; };
  set('classId', refOf(raw.class));
  set('categoryId', refOf(raw.category));
  set('gradingPeriodId', refOf(raw.gradingPeriod));
  set('academicSessionId', refOf(raw.academicSession));
  set('scoreScaleId', refOf(raw.scoreScale));
  set('assignDate', str(raw.assignDate));
  set('resultValueMax', numOf(raw.resultValueMax));
  return o;
}

export function scoreScaleInfoOf(raw: Record<string, unknown>): ScoreScaleInfo {
  const title = textOf(raw.title, 200);
  const type = str(raw.type);
  const values = (Array.isArray(raw.scoreScaleValue) ? raw.scoreScaleValue : []).flatMap((v): [string, string][] => {
    if (!isObject(v)) return [];
    const l = str(v.itemValueLHS);
    const r = str(v.itemValueRHS);
    return l !== undefined && r !== undefined ? [[l, r]] : [];
  });
  return { values, ...(title ? { title } : {}), ...(type ? { type } : {}) };
}

/** Birth date of a demographics record (undefined when none or not a date). */
export function birthDateOf(raw: Record<string, unknown>): string | undefined {
  return dateOf(raw.birthDate);
}

/** Lookup tables from JSON (golden `context.json`): `{classes:{id:{…}}, …}`. */
export function tablesFromJson(j: unknown): LookupTables {
  const t = emptyTables();
  if (!isObject(j)) return t;
  const fill = <V>(m: Map<string, V>, o: unknown): void => { if (isObject(o)) for (const [k, v] of Object.entries(o)) m.set(k, v as V); };
  fill(t.classes, j.classes); fill(t.sessions, j.sessions); fill(t.categories, j.categories);
  fill(t.lineItems, j.lineItems); fill(t.scoreScales, j.scoreScales); fill(t.birthDates, j.birthDates);
  return t;
}

/** The schoolYear of a class (through its first term with one). */
export function classYear(tables: LookupTables, classId: string | undefined): string | undefined {
  const c = classId ? tables.classes.get(classId) : undefined;
  for (const id of c?.termIds ?? []) {
    const y = tables.sessions.get(id)?.schoolYear;
    if (y) return y;
  }
  return undefined;
}

/** The earliest start date of a class's terms. */
export function classStart(tables: LookupTables, classId: string | undefined): string | undefined {
  const c = classId ? tables.classes.get(classId) : undefined;
  const starts = (c?.termIds ?? []).flatMap((id) => tables.sessions.get(id)?.startDate ?? []).sort();
  return starts[0];
}

