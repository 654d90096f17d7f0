import assert from 'node:assert/strict';
import { evaluateRecord, formatDuration, type ObligationResult, type RecordFacts, type SlaSubject } from '../../src/sla/due';
import type { SchoolSla } from '../../src/sla/profiles';
import { HOUR, MINUTE, record, schoolSla } from '../fixtures/sla/builders';

const KAMENSK_TZ = 'Asia/Yekaterinburg'; // UTC+5
const kamensk = (extra: Record<string, unknown> = {}): SchoolSla => schoolSla('kamensk-school-3', KAMENSK_TZ, { profiles: ['kamensk-uralsky-19'], ...extra });
const moscow = (profiles = ['moscow-2017']): SchoolSla => schoolSla('moscow-school-1501', 'Europe/Moscow', { profiles });

function one(sla: SchoolSla, subject: SlaSubject, key: string, facts: RecordFacts = {}, now = new Date('2030-01-01T00:00:00Z')): ObligationResult {
  const results = evaluateRecord(sla, subject, facts, now);
  const r = results.find((x) => x.key === key);
  assert.ok(r, `${key} not among ${results.map((x) => x.key).join(', ') || 'none'}`);
  return r;
}

describe('sla/due: kamensk-uralsky-19, marks entered within 3 days of the lesson (source clock)', () => {
  const KEY = 'kamensk-uralsky-19/marks-entered';

  it('lesson Mon 2025-11-10 → due by the end of Thu 11-13 school time; entered Wed → on time (basis markedAt)', () => {
    const r = one(kamensk(), record('mark-current'), KEY);
    assert.deepEqual([r.state, r.startEvent, r.eventDate, r.dueDate, r.dueAt, r.rolledToWorkingDay], ['clocked', 'lesson_date', '2025-11-10', '2025-11-13', '2025-11-13T19:00:00.000Z', false]);
    assert.deepEqual(r.source, { status: 'on_time', dueAt: '2025-11-13T19:00:00.000Z', at: '2025-11-12T10:00:00.000Z', lateByMs: 0, basis: 'marked_at' });
    assert.equal(r.gateway, null, 'entered_at_source has no gateway clock');
  });

  it('first entered at 00:30 on Fri 11-14 local: late by 30 minutes (basis sourceCreatedAt)', () => {
    const r = one(kamensk(), record('mark-current', { markedAt: '2025-11-14T05:00:00Z' }, { sourceCreatedAt: '2025-11-13T19:30:00Z' }), KEY);
    assert.deepEqual([r.source?.status, r.source?.lateByMs, r.source?.basis], ['late', 30 * MINUTE, 'source_created']);
    assert.equal(formatDuration(r.source?.lateByMs ?? 0), 'PT30M');
  });

  it('the ledger\'s journalHadAt wins over the record\'s own timestamps', () => {
    const r = one(kamensk(), record('mark-current'), KEY, { journalHadAt: '2025-11-15T06:00:00Z' });
    assert.deepEqual([r.source?.status, r.source?.basis, formatDuration(r.source?.lateByMs ?? 0)], ['late', 'facts', 'P1DT11H']);
  });

  it('lesson Wed 2025-11-12: the 3rd day is Saturday, so the term ends Mon 11-17 (ГК ст. 193)', () => {
    const r = one(kamensk(), record('mark-current', { date: '2025-11-12', markedAt: '2025-11-17T12:00:00Z' }), KEY);
    assert.deepEqual([r.dueDate, r.rolledToWorkingDay, r.source?.status], ['2025-11-17', true, 'on_time']);
  });

  it('the lesson date from the ledger (lessonId → lesson.date) is used when the mark has no date; none at all → unresolved', () => {
    const noDate = record('mark-current', { date: null });
    assert.equal(one(kamensk(), noDate, KEY, { lessonDate: '2025-11-10' }).dueDate, '2025-11-13');
    const r = one(kamensk(), noDate, KEY);
    assert.deepEqual([r.state, r.missing, r.source, r.gateway], ['unresolved', ['lessonDate'], null, null]);
  });

  it('period, final or deleted marks are not covered by this obligation', () => {
    const keys = (s: SlaSubject): string[] => evaluateRecord(kamensk(), s, {}, new Date()).map((r) => r.key);
    assert.deepEqual(keys(record('mark-exam', { schoolId: 'kamensk-school-3' })), []);
    assert.deepEqual(keys(record('mark-current', { status: 'tobedeleted' })), []);
  });
});

