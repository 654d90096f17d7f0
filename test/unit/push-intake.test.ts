/**
 * Push intake (src/pipeline/push-intake.ts) against a real SQLite ledger file and the real
 * canonical validator, with items mapped by the push source's real wire mapping.
 */
import assert from 'node:assert/strict';
import { DEFAULT_ID_NAMESPACE, canonicalId, makeIdResolver } from '../../src/core/ids';
import type { Ledger, SinkRoute } from '../../src/core/ledger';
import { getCanonicalValidator } from '../../src/infra/schemas';
import { rngFrom, type Rng } from '../../src/infra/sim/rng';
import { createPushIntake, type PushIntake, type PushResult } from '../../src/pipeline/push-intake';
import { mapPushItem } from '../../adapters/push-source/wire';
import { fakeClock, tmpLedger, type FakeClock } from '../support/harness';
import { markItem, recordingLogger, subjectItem, tableCounts, type LogLine } from '../../adapters/push-source/test/support';

const SCHOOL = 'school-17';
const INSTANCE = 'journal';
const PORTAL: SinkRoute = { sinkId: 'portal', maxAttempts: 5 };
const MARKS_ONLY: SinkRoute = { sinkId: 'marks-portal', maxAttempts: 3, accepts: ['mark'] };
const ids = makeIdResolver(DEFAULT_ID_NAMESPACE, 'push', SCHOOL);
const idOf = (entity: 'subject' | 'mark', sourceId: string): string => canonicalId(DEFAULT_ID_NAMESPACE, 'push', SCHOOL, entity, sourceId);

