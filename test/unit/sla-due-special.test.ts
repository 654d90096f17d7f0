import assert from 'node:assert/strict';
import { GatewayError } from '../../src/core/errors';
import { evaluateRecord, type AccessCodeRequest, type ObligationResult, type RecordFacts, type SlaSubject } from '../../src/sla/due';
import { composeSchoolSla, defaultRegulationDir, loadRegulationProfiles, type SchoolSla } from '../../src/sla/profiles';
import { HOUR, packageCalendars, record, schoolSla, slaFixtures } from '../fixtures/sla/builders';

const TZ = 'Asia/Yekaterinburg'; // UTC+5
const kamensk = (extra: Record<string, unknown> = {}): SchoolSla => schoolSla('kamensk-school-3', TZ, { profiles: ['kamensk-uralsky-19'], ...extra });

function one(sla: SchoolSla, subject: SlaSubject, key: string, facts: RecordFacts = {}, now = new Date('2030-01-01T00:00:00Z')): ObligationResult {
  const r = evaluateRecord(sla, subject, facts, now).find((x) => x.key === key);
  assert.ok(r, `${key} not evaluated`);
  return r;
}

const request = (receivedAt: string): AccessCodeRequest => ({ entityType: 'access_code_request', id: 'req-7', schoolId: 'kamensk-school-3', receivedAt });

describe('sla/due: deferred final mark (illness) starts its clock when finally entered', () => {
  const KEY = 'kamensk-uralsky-19/period-marks';
  const finalMark = (markedAt: string, keepDeferral = true): SlaSubject =>
    record('mark-period-deferred', { markStatus: 'graded', value: { scale: 'five_point', raw: '5', numeric: 5 }, markedAt, ...(keepDeferral ? {} : { deferral: null }) });

  it('while deferred there is no running clock; the journal is pending until the deferral due date, then overdue', () => {
    const deferred = record('mark-period-deferred');
    const before = one(kamensk(), deferred, KEY, { periodEndDate: '2025-10-24' }, new Date('2025-11-01T00:00:00Z'));
    assert.deepEqual([before.state, before.deferralDueDate, before.dueAt, before.gateway], ['deferred', '2025-11-20', undefined, null]);
    assert.deepEqual(before.source, { status: 'pending', dueAt: '2025-11-20T19:00:00.000Z', lateByMs: 0 });
    const after = one(kamensk(), deferred, KEY, { periodEndDate: '2025-10-24' }, new Date('2025-11-21T00:00:00Z'));
    assert.deepEqual([after.source?.status, after.source?.lateByMs], ['overdue', 5 * HOUR]);
  });

  it('entered on 2025-11-18: 2 days from the entry (due 11-20), not from the period end (which would be 10-27)', () => {
    const r = one(kamensk(), finalMark('2025-11-18T06:00:00Z'), KEY, { periodEndDate: '2025-10-24', deliveredAt: '2025-11-19T03:00:00Z' });
    assert.deepEqual([r.state, r.startEvent, r.eventDate, r.dueDate, r.dueAt], ['clocked', 'mark_entered', '2025-11-18', '2025-11-20', '2025-11-20T19:00:00.000Z']);
    assert.deepEqual(r.source, { status: 'on_time', dueAt: '2025-11-20T19:00:00.000Z', at: '2025-11-18T06:00:00.000Z', lateByMs: 0, basis: 'final_entered' });
    assert.deepEqual([r.gateway?.status, r.gateway?.sourceWasLate], ['on_time', false]);
  });

  it('entered after the deferral due date: the journal is late by the excess; the gateway is judged from the entry', () => {
    const r = one(kamensk(), finalMark('2025-11-22T06:00:00Z'), KEY, { periodEndDate: '2025-10-24', deliveredAt: '2025-11-25T05:00:00Z' });
    assert.deepEqual([r.source?.status, r.source?.lateByMs], ['late', 35 * HOUR]);
    assert.deepEqual([r.dueDate, r.gateway?.status, r.gateway?.lateByMs], ['2025-11-24', 'late', 10 * HOUR]);
  });

  it('the ledger\'s history (wasDeferred, finalEnteredAt) is enough when the journal dropped the deferral', () => {
    const r = one(kamensk(), finalMark('2025-11-25T06:00:00Z', false), KEY, { periodEndDate: '2025-10-24', wasDeferred: true, finalEnteredAt: '2025-11-25T04:00:00Z' });
    assert.deepEqual([r.startEvent, r.eventDate, r.dueDate, r.source], ['mark_entered', '2025-11-25', '2025-11-27', null]);
    const plain = one(kamensk(), finalMark('2025-11-25T06:00:00Z', false), KEY, { periodEndDate: '2025-10-24' });
    assert.deepEqual([plain.startEvent, plain.dueDate], ['period_end', '2025-10-27'], 'without the history it is an ordinary period mark');
  });

  it('moscow-2017: a final mark deferred in May and entered Fri 2025-06-20 is due Mon 06-23, not the day after its original date', () => {
    const mark = record('mark-exam', { kind: 'final', date: '2025-05-26', markedAt: '2025-06-20T09:00:00Z' });
    const sla = schoolSla('m', 'Europe/Moscow', { profiles: ['moscow-2017'] });
    const r = one(sla, mark, 'moscow-2017/final-results', { wasDeferred: true, availableAt: '2025-06-21T08:00:00Z' });
    assert.deepEqual([r.startEvent, r.dueDate, r.rolledToWorkingDay, r.gateway?.status], ['mark_entered', '2025-06-23', true, 'on_time']);
  });
});

