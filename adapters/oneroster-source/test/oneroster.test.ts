/**
 * End-to-end reads of the OneRoster source (REST mode) against its simulator over loopback,
 * with the real HTTP client, pipeline and SQLite ledger, on one fake clock shared by the
 * simulator and the adapter: Wednesday 2025-11-12, 12:00 in Moscow (the first term has ended).
 */
import assert from 'node:assert/strict';
import type { RunContext } from '../../../src/core/adapter';
import { GatewayError } from '../../../src/core/errors';
import type { HttpRequest } from '../../../src/core/http';
import { DEFAULT_ID_NAMESPACE } from '../../../src/core/ids';
import type { MappedRecord } from '../../../src/core/records';
import type { SimulatorHandle } from '../../../src/core/simulator';
import { getCanonicalValidator } from '../../../src/infra/schemas';
import { normalizeRecord } from '../../../src/pipeline/normalize';
import { describeSourceContract } from '../../../test/contract/source.contract';
import { collect, fakeClock, ingestAll, tmpLedger, type FakeClock } from '../../../test/support/harness';
import { checkpoints, records, simContext } from '../../../test/support/source-run';
import { SCOPES } from '../collections';
import { createOneRosterSource, oneRosterSimulator, oneRosterSource, type OneRosterConfig } from '../index';

const NOW = new Date('2025-11-12T09:00:00Z');

interface Call { method: string; path: string; filter?: string }
const toCall = (req: HttpRequest): Call => ({
  method: req.method, path: new URL(req.url).pathname,
  ...(typeof req.params?.filter === 'string' ? { filter: req.params.filter } : {}),
});

function configOf(sim: SimulatorHandle, extra: Partial<OneRosterConfig> = {}): OneRosterConfig {
  return {
    baseUrl: sim.env.DIARY_SIM_ONEROSTER_URL as string, authUrl: sim.env.DIARY_SIM_ONEROSTER_AUTH_URL as string,
    clientId: sim.env.DIARY_SIM_ONEROSTER_CLIENT_ID as string, clientSecret: sim.env.DIARY_SIM_ONEROSTER_CLIENT_SECRET as string,
    ...extra,
  };
}

