import type { RunContext, SourceMessage } from '../../../src/core/adapter';
import { GatewayError } from '../../../src/core/errors';
import type { NetschoolClient } from '../client';
import { NetschoolMobileClient } from '../mobile-client';
import { vendorDate } from '../dates';
import { intOf, isObject, textOf, type Mapped, type MapContext } from '../streams/common';
import { mapTerm, type TermRange } from '../streams/school-years';
import type { NetschoolConfig, ResolvedNetschoolConfig } from '../spec';
import { emitMapped } from '../../../src/infra/adapter-kit/mapping';

/** What every stream reader gets. */
export interface ReadEnv {
  ctx: RunContext<NetschoolConfig>;
  cfg: ResolvedNetschoolConfig;
  client: NetschoolClient;
  stream: string;
}

/** The mobile API client (bearer `mobileAccessToken`), or undefined when no token is configured. */
export function mobileClientOf(env: ReadEnv): NetschoolMobileClient | undefined {
  const { cfg, ctx } = env;
  if (!cfg.mobileAccessToken) return undefined;
  const base = cfg.mobileBaseUrl ?? `${new URL(cfg.baseUrl).origin}/api/mobile`;
  return new NetschoolMobileClient(base, cfg.mobileAccessToken, { http: ctx.http, log: ctx.log, now: ctx.now }, cfg.timeoutMs);
}

/** True for errors that mean "this server or token cannot do that" rather than "try again". */
export function isPermanent(e: unknown): e is GatewayError {
  return e instanceof GatewayError && e.errorClass === 'permanent';
}

export function mapContext(env: ReadEnv): MapContext {
  return { ids: env.ctx.ids, utcOffset: env.cfg.utcOffset };
}

/**
 * Mapped results → source messages. `seen` drops repeats within one read: a class's lessons
 * and assignments come once per student.
 */
export function emit(stream: string, mapped: readonly Mapped[], seen?: Set<string>): Generator<SourceMessage> {
  return emitMapped('NetSchool', stream, mapped, seen);
}

export interface YearInfo { id: number; startDate?: string; endDate?: string; raw: unknown }

export async function currentYear(client: NetschoolClient): Promise<YearInfo> {
  const raw = await client.get<unknown>('years/current');
  const id = isObject(raw) ? intOf(raw.id) : undefined;
  if (!isObject(raw) || id === undefined) throw new GatewayError('GW_SRC_PROTOCOL', 'NetSchool years/current: no year id');
  const startDate = vendorDate(raw.startDate);
  const endDate = vendorDate(raw.endDate);
  return { id, raw, ...(startDate ? { startDate } : {}), ...(endDate ? { endDate } : {}) };
}

export interface DiaryStudent { id: number; className?: string; raw: unknown }

/** Students the account sees: diary/init, falling back to context/students (teacher-like accounts). */
export async function students(client: NetschoolClient): Promise<DiaryStudent[]> {
  const init = await client.get<unknown>('student/diary/init');
  let list: unknown[] = isObject(init) && Array.isArray(init.students) ? init.students : [];
  if (list.length === 0) {
    const ctxStudents = await client.get<unknown>('context/students');
    list = Array.isArray(ctxStudents) ? ctxStudents : [];
  }
  return list.flatMap((s) => {
    const id = isObject(s) ? intOf(s.studentId ?? s.id) : undefined;
    if (!isObject(s) || id === undefined) return [];
    const className = textOf(s.className, 100);
    return [{ id, raw: s, ...(className ? { className } : {}) }];
  });
}

/**
 * `grade/assignment/types`: typeId → name. `all=false` is what every client sends (the types in
 * use); `all=true` is asked once when a diary names a type missing from that list.
 */
export async function assignmentTypes(client: NetschoolClient, all = false): Promise<Map<number, string>> {
  const raw = await client.get<unknown>('grade/assignment/types', { all });
  const map = new Map<number, string>();
  for (const t of Array.isArray(raw) ? raw : []) {
    const id = isObject(t) ? intOf(t.id) : undefined;
    const name = isObject(t) ? textOf(t.name) : undefined;
    if (id !== undefined && name) map.set(id, name);
  }
  return map;
}

/**
 * Terms of the year with their dates, from the report filters (sources §1.6): the TERMID
 * items of `reports/studentGrades`, then `period.range` per term from
 * `v2/reports/studentgrades/initfilters`. Servers without these reports (permanent errors)
 * give no terms: the rest of the read does not depend on them.
 */
export async function terms(env: ReadEnv, yearId: number): Promise<{ mapped: Mapped[]; ranges: TermRange[] }> {
  let filters: unknown;
  try {
    filters = await env.client.get<unknown>('reports/studentGrades');
  } catch (e) {
    if (e instanceof GatewayError && e.errorClass === 'permanent') {
      env.ctx.log.warn('netschool term dates unavailable', { code: e.code });
      return { mapped: [], ranges: [] };
    }
    throw e;
  }
  const sources = isObject(filters) && Array.isArray(filters.filterSources) ? filters.filterSources : [];
  const termFilter = sources.find((f) => isObject(f) && f.filterId === 'TERMID');
  const items = isObject(termFilter) && Array.isArray(termFilter.items) ? termFilter.items : [];
  const mapped: Mapped[] = [];
  const ranges: TermRange[] = [];
  for (const [i, item] of items.entries()) {
    const value = isObject(item) ? item.value : undefined;
    const init = await env.client.call<unknown>('POST', 'v2/reports/studentgrades/initfilters', {
      json: { params: null, selectedData: [{ filterId: 'TERMID', filterValue: value }] },
    });
    const period = Array.isArray(init) ? init.find((f) => isObject(f) && f.filterId === 'period') : undefined;
    const r = mapTerm(item, isObject(period) ? period.range : undefined, yearId, i + 1, mapContext(env));
    mapped.push(r.mapped);
    if (r.term) ranges.push(r.term);
  }
  return { mapped, ranges };
}

/** One student's diary for the Mon–Sun week starting `monday`. */
export function getDiary(client: NetschoolClient, studentId: number, yearId: number, monday: string, weekEnd: string): Promise<unknown> {
  return client.get<unknown>('student/diary', { studentId, yearId, weekStart: monday, weekEnd });
}
