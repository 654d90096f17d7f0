/**
 * The SLA engine over a real SQLite ledger: incremental evaluation (only what changed, was
 * delivered or whose time came), bounded passes, unresolved facts that arrive later, a year the
 * calendar does not cover, deletions, a deferred final mark (illness), the sinks that count as
 * delivered, the paper channel, and re-judging a school whose settings changed.
 */
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/core/errors';
import type { Ledger } from '../../src/core/ledger';
import { SqliteSlaStore } from '../../src/ledger/sqlite/sla-store';
import type { SqliteLedger } from '../../src/ledger/sqlite/sqlite-ledger';
import { SlaEngine } from '../../src/sla/engine';
import { buildSlaSchools, readGatewaySlaSettings } from '../../src/sla/settings';
import { packageCalendars, packageProfiles } from '../fixtures/sla/builders';
import { deliver, ingest, local, manualClock, SchoolData, slaConfig, slaRuntime, SINK, tmpLedger, type TestSchool } from '../fixtures/sla/ledger-kit';
import { nullLogger } from '../../src/core/logger';

const TZ = 'Asia/Yekaterinburg';
const SCHOOL = 'kamensk-school-3';
const at = (t: string): string => local(TZ, t);
const HOUR = 3_600_000;
const kamensk = (more: Record<string, unknown> = {}, sinks = [SINK]): TestSchool => ({ id: SCHOOL, name: 'Школа № 3', timezone: TZ, sinks, sla: { profiles: ['kamensk-uralsky-19'], ...more } });

const s1 = new SchoolData(SCHOOL, TZ).id('person', 's1');

function engineFor(ledger: Ledger, schools: TestSchool[], opts: { pageSize?: number; maxPerPass?: number; paper?: boolean } = {}): SlaEngine {
  const config = slaConfig(schools);
  const settings = readGatewaySlaSettings(config);
  return new SlaEngine({
    store: new SqliteSlaStore((ledger as SqliteLedger).database()),
    schools: buildSlaSchools(config, settings, { profiles: packageProfiles(), calendars: packageCalendars() }),
    log: nullLogger, recoveryHoldMs: 30 * 60_000, emailEnabled: false,
    ...(opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {}), ...(opts.maxPerPass !== undefined ? { maxPerPass: opts.maxPerPass } : {}),
    ...(opts.paper ? { familyChannels: async () => new Map([[s1, { channels: ['paper'] as const }]]) } : {}),
  });
}

