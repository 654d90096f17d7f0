/**
 * DeliveryWorker with an in-test sink and a real SQLite ledger file: every outcome, the
 * backoff it schedules (fake clock), per-record ordering, lease recovery, and the loop.
 */
import assert from 'node:assert/strict';
import type { DeliveryItem, DeliveryOutcome, SinkAdapter } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { DEFAULT_ID_NAMESPACE } from '../../src/core/ids';
import type { Ledger } from '../../src/core/ledger';
import { nullLogger } from '../../src/core/logger';
import { DeliveryWorker, type DeliveryObserver, type DeliveryPolicyOptions } from '../../src/pipeline/deliver';
import { normalizeRecord } from '../../src/pipeline/normalize';
import { fakeClock, makeContext, tmpLedger, type FakeClock } from '../support/harness';

const SCHOOL = 'school-17';
const SINK = 'portal';
const POLICY: DeliveryPolicyOptions = {
  batchSize: 10, maxAttempts: 3, backoff: { baseMs: 1000, capMs: 8000, maxRetryAfterMs: 3_600_000 }, leaseMs: 60_000, pollIntervalMs: 20,
};

type PushFn = (batch: readonly DeliveryItem[]) => DeliveryOutcome[] | Promise<DeliveryOutcome[]>;

interface FakeSink extends SinkAdapter {
  calls: DeliveryItem[][];
  behave(fn: PushFn): void;
}

function fakeSink(initial: PushFn): FakeSink {
  let fn = initial;
  const calls: DeliveryItem[][] = [];
  return {
    spec: { id: 'fake-sink', system: 'fakeportal', version: '0.0.1', kind: 'sink', title: 'Fake sink', configSchema: {} },
    calls,
    behave(next) { fn = next; },
    check: async () => ({ ok: true }),
    async push(_ctx, batch) {
      calls.push(batch.map((i) => ({ ...i })));
      return fn(batch);
    },
  };
}

const deliverAll: PushFn = (b) => b.map((i) => ({ deliveryId: i.deliveryId, status: 'delivered', remoteRef: `remote-${i.recordId}` }));
const failAll = (err: (i: DeliveryItem) => GatewayError): PushFn => (b) => b.map((i) => ({ deliveryId: i.deliveryId, status: 'failed', error: err(i) }));
const unavailable = (i: DeliveryItem): GatewayError => new GatewayError('GW_SINK_UNAVAILABLE', `portal answered 503 on attempt ${i.attempt}`, { httpStatus: 503 });
/** A per-item failure that is not an outage: the record keeps failing on its own. */
const garbled = (i: DeliveryItem): GatewayError => new GatewayError('GW_SINK_PROTOCOL', `portal answered garbage on attempt ${i.attempt}`, { httpStatus: 502 });

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await tick(10);
  }
}

