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
import { parseAssignmentDetails, parseMobileResultTimes, parseOverdue, type AssignmentDetails } from '../streams/enrichment';
import { mapTotals } from '../streams/final-marks';
import { mapClassGroup, mapStudent, mapTeacher, mapTeachingAssignment, teachersOfDetails, type RosterContext } from '../streams/roster';
import { mapSchoolYear, mapTerm, type TermRange } from '../streams/school-years';
import { attendanceCategory, finalMarkValue, termKind, workTypeCode, yearTotalKind } from '../streams/vocabulary';

const ids = refIds;
const read = readJson;

/** Mapped → plain JSON for the goldens (raw vendor records left out; envelope hints only when set). */
function plain(ms: readonly (Mapped | undefined)[]): unknown[] {
  return ms.flatMap((m): unknown[] => {
    if (!m) return [];
    if (m.kind === 'invalid') return [{ kind: 'invalid', entityType: m.entityType, sourceId: m.sourceId, issues: m.issues }];
    const { entityType, sourceId, fields, status, sourceModifiedAt, metadata } = m.record;
    return [{
      kind: 'record', entityType, sourceId, fields,
      ...(status ? { status } : {}), ...(sourceModifiedAt ? { sourceModifiedAt } : {}), ...(metadata ? { metadata } : {}),
    }];
  });
}

type Json = Record<string, unknown>;

const RUNNERS: Record<string, (dir: string) => unknown[]> = {
  diary: (dir) => {
    const c = read(dir, 'context.json') as Json;
    const typeNames = new Map(Object.entries(c.typeNames as Record<string, string>).map(([k, v]) => [Number(k), v]));
    // Optional enrichment answers, as the vendor sends them, read by the same pure parsers as the reader.
    const details = c.details ? new Map(Object.entries(c.details as Json).flatMap(([k, v]): [number, AssignmentDetails][] => {
      const d = parseAssignmentDetails(v);
      return d ? [[Number(k), d]] : [];
    })) : undefined;
    const utcOffset = c.utcOffset as string;
    return plain(mapDiaryWeek(read(dir, 'response.json'), {
      ids, utcOffset, studentId: c.studentId as number, yearId: c.yearId as number, today: c.today as string,
      typeNames, terms: c.terms as TermRange[], ...(c.className ? { className: c.className as string } : {}),
      ...(details ? { details } : {}),
      ...(c.pastMandatory ? { overdue: parseOverdue(c.pastMandatory) } : {}),
      ...(c.mobileAssignments ? { resultTimes: parseMobileResultTimes(c.mobileAssignments, utcOffset) } : {}),
    }));
  },
  final_marks: (dir) => {
    const c = read(dir, 'context.json') as Json;
    return plain(mapTotals(read(dir, 'response.json'), {
      ids, utcOffset: c.utcOffset as string, studentId: c.studentId as number,
      subjects: new Map(Object.entries(c.subjects as Record<string, string>).map(([k, v]) => [Number(k), v])),
      terms: c.terms as TermRange[], termMatch: c.termMatch as 'id' | 'number', yearEnd: c.yearEnd as string,
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
  it('reads final results: numbers, numeric strings, modifiers, зачёт, н/а and осв; nothing for empty', () => {
    assert.deepEqual(finalMarkValue(5), { kind: 'value', value: { scale: 'five_point', raw: '5', numeric: 5 }, markStatus: 'graded' });
    assert.deepEqual(finalMarkValue(' 3 '), { kind: 'value', value: { scale: 'five_point', raw: '3', numeric: 3 }, markStatus: 'graded' });
    assert.deepEqual(finalMarkValue('4+'), { kind: 'value', value: { scale: 'five_point_modifiers', raw: '4+', numeric: 4.25 }, markStatus: 'graded' });
    assert.deepEqual(finalMarkValue('Зачёт'), { kind: 'value', value: { scale: 'pass_fail', raw: 'Зачёт', numeric: null, passed: true }, markStatus: 'graded' });
    assert.deepEqual(finalMarkValue('Осв.'), { kind: 'value', value: { scale: 'text', raw: 'Осв.', numeric: null }, markStatus: 'exempt' });
    assert.equal((finalMarkValue('н/а') as { markStatus: string }).markStatus, 'not_attested');
    assert.deepEqual(finalMarkValue(null), { kind: 'none' });
    assert.deepEqual(finalMarkValue(''), { kind: 'none' });
    assert.deepEqual(finalMarkValue(6), { kind: 'unknown' });
    assert.deepEqual(finalMarkValue('отл'), { kind: 'unknown' });
  });
  it('reads the kind of a year total from its period name or type', () => {
    assert.equal(yearTotalKind('Годовая', undefined), 'annual');
    assert.equal(yearTotalKind(undefined, 'Year'), 'annual');
    assert.equal(yearTotalKind('Экзаменационная', 'Exam'), 'exam');
    assert.equal(yearTotalKind('Итоговая', undefined), 'final');
    assert.equal(yearTotalKind('Полугодие', 'Semester'), undefined);
  });
  it('maps the short type names netschoolpy lists', () => {
    assert.equal(workTypeCode('Самостоятельная', 4), 'independent_work');
    assert.equal(workTypeCode('Лабораторная', 6), 'lab_work');
  });
  it('reads term kind and sequence from the title', () => {
    assert.deepEqual(termKind('3 четверть'), { kind: 'quarter', sequence: 3 });
    assert.deepEqual(termKind('II триместр'), { kind: 'trimester', sequence: 2 });
    assert.deepEqual(termKind('Год'), { kind: 'year', sequence: undefined });
  });
});