describe('sla/due: kamensk-uralsky-19, access code within 5 working days of the registered request', () => {
  const KEY = 'kamensk-uralsky-19/access-code';

  it('domain.md §3.2 example 2 in the engine: received Tue 2025-12-30 12:00 → due Fri 2026-01-16 (end of day, Yekaterinburg)', () => {
    const r = one(kamensk(), request('2025-12-30T07:00:00Z'), KEY, { servedAt: '2026-01-16T10:00:00Z' });
    assert.deepEqual([r.registration?.date, r.registration?.movedToNextWorkingDay, r.dueDate, r.dueAt], ['2025-12-30', false, '2026-01-16', '2026-01-16T19:00:00.000Z']);
    assert.equal(r.source, null, 'a request has no journal clock');
    assert.deepEqual([r.gateway?.status, r.gateway?.basis], ['on_time', 'served']);
  });

  it('received after hours (18:30 local) on 2025-12-30: registered Mon 2026-01-12 09:00, due Mon 01-19', () => {
    const r = one(kamensk(), request('2025-12-30T13:30:00Z'), KEY);
    assert.deepEqual(r.registration, { date: '2026-01-12', at: '2026-01-12T04:00:00.000Z', movedToNextWorkingDay: true });
    assert.equal(r.dueDate, '2026-01-19');
  });

  it('the school\'s own office hours decide what "after hours" is', () => {
    const early = kamensk({ workingHours: { start: '08:00', end: '16:00' } });
    assert.equal(one(early, request('2025-12-30T11:30:00Z'), KEY).registration?.date, '2026-01-12', '16:30 local is after 16:00');
    assert.equal(one(kamensk(), request('2025-12-30T11:30:00Z'), KEY).registration?.date, '2025-12-30', 'but before the default 18:00');
  });

  it('not served: pending, then overdue from the end of the due day', () => {
    const r = request('2025-10-30T07:00:00Z');
    assert.equal(one(kamensk(), r, KEY, {}, new Date('2025-11-07T18:00:00Z')).gateway?.status, 'pending');
    const over = one(kamensk(), r, KEY, {}, new Date('2025-11-08T19:00:00Z'));
    assert.deepEqual([over.dueDate, over.gateway?.status, over.gateway?.lateByMs], ['2025-11-07', 'overdue', 24 * HOUR]);
  });

  it('endOfDay false (school override) keeps the time of registration on the last day', () => {
    const sla = kamensk({ overrides: { 'kamensk-uralsky-19/access-code': { endOfDay: false } } });
    assert.equal(one(sla, request('2025-10-30T06:15:00Z'), KEY).dueAt, '2025-11-07T06:15:00.000Z');
  });
});

