/**
 * Golden tests of the pure mapping functions: each folder under test/fixtures holds a vendor
 * answer (`response.json`), the mapping context (`context.json`), the expected output
 * (`expected.json`) and what the case proves (`meta.json`). References are shown as
 * `ref:<entity>:<sourceId>`. UPDATE_GOLDEN=1 rewrites expected.json (review the diff).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { IdResolver } from '../../../src/core/ids';
import { mapCalendar } from '../streams/calendar';
import type { Mapped, StudentInfo } from '../streams/common';
import { eventsOf, mapEvent } from '../streams/events';
import { mapHomework } from '../streams/homework';
import { mapMarks, payloadOf } from '../streams/marks';
import { childrenOf, mapChild, mapSubjects } from '../streams/roster';
import { mapSubjectMarks } from '../streams/subject-marks';
import { absenceCategory, holidayKind, periodKind, workTypeCode } from '../streams/vocabulary';
import { toUtc, vendorDateTime } from '../dates';

function fixturesDir(): string {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return path.join(d, 'adapters', 'mesh-source', 'test', 'fixtures');
}

const ids: IdResolver = { ref: (entity, sourceId) => `ref:${entity}:${sourceId}` };
const MSK = '+03:00';
const read = (dir: string, file: string): unknown => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));

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

describe('mesh mapping (golden fixtures)', () => {
  const root = fixturesDir();
  const dirs = fs.readdirSync(root).filter((d) => fs.statSync(path.join(root, d)).isDirectory()).sort();
  it('has a runner for every fixture folder', () => {
    assert.ok(dirs.length >= 6);
    for (const d of dirs) assert.ok(RUNNERS[d.split('__')[0] as string], d);
  });
  for (const d of dirs) {
    const dir = path.join(root, d);
    const meta = read(dir, 'meta.json') as { proves: string };
    it(`${d}: ${meta.proves.slice(0, 90)}…`, () => {
      const actual = (RUNNERS[d.split('__')[0] as string] as (dir: string) => unknown[])(dir);
      const file = path.join(dir, 'expected.json');
      if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
      assert.deepEqual(actual, read(dir, 'expected.json'));
    });
  }
});

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