describe('pipeline/push-intake', () => {
  let ledger: Ledger;
  let file: string;
  let clock: FakeClock;
  let lines: LogLine[];
  let intake: PushIntake;

  beforeEach(async () => {
    ({ ledger, file } = await tmpLedger());
    clock = fakeClock(new Date('2025-11-13T05:00:00Z'));
    lines = [];
    intake = createPushIntake({ ledger, validator: getCanonicalValidator(), log: recordingLogger(lines), now: () => clock.now() });
  });
  afterEach(async () => { await ledger.close(); });

  const push = (records: unknown[], routes: SinkRoute[] = [PORTAL]): Promise<PushResult> => intake.push({
    schoolId: SCHOOL, sourceInstance: INSTANCE, sourceSystem: 'push', adapter: 'push-source', adapterVersion: '1.0.0',
    idNamespace: DEFAULT_ID_NAMESPACE, routes, items: records.map((r) => mapPushItem(r, ids)),
  });

  it('answers every item in request order: created, invalid (schema and shape), with one run and one delivery per valid record', async () => {
    const res = await push([subjectItem(1), markItem(1, '7'), { entityType: 'subject', sourceId: 'subj-2', schoolId: 'x', title: 'Т' }, markItem(2), 'junk'],
      [PORTAL, MARKS_ONLY]);
    assert.deepEqual(res.items.map((i) => [i.index, i.status, i.sourceId]), [
      [0, 'created', 'subj-1'], [1, 'invalid', 'mark-1'], [2, 'invalid', 'subj-2'], [3, 'created', 'mark-2'], [4, 'invalid', undefined],
    ]);
    assert.deepEqual(res.summary, { received: 5, created: 2, updated: 0, unchanged: 0, invalid: 3, held: 0, enqueued: 3 });
    assert.equal(res.items[0]?.id, idOf('subject', 'subj-1'));
    assert.deepEqual(res.items[1]?.issues, [{ path: '/value/numeric', message: 'must be <= 5 or be null' }]);
    assert.deepEqual(res.items[2]?.issues, [{ path: '/schoolId', message: 'is set by the gateway; leave it out' }]);
    assert.equal(res.items[1]?.revision, undefined);
    const stored = await ledger.getRecord(idOf('mark', 'mark-2'));
    assert.equal(res.items[3]?.revision, stored?.revision);
    assert.equal(stored?.record['studentId'], ids.ref('person', 'st-2'));
    assert.equal(stored?.sourceInstance, INSTANCE);

    const [run] = await ledger.listRuns({ schoolId: SCHOOL });
    assert.equal(run?.runId, res.runId);
    assert.equal(run?.trigger, 'push');
    assert.equal(run?.status, 'ok');
    assert.deepEqual(run?.counts, { read: 5, inserted: 2, updated: 0, unchanged: 0, quarantined: 2, enqueued: 3 });
    const q = await ledger.listQuarantine({ schoolId: SCHOOL });
    assert.deepEqual(q.map((e) => [e.stream, e.sourceId, e.errorCode]).sort(), [['marks', 'mark-1', 'GW_RECORD_INVALID'], ['subjects', 'subj-2', 'GW_RECORD_UNMAPPABLE']]);
    assert.deepEqual((await ledger.listDeliveries({})).map((d) => `${d.sinkId}:${d.entityType}`).sort(), ['marks-portal:mark', 'portal:mark', 'portal:subject']);
  });

  it('a repeated batch changes nothing: all unchanged with the first revisions, no version, no delivery', async () => {
    const batch = [subjectItem(1), markItem(1), markItem(2, '4'), markItem(3, '9')];
    const first = await push(batch);
    const before = tableCounts(file);
    clock.advance(3_600_000);
    const again = await push(batch);
    assert.deepEqual(again.items.map((i) => i.status), ['unchanged', 'unchanged', 'unchanged', 'invalid']);
    assert.deepEqual(again.items.map((i) => i.revision), first.items.map((i) => i.revision));
    assert.deepEqual(again.summary, { received: 4, created: 0, updated: 0, unchanged: 3, invalid: 1, held: 0, enqueued: 0 });
    assert.deepEqual(tableCounts(file), before, 'no record, version, delivery or quarantine row added');
    const [entry] = await ledger.listQuarantine({ schoolId: SCHOOL });
    assert.equal(entry?.seenCount, 2, 'the quarantine entry is counted again, not duplicated');
    assert.equal((await ledger.listRuns({ schoolId: SCHOOL })).length, 2, 'each push is a run');
  });

  it('a changed record is updated with a new revision and supersedes its queued delivery', async () => {
    const first = await push([subjectItem(1, 'Алгебра')]);
    const res = await push([subjectItem(1, 'Алгебра и начала анализа')]);
    assert.equal(res.items[0]?.status, 'updated');
    assert.ok((res.items[0]?.revision ?? 0) > (first.items[0]?.revision ?? Infinity));
    const deliveries = await ledger.listDeliveries({});
    assert.deepEqual(deliveries.map((d) => d.state).sort(), ['pending', 'superseded']);
  });

  it('a corrected record closes its quarantine entry; a correction within the batch is not quarantined at all', async () => {
    await push([markItem(1, '7')]);
    assert.equal((await ledger.listQuarantine({ schoolId: SCHOOL })).length, 1);
    const fixed = await push([markItem(1, '5')]);
    assert.equal(fixed.items[0]?.status, 'created');
    assert.equal((await ledger.listQuarantine({ schoolId: SCHOOL })).length, 0);
    const both = await push([markItem(2, '0'), markItem(2, '3')]);
    assert.deepEqual(both.items.map((i) => i.status), ['invalid', 'created']);
    assert.equal((await ledger.listQuarantine({ schoolId: SCHOOL, includeResolved: true })).length, 1);
  });

  it('tombstones: full record or by reference, delivered once, repeat unchanged; unknown record invalid and not quarantined', async () => {
    await push([subjectItem(1, 'Черчение'), markItem(1)]);
    const tomb = await push([
      { ...subjectItem(1, 'Черчение'), status: 'tobedeleted' },
      { entityType: 'mark', sourceId: 'mark-1', status: 'tobedeleted' },
      { entityType: 'mark', sourceId: 'mark-404', status: 'tobedeleted' },
    ]);
    assert.deepEqual(tomb.items.map((i) => i.status), ['updated', 'updated', 'invalid']);
    assert.match(tomb.items[2]?.issues?.[0]?.message ?? '', /no stored record/);
    const mark = await ledger.getRecord(idOf('mark', 'mark-1'));
    assert.equal(mark?.status, 'tobedeleted');
    assert.equal(mark?.record['markStatus'], 'graded', 'entity fields kept from the stored version');
    assert.deepEqual(mark?.record['value'], { scale: 'five_point', raw: '5', numeric: 5 });
    assert.equal((await ledger.listQuarantine({ schoolId: SCHOOL })).length, 0);
    const pendingDeletes = (await ledger.listDeliveries({ state: 'pending' })).filter((d) => d.revision === mark?.revision);
    assert.equal(pendingDeletes.length, 1);

    const before = tableCounts(file);
    const again = await push([{ ...subjectItem(1, 'Черчение'), status: 'tobedeleted' }, { entityType: 'mark', sourceId: 'mark-1', status: 'tobedeleted' }]);
    assert.deepEqual(again.items.map((i) => i.status), ['unchanged', 'unchanged']);
    assert.deepEqual(tableCounts(file), before);
  });

  it('the same record several times in one batch: the last valid occurrence wins, and the batch repeats cleanly', async () => {
    const batch = [subjectItem(1, 'А'), subjectItem(1, 'Б'), { ...subjectItem(1), title: '' }, { entityType: 'subject', sourceId: 'subj-1', status: 'tobedeleted' }];
    const res = await push(batch);
    assert.deepEqual(res.items.map((i) => i.status), ['created', 'created', 'invalid', 'created']);
    const history = await ledger.getRecordHistory(idOf('subject', 'subj-1'));
    assert.equal(history.length, 1, 'one version written');
    assert.equal(history[0]?.status, 'tobedeleted');
    assert.equal(history[0]?.record['title'], 'Б', 'the tombstone by reference starts from the latest valid occurrence');
    assert.deepEqual(res.items.filter((i) => i.status !== 'invalid').map((i) => i.revision), [history[0]?.revision, history[0]?.revision, history[0]?.revision]);
    assert.equal((await ledger.listQuarantine({ schoolId: SCHOOL })).length, 0, 'corrected later in the batch: not quarantined');
    const before = tableCounts(file);
    const again = await push(batch);
    assert.deepEqual(again.items.map((i) => i.status), ['unchanged', 'unchanged', 'invalid', 'unchanged']);
    assert.deepEqual(tableCounts(file), before);
  });

  it('issue paths point where the journal put the value (sourceModifiedAt, refs)', async () => {
    const res = await push([
      { ...markItem(1), sourceModifiedAt: '2025-11-12T13:05:00+03:00' },
      { ...subjectItem(2), title: '' },
    ]);
    assert.deepEqual(res.items[0]?.issues, [{ path: '/sourceModifiedAt', message: 'must match pattern "Z$"' }]);
    assert.deepEqual(res.items[1]?.issues, [{ path: '/title', message: 'must NOT have fewer than 1 characters' }]);
  });

  it('a ledger failure fails the run, writes nothing and is thrown', async () => {
    await assert.rejects(push([subjectItem(1)], [PORTAL, PORTAL]), (e: unknown) => (e as { code?: string }).code === 'GW_INTERNAL');
    const [run] = await ledger.listRuns({ schoolId: SCHOOL });
    assert.equal(run?.status, 'failed');
    assert.equal(run?.error?.code, 'GW_INTERNAL');
    assert.deepEqual(tableCounts(file), { records: 0, record_versions: 0, deliveries: 0, quarantine: 0 });
    // The queue of this instance is not stuck behind the failure.
    assert.equal((await push([subjectItem(1)])).items[0]?.status, 'created');
  });

  it('concurrent pushes of one batch to one instance write one version', async () => {
    const batch = [subjectItem(1), markItem(1)];
    const [a, b] = await Promise.all([push(batch), push(batch)]);
    assert.deepEqual([...(a?.items ?? []), ...(b?.items ?? [])].map((i) => i.status).sort(), ['created', 'created', 'unchanged', 'unchanged']);
    assert.equal(tableCounts(file).record_versions, 2);
  });

  it('an empty batch answers at once and records no run', async () => {
    const res = await push([]);
    assert.deepEqual(res, { status: 'ok', summary: { received: 0, created: 0, updated: 0, unchanged: 0, invalid: 0, held: 0, enqueued: 0 }, items: [] });
    assert.equal((await ledger.listRuns({})).length, 0);
  });

  it('logs counts, school, source and run id, never record values or source ids', async () => {
    const comment = 'Петров списал контрольную';
    const res = await push([markItem(1, '5', comment), markItem(2, '8', comment), { entityType: 'subject', sourceId: 'subj-СЕКРЕТ', title: 'Тайный предмет', id: 'x' }]);
    const summary = lines.find((l) => l.message === 'push taken in');
    assert.deepEqual(summary && { ...summary, seconds: 0 }, {
      runId: res.runId, schoolId: SCHOOL, source: INSTANCE, level: 'info', message: 'push taken in',
      received: 3, created: 1, updated: 0, unchanged: 0, invalid: 2, quarantined: 2, enqueued: 1, seconds: 0,
    });
    const quarantinedLines = lines.filter((l) => l.message === 'record quarantined');
    assert.deepEqual(quarantinedLines.map((l) => l['recordId']).sort(), [idOf('mark', 'mark-2'), canonicalId(DEFAULT_ID_NAMESPACE, 'push', SCHOOL, 'subject', 'subj-СЕКРЕТ')].sort());
    const text = JSON.stringify(lines);
    for (const value of [comment, 'Петров', 'mark-1', 'mark-2', 'subj-СЕКРЕТ', 'Тайный', 'st-1', ids.ref('person', 'st-1'), '2025-11-12']) {
      assert.ok(!text.includes(value), `log mentions ${value}`);
    }
  });

  it('property: random batches posted twice never create a second revision', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const batch = randomBatch(rngFrom(seed));
      const first = await push(batch);
      const before = tableCounts(file);
      clock.advance(1000);
      const again = await push(batch);
      assert.deepEqual(tableCounts(file), before, `seed ${seed}: the repeat wrote no record, version, delivery or quarantine row`);
      assert.equal(again.summary.created + again.summary.updated + again.summary.enqueued, 0, `seed ${seed}: ${JSON.stringify(again.summary)}`);
      for (const [k, item] of again.items.entries()) {
        if (item.status === 'invalid' || !item.id) continue;
        assert.equal(item.revision, (await ledger.getRecord(item.id))?.revision, `seed ${seed}, item ${k}`);
        if (first.items[k]?.status !== 'invalid') assert.equal(item.revision, first.items[k]?.revision, `seed ${seed}, item ${k}: same revision as the first answer`);
      }
    }
  });
});

/** A batch of subjects and marks with repeats, edits, tombstones and broken items, from a seeded RNG. */
function randomBatch(rng: Rng): unknown[] {
  const n = 1 + Math.floor(rng() * 12);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const k = 1 + Math.floor(rng() * 6); // small id space: repeats within and across batches
    const roll = rng();
    if (roll < 0.35) out.push(subjectItem(k, rng() < 0.5 ? 'Алгебра' : `Предмет ${Math.floor(rng() * 3)}`));
    else if (roll < 0.7) out.push(markItem(k, String(1 + Math.floor(rng() * 6)), rng() < 0.3 ? 'Молодец' : undefined));
    else if (roll < 0.8) out.push({ entityType: rng() < 0.5 ? 'mark' : 'subject', sourceId: rng() < 0.5 ? `mark-${k}` : `subj-${k}`, status: 'tobedeleted' });
    else if (roll < 0.9) out.push({ ...subjectItem(k), status: 'tobedeleted' });
    else out.push(rng() < 0.5 ? { entityType: 'subject', sourceId: `subj-${k}` } : { entityType: 'lesson' });
  }
  return out;
}
