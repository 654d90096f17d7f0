/**
 * End-to-end reads of the ЭлЖур source against its simulator over loopback, with the real HTTP
 * client, pipeline and ledger, and a fake clock. Simulator and clock share one "now":
 * Thursday 2025-10-16, 12:00 in Moscow.
 */
import assert from 'node:assert/strict';
import type { RunContext } from '../../../src/core/adapter';
import type { Cursor } from '../../../src/core/cursor';
import { GatewayError } from '../../../src/core/errors';
import type { HttpRequest } from '../../../src/core/http';
import { DEFAULT_ID_NAMESPACE } from '../../../src/core/ids';
import type { SimulatorHandle } from '../../../src/core/simulator';
import { getCanonicalValidator } from '../../../src/infra/schemas';
import { normalizeRecord } from '../../../src/pipeline/normalize';
import { describeSourceContract } from '../../../test/contract/source.contract';
import { collect, fakeClock, ingestAll, tmpLedger } from '../../../test/support/harness';
import { checkpoints, records, simContext, type SimContextOptions } from '../../../test/support/source-run';
import { createEljurSource, eljurSimulator, eljurSource, type EljurConfig } from '../index';

const NOW = new Date('2025-10-16T09:00:00Z');

interface Recorded { method: string; path: string; params?: HttpRequest['params']; body?: unknown }

const toCall = (req: HttpRequest): Recorded => ({ method: req.method, path: new URL(req.url).pathname, ...(req.params ? { params: req.params } : {}), ...(req.body !== undefined ? { body: req.body } : {}) });

function configOf(sim: SimulatorHandle, extra: Partial<EljurConfig> = {}): EljurConfig {
  return {
    baseUrl: sim.env.DIARY_SIM_ELJUR_URL as string,
    vendor: sim.env.DIARY_SIM_ELJUR_VENDOR as string,
    devkey: sim.env.DIARY_SIM_ELJUR_DEVKEY as string,
    login: sim.env.DIARY_SIM_ELJUR_LOGIN as string,
    password: sim.env.DIARY_SIM_ELJUR_PASSWORD as string,
    weeksBack: 1, weeksAhead: 1, lookbackWeeks: 1,
    ...extra,
  };
}

function context(cfg: EljurConfig, o: SimContextOptions<Recorded> = {}): RunContext<EljurConfig> {
  return simContext(cfg, 'eljur', NOW, toCall, o);
}

const count = (rs: { entityType: string }[], e: string) => rs.filter((r) => r.entityType === e).length;

