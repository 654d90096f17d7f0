/**
 * End-to-end reads of the Дневник.ру source against its simulator over loopback, with the real
 * HTTP client, pipeline and ledger, and a fake clock. The simulator and the clock share one
 * fixed "now": Wednesday 2026-11-18, 12:00 in Moscow.
 */
import assert from 'node:assert/strict';
import type { RunContext } from '../../../src/core/adapter';
import { GatewayError } from '../../../src/core/errors';
import { DEFAULT_ID_NAMESPACE } from '../../../src/core/ids';
import type { MappedRecord } from '../../../src/core/records';
import type { SimulatorHandle } from '../../../src/core/simulator';
import { getCanonicalValidator } from '../../../src/infra/schemas';
import { normalizeRecord } from '../../../src/pipeline/normalize';
import { collect, fakeClock, ingestAll, makeContext, tmpLedger, type FakeClock } from '../../../test/support/harness';
import { records, recordingHttp } from '../../../test/support/source-run';
import { describeSourceContract } from '../../../test/contract/source.contract';
import { createDnevnikSource, dnevnikSimulator, dnevnikSource, type DnevnikConfig } from '../index';

const NOW = new Date('2026-11-18T09:00:00Z');

function configOf(sim: SimulatorHandle, extra: Partial<DnevnikConfig> = {}): DnevnikConfig {
  return {
    baseUrl: sim.env.DIARY_SIM_DNEVNIK_URL as string,
    accessToken: sim.env.DIARY_SIM_DNEVNIK_ACCESS_TOKEN as string,
    weeksBack: 1, weeksAhead: 0, lookbackWeeks: 1,
    ...extra,
  };
}

function context(cfg: DnevnikConfig, o: { clock?: FakeClock; paths?: string[]; headers?: Record<string, string>[] } = {}): RunContext<DnevnikConfig> {
  const ctx = makeContext(cfg, { clock: o.clock ?? fakeClock(NOW), system: 'dnevnik-ru' });
  if (!o.paths) return ctx;
  const http = recordingHttp(ctx.http, o.paths, (req) => {
    o.headers?.push(req.headers ?? {});
    return new URL(req.url).pathname;
  });
  return { ...ctx, http };
}


async function failure(p: Promise<unknown>): Promise<GatewayError> {
  try { await p; } catch (e) { assert.ok(e instanceof GatewayError, String(e)); return e; }
  assert.fail('expected a failure');
}

