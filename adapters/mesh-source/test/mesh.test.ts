/**
 * End-to-end reads of the МЭШ source against its simulator over loopback, with the real HTTP
 * client, pipeline and ledger and a fake clock. "Now" is Wednesday 2025-12-10, 12:00 in Moscow:
 * the first trimester is closed (term marks exist), the second runs.
 */
import assert from 'node:assert/strict';
import type { RunContext } from '../../../src/core/adapter';
import { GatewayError } from '../../../src/core/errors';
import { DEFAULT_ID_NAMESPACE } from '../../../src/core/ids';
import type { HttpRequest } from '../../../src/core/http';
import type { SimulatorHandle } from '../../../src/core/simulator';
import { getCanonicalValidator } from '../../../src/infra/schemas';
import { normalizeRecord } from '../../../src/pipeline/normalize';
import { describeSourceContract } from '../../../test/contract/source.contract';
import { collect, ingestAll, tmpLedger } from '../../../test/support/harness';
import { checkpoints, records, simContext, type SimContextOptions } from '../../../test/support/source-run';
import { createMeshSource, meshSimulator, meshSource, type MeshConfig } from '../index';

const NOW = new Date('2025-12-10T09:00:00Z');

interface Recorded { path: string; params?: HttpRequest['params']; headers?: Record<string, string> }

const toCall = (req: HttpRequest): Recorded => ({ path: new URL(req.url).pathname, ...(req.params ? { params: req.params } : {}), ...(req.headers ? { headers: req.headers } : {}) });

function configOf(sim: SimulatorHandle, extra: Partial<MeshConfig> = {}): MeshConfig {
  return {
    apiBaseUrl: sim.env.DIARY_SIM_MESH_API_URL as string,
    eventsBaseUrl: sim.env.DIARY_SIM_MESH_EVENTS_URL as string,
    token: sim.env.DIARY_SIM_MESH_TOKEN as string,
    profileId: Number(sim.env.DIARY_SIM_MESH_PROFILE_ID),
    daysBack: 14, daysAhead: 7, lookbackDays: 7,
    ...extra,
  };
}

function context(cfg: MeshConfig, o: SimContextOptions<Recorded> = {}): RunContext<MeshConfig> {
  return simContext(cfg, 'mesh', NOW, toCall, o);
}


