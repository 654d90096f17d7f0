/**
 * Golden tests of the pure mapping functions: each folder under test/fixtures holds a vendor
 * answer (`response.json`), the mapping context (`context.json`), the expected output
 * (`expected.json`) and what the case proves (`meta.json`). References are shown as
 * `ref:<entity>:<sourceId>` so the goldens stay readable.
 * Set UPDATE_GOLDEN=1 to rewrite expected.json after a deliberate mapping change (review the diff).
 */
import assert from 'node:assert/strict';
import { describeGoldens, fixturesDir, readJson, refIds } from '../../../test/support/golden';
import { mapClassmeetingAttendance } from '../streams/attendance';
import type { Mapped } from '../streams/common';
import { mapDiaryWeek } from '../streams/diary';
import { mapClassGroup, mapStudent, mapTeacher, mapTeachingAssignment, teachersOfDetails, type RosterContext } from '../streams/roster';
import { mapSchoolYear, mapTerm, type TermRange } from '../streams/school-years';
import { attendanceCategory, termKind, workTypeCode } from '../streams/vocabulary';

const ids = refIds;
const read = readJson;

/** Mapped → plain JSON for the goldens (raw vendor records left out). */
function plain(ms: readonly (Mapped | undefined)[]): unknown[] {
  return ms.flatMap((m): unknown[] => {
    if (!m) return [];
    return m.kind === 'record'
      ? [{ kind: 'record', entityType: m.record.entityType, sourceId: m.record.sourceId, fields: m.record.fields }]
      : [{ kind: 'invalid', entityType: m.entityType, sourceId: m.sourceId, issues: m.issues }];
  });
}

type Json = Record<string, unknown>;

const RUNNERS: Record<string, (dir: string) => unknown[]> = {
  diary: (dir) => {
    const c = read(dir, 'context.json') as Json;
    const typeNames = new Map(Object.entries(c.typeNames as Record<string, string>).map(([k, v]) => [Number(k), v]));
    return plain(mapDiaryWeek(read(dir, 'response.json'), {
      ids, utcOffset: c.utcOffset as string, studentId: c.studentId as number, yearId: c.yearId as number, today: c.today as string,
      typeNames, terms: c.terms as TermRange[], ...(c.className ? { className: c.className as string } : {}),
    }));
  },
  school_years: (dir) => {
    const r = read(dir, 'response.json') as { years: unknown[]; currentYearId: number; terms: { item: unknown; range: unknown }[] };
    return plain([
      ...r.years.map((y) => mapSchoolYear(y, r.currentYearId)),
      ...r.terms.map((t, i) => mapTerm(t.item, t.range, r.currentYearId, i + 1, { ids, utcOffset: '+03:00' }).mapped),
    ]);
  },
  roster: (dir) => {
    const r = read(dir, 'response.json') as { students: Json[]; details: unknown };
    const ctx: RosterContext = { ids, ...(read(dir, 'context.json') as { yearId: number; yearStart: string; utcOffset: string }) };
    const out: Mapped[] = [];
    for (const s of r.students) {
      const cn = typeof s.className === 'string' ? s.className : undefined;
      if (cn) out.push(mapClassGroup(cn, ctx));
      out.push(...mapStudent(s, cn, ctx));
    }
    for (const t of teachersOfDetails(r.details)) out.push(mapTeacher(t), mapTeachingAssignment(t.id, 'Математика', '5а', ctx));
    return plain(out);
  },
  attendance: (dir) => plain((read(dir, 'response.json') as unknown[]).map((row) => mapClassmeetingAttendance(row, { ids, utcOffset: '+03:00' }))),
};

describeGoldens('netschool mapping (golden fixtures)', fixturesDir('netschool-source'), RUNNERS);

describe('netschool vocabularies', () => {
  it('maps work types by name and keeps unknown ones namespaced', () => {
    assert.equal(workTypeCode('Контрольная работа', 2), 'control_work');
    assert.equal(workTypeCode('ответ  на уроке', 1), 'oral_answer');
    assert.equal(workTypeCode('Зачет', 12), 'credit_test');
    assert.equal(workTypeCode(undefined, 77), 'ext:netschool-type-77');
  });
  it('maps attendance letters case-insensitively, unknown letters to unknown', () => {
    assert.equal(attendanceCategory('н'), 'absent_invalid');
    assert.equal(attendanceCategory('Б'), 'absent_illness');
    assert.equal(attendanceCategory('УП'), 'absent_valid');
    assert.equal(attendanceCategory('оп'), 'late');
    assert.equal(attendanceCategory('Ж'), 'unknown');
  });
  it('reads term kind and sequence from the title', () => {
    assert.deepEqual(termKind('3 четверть'), { kind: 'quarter', sequence: 3 });
    assert.deepEqual(termKind('II триместр'), { kind: 'trimester', sequence: 2 });
    assert.deepEqual(termKind('Год'), { kind: 'year', sequence: undefined });
  });
});
