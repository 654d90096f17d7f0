/**
 * Golden tests of the pure mapping functions: each folder under test/fixtures holds a vendor
 * answer (`response.json`), the mapping context (`context.json`), the expected output
 * (`expected.json`) and what the case proves (`meta.json`). References are shown as
 * `ref:<entity>:<sourceId>`. UPDATE_GOLDEN=1 rewrites expected.json (review the diff).
 */
import assert from 'node:assert/strict';
import { describeGoldens, fixturesDir, readJson, refIds } from '../../../test/support/golden';
import { mapCalendar } from '../streams/calendar';
import type { Mapped, StudentInfo } from '../streams/common';
import { eventsOf, mapEvent } from '../streams/events';
import { mapHomework } from '../streams/homework';
import { mapMarks, payloadOf } from '../streams/marks';
import { childrenOf, mapChild, mapSubjects } from '../streams/roster';
import { mapSubjectMarks } from '../streams/subject-marks';
import { absenceCategory, holidayKind, periodKind, workTypeCode } from '../streams/vocabulary';
import { toUtc, vendorDateTime } from '../dates';

const ids = refIds;
const MSK = '+03:00';
const read = readJson;

function plain(ms: readonly (Mapped | undefined)[]): unknown[] {
  return ms.flatMap((m): unknown[] => {
    if (!m) return [];
    if (m.kind === 'invalid') return [{ kind: 'invalid', entityType: m.entityType, sourceId: m.sourceId, issues: m.issues }];
    const { entityType, sourceId, fields, ...rest } = m.record;
    return [{ kind: 'record', entityType, sourceId, fields, ...rest }];
  });
}

type Json = Record<string, unknown>;
const student = (dir: string): StudentInfo => (read(dir, 'context.json') as { student: StudentInfo }).student;

const RUNNERS: Record<string, (dir: string) => unknown[]> = {
  marks: (dir) => plain(mapMarks(read(dir, 'response.json'), { ids, utcOffset: MSK, student: student(dir), markValueFrom: (read(dir, 'context.json') as Json).markValueFrom as 'value' }) ?? []),
  schedule: (dir) => {
    const c = read(dir, 'context.json') as { student: StudentInfo; today: string };
    return plain((eventsOf(read(dir, 'response.json')) ?? []).flatMap((e) => mapEvent(e, { ids, utcOffset: MSK, ...c })));
  },
  subject_marks: (dir) => plain((payloadOf(read(dir, 'response.json')) ?? []).flatMap((s) => mapSubjectMarks(s, { ids, utcOffset: MSK, student: student(dir) }))),
  homework: (dir) => plain((payloadOf(read(dir, 'response.json')) ?? []).map((h) => mapHomework(h, { ids, utcOffset: MSK, student: student(dir) }))),
  calendar: (dir) => plain(mapCalendar(payloadOf(read(dir, 'response.json')) ?? [], { ids, utcOffset: MSK })),
  roster: (dir) => {
    const r = read(dir, 'response.json') as { profile: unknown; subjects: unknown };
    return plain([...childrenOf(r.profile).flatMap((c) => mapChild(c.raw, { ids, yearKey: '2025-2026', yearStart: '2025-09-01' })), ...mapSubjects(r.subjects)]);
  },
};

describeGoldens('mesh mapping (golden fixtures)', fixturesDir('mesh-source'), RUNNERS);

describe('mesh vocabularies and dates', () => {
  it('maps forms of control, keeping unknown ones as ext:mesh-form (exam when is_exam)', () => {
    assert.equal(workTypeCode('Контрольная работа', false), 'control_work');
    assert.equal(workTypeCode('проверочная  работа', false), 'independent_work');
    assert.equal(workTypeCode('Зачет', false), 'credit_test');
    assert.equal(workTypeCode('Что-то новое', false), 'ext:mesh-form');
    assert.equal(workTypeCode('Что-то новое', true), 'exam');
  });
  it('maps absence reasons (assumed ids), no reason → unknown', () => {
    assert.equal(absenceCategory(2), 'absent_illness');
    assert.equal(absenceCategory(1), 'absent_valid');
    assert.equal(absenceCategory(3), 'absent_invalid');
    assert.equal(absenceCategory(99), 'unknown');
    assert.equal(absenceCategory(undefined), 'unknown');
  });
  it('reads period kinds and holiday kinds', () => {
    assert.deepEqual(periodKind('2 триместр'), { kind: 'trimester', sequence: 2 });
    assert.deepEqual(periodKind('I полугодие'), { kind: 'half_year', sequence: 1 });
    assert.equal(holidayKind('vacation'), 'holiday');
    assert.equal(holidayKind('workday'), null);
    assert.equal(holidayKind('weekend'), null);
  });
  it('converts Moscow wall clock to UTC and honours explicit offsets', () => {
    assert.equal(toUtc('2025-12-08T10:20:00', MSK), '2025-12-08T07:20:00Z');
    assert.equal(toUtc('2025-12-08T00:30:00', MSK), '2025-12-07T21:30:00Z');
    assert.equal(toUtc('2025-12-08T10:20:00+05:00', MSK), '2025-12-08T05:20:00Z');
    assert.equal(toUtc('2025-12-08T10:20:00Z', MSK), '2025-12-08T10:20:00Z');
    assert.equal(toUtc('2025-02-30T10:00:00', MSK), undefined);
    assert.deepEqual(vendorDateTime('2025-12-08 08:30', MSK), { date: '2025-12-08', time: '08:30', utc: '2025-12-08T05:30:00Z' });
  });
});
