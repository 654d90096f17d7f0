import type { RunContext, SourceMessage } from '../../src/core/adapter';
import type { Cursor } from '../../src/core/cursor';
import { GatewayError } from '../../src/core/errors';
import type { MeshClient } from './client';
import { localDate } from './dates';
import { academicYearKey, type Mapped, type StudentInfo } from './streams/common';
import { mapCalendar } from './streams/calendar';
import { eventsOf, mapEvent } from './streams/events';
import { mapHomework } from './streams/homework';
import { mapMarks, payloadOf } from './streams/marks';
import { childrenOf, mapChild, mapSubjects } from './streams/roster';
import { mapAcademicYear, mapSubjectMarks } from './streams/subject-marks';
import type { MeshConfig, ResolvedMeshConfig } from './spec';
import { dayCursor, dayWindow, isFutureCursor } from './window';
import { emitMapped } from '../../src/infra/adapter-kit/mapping';

export interface ReadEnv {
  ctx: RunContext<MeshConfig>;
  cfg: ResolvedMeshConfig;
  client: MeshClient;
  stream: string;
}

interface Child { info: StudentInfo; raw: Record<string, unknown>; personKey: string }

/** Mapped results → messages; `seen` drops repeats within a read (a class's lessons come once per student). */
export function emit(stream: string, mapped: readonly Mapped[], seen: Set<string>): Generator<SourceMessage> {
  return emitMapped('МЭШ', stream, mapped, seen);
}

/** The profile's children (restricted to `studentIds` when set). */
export async function children(env: ReadEnv): Promise<Child[]> {
  const raw = await env.client.family<unknown>('profile', {}, 'profile');
  if (!raw || typeof raw !== 'object' || !Array.isArray((raw as { children?: unknown }).children)) {
    throw new GatewayError('GW_SRC_PROTOCOL', 'МЭШ family/mobile/v1/profile: answer has no children list');
  }
  const only = env.cfg.studentIds ? new Set(env.cfg.studentIds) : undefined;
  return childrenOf(raw).filter((c) => !only || only.has(c.info.id)).map((c) => ({
    ...c, personKey: typeof c.raw.contingent_guid === 'string' && c.raw.contingent_guid !== '' ? c.raw.contingent_guid : String(c.info.id),
  }));
}

const mapCtx = (env: ReadEnv) => ({ ids: env.ctx.ids, utcOffset: env.cfg.utcOffset });
const today = (env: ReadEnv): string => localDate(env.ctx.now(), env.cfg.utcOffset);
const fullRefreshCheckpoint = (stream: string, signpost: string): SourceMessage => ({ kind: 'checkpoint', stream, cursor: { v: 1, position: signpost, signpost } });

/** `roster`: class groups, students, memberships (profile) and subjects (subjects/list, one student per class). Full refresh. */
export async function* readRoster(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  if (isFutureCursor(from, env.ctx.now())) return;
  const signpost = env.ctx.now().toISOString();
  const t = today(env);
  const yearKey = academicYearKey(t);
  const seen = new Set<string>();
  yield* emit(env.stream, [mapAcademicYear(yearKey, t)], seen);
  const kids = await children(env);
  const classesDone = new Set<number | undefined>();
  for (const c of kids) {
    yield* emit(env.stream, mapChild(c.raw, { ids: env.ctx.ids, yearKey, yearStart: `${yearKey.slice(0, 4)}-09-01` }), seen);
    if (classesDone.has(c.info.classUnitId)) continue;
    classesDone.add(c.info.classUnitId);
    yield* emit(env.stream, mapSubjects(await env.client.family<unknown>('subjects/list', { student_id: c.info.id })), seen);
  }
  yield fullRefreshCheckpoint(env.stream, signpost);
}

type DatedCall = (env: ReadEnv, c: Child, fromDate: string, toDate: string, t: string) => Promise<Mapped[]>;

