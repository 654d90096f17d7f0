/**
 * Golden tests of the pure mapping functions: each folder under test/fixtures holds OneRoster
 * objects (`response.json`, an array), the mapping context with lookup tables (`context.json`),
 * the expected output (`expected.json`) and what the case proves (`meta.json`). References show
 * as `ref:<entity>:<sourceId>`. UPDATE_GOLDEN=1 rewrites expected.json (review the diff).
 */
import assert from 'node:assert/strict';
import { describeGoldens, fixturesDir, readJson, refIds } from '../../../test/support/golden';
import type { Mapped } from '../streams/common';
import { mapLineItem, mapResult } from '../streams/gradebook';
import { tablesFromJson } from '../streams/lookups';
import { mapEnrollment, mapUser, phoneOf } from '../streams/people';
import { mapClass, mapCourse, mapOrg, mapSession } from '../streams/roster';
import { periodSequence, readCategory, readScore } from '../streams/vocabulary';

const ids = refIds;
const utcOffset = '+03:00';
type Json = Record<string, unknown>;

function plain(ms: readonly Mapped[]): unknown[] {
  return ms.map((m) => (m.kind === 'record'
    ? {
      kind: 'record', entityType: m.record.entityType, sourceId: m.record.sourceId, status: m.record.status ?? 'active',
      ...(m.record.sourceModifiedAt ? { sourceModifiedAt: m.record.sourceModifiedAt } : {}),
      ...(m.record.externalIds ? { externalIds: m.record.externalIds } : {}),
      fields: m.record.fields, ...(m.record.metadata ? { metadata: m.record.metadata } : {}),
    }
    : { kind: 'invalid', entityType: m.entityType, sourceId: m.sourceId, issues: m.issues }));
}

const each = (dir: string, f: (raw: unknown, c: Json) => Mapped[]): unknown[] => {
  const c = readJson(dir, 'context.json') as Json;
  return plain((readJson(dir, 'response.json') as unknown[]).flatMap((raw) => f(raw, c)));
};
const gbCtx = (c: Json) => ({ ids, utcOffset, tables: tablesFromJson(c.tables), categoryMap: (c.categoryMap ?? {}) as Record<string, string>, defaultWeight: (c.defaultWeight ?? 1) as number });

const RUNNERS: Record<string, (dir: string) => unknown[]> = {
  orgs: (dir) => each(dir, (raw, c) => mapOrg(raw, c as { timeZone: string; schoolSourcedId?: string })),
  sessions: (dir) => each(dir, (raw, c) => mapSession(raw, { ids, utcOffset, today: c.today as string })),
  courses: (dir) => each(dir, (raw) => mapCourse(raw)),
  classes: (dir) => each(dir, (raw, c) => mapClass(raw, {
    ids, utcOffset, tables: tablesFromJson(c.tables), scheduledClassKind: c.scheduledClassKind as 'subgroup',
    ...(c.schoolSourcedId ? { schoolSourcedId: c.schoolSourcedId as string } : {}),
  })),
  users: (dir) => each(dir, (raw, c) => mapUser(raw, {
    ids, utcOffset, tables: tablesFromJson(c.tables), agentLinks: c.agentLinks as 'guardian-side',
    ...(c.schoolSourcedId ? { schoolSourcedId: c.schoolSourcedId as string } : {}),
  })),
  'users-student-side': (dir) => each(dir, (raw, c) => mapUser(raw, { ids, utcOffset, tables: tablesFromJson(c.tables), agentLinks: 'student-side' })),
  enrollments: (dir) => each(dir, (raw, c) => mapEnrollment(raw, { ids, utcOffset, tables: tablesFromJson(c.tables) })),
  lineitems: (dir) => each(dir, (raw, c) => mapLineItem(raw, gbCtx(c))),
  results: (dir) => each(dir, (raw, c) => mapResult(raw, gbCtx(c))),
};

describeGoldens('oneroster mapping (golden fixtures)', fixturesDir('oneroster-source'), RUNNERS);