describe('mesh source against the simulator', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;
  beforeEach(async () => { sim = await meshSimulator.start({ seed: 7, now: () => NOW }); });
  afterEach(async () => { await sim.close(); });

  it('reads every stream into the ledger: valid, checkpointed, and a re-read adds nothing', async () => {
    const { ledger } = await tmpLedger();
    try {
      const adapter = createMeshSource();
      const ctx = context(configOf(sim));
      const first = await ingestAll(ledger, adapter, ctx);
      assert.equal(first.status, 'ok', JSON.stringify(first.streams));
      assert.equal(first.counts.quarantined, 0);
      assert.ok(first.counts.inserted > 1000, `inserted ${first.counts.inserted}`);
      for (const s of adapter.streams) assert.ok(await ledger.getCursor(ctx.schoolId, 'src', s.name), s.name);
      const again = await ingestAll(ledger, adapter, ctx);
      assert.equal(again.counts.inserted + again.counts.updated, 0);
    } finally { await ledger.close(); }
  });

  it('produces the demo school with marks, term marks, substitutions, absences with reasons, homework and holidays', async () => {
    const adapter = createMeshSource();
    const ctx = context(configOf(sim));
    const all: Record<string, ReturnType<typeof records>> = {};
    for (const s of adapter.streams) all[s.name] = records(await collect(adapter.read(ctx, s.name, null)));
    const of = (stream: string, e: string) => (all[stream] ?? []).filter((r) => r.entityType === e);
    assert.deepEqual(of('roster', 'class_group').map((r) => r.fields.title), ['7-А', '7-Б']);
    assert.equal(of('roster', 'person').length, 50);
    assert.equal(of('roster', 'membership').length, 50);
    assert.equal(of('roster', 'subject').length, 9);
    const lessons = of('schedule', 'lesson');
    assert.ok(lessons.some((l) => l.fields.state === 'substituted' && typeof l.fields.replacedTeacherId === 'string'), 'replaced');
    assert.ok(lessons.some((l) => l.fields.state === 'scheduled'));
    const cats = new Set(of('schedule', 'attendance_event').map((a) => a.fields.category));
    for (const c of ['absent_illness', 'absent_valid', 'absent_invalid']) assert.ok(cats.has(c), c);
    const marks = of('marks', 'mark');
    assert.ok(marks.length > 200);
    assert.ok(marks.every((m) => typeof m.sourceCreatedAt === 'string' && m.fields.markedAt === m.sourceCreatedAt));
    assert.ok(marks.some((m) => m.sourceModifiedAt !== m.sourceCreatedAt), 'edited marks keep updated_at');
    assert.ok(marks.some((m) => (m.metadata as { meshPoint?: boolean } | undefined)?.meshPoint === true), 'points');
    assert.ok(of('marks', 'assessment').some((a) => (a.fields.workType as { code: string }).code === 'control_work'));
    assert.ok(of('homework', 'homework').length > 20);
    const periodMarks = of('subject_marks', 'mark');
    assert.equal(periodMarks.length, 50 * 9, 'one closed trimester per student and subject');
    assert.deepEqual(of('subject_marks', 'reporting_period').map((p) => p.fields.title), ['1 триместр', '2 триместр']);
    assert.deepEqual(of('calendar', 'holiday_period').map((h) => [h.fields.title, h.fields.startDate, h.fields.endDate]).slice(0, 2),
      [['Осенние каникулы', '2025-10-25', '2025-11-02'], ['Зимние каникулы', '2025-12-27', '2026-01-11']]);

    const v = getCanonicalValidator();
    const bad = Object.values(all).flat().flatMap((r) => {
      const n = normalizeRecord(r, { idNamespace: DEFAULT_ID_NAMESPACE, schoolId: 's', sourceSystem: 'mesh', adapter: 'mesh-source', adapterVersion: '1', fetchedAt: NOW.toISOString() });
      const issues = v.validate(n.record);
      return issues.length > 0 ? [`${r.entityType} ${r.sourceId} ${JSON.stringify(issues)}`] : [];
    });
    assert.deepEqual(bad.slice(0, 3), []);
  });

  it('sends the token headers, profile-id and x-mes-subsystem, with YYYY-MM-DD params', async () => {
    const calls: Recorded[] = [];
    await collect(createMeshSource().read(context(configOf(sim, { studentIds: [31000001] }), { calls }), 'marks', null));
    const marks = calls.filter((c) => c.path === '/api/family/mobile/v1/marks');
    assert.ok(marks.length > 0);
    const h = marks[0]!.headers!;
    assert.equal(h.Authorization, `Bearer ${sim.env.DIARY_SIM_MESH_TOKEN}`);
    assert.equal(h['Auth-Token'], sim.env.DIARY_SIM_MESH_TOKEN);
    assert.equal(h['profile-id'], sim.env.DIARY_SIM_MESH_PROFILE_ID);
    assert.equal(h['x-mes-subsystem'], 'familymp');
    assert.deepEqual(marks.map((c) => [c.params?.from, c.params?.to]), [['2025-11-26', '2025-12-02'], ['2025-12-03', '2025-12-09'], ['2025-12-10', '2025-12-16'], ['2025-12-17', '2025-12-17']]);
  });

  it('checkpoints dated streams per chunk, capped at today; re-reads lookbackDays; future cursors read nothing', async () => {
    const calls: Recorded[] = [];
    const adapter = createMeshSource();
    const msgs = await collect(adapter.read(context(configOf(sim), { calls }), 'homework', null));
    const sp = NOW.toISOString();
    assert.deepEqual(checkpoints(msgs), [
      { v: 1, position: '2025-12-02', signpost: sp }, { v: 1, position: '2025-12-09', signpost: sp },
      { v: 1, position: '2025-12-10', signpost: sp }, { v: 1, position: '2025-12-10', signpost: sp },
    ]);
    calls.length = 0;
    await collect(adapter.read(context(configOf(sim, { studentIds: [31000001] }), { calls }), 'homework', { v: 1, position: '2025-12-08', signpost: '2025-12-08T10:00:00Z' }));
    assert.equal(calls.find((c) => c.path.endsWith('/homeworks/short'))?.params?.from, '2025-12-01');
    calls.length = 0;
    for (const s of adapter.streams) {
      assert.deepEqual(await collect(adapter.read(context(configOf(sim), { calls }), s.name, { v: 1, position: '2026-03-02', signpost: '2026-03-02T00:00:00Z' })), [], s.name);
    }
    assert.equal(calls.length, 0);
  });

  it('reads the mosreg host shape (no /api prefix) when apiBaseUrl points there', async () => {
    const msgs = await collect(createMeshSource().read(context(configOf(sim, { region: 'mosreg', apiBaseUrl: sim.url })), 'roster', null));
    assert.equal(records(msgs).filter((r) => r.entityType === 'person').length, 50);
  });

  it('an ended session (expire-sessions) is a permanent GW_SRC_AUTH_FAILED: the token must be replaced', async () => {
    const adapter = createMeshSource();
    assert.equal((await adapter.check(context(configOf(sim)))).ok, true);
    sim.inject({ kind: 'expire-sessions' });
    const r = await adapter.check(context(configOf(sim)));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'GW_SRC_AUTH_FAILED');
    assert.match(r.error.message, /session ended/);
  });

  it('an HTML 403 page is a permanent protocol error; a wrong profile-id is an auth failure', async () => {
    sim.inject({ kind: 'custom', name: 'html-403' });
    const html = await createMeshSource().check(context(configOf(sim)));
    assert.ok(!html.ok);
    assert.equal(html.error.code, 'GW_SRC_PROTOCOL');
    const wrong = await createMeshSource().check(context(configOf(sim, { profileId: 1 })));
    assert.ok(!wrong.ok);
    assert.equal(wrong.error.code, 'GW_SRC_AUTH_FAILED');
  });

  it('fails the read as retryable when the journal stays down', async () => {
    sim.inject({ kind: 'status', status: 503, count: 50 });
    await assert.rejects(collect(createMeshSource().read(context(configOf(sim)), 'roster', null)),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_SRC_UNAVAILABLE' && e.errorClass === 'retryable');
  });

  it('yields a malformed mark as invalid naming /value and goes on', async () => {
    sim.inject({ kind: 'malformed', count: 1 });
    const msgs = await collect(createMeshSource().read(context(configOf(sim)), 'marks', null));
    const bad = msgs.filter((m) => m.kind === 'invalid');
    assert.equal(bad.length, 1);
    const m = bad[0]!;
    assert.ok(m.kind === 'invalid');
    assert.equal(m.error.code, 'GW_RECORD_UNMAPPABLE');
    assert.deepEqual(m.error.issues.map((x) => x.path), ['/value']);
    assert.ok(records(msgs).length > 100);
  });

  it('tolerates drifted shapes: string weights, numeric values, bare lists, bare event lists', async () => {
    const adapter = createMeshSource();
    const ctx = context(configOf(sim, { daysBack: 7, daysAhead: 0 }));
    const base = records(await collect(adapter.read(ctx, 'marks', null)));
    for (const target of ['weight', 'value', 'payload']) sim.inject({ kind: 'shape-change', target });
    const drifted = records(await collect(adapter.read(ctx, 'marks', null)));
    assert.deepEqual(drifted, base);
    const lessonsBefore = records(await collect(adapter.read(ctx, 'schedule', null)));
    sim.inject({ kind: 'shape-change', target: 'events' });
    assert.deepEqual(records(await collect(adapter.read(ctx, 'schedule', null))), lessonsBefore);
  });

  it('takes the mark number from values[].grade.five when configured (a garbled `value` no longer matters)', async () => {
    const cfg = configOf(sim, { studentIds: [31000002], daysBack: 7, daysAhead: 0 });
    sim.inject({ kind: 'malformed', count: 1 });
    const byValue = await collect(createMeshSource().read(context(cfg), 'marks', null));
    assert.equal(byValue.filter((m) => m.kind === 'invalid').length, 1, 'value «пять» is unreadable');
    sim.inject({ kind: 'malformed', count: 1 });
    const byGrade = await collect(createMeshSource().read(context({ ...cfg, markValueFrom: 'grade_five' }), 'marks', null));
    assert.equal(byGrade.filter((m) => m.kind === 'invalid').length, 0);
    const marks = records(byGrade).filter((r) => r.entityType === 'mark');
    assert.equal(marks.length, records(byValue).filter((r) => r.entityType === 'mark').length + 1);
    assert.ok(marks.some((r) => (r.fields.value as { raw: string; numeric: number }).raw === 'пять'), 'raw kept as written, numeric from grade.five');
  });

  it('generates the same school from the same seed and day', async () => {
    const other = await meshSimulator.start({ seed: 7, now: () => NOW });
    try {
      const read = async (h: SimulatorHandle) => records(await collect(createMeshSource().read(context(configOf(h, { daysBack: 7, daysAhead: 0 })), 'schedule', null)));
      assert.deepEqual(await read(other), await read(sim));
    } finally { await other.close(); }
  });
});

