/**
 * End to end: the demo district of the OneRoster source read into a real SQLite ledger, its
 * deliveries drained by the real DeliveryWorker through the sink into the simulated consumer,
 * all on one fake clock. Proves at least once and never twice in effect, supersede, tombstones,
 * per-item rejections with the consumer's reason, an outage and its recovery, token expiry.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import type { DeliveryView, Ledger } from '../../../src/core/ledger';
import { nullLogger } from '../../../src/core/logger';
import { DeliveryWorker, type DeliveryPolicyOptions } from '../../../src/pipeline/deliver';
import { fakeClock, type FakeClock } from '../../../test/support/harness';
import { createOneRosterSink, startOneRosterConsumer, type OneRosterConsumerHandle } from '../index';
import type { OneRosterSinkConfig } from '../spec';
import { configOf, filledLedger, NOW, routeOf, SCHOOL, sinkCtx, touch, type Obj } from './helpers';

/** The gateway's default backoff (30 s base, 1 h cap, 8 attempts): marks whose line item waits behind a 429 must outlive it. */
const POLICY: DeliveryPolicyOptions = {
  batchSize: 50, maxAttempts: 8, backoff: { baseMs: 30_000, capMs: 3_600_000 }, leaseMs: 60_000, pollIntervalMs: 1000,
  breaker: { failureThreshold: 3, openMs: 30_000, maxOpenMs: 120_000 },
};

