/**
 * Batched delivery transitions (DeliveryTransitions.applyMany): a claim leases its batch and a
 * completion settles its batch in one UPDATE per (from, to) with the audit rows in one INSERT.
 * The invariants of one checked transition per move stay: the same row columns and audit rows
 * as `apply` row by row, compare-and-set, counters, and all-or-nothing on a bug.
 */
import assert from 'node:assert/strict';
import type Database from 'better-sqlite3';
import { GatewayError } from '../../src/core/errors';
import type { DeliveryResult } from '../../src/core/ledger';
import { LedgerCounters } from '../../src/ledger/sqlite/counters';
import { DeliveryTransitions } from '../../src/ledger/sqlite/transitions';
import { at, batch, count, openTestLedger, record, type TestLedger } from './ledger-fixtures';

const LEASE_MS = 10 * 60_000;
const err = (code: 'GW_SINK_UNAVAILABLE' | 'GW_SINK_REJECTED' | 'GW_SINK_AUTH_FAILED', n: number) => new GatewayError(code, `answer ${n}`).toJSON();

/** Rows and audit rows without their surrogate keys, for comparing two ledgers. */
function snapshot(db: Database.Database): { deliveries: unknown[]; attempts: unknown[]; counters: unknown[] } {
  return {
    deliveries: db.prepare(`SELECT record_id, state, attempts, next_attempt_at, lease_until, lease_owner, last_error, remote_ref, updated_at, delivered_at
      FROM deliveries ORDER BY record_id, revision`).all(),
    attempts: db.prepare(`SELECT d.record_id, a.attempt, a.from_state, a.to_state, a.at, a.duration_ms, a.error_code, a.error_class, a.message, a.actor
      FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id ORDER BY d.record_id, a.id`).all(),
    counters: db.prepare("SELECT name, n FROM counters WHERE name LIKE 'deliveries.%' ORDER BY name").all(),
  };
}

