/**
 * End to end through the real DeliveryWorker (src/pipeline/deliver.ts) and a SQLite ledger
 * file: records taken in, queued for the СМЭВ sink, delivered to the simulator; faults become
 * retry_wait / rejected / dead; a message whose answer was lost is settled without being
 * applied twice, even when the retry regroups the records or the process restarts.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import { DEFAULT_ID_NAMESPACE } from '../../../src/core/ids';
import type { Ledger } from '../../../src/core/ledger';
import { nullLogger } from '../../../src/core/logger';
import type { SinkAdapter } from '../../../src/core/adapter';
import { DeliveryWorker, type DeliveryPolicyOptions } from '../../../src/pipeline/deliver';
import { normalizeRecord } from '../../../src/pipeline/normalize';
import { fakeClock, makeContext, tmpLedger, type FakeClock } from '../../../test/support/harness';
import { createSmev3Sink, parseRemoteRef, startSmev3Simulator, type Smev3SimulatorHandle, type Smev3SinkConfig } from '../index';
import { entityFields } from './helpers';

const SINK = 'smev3';
const SCHOOL = 'school-17';
const POLICY: DeliveryPolicyOptions = {
  batchSize: 10, maxAttempts: 3, backoff: { baseMs: 1000, capMs: 8000, maxRetryAfterMs: 3_600_000 }, leaseMs: 60_000, pollIntervalMs: 20,
};

describe('smev3-sink through the DeliveryWorker and a SQLite ledger', function () {
  this.timeout(30_000);
  let ledger: Ledger;
  let sim: Smev3SimulatorHandle;
  let clock: FakeClock;

  before(() => nock.enableNetConnect());
  beforeEach(async () => {
    ({ ledger } = await tmpLedger());
    clock = fakeClock(new Date('2026-03-02T09:00:00Z'));
    sim = await startSmev3Simulator({ now: () => clock.now() });
  });
  afterEach(async () => { await sim.close(); await ledger.close(); });

  /** Takes in `n` marks (and one lesson) as a source run would, queued for the СМЭВ sink. */
  async function queue(n: number, from = 1): Promise<void> {
    const nctx = { idNamespace: DEFAULT_ID_NAMESPACE, schoolId: SCHOOL, sourceSystem: 'netschool', adapter: 'netschool-source', adapterVersion: '1.0.0', fetchedAt: clock.now().toISOString() };
    const records = [
      ...Array.from({ length: n }, (_, i) => normalizeRecord({ entityType: 'mark', sourceId: `m-${from + i}`, fields: entityFields('mark', from + i) }, nctx).prepared),
      normalizeRecord({ entityType: 'lesson', sourceId: `l-${from}`, fields: entityFields('lesson', from) }, nctx).prepared,
    ];
    await ledger.ingest({ runId: `run-${from}`, schoolId: SCHOOL, sourceInstance: 'netschool', stream: 'diary', records, quarantine: [], routes: [{ sinkId: SINK, maxAttempts: POLICY.maxAttempts }], now: clock.now().toISOString() });
  }

  function worker(sink: SinkAdapter<Smev3SinkConfig>, over: Partial<DeliveryPolicyOptions> = {}): DeliveryWorker<Smev3SinkConfig> {
    const config: Smev3SinkConfig = { endpoint: sim.endpoint, signer: { kind: 'test' }, timeoutMs: 5000 };
    return new DeliveryWorker({
      sinkId: SINK, adapter: sink, ctx: makeContext(config, { clock, side: 'sink', schoolId: '*', system: 'smev3' }), ledger,
      policy: { ...POLICY, ...over }, log: nullLogger, now: () => clock.now(), sleep: (ms) => clock.sleep(ms), owner: 'w1', random: () => 0.5,
    });
  }
  const states = async (): Promise<string[]> => (await ledger.listDeliveries({ sinkId: SINK })).map((d) => d.state).sort();

  it('delivers what was queued; the ledger keeps the MessageID and СМЭВ SendingTimestamp in remoteRef', async () => {
    await queue(3);
    assert.equal(await worker(createSmev3Sink()).tick(), 4);
    const ds = await ledger.listDeliveries({ sinkId: SINK });
    assert.deepEqual(ds.map((d) => d.state), ['delivered', 'delivered', 'delivered', 'delivered']);
    const msg = sim.state().messages[0]!;
    for (const d of ds) assert.deepEqual(parseRemoteRef(d.remoteRef), { messageId: msg.messageId, sendingTimestamp: msg.sendingTimestamp, status: 'requestIsQueued' });
    assert.deepEqual(sim.state().applied.map((a) => a.key).sort(), ds.map((d) => d.idempotencyKey).sort());
    const log = (await ledger.getDelivery(ds[0]!.id))!.attemptLog.map((a) => `${a.fromState}>${a.toState}`);
    assert.deepEqual(log, ['pending>in_flight', 'in_flight>delivered']);
  });

  it('SMEVFailure: retry_wait with the fault recorded, then delivered on the next attempt', async () => {
    await queue(2);
    const w = worker(createSmev3Sink());
    sim.inject({ kind: 'custom', name: 'SMEVFailure' });
    await w.tick();
    const waiting = await ledger.listDeliveries({ sinkId: SINK });
    assert.ok(waiting.every((d) => d.state === 'retry_wait' && d.lastError?.code === 'GW_SINK_UNAVAILABLE' && /SMEVFailure/.test(d.lastError.message)));
    clock.advance(60_000);
    await w.tick();
    assert.deepEqual(await states(), ['delivered', 'delivered', 'delivered']);
    assert.equal(sim.state().counters.applied, 3);
  });

  it('a lost answer, then a retry that regroups the records: nothing applied twice', async () => {
    await queue(3);
    const sink = createSmev3Sink();
    sim.inject({ kind: 'custom', name: 'drop-connection' });
    await worker(sink).tick();
    assert.deepEqual(await states(), ['retry_wait', 'retry_wait', 'retry_wait', 'retry_wait']);
    clock.advance(60_000);
    assert.equal(await worker(sink, { batchSize: 2 }).tick(), 2);
    const requests = sim.state().counters.requests;
    assert.equal(await worker(sink, { batchSize: 2 }).tick(), 2);
    assert.equal(sim.state().counters.requests, requests, 'the rest settled from memory');
    assert.deepEqual(await states(), ['delivered', 'delivered', 'delivered', 'delivered']);
    const st = sim.state();
    assert.equal(st.counters.applied, 4);
    assert.equal(st.counters.appliedTwice, 0);
    assert.equal(st.counters.duplicates, 1, 'the resent message was answered MessageIsAlreadySent');
  });

  it('a lost answer and a restart (empty memory): the same records get the same MessageID and settle as duplicate', async () => {
    await queue(2);
    sim.inject({ kind: 'custom', name: 'drop-connection' });
    await worker(createSmev3Sink()).tick();
    clock.advance(60_000);
    await worker(createSmev3Sink()).tick();
    assert.deepEqual(await states(), ['delivered', 'delivered', 'delivered']);
    assert.equal(sim.state().counters.appliedTwice, 0);
    assert.equal(sim.state().counters.duplicates, 1);
  });

  it('a record СМЭВ refuses ends rejected with its issue; the others are delivered', async () => {
    await queue(3);
    sim.inject({ kind: 'custom', name: 'reject-entity:lesson' });
    await worker(createSmev3Sink()).tick();
    const ds = await ledger.listDeliveries({ sinkId: SINK });
    const rejected = ds.filter((d) => d.state === 'rejected');
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]?.entityType, 'lesson');
    assert.equal(rejected[0]?.lastError?.code, 'GW_SINK_REJECTED');
    assert.equal(ds.filter((d) => d.state === 'delivered').length, 3);
  });

  it('AccessDenied (permanent) keeps failing until the deliveries are dead, never applied', async () => {
    await queue(1);
    sim.inject({ kind: 'custom', name: 'AccessDenied', count: 10 });
    const w = worker(createSmev3Sink());
    for (let i = 0; i < POLICY.maxAttempts; i++) { await w.tick(); clock.advance(60_000); }
    const ds = await ledger.listDeliveries({ sinkId: SINK });
    assert.ok(ds.every((d) => d.state === 'dead' && d.lastError?.code === 'GW_SINK_AUTH_FAILED' && d.lastError.class === 'permanent'));
    assert.equal(sim.state().counters.applied, 0);
  });
});