describe('eljur source against the simulator', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;
  beforeEach(async () => { sim = await eljurSimulator.start({ seed: 7, now: () => NOW }); });
  afterEach(async () => { await sim.close(); });

  it('reads every stream into the ledger: all valid, a checkpoint per stream, a re-read adds nothing', async () => {
    const { ledger } = await tmpLedger();
    try {
      const adapter = createEljurSource();
      const ctx = context(configOf(sim));
      const first = await ingestAll(ledger, adapter, ctx);
      assert.equal(first.status, 'ok', JSON.stringify(first.streams));
      assert.equal(first.counts.quarantined, 0);
      assert.ok(first.counts.inserted > 500, `inserted ${first.counts.inserted}`);
      const again = await ingestAll(ledger, adapter, ctx);
      assert.equal(again.counts.inserted + again.counts.updated, 0);
    } finally { await ledger.close(); }
  });

  it('maps the demo school: classes, students, lessons with times, homework, marks, absences, periods, finals', async () => {
    const adapter = createEljurSource();
    const ctx = context(configOf(sim));
    const read = async (s: string) => records(await collect(adapter.read(ctx, s, null)));
    const [periods, roster, diary, marks, finals] = [await read('periods'), await read('roster'), await read('diary'), await read('marks'), await read('final_assessments')];
    assert.deepEqual(periods.filter((r) => r.entityType === 'reporting_period').map((r) => r.fields.title), ['1 четверть', '2 четверть', '3 четверть', '4 четверть']);
    assert.deepEqual(periods.find((r) => r.entityType === 'academic_year')?.fields, { title: '2025/2026', startDate: '2025-09-01', endDate: '2026-08-31', isCurrent: true });
    assert.deepEqual(roster.filter((r) => r.entityType === 'class_group').map((r) => r.fields.title), ['5А', '5Б']);
    assert.equal(roster.filter((r) => r.entityType === 'person' && (r.fields.roles as string[]).includes('student')).length, 50);
    assert.equal(count(roster, 'membership'), 50);
    const lessons = diary.filter((r) => r.entityType === 'lesson');
    assert.ok(lessons.length >= 70, `lessons ${lessons.length}`);
    assert.ok(lessons.every((l) => /^\d\d:\d\d$/.test(String(l.fields.startTime))));
    assert.ok(lessons.some((l) => l.fields.state === 'scheduled') && lessons.some((l) => l.fields.state === 'held'));
    const hw = diary.filter((r) => r.entityType === 'homework');
    assert.ok(hw.some((h) => h.fields.isIndividual === true) && hw.some((h) => h.fields.isIndividual === false));
    assert.equal(count(diary, 'subject'), 8);
    const m = marks.filter((r) => r.entityType === 'mark');
    const att = marks.filter((r) => r.entityType === 'attendance_event');
    assert.ok(m.length > 50 && att.length > 5, `${m.length} marks, ${att.length} absences`);
    assert.ok(m.every((r) => !/^(н|оп)$/i.test(String((r.fields.value as { raw: string }).raw))), 'absences are not marks');
    assert.deepEqual([...new Set(att.map((a) => a.fields.category))].sort(), ['late', 'unknown']);
    assert.ok(m.some((r) => (r.fields.value as { scale: string }).scale === 'five_point_modifiers'));
    assert.ok(finals.length > 0 && finals.every((r) => r.fields.kind === 'period'));

    const v = getCanonicalValidator();
    const bad = [...periods, ...roster, ...diary, ...marks, ...finals].flatMap((r) => {
      const n = normalizeRecord(r, { idNamespace: DEFAULT_ID_NAMESPACE, schoolId: 's', sourceSystem: 'eljur', adapter: 'eljur-source', adapterVersion: '1', fetchedAt: NOW.toISOString() });
      const issues = v.validate(n.record);
      return issues.length > 0 ? [`${r.entityType} ${r.sourceId} ${JSON.stringify(issues)}`] : [];
    });
    assert.deepEqual(bad.slice(0, 3), []);
  });

  it('sends devkey, vendor, out_format=json and auth_token on every call, days as YYYYMMDD-YYYYMMDD, and auths once', async () => {
    const calls: Recorded[] = [];
    const msgs = await collect(createEljurSource().read(context(configOf(sim), { calls }), 'marks', null));
    assert.ok(records(msgs).length > 0);
    assert.deepEqual(calls.filter((c) => c.path.endsWith('/auth')).map((c) => c.method), ['POST']);
    for (const c of calls) {
      assert.equal(c.params?.devkey, sim.env.DIARY_SIM_ELJUR_DEVKEY);
      assert.equal(c.params?.vendor, 'demo7');
      assert.equal(c.params?.out_format, 'json');
      if (!c.path.endsWith('/auth')) assert.equal(typeof c.params?.auth_token, 'string');
    }
    const days = [...new Set(calls.filter((c) => c.path.endsWith('/getmarks')).map((c) => c.params?.days))];
    assert.deepEqual(days, ['20251006-20251012', '20251013-20251016']);
    assert.deepEqual(checkpoints(msgs), [
      { v: 1, position: '2025-10-06', signpost: NOW.toISOString() },
      { v: 1, position: '2025-10-13', signpost: NOW.toISOString() },
    ]);
  });

  it('auths with GET and everything in the query when authMethod is get-query', async () => {
    const calls: Recorded[] = [];
    assert.equal((await createEljurSource().check(context(configOf(sim, { authMethod: 'get-query' }), { calls }))).ok, true);
    const auth = calls.find((c) => c.path.endsWith('/auth'));
    assert.equal(auth?.method, 'GET');
    assert.equal(auth?.params?.login, sim.env.DIARY_SIM_ELJUR_LOGIN);
    assert.equal(auth?.body, undefined);
  });

  it('renews the token when it was revoked (state 403 inside HTTP 200) and when it is about to expire', async () => {
    const calls: Recorded[] = [];
    const adapter = createEljurSource();
    const clock = fakeClock(NOW);
    await sim.close();
    sim = await eljurSimulator.start({ seed: 7, now: () => clock.now() }); // one clock for both sides
    const ctx = context(configOf(sim), { calls, clock });
    await collect(adapter.read(ctx, 'periods', null));
    sim.inject({ kind: 'expire-sessions' });
    assert.ok(records(await collect(adapter.read(ctx, 'periods', null))).length > 0);
    assert.equal(calls.filter((c) => c.path.endsWith('/auth')).length, 2, 'renewed after the refusal');
    // 89.99 days later the 90-day token is inside the renewal margin: renewed before any refusal.
    clock.advance(89.99 * 86_400_000);
    calls.length = 0;
    await collect(adapter.read(ctx, 'periods', null));
    assert.equal(calls[0]?.path.endsWith('/auth'), true);
    assert.equal(calls.filter((c) => c.path.endsWith('/auth')).length, 1);
  });

  it('a configured authToken that is refused is a permanent failure (it cannot be renewed)', async () => {
    const cfg = configOf(sim);
    const r = await createEljurSource().check(context({ baseUrl: cfg.baseUrl, vendor: cfg.vendor, devkey: cfg.devkey, authToken: 'stale-token' }));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'GW_SRC_AUTH_FAILED');
  });

  it('check: wrong password and wrong devkey are permanent GW_SRC_AUTH_FAILED', async () => {
    for (const extra of [{ password: 'wrong' }, { devkey: '0'.repeat(32) }]) {
      const r = await createEljurSource().check(context(configOf(sim, extra)));
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'GW_SRC_AUTH_FAILED', JSON.stringify(extra));
      assert.equal(r.error.errorClass, 'permanent');
    }
  });

  it('simulator faults: slow answers still succeed; a revoked devkey (custom fault) is a permanent failure', async () => {
    sim.inject({ kind: 'slow', ms: 60, count: 2 });
    const started = Date.now();
    assert.equal((await createEljurSource().check(context(configOf(sim)))).ok, true);
    assert.ok(Date.now() - started >= 100, 'two slowed answers');
    sim.inject({ kind: 'custom', name: 'bad-devkey', count: 1 });
    const r = await createEljurSource().check(context(configOf(sim)));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'GW_SRC_AUTH_FAILED');
  });

  it('re-reads from lookbackWeeks before the cursor, honours --since, and reads nothing for a future cursor', async () => {
    const calls: Recorded[] = [];
    const adapter = createEljurSource();
    const cfg = configOf(sim, { lookbackWeeks: 2 });
    const diaryDays = () => [...new Set(calls.filter((c) => c.path.endsWith('/getdiary')).map((c) => String(c.params?.days)))];
    await collect(adapter.read(context(cfg, { calls }), 'diary', { v: 1, position: '2025-10-13', signpost: '2025-10-15T00:00:00Z' }));
    assert.deepEqual(diaryDays(), ['20250929-20251005', '20251006-20251012', '20251013-20251019', '20251020-20251026']);
    calls.length = 0;
    await collect(adapter.read(context(cfg, { calls, since: '2025-09-24' }), 'diary', null));
    assert.equal(diaryDays()[0], '20250922-20250928');
    const future: Cursor = { v: 1, position: '2025-10-13', signpost: '2025-10-17T00:00:00Z' };
    calls.length = 0;
    for (const s of ['periods', 'roster', 'diary', 'marks', 'final_assessments']) assert.deepEqual(await collect(adapter.read(context(cfg, { calls }), s, future)), [], s);
    assert.equal(calls.length, 0);
  });

  it('fails the read as retryable when the journal stays down', async () => {
    sim.inject({ kind: 'status', status: 503, count: 50 });
    await assert.rejects(collect(createEljurSource().read(context(configOf(sim)), 'periods', null)),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_SRC_UNAVAILABLE' && e.errorClass === 'retryable');
  });

  it('yields a malformed mark as invalid naming the field, and goes on', async () => {
    sim.inject({ kind: 'malformed', count: 1 });
    const msgs = await collect(createEljurSource().read(context(configOf(sim)), 'marks', null));
    const bad = msgs.filter((m) => m.kind === 'invalid');
    assert.equal(bad.length, 1);
    const b = bad[0]!;
    assert.ok(b.kind === 'invalid');
    assert.equal(b.error.code, 'GW_RECORD_UNMAPPABLE');
    assert.match(b.error.issues[0]!.path, /\/marks\/\d+\/value$/);
    assert.ok(records(msgs).length > 50);
  });

  it('gives the same records whatever the type drift: weight as string, ids as strings, count as 0/1, lists as arrays', async () => {
    const adapter = createEljurSource();
    const cfg = configOf(sim, { weeksBack: 0, weeksAhead: 0 });
    const read = async () => ({ marks: records(await collect(adapter.read(context(cfg), 'marks', null))), diary: records(await collect(adapter.read(context(cfg), 'diary', null))) });
    const clean = await read();
    for (const target of ['weight', 'ids', 'count', 'lists']) sim.inject({ kind: 'shape-change', target });
    const drifted = await read();
    assert.deepEqual(drifted, clean);
    assert.ok(clean.marks.some((r) => typeof r.fields.weight === 'number' && r.fields.weight === 1.5));
  });

  it('generates the same school from the same seed and day', async () => {
    const other = await eljurSimulator.start({ seed: 7, now: () => NOW });
    try {
      const a = createEljurSource();
      const read = async (h: SimulatorHandle) => records(await collect(a.read(context(configOf(h, { weeksBack: 0, weeksAhead: 0 })), 'marks', null)));
      assert.deepEqual(await read(other), await read(sim));
    } finally { await other.close(); }
  });

  it('adds a mark on a live tick', async () => {
    const adapter = createEljurSource();
    const cfg = configOf(sim, { weeksBack: 0, weeksAhead: 0 });
    const before = records(await collect(adapter.read(context(cfg), 'marks', null))).filter((r) => r.entityType === 'mark').length;
    const tick = await (await fetch(`${sim.url}/_sim/live-tick`, { method: 'POST' })).json() as { studentId: string };
    assert.ok(tick.studentId);
    const after = records(await collect(adapter.read(context(cfg), 'marks', null))).filter((r) => r.entityType === 'mark').length;
    assert.equal(after, before + 1);
  });
});

