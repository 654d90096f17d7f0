import type { RunContext, SourceMessage } from '../../src/core/adapter';
import type { Cursor } from '../../src/core/cursor';
import { GatewayError } from '../../src/core/errors';
import type { DnevnikClient } from './client';
import { addDays } from './dates';
import { idOf, isObject, listOf, type Mapped, type MapContext } from './streams/common';
import { mapFinalMarks } from './streams/final-marks';
import { bellsOf, mapJournalWeek, workTypesOf, type JournalWeek } from './streams/journal';
import { scheduleToWeek } from './streams/schedules';
import { mapPeriods, type PeriodRange } from './streams/periods';
import { contextOf, mapGroup, mapStudents, mapSubjects, mapTeachers, type GroupInfo } from './streams/roster';
import type { DnevnikConfig, ResolvedDnevnikConfig } from './spec';
import { isFutureCursor, refreshCursor, weekCursor, weekWindow } from './window';
import { emitMapped } from '../../src/infra/adapter-kit/mapping';

export interface ReadEnv {
  ctx: RunContext<DnevnikConfig>;
  cfg: ResolvedDnevnikConfig;
  client: DnevnikClient;
  stream: string;
}

const mapCtx = (env: ReadEnv): MapContext => ({ ids: env.ctx.ids, utcOffset: env.cfg.utcOffset });

/** Mapped results → messages; `seen` drops repeats within one read (a teacher of both classes). */
export function emit(stream: string, mapped: readonly Mapped[], seen?: Set<string>): Generator<SourceMessage> {
  return emitMapped('Дневник.ру', stream, mapped, seen);
}

function listBody(body: unknown, what: string, ...keys: string[]): unknown[] {
  const list = listOf(body, ...keys);
  if (!list) throw new GatewayError('GW_SRC_PROTOCOL', `Дневник.ру ${what}: answer is not a list`);
  return list;
}

/** School and class groups: the config's, else what `users/me/context` lists (type Group). */
export async function scope(env: ReadEnv): Promise<{ schoolId: string; groups: GroupInfo[]; personId?: string }> {
  const c = contextOf(await env.client.get('users/me/context', '/v2/users/me/context'));
  const schoolId = env.cfg.schoolId ?? c.schoolIds[0];
  if (!schoolId) throw new GatewayError('GW_SRC_NOT_FOUND', 'Дневник.ру users/me/context lists no school; set schoolId');
  const wanted = env.cfg.eduGroupIds;
  const groups = wanted
    ? wanted.map((id) => c.groups.find((g) => g.id === id) ?? { id, name: id, type: 'Group', raw: null })
    : c.groups.filter((g) => g.type === 'Group');
  if (groups.length === 0) throw new GatewayError('GW_SRC_NOT_FOUND', 'Дневник.ру: the token sees no class group; set eduGroupIds');
  return { schoolId, groups, ...(c.personId ? { personId: c.personId } : {}) };
}

/** `person-schedules` mode: the configured persons (else the token's own) who study in group `g`. */
async function personsIn(env: ReadEnv, groupId: string, own: string | undefined): Promise<string[]> {
  const wanted = env.cfg.personIds ?? (own ? [own] : []);
  const body = await env.client.get(`edu-groups/${groupId}/students`, '/v2/edu-groups/{g}/students');
  const inGroup = new Set(listBody(body, 'students', 'persons').flatMap((p) => {
    const id = isObject(p) ? idOf(p, 'id') : undefined;
    return id ? [id] : [];
  }));
  return wanted.filter((p) => inGroup.has(p));
}

/** One group-week of journal input, from the group endpoints or from each person's schedule. */
async function journalWeek(env: ReadEnv, groupId: string, persons: readonly string[], week: string): Promise<JournalWeek> {
  const { client, cfg } = env;
  const fromDt = `${week}T00:00:00`;
  const toDt = `${addDays(week, 6)}T23:59:59`;
  if (cfg.journalSource === 'person-schedules') {
    const out: { lessons: unknown[]; marks: unknown[]; logEntries: unknown[] } = { lessons: [], marks: [], logEntries: [] };
    for (const p of persons) {
      const body = await client.get(`persons/${p}/groups/${groupId}/schedules`, '/v2/persons/{p}/groups/{g}/schedules', { startDate: fromDt, endDate: toDt });
      const w = scheduleToWeek(body, cfg.scheduleShape);
      out.lessons.push(...w.lessons);
      out.marks.push(...w.marks);
      out.logEntries.push(...w.logEntries);
    }
    return out;
  }
  const lessons = await client.get(`edu-groups/${groupId}/lessons/${week}/${addDays(week, 6)}`, '/v2/edu-groups/{g}/lessons/{from}/{to}');
  const marks = await client.get(`edu-groups/${groupId}/marks/${fromDt}/${toDt}`, '/v2/edu-groups/{g}/marks/{from}/{to}');
  const entries = await client.get(`lesson-log-entries/group/${groupId}`, '/v2/lesson-log-entries/group/{g}', { from: fromDt, to: toDt });
  return {
    lessons: listBody(lessons, 'lessons', 'lessons'), marks: listBody(marks, 'marks', 'marks'),
    logEntries: listBody(entries, 'lesson-log-entries', 'lessonLogEntries', 'logEntries'),
  };
}

