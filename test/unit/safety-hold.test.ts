/**
 * The safety hold, against a real SQLite ledger file: a sync that would delete more than 10%
 * or change more than 75% of a school's records of one kind is held until an operator
 * approves it; smaller syncs are applied as before. Also the deletion of records a full
 * (snapshot) read no longer returns, which is what makes mass deletions possible at all.
 */
import assert from 'node:assert/strict';
import type { SourceAdapter, SourceMessage } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { canonicalId, DEFAULT_ID_NAMESPACE } from '../../src/core/ids';
import type { HoldPolicy, SinkRoute } from '../../src/core/ledger';
import { nullLogger } from '../../src/core/logger';
import type { MappedRecord } from '../../src/core/records';
import { getCanonicalValidator } from '../../src/infra/schemas';
import { runSource, type SourceRunResult } from '../../src/pipeline/ingest';
import { fakeClock, makeContext } from '../support/harness';
import { at, batch, count, INSTANCE, openTestLedger, PORTAL, record, SCHOOL, type TestLedger } from './ledger-fixtures';

const POLICY: HoldPolicy = { enabled: true, deletePercent: 10, changePercent: 75, minRecords: 20 };

describe('safety hold: ledger', () => {
  let t: TestLedger;
  beforeEach(async () => {
    t = await openTestLedger();
    // 40 stored marks, delivered nowhere yet.
    await t.ledger.ingest(batch({ runId: 'seed', records: Array.from({ length: 40 }, (_, i) => record(i + 1)) }));
  });
  afterEach(async () => t.cleanup());

  const change = (n: number, v = 2): ReturnType<typeof record> => record(n, v);
  const tomb = (n: number): ReturnType<typeof record> => record(n, 9, { status: 'tobedeleted' });
  const deliveries = (): number => count(t.peek(), 'SELECT COUNT(*) FROM deliveries');

  it('applies a run whose changes are within the thresholds when it settles, not before', async () => {
    const before = deliveries();
    const res = await t.ledger.ingest(batch({ runId: 'r1', records: [change(1), change(2), tomb(3)], hold: POLICY, now: at(5) }));
    assert.equal(res.staged, 3);
    assert.equal(res.updated, 0);
    assert.equal((await t.ledger.getRecord(record(1).id))?.contentHash, record(1).contentHash, 'staged, not yet applied');
    const settled = await t.ledger.settleRun('r1', POLICY, at(6));
    assert.deepEqual(settled.holds, []);
    assert.equal(settled.applied.updated, 3);
    assert.equal((await t.ledger.getRecord(record(1).id))?.contentHash, change(1).contentHash);
    assert.equal((await t.ledger.getRecord(record(3).id))?.status, 'tobedeleted');
    assert.equal(deliveries(), before + 3);
    assert.deepEqual(await t.ledger.settleRun('r1', POLICY, at(7)), { applied: { inserted: 0, updated: 0, unchanged: 0, quarantined: 0, enqueued: 0, superseded: 0 }, holds: [] }, 'idempotent');
    assert.deepEqual(await t.ledger.verify(), []);
  });

  it('holds a run that deletes more than 10% of a kind, and applies it on approval', async () => {
    const before = deliveries();
    // 5 of 40 = 12.5% deleted, plus one ordinary change of the same kind.
    await t.ledger.ingest(batch({ runId: 'r1', records: [1, 2, 3, 4, 5].map(tomb).concat(change(6)), hold: POLICY, now: at(5) }));
    const { holds } = await t.ledger.settleRun('r1', POLICY, at(6));
    assert.equal(holds.length, 1);
    const h = holds[0]!;
    assert.deepEqual([h.state, h.entityType, h.baseline, h.deletes, h.changes, h.runIds], ['pending', 'mark', 40, 5, 1, ['r1']]);
    assert.match(h.reason, /delete 5 of 40 records \(12\.5%\), more than the 10% allowed/);
    assert.equal((await t.ledger.getRecord(record(1).id))?.status, 'active', 'nothing applied while held');
    assert.equal(deliveries(), before, 'nothing queued while held');
    assert.equal((await t.ledger.stats()).holdsPending, 1);

    const decided = await t.ledger.decideHold(h.id, 'approve', 'operator:anna', at(10));
    assert.deepEqual([decided.state, decided.decidedBy, decided.decidedAt, decided.applied, decided.superseded], ['approved', 'operator:anna', at(10), 6, 0]);
    assert.equal((await t.ledger.getRecord(record(1).id))?.status, 'tobedeleted');
    assert.equal(deliveries(), before + 6);
    assert.equal((await t.ledger.stats()).holdsPending, 0);
    assert.equal(count(t.peek(), 'SELECT COUNT(*) FROM staged_changes'), 0);
    const again = await t.ledger.decideHold(h.id, 'reject', 'operator:boris', at(11)).catch((e: unknown) => e);
    assert.ok(again instanceof GatewayError && again.code === 'GW_HOLD_DECIDED', String(again));
    assert.deepEqual(await t.ledger.verify(), []);
  });

  it('holds a run that changes more than 75% of a kind; reject discards the changes', async () => {
    const all = Array.from({ length: 31 }, (_, i) => change(i + 1)); // 31 of 40 = 77.5%
    await t.ledger.ingest(batch({ runId: 'r1', records: all, hold: POLICY, now: at(5) }));
    const { holds } = await t.ledger.settleRun('r1', POLICY, at(6));
    assert.equal(holds[0]?.changes, 31);
    assert.match(holds[0]?.reason ?? '', /change 31 of 40 records \(77\.5%\), more than the 75% allowed/);
    const rejected = await t.ledger.decideHold(holds[0]!.id, 'reject', 'operator:anna', at(7));
    assert.equal(rejected.state, 'rejected');
    assert.equal((await t.ledger.getRecord(record(1).id))?.contentHash, record(1).contentHash);
    assert.equal(count(t.peek(), 'SELECT COUNT(*) FROM staged_changes'), 0);
    assert.deepEqual(await t.ledger.verify(), []);
  });

  it('lets later runs join a pending hold (one hold per kind) and keeps the newest change per record', async () => {
    await t.ledger.ingest(batch({ runId: 'r1', records: [1, 2, 3, 4, 5].map(tomb), hold: POLICY, now: at(5) }));
    const first = (await t.ledger.settleRun('r1', POLICY, at(6))).holds[0]!;
    // A small later run of the same kind joins the hold instead of being applied past it.
    await t.ledger.ingest(batch({ runId: 'r2', records: [change(1, 3), change(7)], hold: POLICY, now: at(8) }));
    const second = (await t.ledger.settleRun('r2', POLICY, at(9))).holds[0]!;
    assert.equal(second.id, first.id);
    assert.deepEqual(second.runIds, ['r1', 'r2']);
    assert.deepEqual([second.deletes, second.changes], [4, 2], 'record 1: its newer change replaced the deletion');
    assert.equal((await t.ledger.listHolds({ state: 'pending' })).length, 1);
    // Another kind is not affected.
    await t.ledger.ingest(batch({ runId: 'r3', records: [record(100, 1, { entityType: 'subject' })], hold: POLICY, now: at(10) }));
    await t.ledger.settleRun('r3', POLICY, at(10));
    assert.ok(await t.ledger.getRecord(record(100).id));
    const approved = await t.ledger.decideHold(first.id, 'approve', 'op', at(11));
    assert.equal(approved.applied, 6);
    assert.equal((await t.ledger.getRecord(record(1).id))?.contentHash, change(1, 3).contentHash);
  });

  it('drops a held change whose record moved on meanwhile (superseded), applies the rest', async () => {
    await t.ledger.ingest(batch({ runId: 'r1', records: [1, 2, 3, 4, 5].map(tomb), hold: POLICY, now: at(5) }));
    const h = (await t.ledger.settleRun('r1', POLICY, at(6))).holds[0]!;
    // Another intake (no hold policy, e.g. an operator's forced import) changed record 2.
    await t.ledger.ingest(batch({ runId: 'forced', records: [change(2, 4)], now: at(7) }));
    const approved = await t.ledger.decideHold(h.id, 'approve', 'op', at(8));
    assert.deepEqual([approved.applied, approved.superseded], [4, 1]);
    assert.equal((await t.ledger.getRecord(record(2).id))?.contentHash, change(2, 4).contentHash);
    assert.deepEqual(await t.ledger.verify(), []);
  });

  it('never holds kinds with fewer records than minRecords, nor with the policy disabled', async () => {
    await t.ledger.ingest(batch({ runId: 'r1', records: [1, 2, 3, 4, 5].map(tomb), hold: { ...POLICY, minRecords: 41 }, now: at(5) }));
    assert.deepEqual((await t.ledger.settleRun('r1', { ...POLICY, minRecords: 41 }, at(6))).holds, []);
    assert.equal((await t.ledger.getRecord(record(1).id))?.status, 'tobedeleted');
    const res = await t.ledger.ingest(batch({ runId: 'r2', records: [6, 7, 8, 9, 10].map(tomb), hold: { ...POLICY, enabled: false }, now: at(7) }));
    assert.deepEqual([res.staged ?? 0, res.updated], [0, 5], 'disabled: applied at once');
  });

  it('settles the staged changes of a run interrupted before it settled', async () => {
    await t.ledger.ingest(batch({ runId: 'crashed', records: [change(1)], hold: POLICY, now: at(5) }));
    const res = await t.ledger.settleInterrupted(SCHOOL, INSTANCE, POLICY, at(6));
    assert.equal(res.applied.updated, 1);
    assert.equal((await t.ledger.getRecord(record(1).id))?.contentHash, change(1).contentHash);
  });
});