describe('sla/due: kamensk-uralsky-19, absences within one day of the lesson', () => {
  const KEY = 'kamensk-uralsky-19/absences-entered';

  it('lesson Fri 2025-10-31: the next day is the working Saturday 1 Nov, so it is due that Saturday (no roll)', () => {
    const r = one(kamensk(), record('attendance-absent'), KEY);
    assert.deepEqual([r.dueDate, r.dueAt, r.rolledToWorkingDay], ['2025-11-01', '2025-11-01T19:00:00.000Z', false]);
    assert.deepEqual([r.source?.status, r.source?.basis], ['on_time', 'source_created']);
  });

  it('lesson Fri 2025-11-07: the next day is an ordinary Saturday, so it rolls to Mon 11-10', () => {
    const r = one(kamensk(), record('attendance-absent', { date: '2025-11-07' }, { sourceCreatedAt: '2025-11-10T12:00:00Z' }), KEY);
    assert.deepEqual([r.dueDate, r.rolledToWorkingDay, r.source?.status], ['2025-11-10', true, 'on_time']);
  });

  it('without any journal timestamp the gateway\'s first sight is used, flagged approximate', () => {
    const r = one(kamensk(), record('attendance-absent', {}, { sourceCreatedAt: null }), KEY, { takenInAt: '2025-11-03T08:00:00Z' });
    assert.deepEqual([r.source?.status, r.source?.basis, r.source?.approximate], ['late', 'first_seen', true]);
    const unknown = one(kamensk(), record('attendance-absent', {}, { sourceCreatedAt: null }), KEY);
    assert.deepEqual([unknown.source?.status, unknown.source?.lateByMs], ['unknown', 0]);
  });

  it('a present student is not an absence', () => {
    assert.deepEqual(evaluateRecord(kamensk(), record('attendance-absent', { code: 'п', category: 'present' }), {}, new Date()), []);
  });
});

describe('sla/due: kamensk-uralsky-19, period marks available within 2 days after the period (two clocks)', () => {
  const KEY = 'kamensk-uralsky-19/period-marks';
  const graded = (sourceCreatedAt: string): SlaSubject =>
    record('mark-period-deferred', { markStatus: 'graded', deferral: null, value: { scale: 'five_point', raw: '4', numeric: 4 } }, { sourceCreatedAt });
  const facts = (more: RecordFacts = {}): RecordFacts => ({ periodEndDate: '2025-10-24', ...more });

  it('period ends Fri 2025-10-24 → 2 days end Sun → due Mon 10-27; entered Sunday, delivered Monday: both on time', () => {
    const r = one(kamensk(), graded('2025-10-26T09:00:00Z'), KEY, facts({ deliveredAt: '2025-10-27T05:00:00Z' }));
    assert.deepEqual([r.eventDate, r.dueDate, r.dueAt, r.rolledToWorkingDay], ['2025-10-24', '2025-10-27', '2025-10-27T19:00:00.000Z', true]);
    assert.equal(r.source?.status, 'on_time');
    assert.deepEqual(r.gateway, { status: 'on_time', dueAt: '2025-10-27T19:00:00.000Z', at: '2025-10-27T05:00:00.000Z', lateByMs: 0, basis: 'available', sourceWasLate: false });
  });

  it('the journal entered it 11 h late and the gateway took 5 min more: the two lateness durations add up to the whole delay', () => {
    const delivered = '2025-10-28T06:05:00Z';
    const r = one(kamensk(), graded('2025-10-28T06:00:00Z'), KEY, facts({ deliveredAt: delivered }));
    assert.deepEqual([r.source?.status, r.source?.lateByMs], ['late', 11 * HOUR]);
    assert.deepEqual([r.gateway?.status, r.gateway?.lateByMs, r.gateway?.sourceWasLate, r.gateway?.dueAt], ['late', 5 * MINUTE, true, '2025-10-28T06:00:00.000Z']);
    assert.equal((r.source?.lateByMs ?? 0) + (r.gateway?.lateByMs ?? 0), Date.parse(delivered) - Date.parse(r.dueAt ?? ''));
  });

  it('a school allowance of 1 hour after a late journal entry clears the gateway', () => {
    const r = one(kamensk({ lateSourceAllowanceHours: 1 }), graded('2025-10-28T06:00:00Z'), KEY, facts({ deliveredAt: '2025-10-28T06:05:00Z' }));
    assert.deepEqual([r.source?.status, r.gateway?.status, r.gateway?.dueAt], ['late', 'on_time', '2025-10-28T07:00:00.000Z']);
  });

  it('availableAt (families can see it) wins over deliveredAt', () => {
    const r = one(kamensk(), graded('2025-10-26T09:00:00Z'), KEY, facts({ deliveredAt: '2025-10-27T05:00:00Z', availableAt: '2025-10-28T05:00:00Z' }));
    assert.deepEqual([r.gateway?.status, r.gateway?.at, r.gateway?.lateByMs], ['late', '2025-10-28T05:00:00.000Z', 10 * HOUR]);
  });

  it('not delivered yet: pending before the deadline, overdue after it (judged at the given now)', () => {
    const s = graded('2025-10-26T09:00:00Z');
    assert.deepEqual(one(kamensk(), s, KEY, facts(), new Date('2025-10-27T12:00:00Z')).gateway, { status: 'pending', dueAt: '2025-10-27T19:00:00.000Z', lateByMs: 0, sourceWasLate: false });
    const over = one(kamensk(), s, KEY, facts(), new Date('2025-10-28T00:00:00Z'));
    assert.deepEqual([over.gateway?.status, over.gateway?.lateByMs], ['overdue', 5 * HOUR]);
  });

  it('without the period end date the obligation is unresolved and says which fact is missing', () => {
    const r = one(kamensk(), graded('2025-10-26T09:00:00Z'), KEY);
    assert.deepEqual([r.state, r.missing], ['unresolved', ['periodEndDate']]);
  });
});