describe('oneroster-sink end to end: DeliveryWorker + SQLite ledger → simulated consumer', function () {
  this.timeout(120_000);
  let clock: FakeClock;
  let consumer: OneRosterConsumerHandle;
  let env: Awaited<ReturnType<typeof filledLedger>>;
  const sink = createOneRosterSink();
  before(() => nock.enableNetConnect());

  /** Every test but the first routes only gradebook records, so the first batch already talks to the consumer. */
  const setup = async (allEntities = false): Promise<void> => {
    clock = fakeClock(NOW);
    consumer = await startOneRosterConsumer({ now: clock.now });
    env = await filledLedger(clock, [allEntities ? routeOf('or', sink) : { sinkId: 'or', maxAttempts: 5, accepts: ['assessment', 'mark'] }]);
  };
  beforeEach(async function () { await setup(this.currentTest?.title.startsWith('delivers every') === true); });
  afterEach(async () => { await env.close(); await consumer.close(); });

  const worker = (over: Partial<OneRosterSinkConfig> = {}, policy: Partial<DeliveryPolicyOptions> = {}): DeliveryWorker<OneRosterSinkConfig> => new DeliveryWorker({
    sinkId: 'or', adapter: sink, ctx: sinkCtx(configOf(consumer, over), clock), ledger: env.ledger, policy: { ...POLICY, ...policy },
    log: nullLogger, now: () => clock.now(), sleep: (ms) => clock.sleep(ms), owner: 'w1', random: () => 0.5,
  });
  /** Ticks until nothing is due, moving the clock past retries (and an open circuit). */
  const drain = async (w: DeliveryWorker<OneRosterSinkConfig>, rounds = 2000): Promise<void> => {
    for (let i = 0; i < rounds; i++) {
      if (await w.tick() > 0) continue;
      const due = await env.ledger.nextDueAt('or');
      if (!due && w.breakerState === 'closed') return;
      clock.advance(Math.max(1000, (due ? Date.parse(due) : w.openUntil ?? 0) - clock.now().getTime()));
    }
    assert.fail('the outbox did not drain');
  };
  const deliveries = (ledger: Ledger = env.ledger): Promise<DeliveryView[]> => ledger.listDeliveries({ sinkId: 'or', limit: 100_000 });
  const byState = (ds: DeliveryView[]): Record<string, number> => ds.reduce<Record<string, number>>((m, d) => ({ ...m, [d.state]: (m[d.state] ?? 0) + 1 }), {});
  const current = async (entity: 'assessment' | 'mark'): Promise<Obj[]> => (await env.ledger.listRecords({ schoolId: SCHOOL, entityType: entity })).map((r) => r.record);
  const currentMarkWithValue = async (): Promise<Obj> => (await current('mark')).find((m) => m.kind === 'current' && m.status === 'active' && (m.value as Obj | undefined)?.scale === 'five_point') as Obj;

  it('delivers every assessment and current mark once, under our sourcedIds; roster records cost no call; period marks are refused with a reason', async () => {
    const w = worker();
    await drain(w);
    const ds = await deliveries();
    const states = byState(ds);
    assert.equal(states.pending ?? 0, 0);
    assert.equal(states.dead ?? 0, 0);
    assert.equal(states.retry_wait ?? 0, 0);
    const assessments = await current('assessment');
    const marks = await current('mark');
    const currentMarks = marks.filter((m) => m.kind === 'current');
    assert.ok(assessments.length > 50 && currentMarks.length > 500, `${assessments.length} assessments, ${currentMarks.length} current marks`);
    const st = consumer.state();
    assert.equal(st.sizes.lineItems, assessments.length);
    assert.equal(st.sizes.results, currentMarks.length);
    assert.equal(st.counters.outOfOrder, 0);
    assert.equal(st.counters.appliedTwice, 0);
    assert.equal(st.counters.rejected, 0);
    // The sourcedIds are the canonical ids; references too.
    const m = await currentMarkWithValue();
    const stored = consumer.get('results', String(m.id))?.object as Obj;
    assert.equal((stored.lineItem as Obj).sourcedId, m.assessmentId);
    assert.equal((stored.student as Obj).sourcedId, m.studentId);
    assert.equal(stored.score, (m.value as Obj).numeric);
    assert.equal(stored.textScore, (m.value as Obj).raw);
    // Period marks: rejected, the reason names the kind.
    const rejected = ds.filter((d) => d.state === 'rejected');
    assert.equal(rejected.length, marks.length - currentMarks.length);
    assert.ok(rejected.length > 0);
    for (const d of rejected) {
      assert.equal(d.entityType, 'mark');
      assert.equal(d.lastError?.code, 'GW_SINK_REJECTED');
      assert.equal(d.lastError?.issues?.[0]?.path, '/kind');
    }
    // Roster records: delivered without a call.
    const roster = ds.filter((d) => d.entityType !== 'mark' && d.entityType !== 'assessment');
    assert.ok(roster.length > 20);
    assert.ok(roster.every((d) => d.state === 'delivered' && d.remoteRef === 'not-sent:rostering-off'));
    // A second pass has nothing to send.
    const before = consumer.state().counters;
    await drain(w);
    assert.deepEqual(consumer.state().counters, before);
  });

  it('a timeout after the consumer applied: the retry PUTs the same content, which is not applied twice', async () => {
    consumer.inject({ kind: 'slow', ms: 400, count: 1 });
    const w = worker({ timeoutMs: 150 });
    assert.ok(await w.tick() > 0);
    const afterTimeout = byState(await deliveries());
    assert.ok((afterTimeout.retry_wait ?? 0) > 0, 'the push failed as a whole and waits');
    const deadline = Date.now() + 3000;
    while (consumer.state().counters.applied === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(consumer.state().counters.applied, 1, 'the slow PUT was applied after the gateway gave up');
    await drain(w);
    const st = consumer.state();
    assert.ok(st.counters.unchanged >= 1, 'the re-sent object arrived again');
    assert.equal(st.counters.appliedTwice, 0);
    assert.equal(st.counters.outOfOrder, 0);
    assert.equal(byState(await deliveries()).dead ?? 0, 0);
  });

  it('a newer version supersedes a queued one; a later change updates the consumer in order', async () => {
    const m = await currentMarkWithValue();
    clock.advance(60_000);
    await touch(env.source, 'results', String(m.sourceId), { textScore: '3', score: 3 });
    await env.sync();
    const ds = await deliveries();
    const mine = ds.filter((d) => d.recordId === m.id);
    assert.deepEqual(mine.map((d) => d.state).sort(), ['pending', 'superseded']);
    const w = worker();
    await drain(w);
    assert.equal((consumer.get('results', String(m.id))?.object as Obj).score, 3);
    assert.equal(consumer.get('results', String(m.id))?.puts, 1, 'only the newest version was sent');
    clock.advance(60_000);
    await touch(env.source, 'results', String(m.sourceId), { textScore: '4', score: 4 });
    await env.sync();
    await drain(w);
    const stored = consumer.get('results', String(m.id));
    assert.equal((stored?.object as Obj).score, 4);
    assert.equal(stored?.puts, 2);
    assert.equal(consumer.state().counters.outOfOrder, 0);
    assert.equal(consumer.state().counters.appliedTwice, 0);
  });

  for (const mode of ['put', 'delete'] as const) {
    it(`a tombstone reaches the consumer (tombstones: ${mode})`, async () => {
      const w = worker({ tombstones: mode });
      await drain(w);
      const m = await currentMarkWithValue();
      assert.ok(consumer.get('results', String(m.id)));
      clock.advance(60_000);
      await touch(env.source, 'results', String(m.sourceId), { status: 'tobedeleted' });
      await env.sync();
      assert.equal((await env.ledger.getRecord(String(m.id)))?.status, 'tobedeleted');
      await drain(w);
      const stored = consumer.get('results', String(m.id));
      if (mode === 'put') {
        assert.equal((stored?.object as Obj).status, 'tobedeleted');
      } else {
        assert.equal(stored, undefined);
        assert.equal(consumer.state().counters.deleted, 1);
      }
      const last = (await deliveries()).filter((d) => d.recordId === m.id).sort((a, b) => b.revision - a.revision)[0];
      assert.equal(last?.state, 'delivered');
    });
  }

  it('one result refused by the consumer is rejected with its reason; the rest are delivered', async () => {
    consumer.inject({ kind: 'custom', name: 'reject:results', count: 1 });
    await drain(worker());
    const rejected = (await deliveries()).filter((d) => d.state === 'rejected' && d.entityType === 'mark' && d.lastError?.issues?.[0]?.path !== '/kind');
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]?.lastError?.code, 'GW_SINK_REJECTED');
    assert.equal(rejected[0]?.lastError?.httpStatus, 422);
    assert.match(rejected[0]?.lastError?.issues?.[0]?.message ?? '', /refused by the consumer: the student is not enrolled/);
    assert.equal(consumer.state().counters.rejected, 1);
    assert.equal(consumer.state().sizes.results, (await current('mark')).filter((m) => m.kind === 'current').length - 1);
  });

  it('an outage opens the circuit and loses nothing; the outbox drains when the consumer is back', async () => {
    consumer.inject({ kind: 'status', status: 503, count: 5 });
    const w = worker();
    for (let i = 0; i < 3; i++) { await w.tick(); clock.advance(2000); }
    assert.equal(w.breakerState, 'open');
    assert.equal(consumer.state().counters.applied, 0);
    await drain(w);
    assert.equal(w.breakerState, 'closed');
    const states = byState(await deliveries());
    assert.equal(states.dead ?? 0, 0);
    assert.equal(states.retry_wait ?? 0, 0);
    assert.equal(consumer.state().sizes.lineItems, (await current('assessment')).length);
  });

  it('a 429 parks the batch until Retry-After; expired tokens are renewed once and delivery goes on', async () => {
    const w = worker({}, { batchSize: 20 });
    await w.tick();
    consumer.inject({ kind: 'status', status: 429, count: 1, retryAfterSec: 120 });
    const at = clock.now().getTime();
    await w.tick();
    const waiting = (await deliveries()).filter((d) => d.state === 'retry_wait');
    assert.ok(waiting.length > 0);
    for (const d of waiting) {
      assert.equal(d.lastError?.code, 'GW_SINK_RATE_LIMITED');
      assert.equal(Date.parse(d.nextAttemptAt as string) - at, 120_000);
    }
    consumer.inject({ kind: 'expire-sessions' });
    await drain(w);
    const states = byState(await deliveries());
    assert.equal(states.dead ?? 0, 0);
    assert.equal(states.retry_wait ?? 0, 0);
    assert.equal(consumer.state().counters.appliedTwice, 0);
  });
});
