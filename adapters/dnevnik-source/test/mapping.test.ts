/**
 * Golden tests of the pure mapping functions: each folder under test/fixtures holds a vendor
 * answer (`response.json`), the mapping context (`context.json`), the expected output
 * (`expected.json`) and what the case proves (`meta.json`). References show as
 * `ref:<entity>:<sourceId>` so the goldens stay readable.
 * Set UPDATE_GOLDEN=1 to rewrite expected.json after a deliberate mapping change (review the diff).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fixturesDir, refIds } from '../../../test/support/golden';
import type { Mapped } from '../streams/common';
import { mapFinalMarks } from '../streams/final-marks';
import { bellsOf, mapJournalWeek, workTypesOf } from '../streams/journal';
import { mapPeriods } from '../streams/periods';
import { scheduleToWeek } from '../streams/schedules';
import { mapGroup, mapStudents, mapSubjects, mapTeachers } from '../streams/roster';
import { attendanceCategory, markValue, periodKind, workTypeCode } from '../streams/vocabulary';
import type { Casing } from '../spec';

const ids = refIds;
const UTC = '+03:00';
type Json = Record<string, unknown>;
const read = (dir: string, file: string): Json => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Json;
const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);

function plain(ms: readonly Mapped[]): unknown[] {
  return ms.map((m) => (m.kind === 'record'
    ? { kind: 'record', entityType: m.record.entityType, sourceId: m.record.sourceId, fields: m.record.fields,
      ...(m.record.sourceCreatedAt ? { sourceCreatedAt: m.record.sourceCreatedAt } : {}),
      ...(m.record.sourceModifiedAt ? { sourceModifiedAt: m.record.sourceModifiedAt } : {}) }
    : { kind: 'invalid', entityType: m.entityType, sourceId: m.sourceId, issues: m.issues }));
}

const RUNNERS: Record<string, (dir: string) => unknown[]> = {
  journal: (dir) => {
    const r = read(dir, 'response.json');
    const c = read(dir, 'context.json');
    return plain(mapJournalWeek({ lessons: list(r.lessons), marks: list(r.marks), logEntries: list(r.logEntries) }, {
      ids, utcOffset: UTC, groupId: String(c.groupId), today: String(c.today), emitPresent: c.emitPresent === true,
      bells: bellsOf(r.timetable), workTypes: workTypesOf(list(r.workTypes), c.workTypeTitleField as 'auto'),
    }));
  },
  roster: (dir) => {
    const r = read(dir, 'response.json');
    const c = read(dir, 'context.json');
    const g = r.group as { id: string; name: string; type: string };
    const ctx = { ids, utcOffset: UTC, academicYearSourceId: String(c.academicYearSourceId) };
    return plain([
      mapGroup({ ...g, raw: g }, ctx),
      ...mapSubjects(list(r.subjects)),
      ...mapStudents(list(r.students), g.id, String(c.beginDate), ctx),
      ...mapTeachers(list(r.teachers), g.id, c.casing as Casing, ctx),
    ]);
  },
  final_marks: (dir) => plain(mapFinalMarks(list(JSON.parse(fs.readFileSync(path.join(dir, 'response.json'), 'utf8'))), { ids, utcOffset: UTC })),
  reporting_periods: (dir) => {
    const c = read(dir, 'context.json');
    const body = JSON.parse(fs.readFileSync(path.join(dir, 'response.json'), 'utf8')) as unknown[];
    return plain(mapPeriods(body, { ids, utcOffset: UTC, now: new Date(String(c.now)) }).mapped);
  },
};

describe('dnevnik mapping goldens', () => {
  const root = fixturesDir('dnevnik-source');
  const cases = fs.readdirSync(root).filter((d) => d.includes('__')).sort();
  it('has a golden case for every mapping function', () => {
    assert.deepEqual([...new Set(cases.map((d) => d.split('__')[0]))].sort(), Object.keys(RUNNERS).sort());
  });
  for (const name of cases) {
    it(`${name}: ${String(read(path.join(root, name), 'meta.json').proves).slice(0, 90)}`, () => {
      const dir = path.join(root, name);
      const runner = RUNNERS[name.split('__')[0] as string];
      assert.ok(runner, name);
      const actual = JSON.parse(JSON.stringify(runner(dir))) as unknown[];
      const file = path.join(dir, 'expected.json');
      if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
      assert.deepEqual(actual, JSON.parse(fs.readFileSync(file, 'utf8')));
    });
  }
});

describe('dnevnik vocabularies', () => {
  it('maps the five lesson log statuses and leaves others unknown', () => {
    assert.deepEqual(['Attend', 'Absent', 'Ill', 'Late', 'Pass', 'absent', 'Sick'].map(attendanceCategory),
      ['present', 'absent_invalid', 'absent_illness', 'late', 'absent_valid', 'absent_invalid', 'unknown']);
  });
  it('reads mark values by type and form', () => {
    assert.deepEqual(markValue('5', 'Mark5'), { ok: true, markStatus: 'graded', value: { scale: 'five_point', raw: '5', numeric: 5 } });
    assert.deepEqual(markValue(4, undefined), { ok: true, markStatus: 'graded', value: { scale: 'five_point', raw: '4', numeric: 4 } });
    assert.deepEqual(markValue('8', 'Mark10'), { ok: true, markStatus: 'graded', value: { scale: 'ten_point', raw: '8', numeric: 8 } });
    assert.deepEqual(markValue('5+', 'Mark5'), { ok: true, markStatus: 'graded', value: { scale: 'five_point_modifiers', raw: '5+', numeric: 5 } });
    assert.deepEqual(markValue('незач', undefined), { ok: true, markStatus: 'graded', value: { scale: 'pass_fail', raw: 'незач', numeric: null, passed: false } });
    assert.equal(markValue('6', 'Mark5').ok, false);
    assert.equal(markValue('', 'Mark5').ok, false);
    assert.equal(markValue(null, 'Mark5').ok, false);
  });
  it('maps work types by title, homework by kind, the rest to ext codes; period types to kinds', () => {
    assert.equal(workTypeCode('Контрольная  работа', '1', undefined), 'control_work');
    assert.equal(workTypeCode('Что-то своё', '77', undefined), 'ext:dnevnik-type-77');
    assert.equal(workTypeCode(undefined, '77', 'Homework'), 'homework');
    assert.deepEqual(['Quarter', 'Semester', 'Trimester', 'Year', 'Bimester', 'две четверти'].map(periodKind),
      ['quarter', 'half_year', 'trimester', 'year', 'ext:Bimester', 'ext:unknown']);
  });
});

describe('dnevnik schedule bundle', () => {
  const day = {
    date: '2026-11-16T00:00:00+03:00',
    lessons: [{ id_str: '11', works: [21] }, { id_str: '12', works: [{ id_str: '23', lesson_str: '12' }] }],
    works: [{ id_str: '21', lesson_str: '11' }, { id_str: '22', lesson_str: '11' }, { id_str: '24', lesson_str: '99' }],
    marks: [{ id_str: '31' }], lessonLogEntries: [{ status: 'Ill' }],
  };
  it('joins day-level works to their lessons, keeps embedded work objects, and gathers marks and entries', () => {
    const w = scheduleToWeek({ days: [day, day] }, 'auto');
    assert.deepEqual((w.lessons[0] as { works: { id_str: string }[] }).works.map((x) => x.id_str), ['21', '22']);
    assert.deepEqual((w.lessons[1] as { works: { id_str: string }[] }).works.map((x) => x.id_str), ['23']);
    assert.equal(w.lessons.length, 4);
    assert.equal(w.marks.length, 2);
    assert.equal(w.logEntries.length, 2);
  });
  it('accepts {days} and a bare list in auto mode and holds a forced shape to its word', () => {
    assert.deepEqual(scheduleToWeek([day], 'auto'), scheduleToWeek({ days: [day] }, 'auto'));
    assert.deepEqual(scheduleToWeek([day], 'list'), scheduleToWeek({ days: [day] }, 'days'));
    assert.throws(() => scheduleToWeek([day], 'days'), /\{days/);
    assert.throws(() => scheduleToWeek({ days: [day] }, 'list'), /list of days/);
    assert.throws(() => scheduleToWeek('<html>', 'auto'), /not a day list/);
  });
});