describe('sla/due: kamensk-uralsky-19, paper families informed at least weekly', () => {
  const KEY = 'kamensk-uralsky-19/paper-weekly';
  const paper: RecordFacts = { channels: ['paper'] };

  it('journal had it Wed 2025-11-12 → on the paper report of the week of Mon 11-17, due by the end of Sun 11-23', () => {
    const mark = record('mark-current', {}, { sourceCreatedAt: '2025-11-12T08:00:00Z' });
    const r = one(kamensk(), mark, KEY, { ...paper, servedAt: '2025-11-21T09:00:00Z' });
    assert.deepEqual([r.startEvent, r.dueDate, r.dueAt, r.rolledToWorkingDay, r.source], ['week_start', '2025-11-23', '2025-11-23T19:00:00.000Z', false, null]);
    assert.equal(r.gateway?.status, 'on_time');
    assert.deepEqual([one(kamensk(), mark, KEY, paper, new Date('2025-11-24T05:00:00Z')).gateway?.lateByMs], [10 * HOUR]);
  });

  it('the week is the school\'s: 23:30 Sunday local is still the old week, 00:10 Monday local the new one', () => {
    const at = (t: string): string | undefined => one(kamensk(), record('mark-current', {}, { sourceCreatedAt: t }), KEY, paper).dueDate;
    assert.equal(at('2025-11-16T18:30:00Z'), '2025-11-23');
    assert.equal(at('2025-11-16T19:10:00Z'), '2025-11-30');
  });

  it('families with electronic delivery are not covered', () => {
    const keys = evaluateRecord(kamensk(), record('mark-current'), {}, new Date()).map((r) => r.key);
    assert.deepEqual(keys, ['kamensk-uralsky-19/marks-entered']);
  });
});

describe('sla/due: a school\'s own profile (hours and working days)', () => {
  const sla = (): SchoolSla =>
    composeSchoolSla(
      { schoolId: 'g5', timeZone: 'Asia/Omsk', sla: { profiles: ['gymnasium-5-2025'] } },
      { profiles: loadRegulationProfiles([defaultRegulationDir(), slaFixtures('regulations', 'custom')]), calendars: packageCalendars() },
    );

  it('12 hours from the end of the lesson day: an absence on Fri 2025-10-31 must be visible by 12:00 Sat local (UTC+6)', () => {
    const r = one(sla(), record('attendance-absent', { schoolId: 'g5' }), 'gymnasium-5-2025/absences-by-noon', { availableAt: '2025-11-01T05:00:00Z' });
    assert.deepEqual([r.startAt, r.dueAt, r.dueDate, r.gateway?.status], ['2025-10-31T18:00:00.000Z', '2025-11-01T06:00:00.000Z', '2025-11-01', 'on_time']);
  });

  it('one working day after Fri 2025-10-31 is the working Saturday 11-01; after Fri 11-07 it is Mon 11-10', () => {
    const key = 'gymnasium-5-2025/marks-next-working-day';
    assert.equal(one(sla(), record('mark-current', { schoolId: 'g5', date: '2025-10-31' }), key).dueDate, '2025-11-01');
    assert.equal(one(sla(), record('mark-current', { schoolId: 'g5', date: '2025-11-07' }), key).dueDate, '2025-11-10');
  });

  it('a deferred current mark is filtered out by the profile\'s markStatus condition', () => {
    const deferred = record('mark-current', { schoolId: 'g5', markStatus: 'deferred', value: null, deferral: { reason: 'illness', dueDate: '2025-11-20' } });
    assert.deepEqual(evaluateRecord(sla(), deferred, {}, new Date()).map((r) => r.key), []);
  });
});

describe('sla/due: a deadline in a year the calendar does not cover is an explicit error', () => {
  it('a lesson on Wed 2026-12-30 needs 2027 to roll its deadline: GW_CONFIG_INVALID naming 2027', () => {
    const mark = record('mark-current', { date: '2026-12-30', markedAt: '2026-12-31T05:00:00Z' });
    assert.throws(
      () => evaluateRecord(kamensk(), mark, {}, new Date('2027-01-05T00:00:00Z')),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_SLA_CALENDAR_MISSING' && /does not cover 2027/.test(e.message),
    );
  });

  it('an access-code request on 2026-12-28 cannot be given a due date without 2027', () => {
    assert.throws(() => evaluateRecord(kamensk(), request('2026-12-28T06:00:00Z'), {}, new Date()), /ru-2027\.json/);
  });
});