describe('oneroster vocabularies', () => {
  it('reads scores by the line item\'s range and Russian mark texts', () => {
    assert.deepEqual(readScore(5, undefined, 5, []), { kind: 'value', value: { scale: 'five_point', raw: '5', numeric: 5 } });
    assert.deepEqual(readScore(8, undefined, 10, []), { kind: 'value', value: { scale: 'ten_point', raw: '8', numeric: 8 } });
    assert.deepEqual(readScore(3, undefined, 100, []), { kind: 'value', value: { scale: 'hundred_point', raw: '3', numeric: 3 } });
    assert.deepEqual(readScore('4,5', undefined, undefined, []), { kind: 'value', value: { scale: 'five_point_modifiers', raw: '4.5', numeric: 4.5 } });
    assert.deepEqual(readScore(undefined, 'незач', undefined, []), { kind: 'value', value: { scale: 'pass_fail', raw: 'незач', numeric: null, passed: false } });
    assert.deepEqual(readScore(undefined, '.', undefined, []), { kind: 'status', markStatus: 'debt', raw: '.' });
    assert.deepEqual(readScore(undefined, undefined, 5, []), { kind: 'none' });
    assert.deepEqual(readScore(250, undefined, undefined, []), { kind: 'unknown', path: '/score' });
    assert.deepEqual(readScore(-1, undefined, 5, []), { kind: 'unknown', path: '/score' });
    assert.deepEqual(readScore(undefined, 'x'.repeat(17), undefined, []), { kind: 'unknown', path: '/textScore' });
    assert.deepEqual(readScore(7, undefined, 10, [['7', '4']]), { kind: 'value', value: { scale: 'five_point', raw: '4', numeric: 4 } });
  });

  it('maps categories through categoryMap (by id or title), the table, or to ext:oneroster-<id>', () => {
    assert.deepEqual(readCategory('c1', 'Контрольная работа', {}), { markKind: 'current', workType: { code: 'control_work', title: 'Контрольная работа' } });
    assert.deepEqual(readCategory('c2', 'Годовая отметка', {}), { markKind: 'annual' });
    assert.deepEqual(readCategory('c3', 'Quiz', {}), { markKind: 'current', workType: { code: 'test', title: 'Quiz' } });
    assert.deepEqual(readCategory('c4', 'Работа с картой', { c4: 'practical_work' }), { markKind: 'current', workType: { code: 'practical_work', title: 'Работа с картой' } });
    assert.deepEqual(readCategory('c5', 'Итог', { 'ИТОГ': 'mark:final' }), { markKind: 'final' });
    assert.deepEqual(readCategory('c 6/x', 'Что-то своё', {}), { markKind: 'current', workType: { code: 'ext:oneroster-c6x', title: 'Что-то своё' } });
    assert.deepEqual(readCategory(undefined, undefined, {}), { markKind: 'current', workType: { code: 'ext:oneroster-none', title: 'Без категории' } });
  });

  it('numbers periods from the title, else from the start month', () => {
    assert.equal(periodSequence('quarter', '3 четверть', '2026-01-09'), 3);
    assert.equal(periodSequence('half_year', 'II полугодие', '2026-01-09'), 2);
    assert.equal(periodSequence('quarter', 'Зимняя', '2025-11-05'), 2);
    assert.equal(periodSequence('trimester', 'Весна', '2026-03-02'), 3);
    assert.equal(periodSequence('ext:term', 'Term', '2025-09-01'), 1);
  });

  it('normalises phones to E.164 and drops what is not a phone', () => {
    assert.equal(phoneOf('8 (912) 555-01-01'), '+79125550101');
    assert.equal(phoneOf('+7 912 555 0101'), '+79125550101');
    assert.equal(phoneOf('9125550101'), '+79125550101');
    assert.equal(phoneOf('12-34'), undefined);
    assert.equal(phoneOf(79125550101), undefined);
  });
});