async function periodsOf(env: ReadEnv, groupId: string): Promise<{ mapped: Mapped[]; ranges: PeriodRange[] }> {
  const body = await env.client.get(`edu-groups/${groupId}/reporting-periods`, '/v2/edu-groups/{g}/reporting-periods');
  return mapPeriods(listBody(body, 'reporting-periods', 'reportingPeriods'), { ...mapCtx(env), now: env.ctx.now() });
}

/** `reporting_periods`: academic years and terms of each group. Full refresh. */
export async function* readPeriods(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  const now = env.ctx.now();
  if (isFutureCursor(from, now)) return;
  const { groups } = await scope(env);
  const seen = new Set<string>();
  for (const g of groups) yield* emit(env.stream, (await periodsOf(env, g.id)).mapped, seen);
  yield { kind: 'checkpoint', stream: env.stream, cursor: refreshCursor(now) };
}

/** `roster`: groups, students, memberships, subjects, teachers and what they teach. Full refresh. */
export async function* readRoster(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  const now = env.ctx.now();
  if (isFutureCursor(from, now)) return;
  const { groups } = await scope(env);
  const seen = new Set<string>();
  const mc = mapCtx(env);
  for (const g of groups) {
    const { ranges } = await periodsOf(env, g.id);
    const year = ranges.find((r) => r.start <= now.toISOString().slice(0, 10) && now.toISOString().slice(0, 10) <= r.end)?.year ?? ranges[0]?.year;
    const yearRanges = ranges.filter((r) => r.year === year);
    const beginDate = yearRanges.map((r) => r.start).sort()[0] ?? `${now.getUTCMonth() >= 7 ? now.getUTCFullYear() : now.getUTCFullYear() - 1}-09-01`;
    const yc = { ...mc, ...(year !== undefined ? { academicYearSourceId: String(year) } : {}) };
    yield* emit(env.stream, [mapGroup(g, yc)], seen);
    const subjects = await env.client.get(`edu-groups/${g.id}/subjects`, '/v2/edu-groups/{g}/subjects');
    yield* emit(env.stream, mapSubjects(listBody(subjects, 'subjects')), seen);
    const students = await env.client.get(`edu-groups/${g.id}/students`, '/v2/edu-groups/{g}/students');
    yield* emit(env.stream, mapStudents(listBody(students, 'students', 'persons'), g.id, beginDate, mc), seen);
    const teachers = await env.client.get(`edu-groups/${g.id}/teachers`, '/v2/edu-groups/{g}/teachers');
    yield* emit(env.stream, mapTeachers(listBody(teachers, 'teachers', 'Teachers'), g.id, env.cfg.pascalCaseEndpoints, yc), seen);
  }
  yield { kind: 'checkpoint', stream: env.stream, cursor: refreshCursor(now) };
}

/**
 * `journal`: per group and week, lessons with their works, marks and lesson log entries (from
 * the group endpoints, or from each person's schedule in `person-schedules` mode), times from
 * `timetables`; a checkpoint after each week (window.ts).
 */
export async function* readJournal(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  const { ctx, cfg, client, stream } = env;
  const win = weekWindow({ now: ctx.now(), utcOffset: cfg.utcOffset, weeksBack: cfg.weeksBack, weeksAhead: cfg.weeksAhead, lookbackWeeks: cfg.lookbackWeeks, from, ...(ctx.since ? { since: ctx.since } : {}) });
  if (win.weeks.length === 0) return;
  const { schoolId, groups, personId } = await scope(env);
  const workTypes = workTypesOf(listBody(await client.get(`work-types/${schoolId}`, '/v2/work-types/{school}'), 'work-types', 'workTypes'), cfg.workTypeTitleField);
  const perGroup = [];
  for (const g of groups) {
    const bells = bellsOf(await client.get(`edu-groups/${g.id}/timetables`, '/v2/edu-groups/{g}/timetables'), cfg.pascalCaseEndpoints);
    const persons = cfg.journalSource === 'person-schedules' ? await personsIn(env, g.id, personId) : [];
    perGroup.push({ g, bells, persons });
  }
  const seen = new Set<string>();
  for (const week of win.weeks) {
    if (ctx.signal.aborted) return;
    for (const { g, bells, persons } of perGroup) {
      yield* emit(stream, mapJournalWeek(await journalWeek(env, g.id, persons, week),
        { ...mapCtx(env), groupId: g.id, today: win.today, bells, workTypes, emitPresent: cfg.emitPresent }), seen);
    }
    yield { kind: 'checkpoint', stream, cursor: weekCursor(week, win) };
  }
}

/** `final_marks`: period and annual marks of each group (`edu-groups/{g}/final-marks`). Full refresh. */
export async function* readFinalMarks(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  const now = env.ctx.now();
  if (isFutureCursor(from, now)) return;
  const { groups } = await scope(env);
  const seen = new Set<string>();
  for (const g of groups) {
    const body = await env.client.get(`edu-groups/${g.id}/final-marks`, '/v2/edu-groups/{g}/final-marks');
    yield* emit(env.stream, mapFinalMarks(listBody(body, 'final-marks', 'finalMarks'), mapCtx(env)), seen);
  }
  yield { kind: 'checkpoint', stream: env.stream, cursor: refreshCursor(now) };
}