/** A dated stream: chunks of days (window.ts), every student per chunk, a checkpoint after each chunk. */
async function* readDated(env: ReadEnv, from: Cursor | null, call: DatedCall): AsyncGenerator<SourceMessage> {
  const { cfg, ctx } = env;
  const win = dayWindow({
    now: ctx.now(), utcOffset: cfg.utcOffset, daysBack: cfg.daysBack, daysAhead: cfg.daysAhead, lookbackDays: cfg.lookbackDays, from,
    ...(ctx.since ? { since: ctx.since } : {}),
  });
  if (win.chunks.length === 0) return;
  const kids = await children(env);
  const seen = new Set<string>();
  for (const chunk of win.chunks) {
    if (ctx.signal.aborted) return;
    for (const c of kids) yield* emit(env.stream, await call(env, c, chunk.from, chunk.to, win.today), seen);
    yield { kind: 'checkpoint', stream: env.stream, cursor: dayCursor(chunk.to, win) };
  }
}

function protocol(path: string): GatewayError {
  return new GatewayError('GW_SRC_PROTOCOL', `МЭШ ${path}: answer is not the list expected`);
}

/** `schedule`: eventcalendar lessons (with `replaced`, `cancelled`) and missed lessons → attendance. */
export function readSchedule(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  return readDated(env, from, async (e, c, f, to, t) => {
    const raw = await e.client.events<unknown>({
      person_ids: c.personKey, begin_date: f, end_date: to,
      expand: 'marks,homework,absence_reason_id,health_status,nonattendance_reason_id',
    });
    const list = eventsOf(raw);
    if (!list) throw protocol('eventcalendar events');
    return list.flatMap((ev) => mapEvent(ev, { ...mapCtx(e), student: c.info, today: t }));
  });
}

/** `marks`: current marks (and their assumed assessments) by lesson date. */
export function readMarks(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  return readDated(env, from, async (e, c, f, to) => {
    const mapped = mapMarks(await e.client.family<unknown>('marks', { student_id: c.info.id, from: f, to }), { ...mapCtx(e), student: c.info, markValueFrom: e.cfg.markValueFrom });
    if (!mapped) throw protocol('family/mobile/v1/marks');
    return mapped;
  });
}

/** `homework`: homeworks/short by due date. */
export function readHomework(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  return readDated(env, from, async (e, c, f, to) => {
    const list = payloadOf(await e.client.family<unknown>('homeworks/short', { student_id: c.info.id, from: f, to, sort_column: 'date', sort_direction: 'asc' }));
    if (!list) throw protocol('family/mobile/v1/homeworks/short');
    return list.flatMap((h) => mapHomework(h, { ...mapCtx(e), student: c.info }) ?? []);
  });
}

/** `subject_marks`: reporting periods, period (fixed_value) and annual (year_mark) marks. Full refresh. */
export async function* readSubjectMarks(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  if (isFutureCursor(from, env.ctx.now())) return;
  const signpost = env.ctx.now().toISOString();
  const t = today(env);
  const seen = new Set<string>();
  yield* emit(env.stream, [mapAcademicYear(academicYearKey(t), t)], seen);
  for (const c of await children(env)) {
    const list = payloadOf(await env.client.family<unknown>('subject_marks', { student_id: c.info.id }));
    if (!list) throw protocol('family/mobile/v1/subject_marks');
    yield* emit(env.stream, list.flatMap((s) => mapSubjectMarks(s, { ...mapCtx(env), student: c.info })), seen);
  }
  yield fullRefreshCheckpoint(env.stream, signpost);
}

/** `calendar`: holidays of the current school year from periods_schedules (first student's calendar). Full refresh. */
export async function* readCalendar(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  if (isFutureCursor(from, env.ctx.now())) return;
  const signpost = env.ctx.now().toISOString();
  const t = today(env);
  const key = academicYearKey(t);
  const seen = new Set<string>();
  yield* emit(env.stream, [mapAcademicYear(key, t)], seen);
  const first = (await children(env))[0];
  if (first) {
    const raw = await env.client.family<unknown>('periods_schedules', { student_id: first.info.id, from: `${key.slice(0, 4)}-09-01`, to: `${key.slice(5)}-08-31` });
    const list = payloadOf(raw);
    if (!list) throw protocol('family/mobile/v1/periods_schedules');
    yield* emit(env.stream, mapCalendar(list, mapCtx(env)), seen);
  }
  yield fullRefreshCheckpoint(env.stream, signpost);
}