const post = (sim: SimulatorHandle, p: string, body: unknown = {}): Promise<Response> =>
  fetch(`${sim.url}${p}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const of = (rs: MappedRecord[], e: string): MappedRecord[] => rs.filter((r) => r.entityType === e);

describe('oneroster source against the simulator (REST)', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;
  let clock: FakeClock;
  const ctx = (cfg: OneRosterConfig, calls?: Call[]): RunContext<OneRosterConfig> => simContext(cfg, 'oneroster', NOW, toCall, { clock, ...(calls ? { calls } : {}) });
  const readAll = async (cfg: OneRosterConfig, s: string): Promise<MappedRecord[]> => records(await collect(createOneRosterSource().read(ctx(cfg), s, null)));
  beforeEach(async () => { clock = fakeClock(NOW); sim = await oneRosterSimulator.start({ seed: 7, now: clock.now }); });
  afterEach(async () => { await sim.close(); });

  it('reads every stream into the ledger: all valid, one token for the run, a checkpoint per stream, a re-read adds nothing', async () => {
    const { ledger } = await tmpLedger();
    try {
      const calls: Call[] = [];
      const adapter = createOneRosterSource();
      const c = ctx(configOf(sim, { demographics: true }), calls);
      const first = await ingestAll(ledger, adapter, c, { clock });
      assert.equal(first.status, 'ok', JSON.stringify(first.streams));
      assert.equal(first.counts.quarantined, 0);
      assert.ok(first.counts.inserted > 1500, `inserted ${first.counts.inserted}`);
      assert.equal(calls.filter((x) => x.path === '/oauth2/token').length, 1);
      for (const s of adapter.streams) assert.ok(await ledger.getCursor('test-school', 'src', s.name), s.name);
      const again = await ingestAll(ledger, adapter, c, { clock });
      assert.equal(again.counts.inserted + again.counts.updated, 0);
      assert.ok(again.counts.read < first.counts.read / 5, `a delta re-read reads little (${again.counts.read})`);
    } finally { await ledger.close(); }
  });

  it('maps the demo district: school, year and quarters, subjects, classes, people, links, memberships, assessments, marks, tombstones', async () => {
    const cfg = configOf(sim, { demographics: true });
    const streams = ['orgs', 'academic_sessions', 'courses', 'classes', 'users', 'enrollments', 'line_items', 'results'];
    const all = (await Promise.all(streams.map((s) => readAll(cfg, s)))).flat();
    assert.deepEqual(of(all, 'school').map((r) => r.fields.name), ['МБОУ «Средняя общеобразовательная школа № 7»']);
    assert.deepEqual(of(all, 'academic_year').map((r) => [r.sourceId, r.fields.title, r.fields.isCurrent]), [['schoolYear:2026', '2025/2026', true]]);
    assert.deepEqual(of(all, 'reporting_period').map((r) => [r.fields.kind, r.fields.sequence]), [['quarter', 1], ['quarter', 2], ['quarter', 3], ['quarter', 4]]);
    assert.equal(of(all, 'subject').length, 9);
    const groups = of(all, 'class_group');
    assert.deepEqual(groups.filter((g) => g.fields.kind === 'class').map((g) => g.fields.title), ['5А', '5Б']);
    assert.equal(groups.filter((g) => g.fields.kind === 'subgroup').length, 16);
    const persons = of(all, 'person');
    const students = persons.filter((p) => (p.fields.roles as string[]).includes('student'));
    assert.equal(students.length, 24);
    assert.ok(students.every((s) => /^\d{4}-\d{2}-\d{2}$/.test(String(s.fields.birthDate))), 'birth dates from demographics');
    assert.deepEqual(students.filter((s) => s.status === 'tobedeleted').map((s) => s.sourceId), ['u-st-5b-12']);
    assert.equal(persons.filter((p) => (p.fields.roles as string[]).includes('teacher')).length, 8);
    assert.ok(persons.some((p) => (p.fields.roles as string[]).includes('ext:siteAdministrator')));
    const links = of(all, 'guardian_link');
    assert.equal(links.length, 36);
    assert.ok(links.some((l) => l.fields.relation === 'legal_representative'));
    assert.equal(of(all, 'teaching_assignment').length, 16);
    assert.ok(of(all, 'membership').filter((m) => m.status === 'tobedeleted').length >= 9, 'the leaver\'s enrollments are tombstones');
    const assessments = of(all, 'assessment');
    assert.deepEqual([...new Set(assessments.map((a) => (a.fields.workType as { code: string }).code))].sort(), ['control_work', 'homework', 'independent_work', 'oral_answer', 'test']);
    assert.ok(assessments.every((a) => a.fields.weight === ({ control_work: 3, independent_work: 2, test: 1.5 } as Record<string, number>)[(a.fields.workType as { code: string }).code] || a.fields.weight === 1));
    const marks = of(all, 'mark');
    assert.ok(marks.some((m) => m.fields.kind === 'period' && m.fields.reportingPeriodId), 'term marks');
    assert.ok(marks.some((m) => (m.fields.value as { scale?: string } | undefined)?.scale === 'pass_fail'), 'PE pass/fail through the score scale');
    assert.ok(marks.some((m) => (m.fields.value as { scale?: string } | undefined)?.scale === 'five_point_modifiers'));
    assert.ok(marks.some((m) => m.fields.markStatus === 'exempt') && marks.some((m) => m.fields.markStatus === 'debt'));
    assert.equal(marks.filter((m) => m.status === 'tobedeleted').length, 1);
    assert.ok(marks.every((m) => m.sourceModifiedAt === m.fields.markedAt), 'markedAt is the journal\'s dateLastModified');

    const v = getCanonicalValidator();
    const bad = all.flatMap((r) => {
      const n = normalizeRecord(r, { idNamespace: DEFAULT_ID_NAMESPACE, schoolId: 's', sourceSystem: 'oneroster', adapter: 'oneroster-source', adapterVersion: '1', fetchedAt: NOW.toISOString() });
      const issues = v.validate(n.record);
      return issues.length > 0 ? [`${r.entityType} ${r.sourceId} ${JSON.stringify(issues)}`] : [];
    });
    assert.deepEqual(bad.slice(0, 3), []);
  });

  it('delta: the cursor is the greatest dateLastModified capped at the run start; the next read filters from it minus the lookback and takes new marks and tombstones', async () => {
    const { ledger } = await tmpLedger();
    try {
      const adapter = createOneRosterSource();
      const cfg = configOf(sim, { lookbackMinutes: 10 });
      const first = await collect(adapter.read(ctx(cfg), 'results', null));
      const [cp] = checkpoints(first);
      assert.ok(cp && cp.signpost === NOW.toISOString().replace('.000Z', 'Z'));
      const maxSeen = records(first).map((r) => r.sourceModifiedAt as string).sort().pop() as string;
      assert.equal(cp?.position, maxSeen);
      assert.ok(cp && cp.position <= cp.signpost);

      await ingestAll(ledger, adapter, ctx(cfg), { streams: ['results'], clock });
      clock.advance(3_600_000);
      const live = await (await post(sim, '/_sim/live-tick')).json() as { sourcedId: string };
      assert.equal((await post(sim, '/_sim/touch', { collection: 'results', sourcedId: records(first)[0]!.sourceId, patch: { status: 'tobedeleted' } })).status, 200);
      const calls: Call[] = [];
      const second = await ingestAll(ledger, adapter, ctx(cfg, calls), { streams: ['results'], clock });
      assert.equal(second.status, 'ok');
      const since = new Date(Date.parse(maxSeen) - 10 * 60_000).toISOString().replace('.000Z', 'Z');
      assert.deepEqual([...new Set(calls.filter((x) => x.path.endsWith('/results')).map((x) => x.filter))], [`dateLastModified>'${since}'`]);
      assert.equal(second.counts.inserted, 1, 'the live mark');
      assert.ok(second.counts.updated >= 1, 'the tombstone');
      const cursor = await ledger.getCursor('test-school', 'src', 'results');
      assert.equal(cursor?.position, clock.now().toISOString().replace('.000Z', 'Z'));
      assert.ok(live.sourcedId);
    } finally { await ledger.close(); }
  });

  it('delta follow-ups: a changed category re-reads every line item; a changed birth date alone re-reads its user by id', async () => {
    const adapter = createOneRosterSource();
    const cfg = configOf(sim, { demographics: true });
    const cursorOf = async (s: string) => checkpoints(await collect(adapter.read(ctx(cfg), s, null)))[0] ?? null;
    const [li, us] = [await cursorOf('line_items'), await cursorOf('users')];
    clock.advance(3_600_000);
    await post(sim, '/_sim/touch', { collection: 'categories', sourcedId: 'cat-control', patch: { weight: 4 } });
    await post(sim, '/_sim/touch', { collection: 'demographics', sourcedId: 'u-st-5a-02', patch: { birthDate: '2013-12-31' } });
    const calls: Call[] = [];
    const itemsRead = await collect(adapter.read(ctx(cfg, calls), 'line_items', li));
    const items = records(itemsRead);
    assert.ok(items.length > 100, `every line item again (${items.length})`);
    assert.ok(items.filter((a) => (a.fields.workType as { code: string }).code === 'control_work').every((a) => a.fields.weight === 4));
    const pages = calls.filter((x) => x.path.endsWith('/lineItems'));
    assert.ok(pages.length >= 1 && pages.every((x) => x.filter === undefined), 'no delta filter');
    assert.ok(calls.some((x) => x.path.endsWith('/categories') && /^dateLastModified>'/.test(x.filter ?? '')), 'categories asked for changes');
    const after = checkpoints(itemsRead)[0] ?? null;
    assert.equal(after?.position, clock.now().toISOString().replace('.000Z', 'Z'), 'the cursor moves past the changed category');
    assert.ok(records(await collect(adapter.read(ctx(cfg), 'line_items', after))).length < 20, 'the next read is a delta again, though the lookback sees the category');
    calls.length = 0;
    const people = records(await collect(adapter.read(ctx(cfg, calls), 'users', us)));
    assert.deepEqual(people.filter((p) => p.sourceId === 'u-st-5a-02').map((p) => p.fields.birthDate), ['2013-12-31']);
    assert.ok(people.every((p) => p.sourceId === 'u-st-5a-02' || p.status === 'tobedeleted'), 'besides it, only the lookback window (the leaver\'s family)');
    assert.ok(calls.some((x) => x.path.endsWith('/users/u-st-5a-02')));
  });

  it('renews an expired token: after expire-sessions with one 401 and a retry, after its lifetime without one', async () => {
    const calls: Call[] = [];
    const adapter = createOneRosterSource();
    const cfg = configOf(sim);
    await collect(adapter.read(ctx(cfg, calls), 'orgs', null));
    sim.inject({ kind: 'expire-sessions' });
    const r = records(await collect(adapter.read(ctx(cfg, calls), 'courses', null)));
    assert.equal(r.length, 9);
    assert.deepEqual(calls.map((x) => x.path.split('/').pop()), ['token', 'orgs', 'courses', 'token', 'courses']);
    calls.length = 0;
    clock.advance(3600 * 1000);
    await collect(adapter.read(ctx(cfg, calls), 'courses', null));
    assert.deepEqual(calls.map((x) => x.path.split('/').pop()), ['token', 'courses']);
  });

  it('fails check as permanent for a refused client and a missing scope; reads nothing for a future cursor', async () => {
    const bad = await createOneRosterSource().check(ctx(configOf(sim, { clientSecret: 'wrong' })));
    assert.ok(!bad.ok && bad.error.code === 'GW_SRC_AUTH_FAILED');
    sim.inject({ kind: 'custom', name: 'bad-client', count: 1 });
    const revoked = await createOneRosterSource().check(ctx(configOf(sim)));
    assert.ok(!revoked.ok && revoked.error.errorClass === 'permanent');
    await assert.rejects(collect(createOneRosterSource().read(ctx(configOf(sim, { demographics: true, scopes: [SCOPES.rosterCore] })), 'users', null)),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_SRC_AUTH_FAILED' && /forbidden/.test(e.message));
    const calls: Call[] = [];
    const future = { v: 1 as const, position: '2025-11-13T00:00:00Z', signpost: '2025-11-13T00:00:00Z' };
    for (const s of oneRosterSource.streams) assert.deepEqual(await collect(createOneRosterSource().read(ctx(configOf(sim), calls), s.name, future)), [], s.name);
    assert.equal(calls.length, 0);
  });

  it('reads the same records whatever the paging: short pages, no X-Total-Count, no Link; a provider ignoring offset is a protocol error', async () => {
    const cfg = configOf(sim, { pageSize: 40 });
    const clean = await readAll(cfg, 'enrollments');
    for (const flag of ['short-pages', 'no-total', 'no-link']) {
      sim.inject({ kind: 'custom', name: flag });
      assert.deepEqual(await readAll(cfg, 'enrollments'), clean, flag);
    }
    sim.inject({ kind: 'clear' });
    sim.inject({ kind: 'custom', name: 'offset-ignored' });
    await assert.rejects(readAll(cfg, 'enrollments'), (e: unknown) => e instanceof GatewayError && e.code === 'GW_SRC_PROTOCOL');
  });

  it('chains a configured filter (dotted field) with the delta filter; a filter the provider refuses is a protocol error', async () => {
    const students = await readAll(configOf(sim, { extraFilters: { users: "roles.role='student'" } }), 'users');
    assert.equal(of(students, 'person').length, 24);
    const calls: Call[] = [];
    await collect(createOneRosterSource().read(ctx(configOf(sim, { extraFilters: { users: "roles.role='teacher'" } }), calls), 'users', { v: 1, position: '2025-11-01T00:00:00Z', signpost: '2025-11-01T00:00:00Z' }));
    assert.deepEqual(calls.filter((x) => x.path.endsWith('/users')).map((x) => x.filter), ["dateLastModified>'2025-10-31T23:50:00Z' AND roles.role='teacher'"]);
    await assert.rejects(readAll(configOf(sim, { extraFilters: { classes: "nosuchfield='x'" } }), 'classes'),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_SRC_PROTOCOL' && /invalid_filter_field/.test(e.message));
  });

  it('gives the same records whatever the drift: score as string, primary as boolean, 1.1 roles, bare refs, inactive', async () => {
    const cfg = configOf(sim);
    const read = async () => ({ users: await readAll(cfg, 'users'), enrollments: await readAll(cfg, 'enrollments'), results: await readAll(cfg, 'results') });
    const clean = await read();
    for (const target of ['score-string', 'primary-boolean', 'roles-1.1', 'bare-refs', 'inactive']) sim.inject({ kind: 'shape-change', target });
    assert.deepEqual(await read(), clean);
  });

  it('yields a malformed result as invalid naming the field, keeps only the configured school, and fails as retryable while the provider is down', async () => {
    sim.inject({ kind: 'malformed', count: 1 });
    const msgs = await collect(createOneRosterSource().read(ctx(configOf(sim)), 'results', null));
    const bad = msgs.filter((m) => m.kind === 'invalid');
    assert.equal(bad.length, 1);
    assert.ok(bad[0]?.kind === 'invalid' && bad[0].error.code === 'GW_RECORD_UNMAPPABLE' && bad[0].error.issues[0]?.path === '/student');
    assert.ok(records(msgs).length > 500);
    const other = configOf(sim, { schoolSourcedId: 'org-school-8' });
    for (const s of ['orgs', 'classes', 'users', 'enrollments', 'line_items']) assert.equal((await readAll(other, s)).length, 0, s);
    sim.inject({ kind: 'status', status: 503, count: 50 });
    await assert.rejects(readAll(configOf(sim), 'orgs'), (e: unknown) => e instanceof GatewayError && e.errorClass === 'retryable');
  });
});

// ---- shared source contract (test/contract/source.contract.ts) ----
describeSourceContract('oneroster-source (REST)', {
  adapter: oneRosterSource,
  startSimulator: () => oneRosterSimulator.start({ seed: 7 }),
  config: (sim) => configOf(sim, { demographics: true }),
  badAuthConfig: (sim) => configOf(sim, { clientSecret: 'not-the-secret' }),
  futureCursor: (_s, now) => { const t = new Date(now.getTime() + 366 * 86_400_000).toISOString(); return { v: 1, position: t, signpost: t }; },
  malformedStream: 'results',
});
