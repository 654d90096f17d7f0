/**
 * The canonical layout: golden tests of whole files (each folder under test/fixtures holds one
 * export file, `meta.json` saying what it proves, and `expected.json`: the messages the source
 * yields, references shown as `ref:<entity>:<sourceId>`), and the rules behind them.
 * UPDATE_GOLDEN=1 rewrites expected.json after a deliberate change (review the diff).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { SourceMessage } from '../../../src/core/adapter';
import { canonicalId, DEFAULT_ID_NAMESPACE, type IdResolver } from '../../../src/core/ids';
import { ENTITY_TYPES } from '../../../src/core/records';
import { collect, makeContext, tmpDir } from '../../../test/support/harness';
import { fixturesDir, readJson, refIds } from '../../../test/support/golden';
import { FileRejected } from '../errors';
import { createFileSource } from '../index';
import { compileHeader, rowTree } from '../layout/columns';
import { coerceRecord, normDate, normDateTimeOffset, normDateTimeUtc } from '../layout/coerce';
import { buildPlans, entityOfFileName, planOf } from '../layout/plan';

const TODAY = new Date('2025-10-16T09:00:00Z');

/**
 * Real canonical ids (so the source's canonical check runs as in production), shown in the
 * goldens as `ref:<entity>:<sourceId>`.
 */
function readableIds(): { ids: IdResolver; show(x: unknown): unknown } {
  const names = new Map<string, string>();
  const ids: IdResolver = {
    ref: (entity, sourceId) => {
      const id = canonicalId(DEFAULT_ID_NAMESPACE, 'file', 'test-school', entity, sourceId);
      names.set(id, `ref:${entity}:${sourceId}`);
      return id;
    },
  };
  const show = (x: unknown): unknown => JSON.parse(JSON.stringify(x), (_k, v: unknown) => (typeof v === 'string' ? names.get(v) ?? v : v));
  return { ids, show };
}

function plain(ms: readonly SourceMessage[]): unknown[] {
  return ms.flatMap((m): unknown[] => {
    if (m.kind === 'record') {
      const r = m.record;
      return [{
        kind: 'record', entityType: r.entityType, sourceId: r.sourceId, ...(r.status ? { status: r.status } : {}),
        ...(r.sourceModifiedAt ? { sourceModifiedAt: r.sourceModifiedAt } : {}), ...(r.externalIds ? { externalIds: r.externalIds } : {}),
        fields: r.fields,
      }];
    }
    if (m.kind === 'invalid') return [{ kind: 'invalid', entityType: m.entityType ?? null, sourceId: m.sourceId, code: m.error.code, message: m.error.message, issues: m.error.issues }];
    return [];
  });
}

/** Reads the fixture folder's export file through the source, in a temporary inbox. */
async function runFixture(dir: string): Promise<unknown[]> {
  const inbox = tmpDir('dgw-file-golden-');
  for (const f of fs.readdirSync(dir)) if (f !== 'meta.json' && f !== 'expected.json') fs.copyFileSync(path.join(dir, f), path.join(inbox, f));
  const { ids, show } = readableIds();
  const ctx = { ...makeContext({ inbox, settleMs: 0 }, { system: 'file' }), ids, now: () => TODAY };
  try {
    return show(plain(await collect(createFileSource().read(ctx, 'files', null)))) as unknown[];
  } finally {
    fs.rmSync(inbox, { recursive: true, force: true });
  }
}

describe('file-source layout goldens', () => {
  const root = fixturesDir('file-source');
  const dirs = fs.readdirSync(root).filter((d) => fs.statSync(path.join(root, d)).isDirectory()).sort();
  it('has at least five fixture folders, each a csv__ or xml__ case', () => {
    assert.ok(dirs.length >= 5);
    for (const d of dirs) assert.match(d, /^(csv|xml)__/);
  });
  for (const d of dirs) {
    const dir = path.join(root, d);
    const meta = readJson(dir, 'meta.json') as { proves: string };
    it(`${d}: ${meta.proves.slice(0, 90)}…`, async () => {
      const actual = await runFixture(dir);
      const file = path.join(dir, 'expected.json');
      if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
      assert.deepEqual(actual, readJson(dir, 'expected.json'));
    });
  }
});

