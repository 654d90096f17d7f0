/**
 * The ledger's transport state (src/ledger/sqlite/transport.ts) on a real SQLite file: ids
 * written before the send, settled with the destination's timestamp, released after a definite
 * refusal, scoped per sink, statuses and acknowledgements, and the "still open" query.
 */
import assert from 'node:assert/strict';
import type { Ledger } from '../../src/core/ledger';
import { isSettled, type SinkTransport } from '../../src/core/transport';
import { tmpLedger } from '../support/harness';

const T0 = '2026-03-02T09:00:00.000Z';
const T1 = '2026-03-02T09:05:00.000Z';
const T2 = '2026-03-02T09:30:00.000Z';

function prepared(n: number): Parameters<Ledger['ingest']>[0]['records'][number] {
  const id = `00000000-0000-5000-8000-${String(n).padStart(12, '0')}`;
  return {
    id, entityType: 'mark', schoolId: 's1', sourceSystem: 'netschool', sourceId: `m-${n}`, status: 'active', contentHash: `h${n}`,
    dateLastModified: T0, body: JSON.stringify({ id, entityType: 'mark', n }),
  };
}

describe('ledger transport state (SQLite)', () => {
  let ledger: Ledger;
  let a: SinkTransport;
  let ids: number[];
  let keys: string[];

  beforeEach(async () => {
    ({ ledger } = await tmpLedger());
    await ledger.ingest({
      runId: 'r1', schoolId: 's1', sourceInstance: 'netschool', stream: 'diary', records: [1, 2, 3, 4].map(prepared), quarantine: [],
      routes: [{ sinkId: 'a', maxAttempts: 3 }, { sinkId: 'b', maxAttempts: 3 }], now: T0,
    });
    const rows = await ledger.listDeliveries({ sinkId: 'a' });
    ids = rows.map((d) => d.id);
    keys = rows.map((d) => d.idempotencyKey);
    a = ledger.transport!().forSink('a');
  });
  afterEach(async () => { await ledger.close(); });

  it('assign writes the id before the send; settle with keys stores the timestamp and releases holders the copy did not carry', async () => {
    await a.assign('X', ids, T0);
    const before = await a.lookup(ids);
    assert.ok(ids.every((id) => before.get(id)?.transportId === 'X' && !isSettled(before.get(id))));
    assert.equal(await a.settle('X', { keys: keys.slice(0, 2), sendingTimestamp: '2026-03-02T12:05:00.000+03:00', status: 'requestIsQueued' }, T1), 2);
    const after = await a.lookup(ids);
    assert.deepEqual(ids.map((id) => [after.get(id)?.transportId, after.get(id)?.sendingTimestamp, after.get(id)?.remoteStatus]), [
      ['X', '2026-03-02T12:05:00.000+03:00', 'requestIsQueued'], ['X', '2026-03-02T12:05:00.000+03:00', 'requestIsQueued'],
      [undefined, undefined, undefined], [undefined, undefined, undefined],
    ]);
  });

  it('settle without keys (already sent) settles every holder and keeps stored values; release frees only unsettled holders', async () => {
    await a.assign('X', ids.slice(0, 2), T0);
    await a.settle('X', { keys: keys.slice(0, 1), sendingTimestamp: 'TS', status: 'requestIsQueued' }, T0);
    await a.assign('Y', ids.slice(2), T0);
    assert.equal(await a.settle('Y', { status: 'requestIsQueued' }, T1), 2);
    const s = await a.lookup(ids);
    assert.deepEqual([s.get(ids[2]!)?.remoteStatus, s.get(ids[2]!)?.sendingTimestamp, s.get(ids[2]!)?.remoteStatusAt], ['requestIsQueued', undefined, T1]);
    await a.assign('Z', [ids[1]!], T0);
    assert.equal(await a.release('Z', T1), 1);
    assert.equal(await a.release('X', T1), 0, 'a settled holder keeps its id');
    const r = await a.lookup(ids);
    assert.deepEqual(ids.map((id) => r.get(id)?.transportId), ['X', undefined, 'Y', 'Y']);
  });

  it('is scoped per sink: another sink neither sees nor changes these rows', async () => {
    await a.assign('X', ids, T0);
    const b = ledger.transport!().forSink('b');
    assert.deepEqual(await b.byTransportId('X'), []);
    assert.equal(await b.acknowledge('X', T1), 0);
    await b.setRemoteStatus([{ deliveryId: ids[0]!, status: 'rejected' }], T1);
    assert.equal((await a.lookup([ids[0]!])).get(ids[0]!)?.remoteStatus, undefined);
    assert.equal((await b.lookup(ids)).size, 0);
    assert.equal((await ledger.transport!().lookup(ids)).size, 4, 'the unscoped lookup (CLI, admin API) sees them');
  });

  it('remote statuses, detail and acknowledgement; awaiting lists open statuses older than a time', async () => {
    await a.assign('X', ids, T0);
    await a.settle('X', { keys, sendingTimestamp: 'TS', status: 'requestIsQueued' }, T0);
    await a.setRemoteStatus([{ deliveryId: ids[0]!, status: 'rejected', detail: 'provider: UNKNOWN_PERSON' }, { deliveryId: ids[1]!, status: 'accepted' }], T1);
    assert.equal(await a.acknowledge('X', T1), 4);
    assert.equal(await a.acknowledge('X', T2), 4);
    const rows = await a.byTransportId('X');
    assert.deepEqual(rows.map((r) => [r.remoteStatus, r.remoteDetail, r.acknowledgedAt, r.schoolId, r.entityType]), [
      ['rejected', 'provider: UNKNOWN_PERSON', T1, 's1', 'mark'], ['accepted', undefined, T1, 's1', 'mark'],
      ['requestIsQueued', undefined, T1, 's1', 'mark'], ['requestIsQueued', undefined, T1, 's1', 'mark'],
    ]);
    const open = ['requestIsQueued', 'underProcessing'];
    assert.deepEqual((await a.awaiting({ statuses: open, olderThan: T0, limit: 10 })).map((r) => r.deliveryId), [ids[2], ids[3]]);
    assert.deepEqual(await a.awaiting({ statuses: open, olderThan: '2026-03-02T08:59:00.000Z', limit: 10 }), []);
    assert.equal((await a.awaiting({ statuses: open, olderThan: T2, limit: 1 })).length, 1);
  });

  it('a refusal after delivery moves only delivered rows to rejected, audited and counted; replay re-queues them', async () => {
    const items = await ledger.claimDeliveries({ sinkId: 'a', limit: 10, now: T0, leaseMs: 60_000, owner: 'w' });
    assert.equal(items.length, 4);
    // Three delivered, one still waiting for a retry.
    await ledger.completeDeliveries([
      ...items.slice(0, 3).map((i) => ({ deliveryId: i.deliveryId, attempt: i.attempt, to: 'delivered' as const, durationMs: 1 })),
      { deliveryId: items[3]!.deliveryId, attempt: items[3]!.attempt, to: 'retry_wait' as const, durationMs: 1, nextAttemptAt: T2 },
    ], T0);
    await a.assign('X', ids, T0);
    await a.settle('X', { keys, sendingTimestamp: 'TS', status: 'requestIsQueued' }, T0);
    const moved = await a.setRemoteStatus([
      { deliveryId: ids[0]!, status: 'rejected', detail: 'RequestRejected NO_DATA', refused: true },
      { deliveryId: ids[1]!, status: 'accepted' },
      { deliveryId: ids[2]!, status: 'rejected', detail: 'no refused flag' },
      { deliveryId: ids[3]!, status: 'rejected', detail: 'provider: UNKNOWN_PERSON', refused: true },
    ], T1);
    assert.equal(moved, 1);
    const states = new Map((await ledger.listDeliveries({ sinkId: 'a' })).map((d) => [d.id, d.state]));
    assert.deepEqual(ids.map((id) => states.get(id)), ['rejected', 'delivered', 'delivered', 'retry_wait']);
    const view = await ledger.getDelivery(ids[0]!);
    assert.equal(view!.deliveredAt, undefined, 'not delivered any more: the SLA engine stops counting it');
    assert.equal((await ledger.getDelivery(ids[1]!))!.deliveredAt, T0);
    const last = view!.attemptLog[view!.attemptLog.length - 1]!;
    assert.deepEqual([last.fromState, last.toState, last.actor, last.errorCode, last.at], ['delivered', 'rejected', 'gateway', 'GW_SINK_REJECTED', T1]);
    assert.match(last.message ?? '', /RequestRejected NO_DATA/);
    assert.deepEqual(await ledger.verify(), [], 'counters follow the move');
    // Written twice (a crash before Ack reads the answer again): no second move.
    assert.equal(await a.setRemoteStatus([{ deliveryId: ids[0]!, status: 'rejected', refused: true }], T2), 0);
    // Another sink's view cannot move this sink's rows.
    assert.equal(await ledger.transport!().forSink('b').setRemoteStatus([{ deliveryId: ids[1]!, status: 'rejected', refused: true }], T2), 0);
    assert.equal((await ledger.getDelivery(ids[1]!))?.state, 'delivered');

    assert.deepEqual(await ledger.replayDeliveries({ sinkId: 'a', state: 'rejected' }, 'operator', T2), { replayed: 1, superseded: 0 });
    assert.equal((await ledger.getDelivery(ids[0]!))?.state, 'pending');
    assert.equal((await a.lookup([ids[0]!])).get(ids[0]!)?.remoteStatus, 'rejected', 'the refusal stays visible until the next send');
  });
});