describe('eljur simulator protocol', function () {
  this.timeout(20_000);
  let sim: SimulatorHandle;
  beforeEach(async () => { sim = await eljurSimulator.start({ seed: 7, now: () => NOW }); });
  afterEach(async () => { await sim.close(); });
  const q = (extra: Record<string, string> = {}) => new URLSearchParams({ devkey: sim.credentials.devkey as string, vendor: 'demo7', out_format: 'json', ...extra }).toString();

  it('answers errors in the envelope: bad devkey with HTTP 400, wrong password and bad token inside HTTP 200', async () => {
    const dev = await fetch(`${sim.url}/apiv3/getrules?${new URLSearchParams({ devkey: 'x', vendor: 'demo7', out_format: 'json' })}`);
    assert.equal(dev.status, 400);
    assert.deepEqual(await dev.json(), { response: { state: 400, error: 'не удалось авторизовать разработчика', result: {} } });
    const pw = await fetch(`${sim.url}/apiv3/auth?${q()}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login: sim.credentials.login, password: 'x' }) });
    assert.equal(pw.status, 200);
    assert.equal(((await pw.json()) as { response: { state: number } }).response.state, 400);
    const tok = await fetch(`${sim.url}/apiv3/getrules?${q({ auth_token: 'nope' })}`);
    assert.equal(tok.status, 200);
    assert.equal(((await tok.json()) as { response: { state: number } }).response.state, 403);
  });

  it('hands out a token with a YYYY-MM-DD hh:mm:ss expiry and checks days= format', async () => {
    const a = await (await fetch(`${sim.url}/apiv3/auth?${q({ login: sim.credentials.login as string, password: sim.credentials.password as string })}`)).json() as { response: { result: { token: string; expires: string } } };
    assert.match(a.response.result.expires, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const token = a.response.result.token;
    const bad = await (await fetch(`${sim.url}/apiv3/getmarks?${q({ auth_token: token, student: '50100', days: '2025-10-01' })}`)).json() as { response: { state: number } };
    assert.equal(bad.response.state, 400);
    const ok = await (await fetch(`${sim.url}/apiv3/getmarks?${q({ auth_token: token, student: '50100', days: '20251001-20251015' })}`)).json() as { response: { state: number; result: { students: Record<string, unknown> } } };
    assert.equal(ok.response.state, 200);
    assert.deepEqual(Object.keys(ok.response.result.students), ['50100']);
  });

  it('takes faults over POST /_sim/faults (429 with Retry-After)', async () => {
    assert.equal((await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"kind":"nope"}' })).status, 400);
    await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'status', status: 429, count: 1, retryAfterSec: 3 }) });
    const hit = await fetch(`${sim.url}/apiv3/getrules?${q()}`);
    assert.equal(hit.status, 429);
    assert.equal(hit.headers.get('retry-after'), '3');
  });
});

// ---- shared source contract (test/contract/source.contract.ts) ----
describeSourceContract('eljur-source', {
  adapter: eljurSource,
  startSimulator: () => eljurSimulator.start({ seed: 7 }),
  config: (sim) => configOf(sim),
  badAuthConfig: (sim) => configOf(sim, { password: 'wrong' }),
  futureCursor: (_s, now) => { const t = new Date(now.getTime() + 366 * 86_400_000).toISOString(); return { v: 1, position: t, signpost: t }; },
  malformedStream: 'marks',
});