describe('sla engine: incremental evaluation over the ledger', function () {
  this.timeout(30_000);
  let db: Awaited<ReturnType<typeof tmpLedger>>;
  const s = new SchoolData(SCHOOL, TZ);
  beforeEach(async () => {
    db = await tmpLedger();
    await ingest(db.ledger, SCHOOL, [s.classGroup('c5a', '5А'), s.subject('math', 'Математика'), s.membership('s1', 'c5a'), s.period('q1', '2025-09-01', '2025-10-26', 1),
      s.lesson('L1', 'c5a', 'math', '2025-10-31'), s.lesson('L2', 'c5a', 'math', '2025-12-29')], at('2025-09-01 00:00'), false);
  });
  afterEach(async () => { await db.close(); });
  const store = (): SqliteSlaStore => new SqliteSlaStore((db.ledger as SqliteLedger).database());
  const rows = async (): Promise<Array<[string, string, string | undefined]>> =>
    (await store().listObligations({ schoolId: SCHOOL })).map((r) => [r.obligation.split('/')[1] as string, r.state, r.dueDate]);

  it('judges only new and changed records, deliveries and due times; an idle tick judges nothing', async () => {
    const e = engineFor(db.ledger, [kamensk()]);
    const first = await e.evaluate(new Date(at('2025-09-01 01:00')));
    assert.deepEqual([first.judged, first.rows], [0, 0], 'reference data is not covered');
    await ingest(db.ledger, SCHOOL, [s.attendance('A1', { student: 's1', lesson: 'L1', date: '2025-10-31', category: 'absent_invalid', sourceCreatedAt: '2025-11-01 12:00' })], at('2025-11-01 12:05'));
    const second = await e.evaluate(new Date(at('2025-11-01 12:06')));
    assert.deepEqual([second.judged, second.rows], [1, 1]);
    assert.deepEqual(await rows(), [['absences-entered', 'on_time', '2025-11-01']], 'Fri 31.10 + 1 day = the working Saturday, no roll');
    assert.deepEqual((await e.evaluate(new Date(at('2025-11-01 12:07')))).judged, 0, 'idle');
    await ingest(db.ledger, SCHOOL, [s.mark('P1', { kind: 'period', student: 's1', subject: 'math', period: 'q1', markedAt: '2025-10-27 10:00' })], at('2025-10-27 10:01'));
    assert.equal((await e.evaluate(new Date(at('2025-10-27 10:02')))).judged, 1);
    assert.equal((await e.evaluate(new Date(at('2025-10-28 19:00')))).judged, 0, 'before the risk window');
    assert.equal((await e.evaluate(new Date(at('2025-10-28 20:00')))).judged, 1, 'the risk window opened');
    assert.deepEqual((await rows()).find((r) => r[0] === 'period-marks'), ['period-marks', 'at_risk', '2025-10-28']);
    assert.equal((await e.evaluate(new Date(at('2025-10-29 00:00')))).judged, 0, 'due at 24:00 is not past yet');
    assert.equal((await e.evaluate(new Date(at('2025-10-29 00:01')))).judged, 1, 'the due time passed');
    assert.deepEqual((await rows()).find((r) => r[0] === 'period-marks')?.[1], 'breached');
    assert.equal((await e.evaluate(new Date(at('2025-10-29 06:00')))).judged, 0, 'breached rows wait for a delivery');
    await deliver(db.ledger, [s.id('mark', 'P1')], at('2025-10-29 07:00'));
    assert.equal((await e.evaluate(new Date(at('2025-10-29 07:01')))).judged, 1, 'the delivery');
    const [row] = await store().listObligations({ schoolId: SCHOOL, obligation: 'kamensk-uralsky-19/period-marks' });
    assert.deepEqual([row?.state, row?.gatewayLateMs, row?.classLabel, row?.subjectLabel], ['late', 7 * HOUR, '5А', 'Математика']);
  });

  it('bounded passes: with a page of 2 and a bound of 2 per pass, 5 records take three calls', async () => {
    await engineFor(db.ledger, [kamensk()]).evaluate(new Date(at('2025-11-02 10:00')));
    const e = engineFor(db.ledger, [kamensk()], { pageSize: 2, maxPerPass: 2 });
    await ingest(db.ledger, SCHOOL, [1, 2, 3, 4, 5].map((n) => s.mark(`M${n}`, { kind: 'current', student: 's1', subject: 'math', lesson: 'L1', markedAt: '2025-11-02 10:00' })), at('2025-11-02 10:05'));
    const calls = [];
    for (let i = 0; i < 3; i++) calls.push(await e.evaluate(new Date(at('2025-11-02 10:06'))));
    assert.deepEqual(calls.map((c) => [c.judged, c.complete]), [[2, false], [2, false], [1, true]]);
    assert.equal((await rows()).length, 5);
  });

  it('a mark whose lesson arrives later is unresolved, then judged on the hourly recheck', async () => {
    const e = engineFor(db.ledger, [kamensk()]);
    await ingest(db.ledger, SCHOOL, [s.mark('M9', { kind: 'current', student: 's1', subject: 'math', lesson: 'L9', markedAt: '2025-11-10 10:00' })], at('2025-11-10 10:05'));
    await e.evaluate(new Date(at('2025-11-10 10:06')));
    const [u] = await store().listObligations({ schoolId: SCHOOL });
    assert.deepEqual([u?.state, u?.detail, u?.nextCheckAt], ['unresolved', 'нет данных: lessonDate', at('2025-11-10 11:06')]);
    await ingest(db.ledger, SCHOOL, [s.lesson('L9', 'c5a', 'math', '2025-11-07')], at('2025-11-10 10:30'), false);
    assert.equal((await e.evaluate(new Date(at('2025-11-10 10:40')))).judged, 0, 'the mark itself did not change');
    await e.evaluate(new Date(at('2025-11-10 11:10')));
    assert.deepEqual(await rows(), [['marks-entered', 'on_time', '2025-11-10']], 'Fri 07.11 + 3 days = Mon 10.11');
  });

  it('a lesson in a year the production calendar does not cover makes the row unresolved, naming the year, without failing the pass', async () => {
    const e = engineFor(db.ledger, [kamensk()]);
    await ingest(db.ledger, SCHOOL, [s.lesson('L27', 'c5a', 'math', '2027-02-01'),
      s.mark('M27', { kind: 'current', student: 's1', subject: 'math', lesson: 'L27', markedAt: '2027-02-01 10:00' }),
      s.mark('M10', { kind: 'current', student: 's1', subject: 'math', lesson: 'L1', markedAt: '2025-11-01 10:00' })], at('2027-02-01 10:05'));
    const sum = await e.evaluate(new Date(at('2027-02-01 10:06')));
    assert.equal(sum.judged, 2);
    const all = await store().listObligations({ schoolId: SCHOOL });
    assert.deepEqual(all.map((r) => [r.state, r.detail]).sort(), [['on_time', undefined], ['unresolved', 'нет данных: производственный календарь не покрывает 2027 год']]);
  });

  it('a record marked deleted loses its rows', async () => {
    const e = engineFor(db.ledger, [kamensk()]);
    const mark = s.mark('M11', { kind: 'current', student: 's1', subject: 'math', lesson: 'L1', markedAt: '2025-11-01 10:00' });
    await ingest(db.ledger, SCHOOL, [mark], at('2025-11-01 10:05'));
    await e.evaluate(new Date(at('2025-11-01 10:06')));
    assert.equal((await rows()).length, 1);
    await ingest(db.ledger, SCHOOL, [{ ...mark, status: 'tobedeleted' }], at('2025-11-02 10:00'));
    await e.evaluate(new Date(at('2025-11-02 10:01')));
    assert.deepEqual(await rows(), []);
  });

  it('deferred final mark (illness): no running clock until the deferral date; the final entry starts it (ledger history)', async () => {
    const e = engineFor(db.ledger, [kamensk()]);
    const deferred = s.mark('P7', { kind: 'period', student: 's1', subject: 'math', period: 'q1', markedAt: '2025-10-27 10:00', markStatus: 'deferred', deferral: { reason: 'illness', dueDate: '2025-11-20' } });
    await ingest(db.ledger, SCHOOL, [deferred], at('2025-10-27 10:05'));
    await deliver(db.ledger, [s.id('mark', 'P7')], at('2025-10-27 10:06'));
    await e.evaluate(new Date(at('2025-10-29 12:00')));
    const [d] = await store().listObligations({ schoolId: SCHOOL });
    assert.deepEqual([d?.state, d?.dueDate, d?.dueAt, d?.detail], ['pending', '2025-11-20', at('2025-11-21 00:00'), 'отметка отложена (уважительная причина)'],
      'not breached on 29.10 although the period ended on 26.10');
    // The journal drops the deferral once the final mark is entered on Tue 18.11 (the period ended long ago).
    await ingest(db.ledger, SCHOOL, [s.mark('P7', { kind: 'period', student: 's1', subject: 'math', period: 'q1', markedAt: '2025-11-18 11:00', value: 5 })], at('2025-11-18 11:05'));
    await e.evaluate(new Date(at('2025-11-18 11:06')));
    const [f] = await store().listObligations({ schoolId: SCHOOL });
    assert.deepEqual([f?.state, f?.eventDate, f?.dueDate, f?.clockStart], ['pending', '2025-11-18', '2025-11-20', at('2025-11-18 11:00')],
      '2 days from the entry; delivering the deferral on 27.10 did not deliver the final mark');
    await deliver(db.ledger, [s.id('mark', 'P7')], at('2025-11-21 03:00'));
    await e.evaluate(new Date(at('2025-11-21 03:01')));
    const [l] = await store().listObligations({ schoolId: SCHOOL });
    assert.deepEqual([l?.state, l?.gatewayLateMs, l?.sourceStatus], ['late', 3 * HOUR, undefined]);
  });

  it('a deferred mark still not entered after its deferral date is breached', async () => {
    const e = engineFor(db.ledger, [kamensk()]);
    await ingest(db.ledger, SCHOOL, [s.mark('P8', { kind: 'period', student: 's1', subject: 'math', period: 'q1', markedAt: '2025-10-27 10:00', markStatus: 'deferred', deferral: { reason: 'illness', dueDate: '2025-11-20' } })], at('2025-10-27 10:05'));
    await e.evaluate(new Date(at('2025-11-20 21:00')));
    assert.deepEqual((await rows())[0]?.[1], 'at_risk');
    await e.evaluate(new Date(at('2025-11-21 00:01')));
    assert.deepEqual((await rows())[0]?.[1], 'breached');
  });

  it('only deliveries to the sinks in deliveredVia count', async () => {
    const e = engineFor(db.ledger, [kamensk({ deliveredVia: ['family-mail'] }, [SINK, 'family-mail'])]);
    await ingest(db.ledger, SCHOOL, [s.mark('P2', { kind: 'period', student: 's1', subject: 'math', period: 'q1', markedAt: '2025-10-27 10:00' })], at('2025-10-27 10:01'));
    await deliver(db.ledger, [s.id('mark', 'P2')], at('2025-10-27 11:00'));
    await e.evaluate(new Date(at('2025-10-27 11:01')));
    assert.deepEqual((await rows())[0]?.[1], 'pending', 'delivered to the portal only');
  });

  it('families reached on paper get the weekly paper obligation (familyChannels); a lesson attended is not on it', async () => {
    const e = engineFor(db.ledger, [kamensk()], { paper: true });
    await ingest(db.ledger, SCHOOL, [s.attendance('A2', { student: 's1', lesson: 'L1', date: '2025-10-31', category: 'absent_illness', sourceCreatedAt: '2025-10-31 12:00' }),
      s.attendance('A3', { student: 's1', lesson: 'L2', date: '2025-10-31', category: 'present', sourceCreatedAt: '2025-10-31 12:00' })], at('2025-10-31 12:05'));
    await e.evaluate(new Date(at('2025-10-31 12:06')));
    assert.deepEqual(await rows(), [['absences-entered', 'on_time', '2025-11-01'], ['paper-weekly', 'pending', '2025-11-09']]);
  });

  it('a school whose settings changed is judged again from scratch; bad settings name every path', async () => {
    await ingest(db.ledger, SCHOOL, [s.mark('M12', { kind: 'current', student: 's1', subject: 'math', lesson: 'L2', markedAt: '2026-01-12 10:00' })], at('2026-01-12 10:05'));
    const clock = manualClock(at('2026-01-12 10:06'));
    const before = slaRuntime(db.ledger, slaConfig([kamensk()]), clock.now);
    assert.deepEqual((await before.tick()).rebuilt, [SCHOOL]);
    assert.deepEqual(await rows(), [['marks-entered', 'on_time', '2026-01-12']], 'Mon 29.12 + 3 days crosses New Year: due Mon 12.01');
    assert.deepEqual((await before.tick()).rebuilt, []);
    const after = slaRuntime(db.ledger, slaConfig([kamensk({ overrides: { 'kamensk-uralsky-19/marks-entered': { allowed: { amount: 1, unit: 'working_days' } } } })]), clock.now);
    const t = await after.tick();
    assert.deepEqual([t.rebuilt, t.judged], [[SCHOOL], 1]);
    assert.deepEqual(await rows(), [['marks-entered', 'late', '2025-12-30']], 'one working day after Mon 29.12 is Tue 30.12');
    assert.throws(() => slaRuntime(db.ledger, slaConfig([{ ...kamensk({ deliveredVia: ['nowhere'], itContact: { email: 'not-an-address' } }) }, { ...kamensk(), id: 'b', sla: { profiles: ['no-such-profile'] } }], { atRiskMinutes: -1 }), clock.now),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_CONFIG_INVALID' && JSON.stringify(e.issues).includes('/gateway/sla/atRiskMinutes'));
    try {
      slaRuntime(db.ledger, slaConfig([{ ...kamensk({ deliveredVia: ['nowhere'] }) }, { ...kamensk(), id: 'b', sla: { profiles: ['no-such-profile'] } }, { ...kamensk({ itContact: { email: 'x' } }), id: 'c' }]), clock.now);
      assert.fail('expected GW_CONFIG_INVALID');
    } catch (e: unknown) {
      assert.ok(e instanceof GatewayError && e.code === 'GW_CONFIG_INVALID');
      assert.deepEqual(e.issues.map((i) => i.path), ['/schools/0/sla/deliveredVia/0', '/schools/1/sla', '/schools/2/sla/itContact/email']);
    }
  });
});