describe('sqlite ledger: batched claim and completion', () => {
  let t: TestLedger;
  beforeEach(async () => { t = await openTestLedger(); });
  afterEach(async () => t.cleanup());

  const claim = (now: string, limit = 50) => t.ledger.claimDeliveries({ sinkId: 'portal', limit, now, leaseMs: LEASE_MS, owner: 'worker-1' });

  it('a claim leases the whole batch with one audit row per item; a completion of mixed outcomes writes each row and audit row as one move would', async () => {
    await t.ledger.ingest(batch({ records: Array.from({ length: 6 }, (_, i) => record(i + 1)) }));
    const items = await claim(at(1));
    assert.equal(items.length, 6);
    const db = t.peek();
    assert.equal(count(db, "SELECT COUNT(*) FROM deliveries WHERE state = 'in_flight' AND lease_owner = 'worker-1' AND lease_until = ? AND attempts = 1", at(11)), 6);
    assert.equal(count(db, "SELECT COUNT(*) FROM delivery_attempts WHERE from_state = 'pending' AND to_state = 'in_flight' AND attempt = 1 AND message = 'claimed by worker-1' AND actor = 'gateway'"), 6);
    assert.ok(items.every((i) => i.attempt === 1 && i.payload.revision === i.revision));

    const [a, b, c, d, e, f] = items as [typeof items[0], typeof items[0], typeof items[0], typeof items[0], typeof items[0], typeof items[0]];
    const results: DeliveryResult[] = [
      { deliveryId: a.deliveryId, attempt: 1, to: 'delivered', durationMs: 7, remoteRef: 'R-a' },
      { deliveryId: b.deliveryId, attempt: 1, to: 'delivered', durationMs: 7 },
      { deliveryId: c.deliveryId, attempt: 1, to: 'retry_wait', durationMs: 7, error: err('GW_SINK_UNAVAILABLE', 1), nextAttemptAt: at(5) },
      { deliveryId: d.deliveryId, attempt: 1, to: 'retry_wait', durationMs: 9, error: err('GW_SINK_UNAVAILABLE', 2), nextAttemptAt: at(6) },
      { deliveryId: e.deliveryId, attempt: 1, to: 'rejected', durationMs: 7, error: err('GW_SINK_REJECTED', 3) },
      { deliveryId: f.deliveryId, attempt: 2, to: 'delivered', durationMs: 7 }, // stale: not this attempt
      { deliveryId: a.deliveryId, attempt: 1, to: 'dead', durationMs: 7, error: err('GW_SINK_AUTH_FAILED', 4) }, // a second result for a: stale
    ];
    await t.ledger.completeDeliveries(results, at(2));
    const row = (id: number) => db.prepare('SELECT state, attempts, next_attempt_at, last_error, remote_ref, delivered_at, lease_until FROM deliveries WHERE id = ?').get(id) as Record<string, unknown>;
    assert.deepEqual(row(a.deliveryId), { state: 'delivered', attempts: 1, next_attempt_at: at(0), last_error: null, remote_ref: 'R-a', delivered_at: at(2), lease_until: null });
    assert.equal(row(b.deliveryId).remote_ref, null);
    assert.equal(row(c.deliveryId).next_attempt_at, at(5));
    assert.equal(row(d.deliveryId).next_attempt_at, at(6));
    assert.equal(JSON.parse(row(d.deliveryId).last_error as string).message, 'answer 2');
    assert.equal(row(e.deliveryId).state, 'rejected');
    assert.equal(row(f.deliveryId).state, 'in_flight', 'a result for another attempt is ignored');
    const audit = (id: number) => db.prepare("SELECT to_state, duration_ms, error_code, message FROM delivery_attempts WHERE delivery_id = ? AND from_state = 'in_flight'").all(id);
    assert.deepEqual(audit(a.deliveryId), [{ to_state: 'delivered', duration_ms: 7, error_code: null, message: null }]);
    assert.deepEqual(audit(d.deliveryId), [{ to_state: 'retry_wait', duration_ms: 9, error_code: 'GW_SINK_UNAVAILABLE', message: 'answer 2' }]);
    assert.deepEqual(audit(e.deliveryId), [{ to_state: 'rejected', duration_ms: 7, error_code: 'GW_SINK_REJECTED', message: 'answer 3' }]);
    assert.deepEqual(audit(f.deliveryId), []);
    assert.deepEqual(await t.ledger.verify(), [], 'counters and rows agree');
    const stats = (await t.ledger.stats()).deliveries;
    assert.deepEqual([stats.delivered, stats.retry_wait, stats.rejected, stats.in_flight], [2, 2, 1, 1]);
  });

  it('the batch path leaves the same rows, audit rows and counters as one apply() per move', async () => {
    const other = await openTestLedger();
    try {
      for (const l of [t.ledger, other.ledger]) {
        await l.ingest(batch({ records: Array.from({ length: 5 }, (_, i) => record(i + 1)) }));
        await l.ingest(batch({ runId: 'run-2', now: at(1), records: [record(5, 2)] })); // supersedes record 5's first version
      }
      // Ledger `t` through the store (batched); ledger `other` row by row through apply().
      const items = await claim(at(2));
      const results: DeliveryResult[] = items.map((i, k) => (k % 2 === 0
        ? { deliveryId: i.deliveryId, attempt: i.attempt, to: 'delivered' as const, durationMs: 3, remoteRef: `R-${k}` }
        : { deliveryId: i.deliveryId, attempt: i.attempt, to: 'retry_wait' as const, durationMs: 3, error: err('GW_SINK_UNAVAILABLE', k), nextAttemptAt: at(10 + k) }));
      await t.ledger.completeDeliveries(results, at(3));

      const db = other.peek();
      const counters = new LedgerCounters(db);
      const tr = new DeliveryTransitions(db, counters);
      const ids = db.prepare<[], { id: number; record_id: string; state: 'pending' }>("SELECT id, record_id, state FROM deliveries WHERE state = 'pending' ORDER BY next_attempt_at, id").all();
      const byRecord = new Map(items.map((i, k) => [i.recordId, results[k] as DeliveryResult]));
      counters.transaction(() => {
        for (const r of ids) tr.apply(r.id, 'pending', 'in_flight', { now: at(2), actor: 'gateway', lease: { until: new Date(Date.parse(at(2)) + LEASE_MS).toISOString(), owner: 'worker-1' }, message: 'claimed by worker-1' });
      })();
      counters.transaction(() => {
        for (const r of ids) {
          const res = byRecord.get(r.record_id) as DeliveryResult;
          tr.apply(r.id, 'in_flight', res.to, {
            now: at(3), actor: 'gateway', durationMs: 3,
            ...(res.error ? { error: res.error } : {}), ...(res.nextAttemptAt ? { nextAttemptAt: res.nextAttemptAt } : {}), ...(res.remoteRef ? { remoteRef: res.remoteRef } : {}),
          });
        }
      })();
      assert.deepEqual(snapshot(t.peek()), snapshot(db));
    } finally {
      await other.cleanup();
    }
  });

  it('a batch move is all or nothing: one row no longer in `from` fails the whole move with GW_INTERNAL and moves nothing', async () => {
    await t.ledger.ingest(batch({ records: [record(1), record(2), record(3)] }));
    const db = t.peek();
    const rows = db.prepare<[], { id: number; attempts: number }>('SELECT id, attempts FROM deliveries ORDER BY id').all();
    db.prepare("UPDATE deliveries SET state = 'superseded' WHERE id = ?").run(rows[1]?.id);
    const counters = new LedgerCounters(db);
    const tr = new DeliveryTransitions(db, counters);
    const before = snapshot(db);
    assert.throws(
      () => counters.transaction(() => tr.applyMany('pending', 'in_flight', rows, { now: at(1), actor: 'gateway', lease: { until: at(11), owner: 'w' } }))(),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_INTERNAL' && /1 of 3 deliveries are not in state pending/.test(e.message),
    );
    assert.deepEqual(snapshot(db), before);
    assert.throws(() => tr.applyMany('delivered', 'pending', rows, { now: at(1), actor: 'x' }), /Illegal delivery transition delivered -> pending/);
    assert.throws(() => tr.applyMany('pending', 'in_flight', rows, { now: at(1), actor: 'x' }), /without a lease/);
  });
});
