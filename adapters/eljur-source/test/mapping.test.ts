/**
 * Golden tests of the pure mapping functions: each folder under test/fixtures holds a vendor
 * `result` (`response.json`), the mapping context (`context.json`), the expected output
 * (`expected.json`) and what the case proves (`meta.json`). References show as
 * `ref:<entity>:<sourceId>`. UPDATE_GOLDEN=1 rewrites expected.json (review the diff).
 */
import assert from 'node:assert/strict';
import { describeGoldens, fixturesDir, readJson, refIds } from '../../../test/support/golden';
import type { Mapped } from '../streams/common';
import { mapDiary } from '../streams/diary';
import { mapFinals } from '../streams/finals';
import { mapMarks } from '../streams/marks';
import { mapPeriods, type PeriodInfo, type SchoolYearInfo } from '../streams/periods';
import { mapRules } from '../streams/roster';
import { absenceCategory, finalKind, readMarkValue, termKind, workTypeCode } from '../streams/vocabulary';
import type { AttendanceCategory } from '../spec';

const ids = refIds;
const read = readJson;
type Json = Record<string, unknown>;

function plain(ms: readonly Mapped[]): unknown[] {
  return ms.map((m) => (m.kind === 'record'
    ? { kind: 'record', entityType: m.record.entityType, sourceId: m.record.sourceId, fields: m.record.fields, ...(m.record.metadata ? { metadata: m.record.metadata } : {}) }
    : { kind: 'invalid', entityType: m.entityType, sourceId: m.sourceId, issues: m.issues }));
}

const RUNNERS: Record<string, (dir: string) => unknown[]> = {
  marks: (dir) => {
    const c = read(dir, 'context.json') as { absenceCodes: Record<string, AttendanceCategory>; periods: PeriodInfo[] };
    return plain(mapMarks(read(dir, 'response.json'), { ids, utcOffset: '+03:00', ...c }));
  },
  diary: (dir) => {
    const c = read(dir, 'context.json') as { studentId: string; className: string; yearKey: string; today: string; utcOffset: string };
    return plain(mapDiary(read(dir, 'response.json'), { ids, ...c }));
  },
  periods: (dir) => plain(mapPeriods(read(dir, 'response.json'), (read(dir, 'context.json') as Json).today as string, { ids, utcOffset: '+03:00' })),
  roster: (dir) => plain(mapRules(read(dir, 'response.json'), { ids, ...(read(dir, 'context.json') as { yearKey: string; yearStart: string; utcOffset: string }) })),
  finals: (dir) => plain(mapFinals(read(dir, 'response.json'), { ids, ...(read(dir, 'context.json') as { year: SchoolYearInfo; utcOffset: string }) })),
};

describeGoldens('eljur mapping (golden fixtures)', fixturesDir('eljur-source'), RUNNERS);

describe('eljur vocabularies', () => {
  it('reads mark values: 1-5, ±, pass/fail, н/а, осв; rejects the rest', () => {
    assert.deepEqual(readMarkValue('5'), { kind: 'value', value: { scale: 'five_point', raw: '5', numeric: 5 } });
    assert.deepEqual(readMarkValue(4), { kind: 'value', value: { scale: 'five_point', raw: '4', numeric: 4 } });
    assert.deepEqual(readMarkValue('5-'), { kind: 'value', value: { scale: 'five_point_modifiers', raw: '5-', numeric: 4.75 } });
    assert.deepEqual(readMarkValue('НЕЗАЧ'), { kind: 'value', value: { scale: 'pass_fail', raw: 'НЕЗАЧ', numeric: null, passed: false } });
    assert.equal(readMarkValue('н/а').kind, 'status');
    for (const bad of ['6', '0', '', 'пять', null, 5.5]) assert.equal(readMarkValue(bad).kind, 'unknown', String(bad));
  });
  it('maps absence codes case-insensitively from the configured table', () => {
    const t = { 'н': 'unknown', 'оп': 'late' } as const;
    assert.equal(absenceCategory('Н', t), 'unknown');
    assert.equal(absenceCategory('ОП', t), 'late');
    assert.equal(absenceCategory('5', t), undefined);
    assert.equal(absenceCategory('б', { ...t, 'б': 'absent_illness' }), 'absent_illness');
  });
  it('maps work types by name and namespaces unknown ones', () => {
    assert.equal(workTypeCode('Контрольная работа', '2'), 'control_work');
    assert.equal(workTypeCode('Работа с картой', '17'), 'ext:eljur-17');
    assert.equal(workTypeCode(undefined, undefined), 'ext:eljur-other');
  });
  it('reads period kinds and final kinds', () => {
    assert.deepEqual(termKind('2 четверть'), { kind: 'quarter', sequence: 2 });
    assert.deepEqual(termKind('II полугодие'), { kind: 'half_year', sequence: 2 });
    assert.equal(finalKind('Годовая'), 'annual');
    assert.equal(finalKind('1 четверть'), 'period');
  });
});