describe('sla/due: moscow-2017 and rabitickaya-2018, final and exam results', () => {
  it('moscow-2017: exam on Mon 2025-06-02 → available by the end of Tue 06-03 Moscow time', () => {
    const r = one(moscow(), record('mark-exam'), 'moscow-2017/final-results', { availableAt: '2025-06-03T20:00:00Z' });
    assert.deepEqual([r.startEvent, r.eventDate, r.dueDate, r.dueAt], ['result_date', '2025-06-02', '2025-06-03', '2025-06-03T21:00:00.000Z']);
    assert.deepEqual([r.source?.status, r.gateway?.status], ['on_time', 'on_time']);
  });

  it('moscow-2017: a result on Wed 2025-06-11 is due after the 12–15 June days off, Mon 06-16', () => {
    const r = one(moscow(), record('mark-exam', { date: '2025-06-11', markedAt: '2025-06-11T09:00:00Z' }), 'moscow-2017/final-results');
    assert.deepEqual([r.dueDate, r.rolledToWorkingDay], ['2025-06-16', true]);
  });

  it('without a mark date the result date is the school-local date of markedAt', () => {
    const r = one(moscow(), record('mark-exam', { date: null, markedAt: '2025-06-02T21:30:00Z' }), 'moscow-2017/final-results');
    assert.deepEqual([r.eventDate, r.dueDate], ['2025-06-03', '2025-06-04']);
  });

  it('a school following both: delivered Wed 06-04 is late for Moscow (1 day) and on time for rabitickaya (3 days)', () => {
    const results = evaluateRecord(moscow(['moscow-2017', 'rabitickaya-2018']), record('mark-exam'), { deliveredAt: '2025-06-04T06:00:00Z' }, new Date('2025-06-10T00:00:00Z'));
    assert.deepEqual(
      results.map((r) => [r.key, r.dueDate, r.gateway?.status, formatDuration(r.gateway?.lateByMs ?? 0)]),
      [
        ['moscow-2017/final-results', '2025-06-03', 'late', 'PT9H'],
        ['rabitickaya-2018/final-results', '2025-06-05', 'on_time', 'PT0M'],
      ],
    );
  });

  it('a school override of moscow-2017 from 1 to 3 days moves the deadline', () => {
    const sla = schoolSla('m2', 'Europe/Moscow', { profiles: ['moscow-2017'], overrides: { 'moscow-2017/final-results': { allowed: { amount: 3, unit: 'calendar_days' } } } });
    assert.equal(one(sla, record('mark-exam'), 'moscow-2017/final-results').dueDate, '2025-06-05');
  });

  it('current marks are not final results', () => {
    assert.deepEqual(evaluateRecord(moscow(), record('mark-current', { schoolId: 'moscow-school-1501' }), {}, new Date()), []);
  });
});

describe('sla/due: time zones', () => {
  it('the same mark, entered at 18:00 UTC on the third day, is late in Novosibirsk (UTC+7) and on time in Moscow (UTC+3)', () => {
    const mark = record('mark-current', {}, { sourceCreatedAt: '2025-11-13T18:00:00Z' });
    const nsk = one(schoolSla('nsk', 'Asia/Novosibirsk', { profiles: ['kamensk-uralsky-19'] }), mark, 'kamensk-uralsky-19/marks-entered');
    const msk = one(schoolSla('msk', 'Europe/Moscow', { profiles: ['kamensk-uralsky-19'] }), mark, 'kamensk-uralsky-19/marks-entered');
    assert.deepEqual([nsk.dueDate, nsk.dueAt, nsk.source?.status, nsk.source?.lateByMs], ['2025-11-13', '2025-11-13T17:00:00.000Z', 'late', HOUR]);
    assert.deepEqual([msk.dueDate, msk.dueAt, msk.source?.status], ['2025-11-13', '2025-11-13T21:00:00.000Z', 'on_time']);
  });
});
