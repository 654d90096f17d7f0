import assert from 'node:assert/strict';
import { ALLOWED_TRANSITIONS, canTransition, DELIVERY_STATES } from '../../src/core/delivery-states';
import { GatewayError } from '../../src/core/errors';
import type { DeliveryResult } from '../../src/core/ledger';
import { LedgerCounters } from '../../src/ledger/sqlite/counters';
import { DeliveryTransitions } from '../../src/ledger/sqlite/transitions';
import { at, batch, count, openTestLedger, PORTAL, record, SCHOOL, type TestLedger } from './ledger-fixtures';

const LEASE_MS = 10 * 60_000;
const sinkError = new GatewayError('GW_SINK_UNAVAILABLE', 'portal answered 503').toJSON();

describe('sqlite ledger: delivery state machine', () => {
  let t: TestLedger;
  beforeEach(async () => { t = await openTestLedger(); });
  afterEach(async () => t.cleanup());

  const claim = (now = at(1), limit = 10, sinkId = 'portal') =>
    t.ledger.claimDeliveries({ sinkId, limit, now, leaseMs: LEASE_MS, owner: 'worker-1' });
  const complete = (results: DeliveryResult[], now = at(2)) => t.ledger.completeDeliveries(results, now);
  const stateOf = async (id: number) => (await t.ledger.getDelivery(id))?.state;

  it('transition() allows exactly the moves in ALLOWED_TRANSITIONS and audits each one', async () => {
    await t.ledger.ingest(batch({ records: [record(1)] }));
    const db = t.peek();
    const transitions = new DeliveryTransitions(db, new LedgerCounters(db));
    const id = (await t.ledger.listDeliveries({}))[0]?.id;
    assert.ok(id !== undefined);
    let allowed = 0;
    for (const from of DELIVERY_STATES) {
      for (const to of DELIVERY_STATES) {
        db.prepare("UPDATE deliveries SET state = ?, lease_until = NULL, lease_owner = NULL WHERE id = ?").run(from, id);
        const audits = count(db, 'SELECT COUNT(*) FROM delivery_attempts');
        const info = { now: at(1), actor: 'test', lease: { until: at(11), owner: 'w' } };
        if (canTransition(from, to)) {
          transitions.apply(id, from, to, info);
          allowed++;
          assert.equal(count(db, 'SELECT COUNT(*) FROM deliveries WHERE id = ? AND state = ?', id, to), 1, `${from} -> ${to}`);
          assert.equal(count(db, 'SELECT COUNT(*) FROM delivery_attempts'), audits + 1);
          const lease = db.prepare('SELECT lease_until FROM deliveries WHERE id = ?').pluck().get(id);
          assert.equal(lease, to === 'in_flight' ? at(11) : null, `lease after ${from} -> ${to}`);
        } else {
          assert.throws(() => transitions.apply(id, from, to, info), (e: unknown) => e instanceof GatewayError && e.code === 'GW_INTERNAL', `${from} -> ${to}`);
          assert.equal(count(db, 'SELECT COUNT(*) FROM deliveries WHERE id = ? AND state = ?', id, from), 1);
          assert.equal(count(db, 'SELECT COUNT(*) FROM delivery_attempts'), audits);
        }
      }
    }
    assert.equal(allowed, Object.values(ALLOWED_TRANSITIONS).reduce((n, tos) => n + tos.length, 0));
  });

  it('transition() is compare-and-set: a row no longer in `from` is not moved', async () => {
    await t.ledger.ingest(batch({ records: [record(1)] }));
    const db = t.peek();
    const id = (await t.ledger.listDeliveries({}))[0]?.id ?? -1;
    assert.throws(() => new DeliveryTransitions(db, new LedgerCounters(db)).apply(id, 'retry_wait', 'superseded', { now: at(1), actor: 'test' }), /not in state retry_wait/);
    assert.equal(await stateOf(id), 'pending');
    assert.equal(count(db, 'SELECT COUNT(*) FROM delivery_attempts'), 0);
  });

  it('claims due deliveries oldest first with payload, lease and one audit row each', async () => {
    await t.ledger.ingest(batch({ records: [record(1), record(2), record(3)], now: at(0) }));
    const items = await claim(at(1), 2);
    assert.deepEqual(items.map((i) => i.recordId), [record(1).id, record(2).id]);
    const first = items[0];
    assert.ok(first);
    assert.equal(first.attempt, 1);
    assert.equal(first.key, `mark:${record(1).id}:${first.revision}`);
    assert.deepEqual([first.entityType, first.schoolId, first.status, first.contentHash], ['mark', SCHOOL, 'active', 'hash-1-v1']);
    assert.equal(first.payload.revision, first.revision);
    assert.equal(first.payload.id, record(1).id);
    const view = await t.ledger.getDelivery(first.deliveryId);
    assert.ok(view);
    assert.equal(view.state, 'in_flight');
    assert.equal(view.attempts, 1);
    assert.deepEqual(view.attemptLog.map((a) => [a.fromState, a.toState, a.attempt, a.actor, a.at]), [['pending', 'in_flight', 1, 'gateway', at(1)]]);
    const db = t.peek();
    assert.deepEqual(db.prepare('SELECT lease_until, lease_owner FROM deliveries WHERE id = ?').get(first.deliveryId),
      { lease_until: new Date(Date.parse(at(1)) + LEASE_MS).toISOString(), lease_owner: 'worker-1' });
    assert.deepEqual((await claim(at(1), 10)).map((i) => i.recordId), [record(3).id]);
    assert.deepEqual(await claim(at(1), 10), []);
    assert.deepEqual(await claim(at(1), 10, 'other-sink'), []);
  });

  it('supersedes a queued older version when a newer one is taken in', async () => {
    await t.ledger.ingest(batch({ records: [record(1)] }));
    const result = await t.ledger.ingest(batch({ records: [record(1, 2)], now: at(1) }));
    assert.deepEqual([result.updated, result.enqueued, result.superseded], [1, 1, 1]);
    const rows = await t.ledger.listDeliveries({});
    assert.deepEqual(rows.map((d) => d.state), ['superseded', 'pending']);
    const old = await t.ledger.getDelivery(rows[0]?.id ?? -1);
    assert.deepEqual(old?.attemptLog.map((a) => [a.fromState, a.toState, a.actor, a.at]), [['pending', 'superseded', 'gateway', at(1)]]);
    const items = await claim(at(2));
    assert.deepEqual(items.map((i) => i.payload.value), ['2']);
  });

  it('supersedes a version waiting to retry when a newer one is taken in', async () => {
    await t.ledger.ingest(batch({ records: [record(1)] }));
    const [item] = await claim(at(1));
    assert.ok(item);
    await complete([{ deliveryId: item.deliveryId, attempt: item.attempt, to: 'retry_wait', nextAttemptAt: at(30), error: sinkError, durationMs: 12 }]);
    const result = await t.ledger.ingest(batch({ records: [record(1, 2)], now: at(3) }));
    assert.equal(result.superseded, 1);
    assert.equal(await stateOf(item.deliveryId), 'superseded');
  });

  it('never hands out two versions of one record at once', async () => {
    await t.ledger.ingest(batch({ records: [record(1), record(2)] }));
    const firstClaim = await claim(at(1), 1);
    assert.deepEqual(firstClaim.map((i) => i.recordId), [record(1).id]);
    await t.ledger.ingest(batch({ records: [record(1, 2)], now: at(2) }));
    const held = firstClaim[0];
    assert.ok(held);
    assert.equal(await stateOf(held.deliveryId), 'in_flight', 'an in-flight delivery is not superseded');

    const second = await claim(at(3));
    assert.deepEqual(second.map((i) => i.recordId), [record(2).id], 'v2 of record 1 waits for v1 in flight');
    await complete([{ deliveryId: held.deliveryId, attempt: held.attempt, to: 'delivered', durationMs: 5 }], at(4));
    const third = await claim(at(5));
    assert.deepEqual(third.map((i) => [i.recordId, i.payload.value]), [[record(1).id, '2']]);
    assert.deepEqual(await t.ledger.verify(), []);
  });

  it('takes only the oldest due row per record even if several are queued', async () => {
    await t.ledger.ingest(batch({ records: [record(1), record(2), record(3)] }));
    const db = t.peek();
    // Three extra queued versions of record 1 (an inconsistency verify() reports), ahead of records 2 and 3.
    const r1 = await t.ledger.getRecord(record(1).id);
    assert.ok(r1);
    const revs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const rev = Number(db.prepare(`INSERT INTO record_versions (record_seq, record_id, content_hash, status, run_id, ingested_at, body)
        SELECT record_seq, record_id, content_hash, status, run_id, ingested_at, body FROM record_versions WHERE revision = ?`).run(r1.revision).lastInsertRowid);
      db.prepare(`INSERT INTO deliveries (sink_id, record_seq, record_id, entity_type, school_id, revision, content_hash, idempotency_key,
        state, max_attempts, next_attempt_at, created_at, updated_at)
        SELECT sink_id, record_seq, record_id, entity_type, school_id, ?, content_hash, 'k' || ?, 'pending', 5, ?, created_at, updated_at
        FROM deliveries WHERE revision = ?`).run(rev, rev, at(-10 + i), r1.revision);
      revs.push(rev);
    }
    const items = await claim(at(1), 3);
    assert.deepEqual(items.map((i) => i.recordId), [record(1).id, record(2).id, record(3).id]);
    assert.equal(items[0]?.revision, revs[0], 'the earliest due of the four rows of record 1');
    assert.equal(new Set(items.map((i) => i.recordId)).size, 3);
  });

  it('applies completions: delivered, rejected, retry_wait (not claimed before due) and dead', async () => {
    await t.ledger.ingest(batch({ records: [record(1), record(2), record(3), record(4)] }));
    const items = await claim(at(1));
    const [a, b, c, d] = items.map((i) => i.deliveryId);
    assert.ok(a !== undefined && b !== undefined && c !== undefined && d !== undefined);
    assert.deepEqual(items.map((i) => i.attempt), [1, 1, 1, 1]);
    const rejectedError = new GatewayError('GW_SINK_REJECTED', 'portal rejected the mark', { issues: [{ path: '/value', message: 'out of range' }] }).toJSON();
    await complete([
      { deliveryId: a, attempt: 1, to: 'delivered', remoteRef: 'portal-77', durationMs: 40 },
      { deliveryId: b, attempt: 1, to: 'rejected', error: rejectedError, durationMs: 41 },
      { deliveryId: c, attempt: 1, to: 'retry_wait', error: sinkError, nextAttemptAt: at(10), durationMs: 42 },
      { deliveryId: d, attempt: 1, to: 'dead', error: sinkError, durationMs: 43 },
    ], at(2));
    const va = await t.ledger.getDelivery(a);
    assert.deepEqual([va?.state, va?.remoteRef, va?.deliveredAt, va?.lastError], ['delivered', 'portal-77', at(2), undefined]);
    assert.deepEqual(va?.attemptLog.at(-1), {
      deliveryId: a, attempt: 1, fromState: 'in_flight', toState: 'delivered', at: at(2), durationMs: 40, actor: 'gateway',
    });
    const vb = await t.ledger.getDelivery(b);
    assert.deepEqual([vb?.state, vb?.lastError], ['rejected', rejectedError]);
    assert.deepEqual([vb?.attemptLog.at(-1)?.errorCode, vb?.attemptLog.at(-1)?.errorClass, vb?.attemptLog.at(-1)?.message],
      ['GW_SINK_REJECTED', 'invalid_data', 'portal rejected the mark']);
    const vc = await t.ledger.getDelivery(c);
    assert.deepEqual([vc?.state, vc?.nextAttemptAt, vc?.lastError?.code], ['retry_wait', at(10), 'GW_SINK_UNAVAILABLE']);
    assert.equal((await t.ledger.getDelivery(d))?.state, 'dead');
    assert.equal(await t.ledger.nextDueAt('portal'), at(10));
    assert.equal(await t.ledger.nextDueAt('other'), undefined);

    assert.deepEqual(await claim(at(9)), [], 'retry_wait is not claimed before it is due');
    const again = await claim(at(10));
    assert.deepEqual(again.map((i) => [i.deliveryId, i.attempt]), [[c, 2]]);
    assert.equal(await t.ledger.nextDueAt('portal'), undefined);

    const s = await t.ledger.stats();
    assert.deepEqual(s.deliveries, { pending: 0, in_flight: 1, delivered: 1, retry_wait: 0, dead: 1, rejected: 1, superseded: 0 });
  });

  it('ignores stale results for rows that are no longer in flight', async () => {
    await t.ledger.ingest(batch({ records: [record(1)] }));
    const [item] = await claim(at(1));
    assert.ok(item);
    await complete([{ deliveryId: item.deliveryId, attempt: item.attempt, to: 'delivered', durationMs: 1 }], at(2));
    await complete([{ deliveryId: item.deliveryId, attempt: item.attempt, to: 'retry_wait', nextAttemptAt: at(3), error: sinkError, durationMs: 1 },
      { deliveryId: 424242, attempt: 1, to: 'delivered', durationMs: 1 }], at(3));
    const v = await t.ledger.getDelivery(item.deliveryId);
    assert.equal(v?.state, 'delivered');
    assert.equal(v?.attemptLog.length, 2);
  });

  it('ignores a result for an older attempt once the row was recovered and claimed again', async () => {
    await t.ledger.ingest(batch({ records: [record(1)] }));
    const [first] = await claim(at(1));
    assert.ok(first);
    assert.equal(await t.ledger.recoverInFlight({ now: at(11) }), 1, 'the first worker stalled past its lease');
    const [second] = await t.ledger.claimDeliveries({ sinkId: 'portal', limit: 10, now: at(12), leaseMs: LEASE_MS, owner: 'worker-2' });
    assert.ok(second);
    assert.deepEqual([second.deliveryId, first.attempt, second.attempt], [first.deliveryId, 1, 2]);
    const logBefore = (await t.ledger.getDelivery(first.deliveryId))?.attemptLog;

    // The stalled worker reports late: the row is in flight again, but for attempt 2.
    await complete([{ deliveryId: first.deliveryId, attempt: first.attempt, to: 'dead', error: sinkError, durationMs: 1 }], at(13));
    const stale = await t.ledger.getDelivery(first.deliveryId);
    assert.deepEqual([stale?.state, stale?.attempts, stale?.lastError], ['in_flight', 2, undefined]);
    assert.deepEqual(stale?.attemptLog, logBefore);
    const db = t.peek();
    assert.equal(db.prepare('SELECT lease_owner FROM deliveries WHERE id = ?').pluck().get(first.deliveryId), 'worker-2', 'the lease stays with the new claim');

    // Stale and current results in one call, stale first: only the current one applies.
    await complete([
      { deliveryId: first.deliveryId, attempt: first.attempt, to: 'retry_wait', nextAttemptAt: at(30), error: sinkError, durationMs: 1 },
      { deliveryId: second.deliveryId, attempt: second.attempt, to: 'delivered', remoteRef: 'portal-2', durationMs: 7 },
      { deliveryId: second.deliveryId, attempt: 3, to: 'dead', error: sinkError, durationMs: 1 },
    ], at(14));
    const v = await t.ledger.getDelivery(first.deliveryId);
    assert.deepEqual([v?.state, v?.attempts, v?.remoteRef, v?.deliveredAt, v?.nextAttemptAt], ['delivered', 2, 'portal-2', at(14), at(11)]);
    assert.deepEqual(v?.attemptLog.slice((logBefore?.length ?? 0)).map((a) => [a.attempt, a.fromState, a.toState, a.durationMs, a.at]),
      [[2, 'in_flight', 'delivered', 7, at(14)]]);
    const s = await t.ledger.stats();
    assert.deepEqual([s.deliveries.delivered, s.deliveries.in_flight, s.deliveries.retry_wait, s.deliveries.dead], [1, 0, 0, 0]);
    assert.deepEqual(await t.ledger.verify(), []);
  });

  it('refuses a retry_wait result without nextAttemptAt, and writes nothing', async () => {
    await t.ledger.ingest(batch({ records: [record(1), record(2)] }));
    const items = await claim(at(1));
    const bad = complete([
      { deliveryId: items[0]?.deliveryId ?? -1, attempt: items[0]?.attempt ?? -1, to: 'delivered', durationMs: 1 },
      { deliveryId: items[1]?.deliveryId ?? -1, attempt: items[1]?.attempt ?? -1, to: 'retry_wait', durationMs: 1 },
    ]);
    await assert.rejects(bad, (e: unknown) => e instanceof GatewayError && e.code === 'GW_INTERNAL');
    assert.equal((await t.ledger.stats()).deliveries.in_flight, 2);
  });

  it('supersedes a failed older version when a newer one is already queued', async () => {
    await t.ledger.ingest(batch({ records: [record(1)] }));
    const [v1] = await claim(at(1));
    assert.ok(v1);
    await t.ledger.ingest(batch({ records: [record(1, 2)], now: at(2) }));
    await complete([{ deliveryId: v1.deliveryId, attempt: v1.attempt, to: 'retry_wait', nextAttemptAt: at(3), error: sinkError, durationMs: 9 }], at(3));
    const log = (await t.ledger.getDelivery(v1.deliveryId))?.attemptLog.map((a) => `${a.fromState}>${a.toState}`);
    assert.deepEqual(log, ['pending>in_flight', 'in_flight>retry_wait', 'retry_wait>superseded']);
    assert.deepEqual((await claim(at(4))).map((i) => i.payload.value), ['2']);
    assert.deepEqual(await t.ledger.verify(), []);
  });

  it('recovers in-flight deliveries whose lease expired, or all after a restart', async () => {
    await t.ledger.ingest(batch({ records: [record(1), record(2)] }));
    const [early] = await claim(at(1), 1);
    const [late] = await claim(at(5), 1);
    assert.ok(early && late);
    assert.equal(await t.ledger.recoverInFlight({ now: at(10) }), 0, 'leases until 11 and 15 are still held');
    assert.equal(await t.ledger.recoverInFlight({ now: at(11) }), 1);
    const e = await t.ledger.getDelivery(early.deliveryId);
    assert.deepEqual([e?.state, e?.nextAttemptAt, e?.attemptLog.at(-1)?.message], ['retry_wait', at(11), 'lease expired']);
    assert.equal(await stateOf(late.deliveryId), 'in_flight');

    assert.equal(await t.ledger.recoverInFlight({ now: at(12), all: true }), 1);
    const l = await t.ledger.getDelivery(late.deliveryId);
    assert.deepEqual([l?.state, l?.attemptLog.at(-1)?.message], ['retry_wait', 'recovered after restart']);
    const again = await claim(at(12));
    assert.deepEqual(again.map((i) => i.attempt).sort(), [2, 2]);
    assert.deepEqual(await t.ledger.verify(), []);
  });

  it('recovery supersedes an older version when a newer one is queued', async () => {
    await t.ledger.ingest(batch({ records: [record(1)] }));
    const [v1] = await claim(at(1));
    assert.ok(v1);
    await t.ledger.ingest(batch({ records: [record(1, 2)], now: at(2) }));
    assert.equal(await t.ledger.recoverInFlight({ now: at(3), all: true }), 1);
    assert.equal(await stateOf(v1.deliveryId), 'superseded');
    assert.deepEqual((await claim(at(4))).map((i) => i.payload.value), ['2']);
    assert.deepEqual(await t.ledger.verify(), []);
  });

  it('replays dead and rejected deliveries with attempts reset and the last error kept', async () => {
    await t.ledger.ingest(batch({ records: [record(1), record(2), record(3)] }));
    const items = await claim(at(1));
    const [a, b, c] = items.map((i) => i.deliveryId);
    assert.ok(a !== undefined && b !== undefined && c !== undefined);
    assert.deepEqual(items.map((i) => i.attempt), [1, 1, 1]);
    await complete([
      { deliveryId: a, attempt: 1, to: 'dead', error: sinkError, durationMs: 1 },
      { deliveryId: b, attempt: 1, to: 'rejected', error: sinkError, durationMs: 1 },
      { deliveryId: c, attempt: 1, to: 'delivered', durationMs: 1 },
    ]);
    assert.deepEqual(await t.ledger.replayDeliveries({ state: 'dead' }, 'admin:olga', at(5)), { replayed: 1, superseded: 0 });
    const va = await t.ledger.getDelivery(a);
    assert.deepEqual([va?.state, va?.attempts, va?.nextAttemptAt, va?.lastError?.code], ['pending', 0, at(5), 'GW_SINK_UNAVAILABLE']);
    assert.deepEqual([va?.attemptLog.at(-1)?.actor, va?.attemptLog.at(-1)?.fromState], ['admin:olga', 'dead']);
    assert.equal(await stateOf(b), 'rejected', 'the state filter held');

    assert.deepEqual(await t.ledger.replayDeliveries({ state: 'delivered' }, 'admin:olga', at(6)), { replayed: 0, superseded: 0 });
    assert.deepEqual(await t.ledger.replayDeliveries({ ids: [b, c] }, 'admin:olga', at(6)), { replayed: 1, superseded: 0 });
    assert.equal(await stateOf(c), 'delivered');
    const again = await claim(at(7));
    assert.deepEqual(again.map((i) => [i.deliveryId, i.attempt]).sort(), [[a, 1], [b, 1]].sort());
  });

  it('replay supersedes instead when a newer version of the record exists', async () => {
    await t.ledger.ingest(batch({ records: [record(1)] }));
    const [v1] = await claim(at(1));
    assert.ok(v1);
    await complete([{ deliveryId: v1.deliveryId, attempt: v1.attempt, to: 'dead', error: sinkError, durationMs: 1 }]);
    await t.ledger.ingest(batch({ records: [record(1, 2)], now: at(3) }));
    const [v2] = await claim(at(4));
    assert.ok(v2);
    await complete([{ deliveryId: v2.deliveryId, attempt: v2.attempt, to: 'delivered', durationMs: 1 }], at(5));
    assert.deepEqual(await t.ledger.replayDeliveries({}, 'admin:olga', at(6)), { replayed: 0, superseded: 1 });
    const v = await t.ledger.getDelivery(v1.deliveryId);
    assert.deepEqual([v?.state, v?.attemptLog.at(-1)?.actor], ['superseded', 'admin:olga']);
    assert.deepEqual(await claim(at(7)), []);
  });

  it('lists deliveries by filter and page', async () => {
    await t.ledger.ingest(batch({ records: [record(1), record(2)], now: at(0), routes: [PORTAL, { sinkId: 'family', maxAttempts: 2 }] }));
    await t.ledger.ingest(batch({ records: [record(3)], now: at(10) }));
    assert.equal((await t.ledger.listDeliveries({})).length, 5);
    assert.deepEqual((await t.ledger.listDeliveries({ sinkId: 'family' })).map((d) => d.recordId), [record(1).id, record(2).id]);
    assert.deepEqual((await t.ledger.listDeliveries({ from: at(5) })).map((d) => d.recordId), [record(3).id]);
    assert.equal((await t.ledger.listDeliveries({ to: at(0) })).length, 4, 'the window is inclusive');
    assert.equal((await t.ledger.listDeliveries({ schoolId: 'other' })).length, 0);
    const page = await t.ledger.listDeliveries({ limit: 2, offset: 1 });
    const all = await t.ledger.listDeliveries({});
    assert.deepEqual(page.map((d) => d.id), all.slice(1, 3).map((d) => d.id));
    const ids = [all[4]?.id ?? -1, all[0]?.id ?? -1];
    assert.deepEqual((await t.ledger.listDeliveries({ ids, state: 'pending' })).map((d) => d.id), [...ids].sort((x, y) => x - y));
    assert.equal(await t.ledger.getDelivery(9999), undefined);
  });
});