describe('mesh simulator protocol', function () {
  this.timeout(20_000);
  let sim: SimulatorHandle;
  beforeEach(async () => { sim = await meshSimulator.start({ seed: 7, now: () => NOW }); });
  afterEach(async () => { await sim.close(); });
  const headers = (o: Record<string, string> = {}) => ({
    Authorization: `Bearer ${sim.env.DIARY_SIM_MESH_TOKEN}`, 'Auth-Token': sim.env.DIARY_SIM_MESH_TOKEN as string,
    'profile-id': sim.env.DIARY_SIM_MESH_PROFILE_ID as string, 'x-mes-subsystem': 'familymp', ...o,
  });

  it('answers {type, description, details} JSON errors and an HTML 403 without x-mes-subsystem', async () => {
    const noAuth = await fetch(`${sim.url}/api/family/mobile/v1/profile`);
    assert.equal(noAuth.status, 401);
    assert.deepEqual(Object.keys(await noAuth.json() as object), ['type', 'description', 'details']);
    const mismatch = await fetch(`${sim.url}/api/family/mobile/v1/profile`, { headers: headers({ 'Auth-Token': 'other' }) });
    assert.equal(mismatch.status, 401);
    const noSub = await fetch(`${sim.url}/api/family/mobile/v1/profile`, { headers: headers({ 'x-mes-subsystem': 'web' }) });
    assert.equal(noSub.status, 403);
    assert.match(noSub.headers.get('content-type') ?? '', /text\/html/);
    const badRange = await fetch(`${sim.url}/api/family/mobile/v1/marks?student_id=31000001&from=10.12.2025&to=2025-12-10`, { headers: headers() });
    assert.equal(badRange.status, 400);
    assert.equal((await badRange.json() as { type: string }).type, 'validation');
  });

  it('takes faults over POST /_sim/faults (429 with Retry-After)', async () => {
    assert.equal((await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"kind":"nope"}' })).status, 400);
    await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'status', status: 429, count: 1, retryAfterSec: 3 }) });
    const hit = await fetch(`${sim.url}/api/family/mobile/v1/profile`, { headers: headers() });
    assert.equal(hit.status, 429);
    assert.equal(hit.headers.get('retry-after'), '3');
    assert.equal((await fetch(`${sim.url}/api/family/mobile/v1/profile`, { headers: headers() })).status, 200);
  });
});

// ---- shared source contract (test/contract/source.contract.ts) ----
describeSourceContract('mesh-source', {
  adapter: meshSource,
  startSimulator: () => meshSimulator.start({ seed: 7 }),
  config: (sim) => configOf(sim),
  badAuthConfig: (sim) => configOf(sim, { token: 'expired-or-wrong' }),
  futureCursor: (_s, now) => { const t = new Date(now.getTime() + 366 * 86_400_000).toISOString(); return { v: 1, position: t, signpost: t }; },
  malformedStream: 'marks',
});