describe('dnevnik source against the simulator', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;
  beforeEach(async () => { sim = await dnevnikSimulator.start({ seed: 7, now: () => NOW }); });
  afterEach(async () => { await sim.close(); });

  it('reads every stream into canonically valid records, with the Access-Token header on each call', async () => {
    const paths: string[] = [];
    const headers: Record<string, string>[] = [];
    const ctx = context(configOf(sim), { paths, headers });
    const all: MappedRecord[] = [];
    for (const s of dnevnikSource.streams) all.push(...records(await collect(dnevnikSource.read(ctx, s.name, null))));
    const v = getCanonicalValidator();
    const bad = all.flatMap((r) => {
      const n = normalizeRecord(r, { idNamespace: DEFAULT_ID_NAMESPACE, schoolId: 's', sourceSystem: 'dnevnik-ru', adapter: 'dnevnik-source', adapterVersion: '1', fetchedAt: NOW.toISOString() });
      const issues = v.validate(n.record);
      return issues.length > 0 ? [`${r.entityType} ${r.sourceId} ${JSON.stringify(issues)}`] : [];
    });
    assert.deepEqual(bad.slice(0, 3), []);
    const count = (e: string) => all.filter((r) => r.entityType === e).length;
    assert.equal(count('class_group'), 2);
    assert.equal(all.filter((r) => r.entityType === 'membership').length, 50);
    for (const e of ['lesson', 'assessment', 'homework', 'mark', 'attendance_event', 'reporting_period', 'teaching_assignment']) assert.ok(count(e) > 0, e);
    assert.ok(headers.every((h) => h['Access-Token'] === sim.credentials.accessToken));
    assert.ok(paths.every((p) => p.startsWith('/v2/')));
    assert.ok(paths.some((p) => /^\/v2\/edu-groups\/\d{19}\/marks\/2026-11-09T00:00:00\/2026-11-15T23:59:59$/.test(p)), 'marks by datetime range');
  });

  it('keeps 19-digit ids exact, from the _str twin or, when it is missing, from the raw number', async () => {
    const ctx = context(configOf(sim));
    const before = records(await collect(dnevnikSource.read(ctx, 'journal', null)));
    const ids = before.map((r) => r.sourceId).filter((id) => /^\d{19}$/.test(id));
    assert.ok(ids.length > 100 && ids.every((id) => id.startsWith('10')), 'ids past 2^53 kept as strings');
    sim.inject({ kind: 'shape-change', target: 'ids' });
    const after = records(await collect(dnevnikSource.read(ctx, 'journal', null)));
    assert.deepEqual(after.map((r) => [r.sourceId, r.fields]), before.map((r) => [r.sourceId, r.fields]));
  });

  it('keeps the journal timestamps: mark entry time, homework sent time, absence entry time', async () => {
    const rs = records(await collect(dnevnikSource.read(context(configOf(sim)), 'journal', null)));
    const mark = rs.find((r) => r.entityType === 'mark');
    assert.match(String(mark?.fields.markedAt), /^2026-11-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(mark?.sourceModifiedAt, mark?.fields.markedAt);
    // Sim marks are entered at the end of the lesson (Moscow time) or days later, never before.
    for (const m of rs.filter((r) => r.entityType === 'mark')) assert.ok(String(m.fields.markedAt) >= `${String(m.fields.date)}T05:00:00Z`, m.sourceId);
    const hw = rs.find((r) => r.entityType === 'homework');
    assert.match(String(hw?.sourceCreatedAt), /T1[2-3]:\d\d:00Z$/, 'sent at 15:xx Moscow = 12:xx UTC');
    const abs = rs.find((r) => r.entityType === 'attendance_event' && r.fields.category !== 'present');
    assert.ok(abs?.sourceCreatedAt);
    const cats = new Set(rs.filter((r) => r.entityType === 'attendance_event').map((r) => `${String(r.fields.code)}=${String(r.fields.category)}`));
    assert.deepEqual([...cats].sort(), ['Absent=absent_invalid', 'Attend=present', 'Ill=absent_illness', 'Late=late', 'Pass=absent_valid']);
  });

  it('reads period final marks pointing at reporting periods, and teachers from the PascalCase answer', async () => {
    const ctx = context(configOf(sim));
    const finals = records(await collect(dnevnikSource.read(ctx, 'final_marks', null)));
    assert.equal(finals.length, 2 * 25 * 6, 'one quarter over by mid-November');
    assert.ok(finals.every((m) => m.fields.kind === 'period' && typeof m.fields.reportingPeriodId === 'string'));
    const roster = records(await collect(dnevnikSource.read(ctx, 'roster', null)));
    const teachers = roster.filter((r) => r.entityType === 'person' && (r.fields.roles as string[]).includes('teacher'));
    assert.equal(teachers.length, 6);
    sim.inject({ kind: 'shape-change', target: 'teachers-casing' });
    const camel = records(await collect(dnevnikSource.read(ctx, 'roster', null)));
    assert.deepEqual(camel, roster, 'camelCase teachers read the same');
    const strict = await collect(dnevnikSource.read(context(configOf(sim, { pascalCaseEndpoints: 'pascal' })), 'roster', null));
    assert.ok(strict.some((m) => m.kind === 'invalid'), 'forcing PascalCase on a camelCase answer is visible, not silent');
  });

  it('tolerates drift: numeric mark values and work types named by `name`', async () => {
    const ctx = context(configOf(sim));
    const base = records(await collect(dnevnikSource.read(ctx, 'journal', null)));
    sim.inject({ kind: 'shape-change', target: 'mark-value' });
    assert.deepEqual(records(await collect(dnevnikSource.read(ctx, 'journal', null))), base);
    sim.inject({ kind: 'shape-change', target: 'work-type-name' });
    assert.deepEqual(records(await collect(dnevnikSource.read(ctx, 'journal', null))), base);
  });

  it('person-schedules mode reads the same lessons and the person\'s own marks, from {days} or a bare list', async () => {
    const group = records(await collect(dnevnikSource.read(context(configOf(sim)), 'journal', null)));
    const students = group.filter((r) => r.entityType === 'attendance_event' && r.fields.category === 'absent_illness');
    const person = students[0]?.sourceId.split(':')[1] as string;
    assert.ok(person, 'a student with an absence');
    const cfg = configOf(sim, { journalSource: 'person-schedules', personIds: [person, '1000000000000000042'] });
    const own = records(await collect(dnevnikSource.read(context(cfg), 'journal', null)));
    const pick = (rs: MappedRecord[], e: string) => rs.filter((r) => r.entityType === e).map((r) => [r.sourceId, r.fields]);
    assert.deepEqual(pick(own, 'lesson'), pick(group, 'lesson').filter(([, f]) => (f as { classGroupId: string }).classGroupId === (own[0]?.fields.classGroupId)));
    const ref = (own.find((r) => r.entityType === 'attendance_event')?.fields.studentId) as string;
    assert.deepEqual(pick(own, 'mark'), pick(group, 'mark').filter(([, f]) => (f as { studentId: string }).studentId === ref));
    assert.deepEqual(pick(own, 'attendance_event'), pick(group, 'attendance_event').filter(([, f]) => (f as { studentId: string }).studentId === ref));
    assert.ok(pick(own, 'mark').length > 0);
    sim.inject({ kind: 'shape-change', target: 'schedule-list' });
    assert.deepEqual(records(await collect(dnevnikSource.read(context(cfg), 'journal', null))), own);
    const strict = await failure(collect(dnevnikSource.read(context({ ...cfg, scheduleShape: 'days' }), 'journal', null)));
    assert.equal(strict.code, 'GW_SRC_PROTOCOL');
  });

  it('fails as permanent GW_SRC_AUTH_FAILED once the token expires, and GW_SRC_NOT_FOUND for an unknown group', async () => {
    const ctx = context(configOf(sim));
    assert.equal((await dnevnikSource.check(ctx)).ok, true);
    sim.inject({ kind: 'expire-sessions' });
    const r = await dnevnikSource.check(ctx);
    assert.equal(r.ok, false);
    if (!r.ok) { assert.equal(r.error.code, 'GW_SRC_AUTH_FAILED'); assert.equal(r.error.errorClass, 'permanent'); }
    sim.inject({ kind: 'clear' });
    const e = await failure(collect(dnevnikSource.read(context(configOf(sim, { eduGroupIds: ['1000000000000000042'] })), 'roster', null)));
    assert.equal(e.code, 'GW_SRC_NOT_FOUND');
  });

  it('gives up on a lasting HTML maintenance page as retryable GW_SRC_UNAVAILABLE', async () => {
    sim.inject({ kind: 'status', status: 550, count: 50 });
    const r = await dnevnikSource.check(context(configOf(sim)));
    assert.equal(r.ok, false);
    if (!r.ok) { assert.equal(r.error.code, 'GW_SRC_UNAVAILABLE'); assert.equal(r.error.errorClass, 'retryable'); }
  });

  it('an incremental read re-reads lookbackWeeks and picks up a mark added later', async () => {
    const { ledger } = await tmpLedger();
    try {
      const clock = fakeClock(NOW);
      const ctx = context(configOf(sim), { clock });
      const first = await ingestAll(ledger, dnevnikSource, ctx, { streams: ['journal'], clock });
      assert.equal(first.status, 'ok');
      const paths: string[] = [];
      const again = await ingestAll(ledger, dnevnikSource, context(configOf(sim), { clock, paths }), { streams: ['journal'], clock });
      assert.equal(again.counts.inserted + again.counts.updated, 0);
      sim.inject({ kind: 'custom', name: 'add-mark' });
      const third = await ingestAll(ledger, dnevnikSource, context(configOf(sim), { clock }), { streams: ['journal'], clock });
      assert.equal(third.counts.inserted, 1, 'the new mark');
      assert.equal(third.counts.updated, 0);
      assert.deepEqual([...new Set(paths.filter((p) => p.includes('/lessons/')).map((p) => p.split('/').at(-2)))], ['2026-11-09', '2026-11-16']);
    } finally { await ledger.close(); }
  });

  it('answers like the real API: 401 JSON without a token, HTML 404 for unknown paths, faults over POST /_sim/faults', async () => {
    const noToken = await fetch(`${sim.url}/v2/users/me/context`);
    assert.equal(noToken.status, 401);
    assert.equal(((await noToken.json()) as { type: string }).type, 'authorizationFailed');
    const html = await fetch(`${sim.url}/v2/nope`, { headers: { 'Access-Token': sim.credentials.accessToken as string } });
    assert.equal(html.status, 404);
    assert.match(await html.text(), /class="error__description"/);
    const bad = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"kind":"nope"}' });
    assert.equal(bad.status, 400);
    await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'status', status: 429, count: 1, retryAfterSec: 3 }) });
    const limited = await fetch(`${sim.url}/v2/users/me/context`);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
    const text = await (await fetch(`${sim.url}/v2/users/me/context`, { headers: { 'Access-Token': sim.credentials.accessToken as string } })).text();
    assert.match(text, /"personId":\d{19},"personId_str":"\d{19}"/, 'raw 19-digit number next to its _str twin');
  });

  it('generates the same school from the same seed and day', async () => {
    const other = await dnevnikSimulator.start({ seed: 7, now: () => NOW });
    try {
      const a = createDnevnikSource();
      const read = async (h: SimulatorHandle) => records(await collect(a.read(context(configOf(h)), 'journal', null)));
      assert.deepEqual(await read(other), await read(sim));
    } finally { await other.close(); }
  });
});

// ---- shared source contract (test/contract/source.contract.ts) ----
describeSourceContract('dnevnik-source', {
  adapter: dnevnikSource,
  startSimulator: () => dnevnikSimulator.start({ seed: 7 }),
  config: (sim) => configOf(sim),
  badAuthConfig: (sim) => configOf(sim, { accessToken: 'wrong-token' }),
  futureCursor: (_s, now) => { const t = new Date(now.getTime() + 366 * 86_400_000).toISOString(); return { v: 1, position: t, signpost: t }; },
  malformedStream: 'journal',
});
