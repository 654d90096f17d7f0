import type { RunContext, SourceMessage } from '../../src/core/adapter';
import type { Cursor } from '../../src/core/cursor';
import { GatewayError } from '../../src/core/errors';
import type { EljurClient } from './client';
import { addDays, daysParam, localDate } from './dates';
import type { EljurConfig, ResolvedEljurConfig } from './spec';
import type { Mapped, MapContext } from './streams/common';
import { mapDiary } from './streams/diary';
import { mapFinals } from './streams/finals';
import { mapMarks } from './streams/marks';
import { mapPeriods, periodsOf, schoolYearOf, type SchoolYearInfo } from './streams/periods';
import { mapRules, studentsOfRules, type RulesStudent } from './streams/roster';
import { isFutureCursor, weekCursor, weekWindow } from './window';
import { emitMapped } from '../../src/infra/adapter-kit/mapping';

export interface ReadEnv {
  ctx: RunContext<EljurConfig>;
  cfg: ResolvedEljurConfig;
  client: EljurClient;
  stream: string;
}

const mapContext = (env: ReadEnv): MapContext => ({ ids: env.ctx.ids, utcOffset: env.cfg.utcOffset });

/** Mapped → messages; `seen` drops repeats within one read (a class's lessons come once per student). */
export function emit(stream: string, mapped: readonly Mapped[], seen?: Set<string>): Generator<SourceMessage> {
  return emitMapped('ЭлЖур', stream, mapped, seen);
}

async function students(env: ReadEnv): Promise<{ rules: unknown; list: RulesStudent[] }> {
  const rules = await env.client.call<unknown>('getrules');
  return { rules, list: studentsOfRules(rules) };
}

/** Periods of the school (getperiods for the first student) and the school year they span. */
async function periods(env: ReadEnv, first: RulesStudent | undefined): Promise<{ raw: unknown; year: SchoolYearInfo | undefined }> {
  const raw = await env.client.call<unknown>('getperiods', { ...(first ? { student: first.id } : {}), show_disabled: true });
  return { raw, year: schoolYearOf(periodsOf(raw).infos) };
}

function requireYear(year: SchoolYearInfo | undefined): SchoolYearInfo {
  if (!year) throw new GatewayError('GW_SRC_NOT_FOUND', 'ЭлЖур getperiods: no periods with dates for this account');
  return year;
}

/** `periods`: academic year and reporting periods (getperiods). Full refresh. */
export async function* readPeriods(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  if (isFutureCursor(from, env.ctx.now())) return;
  const signpost = env.ctx.now().toISOString();
  const { list } = await students(env);
  const p = await periods(env, list[0]);
  yield* emit(env.stream, mapPeriods(p.raw, localDate(env.ctx.now(), env.cfg.utcOffset), mapContext(env)), new Set());
  yield { kind: 'checkpoint', stream: env.stream, cursor: { v: 1, position: signpost, signpost } };
}

/** `roster`: classes, homeroom teachers, students and memberships (getrules). Full refresh. */
export async function* readRoster(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  if (isFutureCursor(from, env.ctx.now())) return;
  const signpost = env.ctx.now().toISOString();
  const { rules, list } = await students(env);
  const year = requireYear((await periods(env, list[0])).year);
  yield* emit(env.stream, mapRules(rules, { ...mapContext(env), yearKey: year.key, yearStart: year.start }), new Set());
  yield { kind: 'checkpoint', stream: env.stream, cursor: { v: 1, position: signpost, signpost } };
}

/** `diary` (getdiary, rings) and `marks` (getmarks): week by week for every student. */
export async function* readWeekly(env: ReadEnv, from: Cursor | null, which: 'diary' | 'marks'): AsyncGenerator<SourceMessage> {
  const { ctx, cfg, stream } = env;
  const base = {
    now: ctx.now(), utcOffset: cfg.utcOffset, weeksBack: cfg.weeksBack, weeksAhead: which === 'marks' ? 0 : cfg.weeksAhead,
    lookbackWeeks: cfg.lookbackWeeks, from, ...(ctx.since ? { since: ctx.since } : {}),
  };
  if (weekWindow(base).weeks.length === 0) return;
  const { list } = await students(env);
  const year = requireYear((await periods(env, list[0])).year);
  const win = weekWindow({ ...base, floor: year.start });
  const seen = new Set<string>();
  for (const week of win.weeks) {
    if (ctx.signal.aborted) return;
    const end = which === 'marks' && addDays(week, 6) > win.today ? win.today : addDays(week, 6);
    for (const s of list) {
      if (which === 'diary') {
        if (!s.className) continue;
        const raw = await env.client.call<unknown>('getdiary', { student: s.id, days: daysParam(week, end), rings: true });
        yield* emit(stream, mapDiary(raw, { ...mapContext(env), studentId: s.id, className: s.className, yearKey: year.key, today: win.today }), seen);
      } else {
        const raw = await env.client.call<unknown>('getmarks', { student: s.id, days: daysParam(week, end) });
        yield* emit(stream, mapMarks(raw, { ...mapContext(env), absenceCodes: cfg.absenceCodes, periods: year.periods }), seen);
      }
    }
    yield { kind: 'checkpoint', stream, cursor: weekCursor(week, win) };
  }
}

/** `final_assessments`: period, annual and final marks of the current year (getfinalassessments). Full refresh. */
export async function* readFinals(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  if (isFutureCursor(from, env.ctx.now())) return;
  const signpost = env.ctx.now().toISOString();
  const { list } = await students(env);
  const year = requireYear((await periods(env, list[0])).year);
  const seen = new Set<string>();
  for (const s of list) {
    const raw = await env.client.call<unknown>('getfinalassessments', { student: s.id, days: daysParam(year.start, year.end) });
    yield* emit(env.stream, mapFinals(raw, { ...mapContext(env), year }), seen);
  }
  yield { kind: 'checkpoint', stream: env.stream, cursor: { v: 1, position: signpost, signpost } };
}
