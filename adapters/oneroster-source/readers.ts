/**
 * The stream readers, shared by the REST and CSV modes: which collection a stream reads, what
 * lookups a page needs, and how its objects map. The modes differ only in where objects come
 * from and how the cursor moves (index.ts: REST delta window; csv/reader.ts: packages).
 */
import type { RunContext, SourceMessage, StreamSpec } from '../../src/core/adapter';
import { localDate } from '../../src/infra/adapter-kit/dates';
import { emitMapped } from '../../src/infra/adapter-kit/mapping';
import type { Collection } from './collections';
import type { MaxSeen } from './cursor';
import { Lookups, type OneRosterSource } from './source';
import type { OneRosterConfig, ResolvedOneRosterConfig } from './spec';
import { isObject, refOf, sourcedIdOf, type Mapped } from './streams/common';
import { birthDateOf } from './streams/lookups';
import { mapLineItem, mapResult, type GradebookContext } from './streams/gradebook';
import { mapEnrollment, mapUser } from './streams/people';
import { mapClass, mapCourse, mapOrg, mapSession } from './streams/roster';

export interface ReadEnv {
  ctx: RunContext<OneRosterConfig>;
  cfg: ResolvedOneRosterConfig;
  stream: string;
}

type Obj = Record<string, unknown>;

interface StreamDef {
  spec: StreamSpec;
  collection: Collection;
  /** Fills the lookup tables the objects of one page need. */
  prepare?(items: Obj[], lk: Lookups, cfg: ResolvedOneRosterConfig): Promise<void>;
  map(raw: unknown, env: ReadEnv, lk: Lookups): Mapped[];
}

const today = (env: ReadEnv): string => localDate(env.ctx.now(), env.cfg.utcOffset);
const base = (env: ReadEnv) => ({ ids: env.ctx.ids, utcOffset: env.cfg.utcOffset, ...(env.cfg.schoolSourcedId ? { schoolSourcedId: env.cfg.schoolSourcedId } : {}) });
const gb = (env: ReadEnv, lk: Lookups): GradebookContext => ({ ...base(env), tables: lk.tables, categoryMap: env.cfg.categoryMap, defaultWeight: env.cfg.defaultWeight });

const DEFS: readonly StreamDef[] = [
  {
    spec: { name: 'orgs', entities: ['school'], cursorField: 'dateLastModified', description: 'orgs of type school → school.' },
    collection: 'orgs',
    map: (raw, env) => mapOrg(raw, { timeZone: env.cfg.timeZone, ...(env.cfg.schoolSourcedId ? { schoolSourcedId: env.cfg.schoolSourcedId } : {}) }),
  },
  {
    spec: { name: 'academic_sessions', entities: ['academic_year', 'reporting_period'], cursorField: 'dateLastModified', description: 'academicSessions → academic years (schoolYear) and reporting periods.' },
    collection: 'academicSessions',
    map: (raw, env) => mapSession(raw, { ...base(env), today: today(env) }),
  },
  {
    spec: { name: 'courses', entities: ['subject'], cursorField: 'dateLastModified', description: 'courses → subjects.' },
    collection: 'courses',
    map: (raw) => mapCourse(raw),
  },
  {
    spec: { name: 'classes', entities: ['class_group'], cursorField: 'dateLastModified', description: 'classes → class groups.' },
    collection: 'classes',
    prepare: (_items, lk) => lk.load('sessions'),
    map: (raw, env, lk) => mapClass(raw, { ...base(env), tables: lk.tables, scheduledClassKind: env.cfg.scheduledClassKind }),
  },
  {
    spec: { name: 'users', entities: ['person', 'guardian_link'], cursorField: 'dateLastModified', description: 'users → persons (+ demographics birth dates) and guardian links from agents.' },
    collection: 'users',
    prepare: (items, lk, cfg) => (cfg.demographics ? lk.ensure('birthDates', items.map(sourcedIdOf)) : Promise.resolve()),
    map: (raw, env, lk) => mapUser(raw, { ...base(env), tables: lk.tables, agentLinks: env.cfg.agentLinks }),
  },
  {
    spec: { name: 'enrollments', entities: ['membership', 'teaching_assignment'], cursorField: 'dateLastModified', description: 'enrollments → memberships and teachers\' teaching assignments.' },
    collection: 'enrollments',
    prepare: async (items, lk) => { await lk.load('sessions'); await lk.ensure('classes', items.map((i) => refOf(i.class))); },
    map: (raw, env, lk) => mapEnrollment(raw, { ...base(env), tables: lk.tables }),
  },
  {
    spec: { name: 'line_items', entities: ['assessment'], cursorField: 'dateLastModified', description: 'lineItems (+ categories, score scales) → assessments.' },
    collection: 'lineItems',
    prepare: async (items, lk) => {
      await lk.load('sessions');
      await lk.ensure('classes', items.map((i) => refOf(i.class)));
      await lk.ensure('categories', items.map((i) => refOf(i.category)));
    },
    map: (raw, env, lk) => mapLineItem(raw, gb(env, lk)),
  },
  {
    spec: { name: 'results', entities: ['mark'], cursorField: 'dateLastModified', description: 'results → marks (current, period, annual, final, exam).' },
    collection: 'results',
    prepare: async (items, lk) => {
      await lk.load('sessions');
      await lk.ensure('lineItems', items.map((i) => refOf(i.lineItem)));
      const lis = items.map((i) => lk.tables.lineItems.get(refOf(i.lineItem) ?? ''));
      await lk.ensure('classes', [...lis.map((l) => l?.classId), ...items.map((i) => refOf(i.class))]);
      await lk.ensure('categories', lis.map((l) => l?.categoryId));
      await lk.ensure('scoreScales', [...lis.map((l) => l?.scoreScaleId), ...items.map((i) => refOf(i.scoreScale))]);
    },
    map: (raw, env, lk) => mapResult(raw, gb(env, lk)),
  },
];

