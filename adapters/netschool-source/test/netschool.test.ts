/**
 * End-to-end reads of the NetSchool source against its simulator over loopback, with the real
 * HTTP client, the real pipeline and ledger, and a fake clock (sleeps are recorded, not slept).
 * The simulator and the clock share one fixed "now": Thursday 2025-10-16, 12:00 in Moscow.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { RunContext } from '../../../src/core/adapter';
import type { Cursor } from '../../../src/core/cursor';
import { GatewayError } from '../../../src/core/errors';
import { DEFAULT_ID_NAMESPACE } from '../../../src/core/ids';
import type { SimulatorHandle } from '../../../src/core/simulator';
import { getCanonicalValidator } from '../../../src/infra/schemas';
import { normalizeRecord } from '../../../src/pipeline/normalize';
import { collect, fakeClock, ingestAll, tmpLedger } from '../../../test/support/harness';
import { checkpoints, records, type SimContextOptions } from '../../../test/support/source-run';
import { createNetschoolSource, netschoolSimulator, netschoolSource, type NetschoolConfig } from '../index';
import { describeSourceContract } from '../../../test/contract/source.contract';
import { configOf, contextAt, type Recorded } from './sim-support';
import { hashPassword } from '../password';

const NOW = new Date('2025-10-16T09:00:00Z');

function context(cfg: NetschoolConfig, o: SimContextOptions<Recorded> = {}): RunContext<NetschoolConfig> {
  return contextAt(NOW, cfg, o);
}

const diaryWeeks = (calls: Recorded[]) => calls.filter((c) => c.path === '/webapi/student/diary').map((c) => String(c.params?.weekStart));
const uniq = (xs: string[]) => [...new Set(xs)];

describe('netschool source against the simulator', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;
  beforeEach(async () => { sim = await netschoolSimulator.start({ seed: 7, now: () => NOW }); });
  afterEach(async () => { await sim.close(); });

  it('reads every stream into the ledger: all records valid, a checkpoint per stream, a re-read adds nothing', async () => {
    const { ledger } = await tmpLedger();
    try {
      const adapter = createNetschoolSource();
      const ctx = context(configOf(sim));
      const first = await ingestAll(ledger, adapter, ctx);
      assert.equal(first.status, 'ok', JSON.stringify(first.streams));
      assert.equal(first.counts.quarantined, 0);
      assert.ok(first.counts.inserted > 1000, `inserted ${first.counts.inserted}`);
      for (const s of adapter.streams) assert.ok(await ledger.getCursor(ctx.schoolId, 'src', s.name), s.name);
      const again = await ingestAll(ledger, adapter, ctx);
      assert.equal(again.counts.inserted + again.counts.updated, 0);
      await adapter.close?.(ctx);
    } finally { await ledger.close(); }
  });

  it('produces the demo school: 52 students in 5а/5б, 8 subjects, marks with duty dots and comments, homework, absences', async () => {
    const adapter = createNetschoolSource();
    const ctx = context(configOf(sim));
    const roster = records(await collect(adapter.read(ctx, 'roster', null)));
    const diary = records(await collect(adapter.read(ctx, 'diary', null)));
    const attendance = records(await collect(adapter.read(ctx, 'attendance', null)));
    const years = records(await collect(adapter.read(ctx, 'school_years', null)));
    const count = (rs: typeof roster, e: string) => rs.filter((r) => r.entityType === e).length;
    assert.deepEqual(roster.filter((r) => r.entityType === 'class_group').map((r) => r.fields.title), ['5а', '5б']);
    assert.equal(roster.filter((r) => r.entityType === 'person' && (r.fields.roles as string[]).includes('student')).length, 52);
    assert.equal(count(roster, 'membership'), 52);
    assert.equal(count(roster, 'subject'), 8);
    assert.ok(count(roster, 'teaching_assignment') >= 14, 'teachers from assignment details');
    const marks = diary.filter((r) => r.entityType === 'mark');
    assert.ok(marks.some((m) => m.fields.markStatus === 'debt'), 'duty dots');
    assert.ok(marks.some((m) => typeof m.fields.teacherComment === 'string'), 'teacher comments');
    assert.ok(count(diary, 'homework') > 0 && count(diary, 'assessment') > 0 && count(diary, 'lesson') > 0);
    assert.ok(diary.filter((r) => r.entityType === 'lesson').some((l) => l.fields.state === 'scheduled'), 'next week planned');
    const cats = new Set(attendance.map((a) => a.fields.category));
    for (const c of ['absent_illness', 'absent_invalid', 'late']) assert.ok(cats.has(c), c);
    assert.ok(years.some((y) => y.entityType === 'reporting_period' && y.fields.title === '1 четверть'));

    const v = getCanonicalValidator();
    const bad = [...roster, ...diary, ...attendance, ...years].flatMap((r) => {
      const n = normalizeRecord(r, { idNamespace: DEFAULT_ID_NAMESPACE, schoolId: 's', sourceSystem: 'netschool', adapter: 'netschool-source', adapterVersion: '1', fetchedAt: NOW.toISOString() });
      const issues = v.validate(n.record);
      return issues.length > 0 ? [`${r.entityType} ${r.sourceId} ${JSON.stringify(issues)}`] : [];
    });
    assert.deepEqual(bad.slice(0, 3), []);
  });

  it('checkpoints the diary after each week, capped at the current week and signposted with the run start', async () => {
    const calls: Recorded[] = [];
    const msgs = await collect(createNetschoolSource().read(context(configOf(sim), { calls }), 'diary', null));
    assert.deepEqual(uniq(diaryWeeks(calls)), ['2025-10-06', '2025-10-13', '2025-10-20']);
    assert.deepEqual(checkpoints(msgs), [
      { v: 1, position: '2025-10-06', signpost: NOW.toISOString() },
      { v: 1, position: '2025-10-13', signpost: NOW.toISOString() },
      { v: 1, position: '2025-10-13', signpost: NOW.toISOString() },
    ]);
    const firstCheckpoint = msgs.findIndex((m) => m.kind === 'checkpoint');
    assert.ok(records(msgs.slice(0, firstCheckpoint)).every((r) => r.entityType !== 'lesson' || String(r.fields.date) < '2025-10-13'), 'week order');
  });

  it('re-reads from lookbackWeeks before the cursor, honours --since, and reads nothing for a future cursor', async () => {
    const calls: Recorded[] = [];
    const adapter = createNetschoolSource();
    const cfg = configOf(sim, { lookbackWeeks: 2 });
    await collect(adapter.read(context(cfg, { calls }), 'diary', { v: 1, position: '2025-10-13', signpost: '2025-10-15T00:00:00Z' }));
    assert.deepEqual(uniq(diaryWeeks(calls)), ['2025-09-29', '2025-10-06', '2025-10-13', '2025-10-20']);

    calls.length = 0;
    await collect(adapter.read(context(cfg, { calls, since: '2025-09-24' }), 'diary', null));
    assert.deepEqual(uniq(diaryWeeks(calls))[0], '2025-09-22');

    const futures: Cursor[] = [
      { v: 1, position: '2026-03-02T00:00:00Z', signpost: NOW.toISOString() },
      { v: 1, position: '2025-10-13', signpost: '2025-10-17T00:00:00Z' },
    ];
    for (const future of futures) {
      calls.length = 0;
      for (const stream of ['diary', 'attendance', 'school_years', 'roster', 'final_marks']) {
        const msgs = await collect(adapter.read(context(cfg, { calls }), stream, future));
        assert.deepEqual(msgs, [], `${stream} ${JSON.stringify(future)}`);
      }
      assert.equal(calls.length, 0, 'not even a login');
    }
  });

  it('recovers from a 503 followed by 200 (one backoff sleep)', async () => {
    sim.inject({ kind: 'status', status: 503, count: 1 });
    const clock = fakeClock(NOW);
    const msgs = await collect(createNetschoolSource().read(context(configOf(sim), { clock }), 'school_years', null));
    assert.ok(records(msgs).length > 0);
    assert.equal(clock.sleeps.length, 1);
  });

  it('honours Retry-After on 429', async () => {
    sim.inject({ kind: 'status', status: 429, count: 1, retryAfterSec: 7, pathPrefix: '/webapi/student/diary' });
    const clock = fakeClock(NOW);
    const msgs = await collect(createNetschoolSource().read(context(configOf(sim, { weeksAhead: 0 }), { clock }), 'diary', null));
    assert.ok(records(msgs).length > 0);
    assert.deepEqual(clock.sleeps, [7000]);
  });

  it('fails the read as retryable when the journal stays down', async () => {
    sim.inject({ kind: 'status', status: 503, count: 50 });
    await assert.rejects(collect(createNetschoolSource().read(context(configOf(sim)), 'school_years', null)),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_SRC_UNAVAILABLE' && e.errorClass === 'retryable');
  });

  it('logs in again after the sessions expire', async () => {
    const calls: Recorded[] = [];
    const adapter = createNetschoolSource();
    const ctx = context(configOf(sim), { calls });
    await collect(adapter.read(ctx, 'school_years', null));
    sim.inject({ kind: 'expire-sessions' });
    const msgs = await collect(adapter.read(ctx, 'school_years', null));
    assert.ok(records(msgs).length > 0);
    assert.equal(calls.filter((c) => c.path === '/webapi/login').length, 2);
    assert.equal(calls.filter((c) => c.path === '/webapi/years/current').length, 3, 'one refused with 401, then repeated');
  });

  it('confirms the SecurityWarning page on a session collision (fault and a real second login)', async () => {
    const calls: Recorded[] = [];
    sim.inject({ kind: 'custom', name: 'session-collision' });
    const a = createNetschoolSource();
    assert.deepEqual(await a.check(context(configOf(sim), { calls })), { ok: true, details: { netschoolSchoolId: 1207 } });
    assert.equal(calls.filter((c) => c.path === '/asp/SecurityWarning.asp').length, 1);

    calls.length = 0;
    const b = createNetschoolSource(); // a second gateway with the same login while a's session lives
    assert.equal((await b.check(context(configOf(sim), { calls }))).ok, true);
    assert.equal(calls.filter((c) => c.path === '/asp/SecurityWarning.asp').length, 1);
  });

  it('yields a malformed mark as invalid (GW_RECORD_UNMAPPABLE, field named) and goes on', async () => {
    sim.inject({ kind: 'malformed', count: 1 });
    const msgs = await collect(createNetschoolSource().read(context(configOf(sim)), 'diary', null));
    const bad = msgs.flatMap((m, i) => (m.kind === 'invalid' ? [{ m, i }] : []));
    assert.equal(bad.length, 1);
    const { m, i } = bad[0]!;
    assert.ok(m.kind === 'invalid');
    assert.equal(m.entityType, 'mark');
    assert.equal(m.error.code, 'GW_RECORD_UNMAPPABLE');
    assert.equal(m.error.errorClass, 'invalid_data');
    assert.deepEqual(m.error.issues.map((x) => x.path), ['/mark/mark']);
    assert.ok(records(msgs.slice(i + 1)).length > 100, 'the read went on');
  });

  it('tolerates drifted shapes: weight and mark as strings, a single teacher object', async () => {
    sim.inject({ kind: 'shape-change', target: 'weight' });
    const adapter = createNetschoolSource();
    const ctx = context(configOf(sim, { weeksBack: 0, weeksAhead: 0 }));
    let msgs = await collect(adapter.read(ctx, 'diary', null));
    assert.equal(msgs.filter((m) => m.kind === 'invalid').length, 0);
    assert.ok(records(msgs).filter((r) => r.entityType === 'assessment').every((r) => typeof r.fields.weight === 'number'));
    sim.inject({ kind: 'shape-change', target: 'mark' });
    msgs = await collect(adapter.read(ctx, 'diary', null));
    assert.ok(records(msgs).filter((r) => r.entityType === 'mark' && r.fields.value).every((r) => typeof (r.fields.value as { numeric: unknown }).numeric === 'number'));
    sim.inject({ kind: 'shape-change', target: 'teachers' });
    msgs = await collect(adapter.read(ctx, 'roster', null));
    assert.ok(records(msgs).some((r) => r.entityType === 'teaching_assignment'));
  });

  it('check: bad password → permanent GW_SRC_AUTH_FAILED; unknown school → GW_SRC_NOT_FOUND', async () => {
    const bad = await createNetschoolSource().check(context(configOf(sim, { password: 'Дневник-2024!' })));
    assert.ok(!bad.ok);
    assert.equal(bad.error.code, 'GW_SRC_AUTH_FAILED');
    assert.equal(bad.error.errorClass, 'permanent');
    const noSchool = await createNetschoolSource().check(context(configOf(sim, { schoolName: 'Гимназия № 999' })));
    assert.ok(!noSchool.ok);
    assert.equal(noSchool.error.code, 'GW_SRC_NOT_FOUND');
  });

  it('attendance: nothing without a mobile token, permanent failure with a wrong one', async () => {
    const adapter = createNetschoolSource();
    const cfg = configOf(sim);
    delete cfg.mobileAccessToken;
    assert.deepEqual(await collect(adapter.read(context(cfg), 'attendance', null)), []);
    await assert.rejects(collect(adapter.read(context({ ...cfg, mobileAccessToken: 'wrong' }), 'attendance', null)),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_SRC_AUTH_FAILED');
  });

  it('logs out on close: the token is dead afterwards', async () => {
    const calls: Recorded[] = [];
    const adapter = createNetschoolSource();
    const ctx = context(configOf(sim), { calls });
    assert.equal((await adapter.check(ctx)).ok, true);
    await adapter.close?.(ctx);
    assert.equal(calls.filter((c) => c.path === '/webapi/auth/logout').length, 1);
    assert.equal((await (await fetch(`${sim.url}/_sim/state`)).json() as { sessions: number }).sessions, 0);
  });

  it('adds a mark on a live tick', async () => {
    const adapter = createNetschoolSource();
    const ctx = context(configOf(sim, { weeksBack: 0, weeksAhead: 0 }));
    const before = records(await collect(adapter.read(ctx, 'diary', null))).filter((r) => r.entityType === 'mark').length;
    const tick = await (await fetch(`${sim.url}/_sim/live-tick`, { method: 'POST' })).json() as { assignmentId: number };
    assert.ok(tick.assignmentId > 0);
    const after = records(await collect(adapter.read(ctx, 'diary', null))).filter((r) => r.entityType === 'mark');
    assert.equal(after.length, before + 1);
    assert.ok(after.some((r) => r.sourceId.startsWith(`${tick.assignmentId}:`)));
  });
});

describe('netschool simulator protocol', function () {
  this.timeout(20_000);
  let sim: SimulatorHandle;
  beforeEach(async () => { sim = await netschoolSimulator.start({ seed: 7, now: () => NOW }); });
  afterEach(async () => { await sim.close(); });

  const cookieOf = (r: Response): string => /NSSESSIONID=([^;]+)/.exec(r.headers.get('set-cookie') ?? '')?.[1] ?? '';

  async function loginForm(password: string, o: { referer?: boolean; utf8?: boolean } = {}): Promise<Response> {
    const cookie = cookieOf(await fetch(`${sim.url}/webapi/logindata`));
    const headers = { Cookie: `NSSESSIONID=${cookie}` };
    const gd = await (await fetch(`${sim.url}/webapi/auth/getdata`, { method: 'POST', headers })).json() as { lt: string; ver: string; salt: string };
    const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');
    // The classic client mistake: hashing the UTF-8 bytes instead of windows-1251.
    const { pw, pw2 } = o.utf8
      ? (() => { const h = md5(gd.salt + md5(Buffer.from(password, 'utf8'))); return { pw2: h, pw: h.slice(0, password.length) }; })()
      : hashPassword(password, gd.salt);
    const body = new URLSearchParams({ loginType: '1', scid: '1207', un: sim.credentials.login as string, pw, pw2, lt: gd.lt, ver: gd.ver });
    return fetch(`${sim.url}/webapi/login`, {
      method: 'POST', body,
      headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded', ...(o.referer === false ? {} : { Referer: `${sim.url}/` }) },
    });
  }

  it('uses a Cyrillic demo password and checks pw2 against its windows-1251 hash', async () => {
    assert.match(sim.credentials.password as string, /[А-Яа-яЁё]/);
    const ok = await loginForm(sim.credentials.password as string);
    assert.equal(ok.status, 200);
    const body = await ok.json() as { at: string; timeOut: number };
    assert.ok(body.at.length > 10 && body.timeOut > 0);
    const utf8 = await loginForm(sim.credentials.password as string, { utf8: true });
    assert.equal(utf8.status, 409);
    assert.ok(((await utf8.json()) as { message: string }).message.length > 0);
  });

  it('requires a Referer on login and a name on school search; hands out a fresh salt per getdata', async () => {
    assert.equal((await loginForm(sim.credentials.password as string, { referer: false })).status, 400);
    assert.equal((await fetch(`${sim.url}/webapi/schools/search`)).status, 403);
    const found = await (await fetch(`${sim.url}/webapi/schools/search?name=${encodeURIComponent('СОШ № 7')}`)).json() as { id: number }[];
    assert.deepEqual(found.map((s) => s.id).sort(), [1207, 1271]);
    const salts = await Promise.all([1, 2].map(async () => ((await (await fetch(`${sim.url}/webapi/auth/getdata`, { method: 'POST' })).json()) as { salt: string }).salt));
    assert.notEqual(salts[0], salts[1]);
  });

  it('answers 401 without at + cookie, and takes faults over POST /_sim/faults', async () => {
    assert.equal((await fetch(`${sim.url}/webapi/context`)).status, 401);
    assert.equal((await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"kind":"nope"}' })).status, 400);
    const r = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'status', status: 503, count: 1, retryAfterSec: 3 }) });
    assert.equal(r.status, 200);
    const hit = await fetch(`${sim.url}/webapi/logindata`);
    assert.equal(hit.status, 503);
    assert.equal(hit.headers.get('retry-after'), '3');
    assert.equal((await fetch(`${sim.url}/webapi/logindata`)).status, 200);
  });

  it('generates the same school from the same seed and day', async () => {
    const other = await netschoolSimulator.start({ seed: 7, now: () => NOW });
    try {
      const a = createNetschoolSource();
      const read = async (h: SimulatorHandle) => records(await collect(a.read(context(configOf(h, { weeksBack: 0, weeksAhead: 0 })), 'diary', null)));
      assert.deepEqual(await read(other), await read(sim));
    } finally { await other.close(); }
  });
});

// ---- shared source contract (test/contract/source.contract.ts) ----
describeSourceContract('netschool-source', {
  adapter: netschoolSource,
  startSimulator: () => netschoolSimulator.start({ seed: 7 }),
  config: (sim) => configOf(sim),
  badAuthConfig: (sim) => configOf(sim, { password: 'wrong' }),
  futureCursor: (_s, now) => { const t = new Date(now.getTime() + 366 * 86_400_000).toISOString(); return { v: 1, position: t, signpost: t }; },
  malformedStream: 'diary',
});