describe('safety hold: pipeline with a snapshot stream', () => {
  const SYSTEM = 'rosterjournal';
  const ROUTES: SinkRoute[] = [PORTAL];
  let t: TestLedger;
  beforeEach(async () => { t = await openTestLedger(); });
  afterEach(async () => t.cleanup());

  const subject = (n: number, title = `Предмет ${n}`): MappedRecord => ({ entityType: 'subject', sourceId: `s-${n}`, fields: { title } });
  const idOf = (n: number): string => canonicalId(DEFAULT_ID_NAMESPACE, SYSTEM, SCHOOL, 'subject', `s-${n}`);

  function source(list: () => SourceMessage[]): SourceAdapter {
    return {
      spec: { id: 'roster-source', system: SYSTEM, version: '0.0.1', kind: 'source', title: 'Roster', configSchema: {} },
      streams: [{ name: 'subjects', entities: ['subject'], deletesMissing: ['subject'] }],
      check: async () => ({ ok: true }),
      async *read() { for (const m of list()) yield m; },
    };
  }

  async function sync(runId: string, msgs: SourceMessage[], policy: HoldPolicy = POLICY, log = nullLogger, since?: string): Promise<SourceRunResult> {
    const clock = fakeClock(new Date('2025-09-01T06:00:00Z'));
    const adapter = source(() => msgs);
    await t.ledger.startRun({ runId, schoolId: SCHOOL, sourceInstance: INSTANCE, trigger: 'manual', startedAt: clock.now().toISOString() });
    return runSource({ ledger: t.ledger, validator: getCanonicalValidator(), log, now: () => clock.now() }, {
      runId, schoolId: SCHOOL, sourceInstance: INSTANCE, adapter, ctx: makeContext({}, { schoolId: SCHOOL, clock, ...(since ? { since } : {}) }), streams: ['subjects'],
      routes: ROUTES, idNamespace: DEFAULT_ID_NAMESPACE, hold: policy,
    });
  }
  const recs = (ns: number[]): SourceMessage[] => ns.map((n) => ({ kind: 'record', stream: 'subjects', record: subject(n) }));
  const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  const status = async (n: number): Promise<string | undefined> => (await t.ledger.getRecord(idOf(n)))?.status;

  it('marks records missing from a full read deleted when few are missing', async () => {
    await sync('r1', recs(range(1, 30)));
    const res = await sync('r2', recs(range(1, 29))); // 1 of 30 missing = 3.3%
    assert.equal(res.holds, undefined);
    assert.equal(await status(30), 'tobedeleted');
    assert.equal(await status(29), 'active');
    const history = await t.ledger.getRecordHistory(idOf(30));
    assert.equal(history.length, 2);
    assert.equal(history[1]?.record['title'], 'Предмет 30', 'the tombstone keeps the content');
  });

  it('holds a read that suddenly misses most of the roster, logs it, and applies it only on approval', async () => {
    await sync('r1', recs(range(1, 30)));
    const lines: Array<{ msg: string; meta: Record<string, unknown> }> = [];
    const log = { ...nullLogger, warn: (msg: string, meta?: Record<string, unknown>) => { lines.push({ msg, meta: meta ?? {} }); }, child() { return log; } };
    const res = await sync('r2', recs(range(1, 3)), POLICY, log as typeof nullLogger); // 27 of 30 missing
    assert.equal(res.holds?.length, 1);
    assert.equal(res.holds?.[0]?.deletes, 27);
    assert.equal(res.counts.held, 27);
    assert.equal(await status(30), 'active', 'held: nothing deleted');
    const warned = lines.find((l) => l.msg === 'sync held for operator approval');
    assert.ok(warned, 'the operator is told in the log');
    assert.match(String(warned.meta['remedy']), /diary-gateway holds approve \d+/);
    // The next identical sync joins the same hold instead of making another.
    const again = await sync('r3', recs(range(1, 3)));
    assert.equal(again.holds?.[0]?.id, res.holds?.[0]?.id);
    assert.equal((await t.ledger.listHolds({})).length, 1);
    await t.ledger.decideHold(res.holds![0]!.id, 'approve', 'op', new Date().toISOString());
    assert.equal(await status(30), 'tobedeleted');
    assert.equal(await status(3), 'active');
    assert.deepEqual(await t.ledger.verify(), []);
  });

  it('does not delete a record that was read but invalid this time', async () => {
    await sync('r1', recs(range(1, 30)));
    const bad: SourceMessage = { kind: 'invalid', stream: 'subjects', sourceId: 's-30', entityType: 'subject', error: new GatewayError('GW_RECORD_UNMAPPABLE', 'title missing') };
    await sync('r2', [...recs(range(1, 29)), bad]);
    assert.equal(await status(30), 'active');
  });

  it('deletes nothing when an invalid record of unknown kind makes the read incomplete, or with --since', async () => {
    await sync('r1', recs(range(1, 30)));
    const unknown: SourceMessage = { kind: 'invalid', stream: 'subjects', sourceId: 'x', error: new GatewayError('GW_RECORD_UNMAPPABLE', 'no type') };
    await sync('r2', [...recs(range(1, 29)), unknown]);
    assert.equal(await status(30), 'active');
    await sync('r3', recs(range(1, 29)), POLICY, nullLogger, '2025-09-01');
    assert.equal(await status(30), 'active', 'a read bounded by --since is not a full read');
    await sync('r4', recs(range(1, 29)));
    assert.equal(await status(30), 'tobedeleted', 'the same read without --since deletes it');
  });

  it('holds a sync that renames most subjects (more than 75% changed)', async () => {
    await sync('r1', recs(range(1, 30)));
    const renamed: SourceMessage[] = range(1, 30).map((n) => ({ kind: 'record', stream: 'subjects', record: subject(n, `Новый ${n}`) }));
    const res = await sync('r2', renamed);
    assert.equal(res.holds?.[0]?.changes, 30);
    assert.equal((await t.ledger.getRecord(idOf(1)))?.record['title'], 'Предмет 1');
  });
});