export const ONEROSTER_STREAMS: readonly StreamSpec[] = DEFS.map((d) => d.spec);

export function streamDef(name: string): StreamDef | undefined {
  return DEFS.find((d) => d.spec.name === name);
}

/** How one read gets its objects: changes from `data`, lookups (and full re-reads) from `history`. */
export interface ReadPlan {
  data: OneRosterSource;
  history: OneRosterSource;
  /** Lower bound for REST delta filters; undefined = everything. */
  since?: string;
  /** The read takes changes only (a cursor or `--since` in REST, a delta file in CSV): run the follow-up passes. */
  delta: boolean;
  /** REST: the cursor position; a category changed after it makes every line item be read again. */
  after?: string;
  lookups: Lookups;
}

async function* mapPage(env: ReadEnv, def: StreamDef, items: unknown[], plan: ReadPlan, seen: Set<string>, max: MaxSeen): AsyncGenerator<SourceMessage> {
  const objs = items.filter(isObject);
  for (const o of items) max.see(isObject(o) ? o.dateLastModified : undefined);
  await def.prepare?.(objs, plan.lookups, env.cfg);
  const mapped = items.flatMap((raw) => def.map(raw, env, plan.lookups));
  yield* emitMapped('OneRoster', env.stream, mapped, seen);
}

/**
 * Reads one stream's objects per `plan` and yields its records (no checkpoint: the caller owns
 * the cursor). Follow-up passes of a delta read:
 * - `line_items`: when a category changed, every line item is read again (its work type and weight did);
 * - `users` with demographics: a person whose demographics changed but whose user did not is read by id.
 */
export async function* readStreamObjects(env: ReadEnv, plan: ReadPlan, max: MaxSeen): AsyncGenerator<SourceMessage> {
  const def = streamDef(env.stream);
  if (!def) return;
  const seen = new Set<string>();
  let src = plan.data;
  let since = plan.since;
  if (def.collection === 'lineItems' && plan.delta) {
    let changed = 0;
    const after = plan.after !== undefined ? Date.parse(plan.after) : -Infinity;
    for await (const page of plan.data.pages('categories', plan.since)) {
      // Only categories changed after the cursor: the lookback window would otherwise re-read
      // every line item on every run until something newer moves the cursor.
      const fresh = page.filter((c) => isObject(c) && !(Date.parse(String(c.dateLastModified)) <= after));
      changed += fresh.length;
      // Safe to move the cursor past them: every line item is read below.
      for (const c of fresh) max.see(isObject(c) ? c.dateLastModified : undefined);
    }
    if (changed > 0) { src = plan.history; since = undefined; env.ctx.log.info('oneroster categories changed: reading every line item', { categories: changed }); }
  }
  const users = new Set<string>();
  for await (const page of src.pages(def.collection, since)) {
    if (env.ctx.signal.aborted) return;
    if (def.collection === 'users') for (const u of page) { const id = sourcedIdOf(u); if (id) users.add(id); }
    yield* mapPage(env, def, page, plan, seen, max);
  }
  if (def.collection === 'users' && env.cfg.demographics && plan.delta) {
    for await (const page of plan.data.pages('demographics', plan.since)) {
      const fetched: unknown[] = [];
      for (const d of page) {
        const id = sourcedIdOf(d);
        if (!id || !isObject(d)) continue;
        max.see(d.dateLastModified);
        const b = birthDateOf(d);
        if (b) plan.lookups.tables.birthDates.set(id, b); else plan.lookups.tables.birthDates.delete(id);
        if (users.has(id)) continue;
        const u = await plan.history.one('users', id);
        if (u !== undefined) { fetched.push(u); users.add(id); }
      }
      if (fetched.length > 0) yield* mapPage(env, def, fetched, plan, seen, max);
    }
  }
}