describe('file-source layout rules', () => {
  it('derives a plan for every canonical entity, with a target for every reference field', () => {
    const plans = buildPlans();
    assert.deepEqual([...plans.keys()].sort(), [...ENTITY_TYPES].sort());
    assert.deepEqual(planOf('mark').fields.studentId, { t: 'ref', entity: 'person' });
    assert.deepEqual(planOf('mark').fields.value, {
      t: 'object', required: ['scale', 'raw', 'numeric'],
      props: { scale: { t: 'string' }, raw: { t: 'string' }, numeric: { t: 'number', nullable: true }, passed: { t: 'boolean' } },
    });
    assert.deepEqual(planOf('lesson').fields.teacherIds, { t: 'array', items: { t: 'ref', entity: 'person' } });
    assert.deepEqual(planOf('school_event').fields.start, { t: 'string', format: 'date-or-datetime' });
    assert.deepEqual(planOf('lesson').fields.startTime, { t: 'string', format: 'time' });
  });

  it('takes the entity of a CSV file from the longest entity or stream name its name starts with', () => {
    const cases: Array<[string, string | undefined]> = [
      ['marks.csv', 'mark'], ['Marks_2025-10.csv', 'mark'], ['mark.csv', 'mark'], ['attendance_events (5А).csv', 'attendance_event'],
      ['assessment_schedule-q1.csv', 'assessment_schedule_entry'], ['assessments.csv', 'assessment'], ['school_events.csv', 'school_event'],
      ['school.csv', 'school'], ['homework5.csv', 'homework'], ['schooling.csv', undefined], ['оценки.csv', undefined], ['timetable.csv', undefined],
    ];
    for (const [name, entity] of cases) assert.equal(entityOfFileName(name), entity, name);
  });

  it('refuses a header with an unknown or repeated column, or without sourceId, naming the column', () => {
    const plan = planOf('mark');
    const refuse = (names: string[], re: RegExp): void => {
      assert.throws(() => compileHeader(plan, names), (e: unknown) => e instanceof FileRejected && e.reason === 'csv-header' && re.test(e.detail));
    };
    refuse(['sourceId', 'value.num'], /column 2 \(value\.num\)/);
    refuse(['sourceId', 'kind', 'KIND'], /appears twice/);
    refuse(['kind'], /no sourceId/);
    refuse(['sourceId', 'value'], /column 2 \(value\)/);
    refuse(['sourceId', 'kind.x'], /column 2/);
    assert.deepEqual(compileHeader(planOf('homework'), ['\uFEFFSOURCEID', 'attachments.name', 'studentIds.3']).paths, [['sourceId'], ['attachments', 0, 'name'], ['studentIds', 3]]);
  });

  it('turns a row into typed fields and never puts a value in an issue', () => {
    const plan = planOf('attendance_event');
    const header = compileHeader(plan, ['sourceId', 'studentId', 'date', 'code', 'category', 'minutesMissed']);
    const env = { ids: refIds, utcOffset: '+05:00', splitLists: true, system: 'file' };
    const ok = coerceRecord(plan, rowTree(header, ['a-1', 'st-1', '1.9.2025', 'Н', 'late', '15']), env);
    assert.deepEqual(ok, { ok: true, record: { entityType: 'attendance_event', sourceId: 'a-1', fields: { studentId: 'ref:person:st-1', date: '2025-09-01', code: 'Н', category: 'late', minutesMissed: 15 } } });
    const bad = coerceRecord(plan, rowTree(header, ['a-2', 'st-1', 'вчера-secret', 'Н', 'late', 'пятнадцать-secret']), env);
    assert.equal(bad.ok, false);
    assert.deepEqual(!bad.ok && bad.issues, [
      { path: '/date', message: 'not a date (YYYY-MM-DD or DD.MM.YYYY)' },
      { path: '/minutesMissed', message: 'not an integer' },
    ]);
    assert.doesNotMatch(JSON.stringify(bad), /secret/);
  });

  it('reads dates and date-times the ways Russian exports write them', () => {
    assert.equal(normDate('01.09.2025'), '2025-09-01');
    assert.equal(normDate('1.9.2025'), '2025-09-01');
    assert.equal(normDate('2024-02-29'), '2024-02-29');
    assert.equal(normDate('2025-02-29'), undefined);
    assert.equal(normDate('31.04.2025'), undefined);
    assert.equal(normDateTimeUtc('14.10.2025 10:10', '+03:00'), '2025-10-14T07:10:00Z');
    assert.equal(normDateTimeUtc('2025-10-14 00:30:15', '+05:00'), '2025-10-13T19:30:15Z');
    assert.equal(normDateTimeUtc('2025-10-14T10:10:00+03:00', '+05:00'), '2025-10-14T07:10:00Z');
    assert.equal(normDateTimeUtc('2025-10-14T10:10:00.250Z', '+03:00'), '2025-10-14T10:10:00.250Z');
    assert.equal(normDateTimeUtc('14.10.2025 24:10', '+03:00'), undefined);
    assert.equal(normDateTimeOffset('14.10.2025 9:05', '+03:00'), '2025-10-14T09:05:00+03:00');
    assert.equal(normDateTimeOffset('2025-10-14T09:05:00+07:00', '+03:00'), '2025-10-14T09:05:00+07:00');
  });

  it('reads every file once in a read: a demo file yields the same records whichever way it is encoded', async () => {
    const base = fs.readFileSync(path.join(fixturesDir('file-source'), 'csv__lessons-comma', 'lessons.csv'));
    const inbox = tmpDir('dgw-file-enc-');
    const ctx = { ...makeContext({ inbox, settleMs: 0 }, { system: 'file' }), ids: readableIds().ids };
    fs.writeFileSync(path.join(inbox, 'lessons.csv'), base);
    const utf8 = plain(await collect(createFileSource().read(ctx, 'files', null)));
    fs.rmSync(inbox, { recursive: true });
    const inbox2 = tmpDir('dgw-file-enc-');
    const iconv = await import('iconv-lite');
    fs.writeFileSync(path.join(inbox2, 'lessons.csv'), iconv.default.encode(base.toString('utf8'), 'win1251'));
    const cp = plain(await collect(createFileSource().read({ ...ctx, config: { inbox: inbox2, settleMs: 0 } }, 'files', null)));
    assert.deepEqual(utf8.map((m) => (m as { kind: string }).kind), ['record', 'record']);
    assert.deepEqual(cp, utf8);
  });
});