describe('pipeline/deliver DeliveryWorker', () => {
  let ledger: Ledger;
  let clock: FakeClock;
  let tally: Record<string, number>;
  let health: boolean[];
  const observer: DeliveryObserver = {
    delivered: (_sink, outcome, n) => { tally[outcome] = (tally[outcome] ?? 0) + n; },
    sinkHealth: (_sink, healthy) => { health.push(healthy); },
  };

  beforeEach(async () => {
    ({ ledger } = await tmpLedger());
    clock = fakeClock(new Date('2025-11-13T05:00:00Z'));
    tally = {};
    health = [];
  });
  afterEach(async () => {
    await ledger.close();
  });

  /** Takes in subjects `n` with the given titles (a new title is a new version) and queues them for the sink. */
  async function queue(items: readonly (readonly [number, string])[], maxAttempts = POLICY.maxAttempts): Promise<void> {
    const nctx = {
      idNamespace: DEFAULT_ID_NAMESPACE, schoolId: SCHOOL, sourceSystem: 'fakejournal', adapter: 'fake-source',
      adapterVersion: '0.0.1', fetchedAt: clock.now().toISOString(),
    };
    const records = items.map(([n, title]) => normalizeRecord({ entityType: 'subject', sourceId: `subj-${n}`, fields: { title } }, nctx).prepared);
    await ledger.ingest({
      runId: 'run', schoolId: SCHOOL, sourceInstance: 'fake', stream: 'subjects', records, quarantine: [],
      routes: [{ sinkId: SINK, maxAttempts }], now: clock.now().toISOString(),
    });
  }
  const queueN = (n: number, from = 1): Promise<void> => queue(Array.from({ length: n }, (_, i) => [from + i, `Предмет ${from + i}`] as const));

  function worker(sink: SinkAdapter, over: Partial<DeliveryPolicyOptions> = {}, opts: { owner?: string; ledger?: Ledger; realTime?: boolean } = {}): DeliveryWorker<Record<string, unknown>> {
    const now = opts.realTime ? (): Date => new Date() : (): Date => clock.now();
    return new DeliveryWorker({
      sinkId: SINK, adapter: sink, ctx: makeContext({}, { clock, side: 'sink', schoolId: '*' }), ledger: opts.ledger ?? ledger,
      policy: { ...POLICY, ...over }, log: nullLogger, now, sleep: (ms) => clock.sleep(ms),
      owner: opts.owner ?? 'worker-1', observer, random: () => 0.5,
    });
  }

  const states = async (): Promise<string[]> => (await ledger.listDeliveries({ sinkId: SINK })).map((d) => d.state);

  it('delivers a batch: each item pushed once with its key, revision and payload, then delivered', async () => {
    await queueN(3);
    const sink = fakeSink(deliverAll);
    const w = worker(sink);

    assert.equal(await w.tick(), 3);
    assert.equal(sink.calls.length, 1);
    const records = await ledger.listRecords({ schoolId: SCHOOL });
    for (const item of sink.calls[0]!) {
      const r = records.find((x) => x.id === item.recordId);
      assert.ok(r);
      assert.equal(item.attempt, 1);
      assert.equal(item.revision, r.revision);
      assert.equal(item.key, `subject:${r.id}:${r.revision}`);
      assert.equal(item.payload.revision, r.revision, 'the payload carries the revision');
      assert.equal(item.payload.title, r.record.title);
      assert.equal(item.schoolId, SCHOOL);
    }
    const ds = await ledger.listDeliveries({ sinkId: SINK });
    assert.deepEqual(ds.map((d) => d.state), ['delivered', 'delivered', 'delivered']);
    assert.ok(ds.every((d) => d.remoteRef === `remote-${d.recordId}` && d.deliveredAt && d.attempts === 1));
    const log = (await ledger.getDelivery(ds[0]!.id))!.attemptLog.map((a) => `${a.fromState}>${a.toState}`);
    assert.deepEqual(log, ['pending>in_flight', 'in_flight>delivered']);
    assert.deepEqual(tally, { delivered: 3 });
    assert.equal(await w.tick(), 0, 'nothing left to claim');
    assert.equal(sink.calls.length, 1);
  });

  it('counts a duplicate (the remote already had the key) as delivered', async () => {
    await queueN(2);
    const w = worker(fakeSink((b) => b.map((i) => ({ deliveryId: i.deliveryId, status: 'delivered', duplicate: true }))));
    assert.equal(await w.tick(), 2);
    assert.deepEqual(await states(), ['delivered', 'delivered']);
    assert.deepEqual(tally, { duplicate: 2 });
  });

  it('rejects an item the remote refused as invalid data, keeps its issues and never retries it', async () => {
    await queueN(3);
    const sink = fakeSink((b) => b.map((i, k) => (k === 1
      ? { deliveryId: i.deliveryId, status: 'failed', error: new GatewayError('GW_SINK_REJECTED', 'portal refused the record', { httpStatus: 422, issues: [{ path: '/title', message: 'too short' }] }) }
      : { deliveryId: i.deliveryId, status: 'delivered' })));
    const w = worker(sink);
    await w.tick();

    const ds = await ledger.listDeliveries({ sinkId: SINK });
    assert.deepEqual(ds.map((d) => d.state), ['delivered', 'rejected', 'delivered'], 'one bad record does not hold up the rest');
    const rejected = ds[1]!;
    assert.equal(rejected.lastError?.code, 'GW_SINK_REJECTED');
    assert.deepEqual(rejected.lastError?.issues, [{ path: '/title', message: 'too short' }]);
    assert.equal(rejected.attempts, 1);
    clock.advance(24 * 3_600_000);
    assert.equal(await w.tick(), 0, 'a rejected delivery is not claimed again');
    assert.equal(sink.calls.length, 1);
    assert.deepEqual(tally, { delivered: 2, rejected: 1 });
  });

  it('puts a retryable failure in retry_wait with capped jittered backoff and claims it again only when due', async () => {
    await queueN(1);
    const sink = fakeSink(failAll(unavailable));
    const w = worker(sink);
    const t0 = clock.now().getTime();

    assert.equal(await w.tick(), 1);
    let [d] = await ledger.listDeliveries({ sinkId: SINK });
    assert.equal(d!.state, 'retry_wait');
    assert.equal(d!.attempts, 1);
    assert.equal(d!.lastError?.code, 'GW_SINK_UNAVAILABLE');
    assert.equal(d!.lastError?.httpStatus, 503);
    // attempt 1: nominal 1000 ms, half fixed plus 0.5 of the other half.
    assert.equal(d!.nextAttemptAt, new Date(t0 + 750).toISOString());
    assert.equal(await ledger.nextDueAt(SINK), d!.nextAttemptAt);

    assert.equal(await w.tick(), 0, 'not due yet');
    clock.advance(749);
    assert.equal(await w.tick(), 0, 'still not due');
    clock.advance(1);
    assert.equal(await w.tick(), 1, 'due now');
    assert.equal(sink.calls[1]![0]!.attempt, 2);
    [d] = await ledger.listDeliveries({ sinkId: SINK });
    assert.equal(d!.state, 'retry_wait');
    assert.equal(d!.nextAttemptAt, new Date(t0 + 750 + 1500).toISOString(), 'attempt 2: nominal 2000 ms');
    assert.deepEqual(tally, { retry: 2 });

    sink.behave(deliverAll);
    clock.advance(1500);
    assert.equal(await w.tick(), 1);
    assert.deepEqual(await states(), ['delivered']);
  });

  it("lets the remote's Retry-After win over the computed backoff", async () => {
    await queueN(2);
    const w = worker(fakeSink(failAll(() => new GatewayError('GW_SINK_RATE_LIMITED', 'portal answered 429', { httpStatus: 429, retryAfterMs: 30_000 }))));
    const t0 = clock.now().getTime();
    await w.tick();
    const ds = await ledger.listDeliveries({ sinkId: SINK });
    assert.deepEqual(ds.map((d) => d.nextAttemptAt), [t0 + 30_000, t0 + 30_000].map((t) => new Date(t).toISOString()));
    clock.advance(29_999);
    assert.equal(await w.tick(), 0);
  });

  it('makes a delivery dead after maxAttempts and keeps the last error', async () => {
    await queueN(1);
    const sink = fakeSink(failAll(garbled));
    const w = worker(sink);
    for (let i = 0; i < 3; i++) {
      assert.equal(await w.tick(), 1, `attempt ${i + 1}`);
      clock.advance(60_000);
    }
    const [d] = await ledger.listDeliveries({ sinkId: SINK });
    assert.equal(d!.state, 'dead');
    assert.equal(d!.attempts, 3);
    assert.equal(d!.lastError?.code, 'GW_SINK_PROTOCOL');
    assert.equal(d!.lastError?.message, 'portal answered garbage on attempt 3', 'the error of the last attempt');
    assert.deepEqual(tally, { retry: 2, dead: 1 });
    clock.advance(24 * 3_600_000);
    assert.equal(await w.tick(), 0, 'a dead delivery is not claimed again');
    assert.equal(sink.calls.length, 3);
    const log = (await ledger.getDelivery(d!.id))!.attemptLog;
    assert.deepEqual(log.map((a) => a.toState), ['in_flight', 'retry_wait', 'in_flight', 'retry_wait', 'in_flight', 'dead']);
    assert.ok(log.filter((a) => a.toState !== 'in_flight').every((a) => a.errorCode === 'GW_SINK_PROTOCOL'));
  });

  it('when push throws, every item of the batch is retried with that error and the sink is unhealthy until it recovers', async () => {
    await queueN(3);
    const sink = fakeSink(() => { throw new GatewayError('GW_SINK_UNAVAILABLE', 'portal is down', { httpStatus: 503 }); });
    const w = worker(sink);
    assert.equal(await w.tick(), 3);
    const ds = await ledger.listDeliveries({ sinkId: SINK });
    assert.deepEqual(ds.map((d) => d.state), ['retry_wait', 'retry_wait', 'retry_wait']);
    assert.ok(ds.every((d) => d.lastError?.code === 'GW_SINK_UNAVAILABLE' && d.lastError.message === 'portal is down'));
    assert.equal(w.healthy, false);
    assert.equal(w.lastError?.code, 'GW_SINK_UNAVAILABLE');

    // Something that is not a GatewayError (a socket error from a library) is a sink outage, retried too.
    sink.behave(() => { throw new Error('socket hang up'); });
    clock.advance(1000);
    assert.equal(await w.tick(), 3);
    assert.deepEqual(await states(), ['retry_wait', 'retry_wait', 'retry_wait']);
    assert.equal(w.lastError?.code, 'GW_SINK_UNAVAILABLE');

    sink.behave(deliverAll);
    clock.advance(2000);
    assert.equal(await w.tick(), 3);
    assert.deepEqual(await states(), ['delivered', 'delivered', 'delivered']);
    assert.equal(w.healthy, true);
    assert.equal(w.lastError, undefined);
    assert.deepEqual(health, [false, false, true]);
  });

  it('retries an item the sink returned no outcome for (and ignores outcomes for unknown ids)', async () => {
    await queueN(3);
    const sink = fakeSink((b) => [
      ...deliverAll(b.slice(0, 2)) as DeliveryOutcome[],
      { deliveryId: 987_654, status: 'delivered' },
    ]);
    const w = worker(sink);
    await w.tick();
    const ds = await ledger.listDeliveries({ sinkId: SINK });
    assert.deepEqual(ds.map((d) => d.state), ['delivered', 'delivered', 'retry_wait']);
    assert.equal(ds[2]!.lastError?.code, 'GW_SINK_PROTOCOL');
    assert.match(ds[2]!.lastError?.message ?? '', /no outcome/);
    sink.behave(deliverAll);
    clock.advance(1000);
    assert.equal(await w.tick(), 1);
    assert.deepEqual(await states(), ['delivered', 'delivered', 'delivered']);
  });

  it('never claims a newer version of a record while an older one is in flight', async () => {
    await queue([[1, 'Алгебра']]);
    const gate = deferred();
    const sinkA = fakeSink(async (b) => { await gate.promise; return deliverAll(b); });
    const sinkB = fakeSink(deliverAll);
    const a = worker(sinkA, {}, { owner: 'worker-a' });
    const b = worker(sinkB, {}, { owner: 'worker-b' });

    const aTick = a.tick();
    await until(() => sinkA.calls.length === 1, 'worker A to push version 1');
    // Version 2 of record 1 and a new record 2 arrive while version 1 is in flight.
    await queue([[1, 'Алгебра и начала анализа'], [2, 'Геометрия']]);
    assert.equal(await b.tick(), 1, 'only record 2 can be claimed');
    assert.deepEqual(sinkB.calls[0]!.map((i) => i.payload.title), ['Геометрия']);
    assert.equal(await b.tick(), 0, 'version 2 of record 1 waits');

    gate.resolve();
    assert.equal(await aTick, 1);
    assert.equal(await b.tick(), 1, 'version 2 is claimed once version 1 completed');
    const pushed1 = [...sinkA.calls, ...sinkB.calls].flat().filter((i) => i.payload.sourceId === 'subj-1');
    assert.deepEqual(pushed1.map((i) => i.payload.title), ['Алгебра', 'Алгебра и начала анализа']);
    assert.ok(pushed1[0]!.revision < pushed1[1]!.revision);
    assert.deepEqual(await states(), ['delivered', 'delivered', 'delivered']);
  });

  it('takes over a delivery whose lease expired (its worker died) and ignores the dead worker\'s late result', async () => {
    await queueN(1);
    const [claimed] = await ledger.claimDeliveries({ sinkId: SINK, limit: 10, now: clock.now().toISOString(), leaseMs: 5000, owner: 'dead-worker' });
    assert.ok(claimed);
    const sink = fakeSink(deliverAll);
    const w = worker(sink);
    assert.equal(await w.tick(), 0, 'the lease still holds');
    clock.advance(5001);
    assert.equal(await w.tick(), 1, 'the expired lease is recovered and the delivery pushed again');
    assert.equal(sink.calls[0]![0]!.key, claimed.key, 'under the same idempotency key');
    assert.equal(sink.calls[0]![0]!.attempt, 2);
    await ledger.completeDeliveries([{ deliveryId: claimed.deliveryId, attempt: claimed.attempt, to: 'retry_wait', nextAttemptAt: clock.now().toISOString(), durationMs: 1 }], clock.now().toISOString());
    assert.deepEqual(await states(), ['delivered'], 'the stale result changed nothing');
  });

  describe('circuit breaker and rate limit', () => {
    const down: PushFn = () => { throw new GatewayError('GW_SINK_UNAVAILABLE', 'portal is down', { httpStatus: 503 }); };
    const BREAKER = { failureThreshold: 2, openMs: 10_000, maxOpenMs: 40_000 };

    it('an outage of many hours: the circuit opens, probes one item with growing pauses, nothing goes dead, and it drains when the portal returns', async () => {
      await queueN(12);
      const sink = fakeSink(down);
      const breakerStates: string[] = [];
      const w = new DeliveryWorker({
        sinkId: SINK, adapter: sink, ctx: makeContext({}, { clock, side: 'sink', schoolId: '*' }), ledger,
        policy: { ...POLICY, batchSize: 5, breaker: BREAKER }, log: nullLogger, now: () => clock.now(), sleep: (ms) => clock.sleep(ms),
        owner: 'w', observer: { breaker: (_s, st) => { breakerStates.push(st); } }, random: () => 0.5,
      });
      // Two whole-push failures open the circuit.
      assert.equal(await w.tick(), 5);
      clock.advance(60_000);
      assert.equal(await w.tick(), 5);
      assert.equal(w.breakerState, 'open');
      assert.equal(await w.tick(), 0, 'open: nothing is claimed or pushed');
      const pushesBefore = sink.calls.length;
      // Six hours of outage, ticking every minute: only single-item probes reach the portal.
      for (let m = 0; m < 6 * 60; m++) {
        clock.advance(60_000);
        await w.tick();
      }
      const probes = sink.calls.slice(pushesBefore);
      assert.ok(probes.every((b) => b.length === 1), 'half open: one item per probe');
      // Pauses 10 s, 20 s, 40 s, then every 40 s at most → with 1-minute ticks about one probe a minute, far fewer than 5-item batches.
      assert.ok(probes.length > 100 && probes.length <= 361, `probes: ${probes.length}`);
      const during = await ledger.listDeliveries({ sinkId: SINK });
      assert.equal(during.filter((d) => d.state === 'dead').length, 0, 'an outage never makes a delivery dead');
      assert.ok(during.some((d) => d.attempts > POLICY.maxAttempts), 'attempts are still counted');

      sink.behave(deliverAll);
      let guard = 0;
      while ((await states()).some((st) => st !== 'delivered') && guard++ < 100) {
        clock.advance(60_000);
        await w.tick();
      }
      assert.deepEqual(await states(), Array(12).fill('delivered'), 'drained by itself');
      assert.equal(w.breakerState, 'closed');
      assert.deepEqual(breakerStates.slice(0, 2), ['open', 'half_open']);
      assert.equal(breakerStates.at(-1), 'closed');
      assert.deepEqual(await ledger.verify(), []);
    });

    it('per-item failures and non-outage errors do not open the circuit; items still go dead after maxAttempts', async () => {
      await queueN(1);
      const sink = fakeSink(() => { throw new GatewayError('GW_SINK_AUTH_FAILED', 'token refused', { httpStatus: 401 }); });
      const w = worker(sink, { breaker: BREAKER });
      for (let i = 0; i < 3; i++) {
        await w.tick();
        assert.equal(w.breakerState, 'closed');
        clock.advance(60_000);
      }
      assert.deepEqual(await states(), ['dead'], 'a bad token is not an outage: it ends in the dead letter for the operator');
    });

    it('an item failing on its own with an outage error (part of the push went in) never goes dead either', async () => {
      await queueN(2);
      // The first item is taken, the second meets the destination's overload (СМЭВ DestinationOverflow after a first message).
      const sink = fakeSink((batch) => batch.map((i, n) => (n === 0 && i.attempt === 1
        ? { deliveryId: i.deliveryId, status: 'delivered' as const }
        : { deliveryId: i.deliveryId, status: 'failed' as const, error: new GatewayError('GW_SINK_UNAVAILABLE', 'DestinationOverflow') })));
      const w = worker(sink, { breaker: BREAKER });
      for (let i = 0; i < 8; i++) {
        await w.tick();
        clock.advance(3_600_000);
      }
      assert.deepEqual((await states()).sort(), ['delivered', 'retry_wait'], 'past maxAttempts the overloaded item still waits for the destination');
    });

    it('holds to ratePerSecond across pushes (waiting on the injected clock before claiming)', async () => {
      await queueN(30);
      const sink = fakeSink(deliverAll);
      const w = worker(sink, { batchSize: 10, ratePerSecond: 5 });
      const t0 = clock.now().getTime();
      for (let i = 0; i < 3; i++) assert.equal(await w.tick(), 10);
      assert.equal(sink.calls.length, 3);
      // 30 records at 5/s: the third batch may start only after the first 20 records' 4 s.
      assert.equal(clock.now().getTime() - t0, 4000);
      assert.deepEqual(clock.sleeps, [2000, 2000]);
    });
  });

  describe('start() / stop()', () => {
    it('drains the outbox by itself and wakes on poke() for newly queued records', async () => {
      await queueN(25);
      const sink = fakeSink(deliverAll);
      // A long poll interval: only poke() can make it see new records quickly.
      const w = worker(sink, { pollIntervalMs: 60_000 }, { realTime: true });
      w.start();
      await until(async () => (await states()).every((s) => s === 'delivered'), 'the outbox to drain');
      assert.deepEqual(sink.calls.map((c) => c.length), [10, 10, 5]);

      await queueN(2, 100);
      w.poke();
      await until(async () => (await states()).filter((s) => s === 'delivered').length === 27, 'poked worker to deliver new records', 2000);
      const t = Date.now();
      await w.stop();
      assert.ok(Date.now() - t < 1000, 'stop() wakes the idle loop');
    });

    it('stop() lets the batch in flight finish, then claims nothing more', async () => {
      await queueN(5);
      const gate = deferred();
      const sink = fakeSink(async (b) => { await gate.promise; return deliverAll(b); });
      const w = worker(sink, {}, { realTime: true });
      w.start();
      await until(() => sink.calls.length === 1, 'the first push');
      let stopped = false;
      const stopping = w.stop().then(() => { stopped = true; });
      await tick(50);
      assert.equal(stopped, false, 'stop waits for the batch in flight');
      gate.resolve();
      await stopping;
      assert.deepEqual(await states(), ['delivered', 'delivered', 'delivered', 'delivered', 'delivered'], 'no row left in_flight');

      await queueN(2, 50);
      w.poke();
      await tick(100);
      assert.equal(sink.calls.length, 1, 'a stopped worker claims nothing');
      assert.deepEqual((await states()).slice(5), ['pending', 'pending']);
      assert.deepEqual(await ledger.verify(), []);
    });

    it('stop() arriving while the idle loop looks up the next due time does not wait a whole poll interval', async () => {
      const gate = deferred();
      let asked = false;
      const gated = new Proxy(ledger, {
        get(target, prop, receiver) {
          if (prop === 'nextDueAt') {
            return async (sinkId: string) => { asked = true; await gate.promise; return target.nextDueAt(sinkId); };
          }
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      const w = worker(fakeSink(deliverAll), { pollIntervalMs: 60_000 }, { ledger: gated, realTime: true });
      w.start();
      await until(() => asked, 'the idle loop to look up the next due time');
      const stopping = w.stop();
      gate.resolve();
      const res = await Promise.race([stopping.then(() => 'stopped'), tick(1000).then(() => 'still sleeping')]);
      assert.equal(res, 'stopped');
    });
  });
});
