/**
 * The assembled gateway (Gateway.create/start/stop) against real parts: a SQLite ledger file in
 * a tmp dir, the NetSchool simulator and the REST portal simulator on loopback. Config objects
 * look like config/demo.json, with small delivery timings so retries happen within the test.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import type { SourceAdapter } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { DEFAULT_ID_NAMESPACE } from '../../src/core/ids';
import type { Ledger, LedgerStats } from '../../src/core/ledger';
import { nullLogger } from '../../src/core/logger';
import type { SimulatorHandle } from '../../src/core/simulator';
import { getCanonicalValidator } from '../../src/infra/schemas';
import { openLedger } from '../../src/ledger';
import { systemClock } from '../../src/runtime/clock';
import { Gateway } from '../../src/runtime/gateway';
import { SourceRunner } from '../../src/runtime/source-runner';
import { netschoolSimulator } from '../../adapters/netschool-source';
import { startRestPortalSimulator, type RestPortalSimulatorHandle } from '../../adapters/rest-portal-sink';
import { tmpDir, tmpLedger } from '../support/harness';

/** Fires on 1 January only: never during a test run (in practice). */
const NEVER = '0 0 1 1 *';
const WRONG_PASSWORD_ENV = 'DIARY_TEST_WRONG_PASSWORD';

interface DeliveryOverrides {
  batchSize?: number; maxAttempts?: number; backoffBaseMs?: number; backoffCapMs?: number; pollIntervalMs?: number;
  breakerThreshold?: number; breakerOpenMs?: number; breakerMaxOpenMs?: number;
}

function netschoolSource(passwordRef = '${DIARY_SIM_NETSCHOOL_PASSWORD}'): Record<string, unknown> {
  return {
    id: 'netschool', adapter: 'netschool-source', schedule: NEVER, runOnStart: true,
    // final_marks reads the whole year (~400 records) whatever the window: not needed here.
    streams: ['school_years', 'roster', 'diary', 'attendance'],
    config: {
      baseUrl: '${DIARY_SIM_NETSCHOOL_URL}', login: '${DIARY_SIM_NETSCHOOL_LOGIN}', password: passwordRef,
      schoolName: '${DIARY_SIM_NETSCHOOL_SCHOOL}', mobileAccessToken: '${DIARY_SIM_NETSCHOOL_MOBILE_TOKEN}',
      // The current week only: enough records to prove the flow, few enough to stay fast.
      weeksBack: 0, weeksAhead: 0, lookbackWeeks: 0,
    },
  };
}

function makeConfig(dir: string, opts: { delivery?: DeliveryOverrides; badSchool?: boolean } = {}): Record<string, unknown> {
  const schools: Record<string, unknown>[] = [
    { id: 'good-school', name: 'МБОУ СОШ № 7 (тест)', timezone: 'Europe/Moscow', sources: [netschoolSource()], sinks: ['portal'] },
  ];
  if (opts.badSchool) {
    schools.unshift({
      id: 'bad-school', name: 'Школа с неверным паролем (тест)', timezone: 'Europe/Moscow',
      sources: [netschoolSource(`\${${WRONG_PASSWORD_ENV}}`)], sinks: ['portal'],
    });
  }
  return {
    gateway: {
      ledger: { driver: 'sqlite', path: path.join(dir, 'ledger.sqlite') },
      admin: { enabled: false, host: '127.0.0.1', port: 0, tokensEnv: 'DIARY_GATEWAY_ADMIN_TOKENS' },
      logLevel: 'warn', logFormat: 'json',
      delivery: {
        batchSize: 50, maxAttempts: 8, backoffBaseMs: 50, backoffCapMs: 200, leaseMs: 60_000, pollIntervalMs: 20,
        breakerThreshold: 3, breakerOpenMs: 100, breakerMaxOpenMs: 200,
        ...opts.delivery,
      },
      scheduleJitterMs: 0,
      // The simulator's children have no registered consents; the gate is tested in families-*.
      families: { consentGate: 'off' },
    },
    simulators: [],
    sinks: [{ id: 'portal', adapter: 'rest-portal-sink', config: { baseUrl: '${DIARY_SIM_PORTAL_URL}', token: '${DIARY_SIM_PORTAL_TOKEN}' } }],
    schools,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds; fails with `what` (and the last state seen) after `ms`. */
async function until<T>(probe: () => Promise<T>, cond: (v: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (cond(v)) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last seen ${JSON.stringify(v)}`);
    await sleep(20);
  }
}

const queued = (s: LedgerStats): number => s.deliveries.pending + s.deliveries.retry_wait + s.deliveries.in_flight;

/** Every record of the school is in the portal at its current revision. */
async function assertAllAtPortal(ledger: Ledger, portal: RestPortalSimulatorHandle, schoolId: string): Promise<number> {
  const records = await ledger.listRecords({ schoolId, limit: 1_000_000 });
  assert.ok(records.length > 50, `${schoolId} taken in (${records.length} records)`);
  const behind = records.filter((r) => portal.latest(r.id)?.revision !== r.revision);
  assert.deepEqual(behind.slice(0, 5).map((r) => `${r.entityType} ${r.id} r${r.revision} (portal: r${portal.latest(r.id)?.revision})`), [],
    `${behind.length} records of ${schoolId} not at their current revision in the portal`);
  const c = portal.state().counters;
  assert.equal(c.appliedTwice, 0, 'nothing applied twice');
  assert.equal(c.outOfOrder, 0, 'no older version after a newer one');
  return records.length;
}

describe('runtime/gateway against the simulators', function () {
  this.timeout(60_000);
  let ns: SimulatorHandle;
  let portal: RestPortalSimulatorHandle;
  let gw: Gateway | undefined;
  let dir: string;

  before(async () => {
    ns = await netschoolSimulator.start({ seed: 7, live: false });
  });
  after(async () => {
    await ns?.close();
  });
  beforeEach(async () => {
    dir = tmpDir('dgw-gateway-');
    portal = await startRestPortalSimulator();
  });
  afterEach(async () => {
    await gw?.stop(2000);
    gw = undefined;
    await portal.close();
  });

  async function createGateway(cfg: Record<string, unknown>): Promise<Gateway> {
    gw = await Gateway.create({
      rawConfig: cfg, log: nullLogger, simulators: false,
      env: { ...ns.env, ...portal.env, [WRONG_PASSWORD_ENV]: 'definitely-not-the-password' },
    });
    return gw;
  }

  it('takes in the good school and delivers all of it while the school with wrong credentials fails alone', async () => {
    const g = await createGateway(makeConfig(dir, { badSchool: true }));
    await g.start().initialSyncs;

    const [bad] = g.findRunner('bad-school');
    const [good] = g.findRunner('good-school');
    assert.ok(bad && good);
    assert.equal(bad.lastRun?.status, 'failed');
    assert.equal(bad.lastRun?.error?.code, 'GW_SRC_AUTH_FAILED');
    assert.equal(bad.healthy, false, 'bad credentials make the runner unhealthy');
    assert.equal(bad.lastError?.code, 'GW_SRC_AUTH_FAILED');
    assert.equal(good.lastRun?.status, 'ok', `good school run: ${JSON.stringify(good.lastRun?.error ?? good.lastRun?.streams)}`);
    assert.equal(good.healthy, true);
    assert.ok((good.lastRun?.counts.inserted ?? 0) > 50);

    const [badRun] = await g.ledger.listRuns({ schoolId: 'bad-school' });
    assert.equal(badRun?.status, 'failed');
    assert.equal(badRun?.error?.code, 'GW_SRC_AUTH_FAILED');
    assert.equal((await g.ledger.listRecords({ schoolId: 'bad-school' })).length, 0);
    assert.deepEqual(await g.ledger.listCursors('bad-school'), []);

    await until(() => g.ledger.stats(), (s) => queued(s) === 0, 'the outbox to drain');
    const n = await assertAllAtPortal(g.ledger, portal, 'good-school');
    const stats = await g.ledger.stats();
    assert.equal(stats.deliveries.delivered, n, 'one delivery per record');
    assert.equal(stats.deliveries.dead + stats.deliveries.rejected, 0);
    assert.equal(g.workers.get('portal')?.healthy, true);
    assert.deepEqual(await g.ledger.verify(), []);
  });

  it('keeps deliveries waiting through a portal outage (circuit open, probing) and drains them by itself once it is back', async () => {
    portal.inject({ kind: 'status', status: 503, count: 1_000_000 });
    // maxAttempts 1: an outage must not make anything dead however many attempts it costs — with one
    // attempt allowed, any other failure would make a delivery dead at once. Short circuit pauses.
    const g = await createGateway(makeConfig(dir, { delivery: { maxAttempts: 1, breakerOpenMs: 200, breakerMaxOpenMs: 400 } }));
    await g.start().initialSyncs;
    const records = await g.ledger.listRecords({ schoolId: 'good-school', limit: 1_000_000 });
    assert.ok(records.length > 50);

    // Whole batches fail until the circuit opens; then single-item probes. None delivered, none dead, none lost.
    const during = await until(() => g.ledger.listDeliveries({ limit: 1_000_000 }),
      // attempts = maxAttempts and still waiting: without the outage rule its failure would have made it dead.
      (ds) => ds.length > 0 && ds.filter((d) => d.attempts >= 1 && d.state === 'retry_wait').length >= 5
        && g.workers.get('portal')?.breakerState !== 'closed',
      'deliveries to fail at maxAttempts and still wait behind an open circuit');
    assert.equal(during.length, records.length, 'one delivery per record, none lost');
    assert.notEqual(g.workers.get('portal')?.breakerState, 'closed', 'the circuit is open (or probing)');
    const stats = await g.ledger.stats();
    assert.equal(stats.deliveries.delivered, 0);
    assert.equal(stats.deliveries.dead, 0, 'nothing dead while attempts remain');
    assert.equal(stats.deliveries.rejected, 0);
    const waiting = during.filter((d) => d.state === 'retry_wait');
    assert.ok(waiting.length > 0);
    for (const d of waiting) {
      assert.equal(d.lastError?.code, 'GW_SINK_UNAVAILABLE');
      assert.equal(d.lastError?.httpStatus, 503);
      assert.ok(d.nextAttemptAt);
    }
    assert.equal(g.workers.get('portal')?.healthy, false);
    assert.equal(portal.state().counters.applied, 0);

    portal.inject({ kind: 'clear' });
    await until(() => g.ledger.stats(), (s) => queued(s) === 0, 'the outbox to drain after the outage');
    await assertAllAtPortal(g.ledger, portal, 'good-school');
    const after = await g.ledger.stats();
    assert.equal(after.deliveries.delivered, records.length);
    assert.equal(after.deliveries.dead, 0);
    assert.equal(g.workers.get('portal')?.healthy, true);
    assert.deepEqual(await g.ledger.verify(), []);
  });

  it('makes deliveries dead after maxAttempts when the portal refuses them (not an outage) and delivers them once when an operator replays them', async () => {
    // 401: the portal refuses the gateway's token. Not an outage: it ends in the dead letter for an operator.
    portal.inject({ kind: 'status', status: 401, count: 1_000_000 });
    const g = await createGateway(makeConfig(dir, { delivery: { maxAttempts: 2 } }));
    await g.start().initialSyncs;
    const n = (await g.ledger.listRecords({ schoolId: 'good-school', limit: 1_000_000 })).length;

    await until(() => g.ledger.stats(), (s) => s.deliveries.dead === n, 'every delivery to be dead');
    const dead = await g.ledger.listDeliveries({ state: 'dead', limit: 1_000_000 });
    for (const d of dead) {
      assert.equal(d.attempts, 2);
      assert.equal(d.maxAttempts, 2);
      assert.equal(d.lastError?.code, 'GW_SINK_AUTH_FAILED', 'the last error is kept');
      assert.equal(d.lastError?.httpStatus, 401);
    }

    portal.inject({ kind: 'clear' });
    await sleep(150);
    const still = await g.ledger.stats();
    assert.equal(still.deliveries.dead, n, 'dead deliveries are not retried on their own');
    assert.equal(portal.state().counters.applied, 0);

    const res = await g.ledger.replayDeliveries({ state: 'dead' }, 'operator@test', new Date().toISOString());
    assert.deepEqual(res, { replayed: n, superseded: 0 });
    await until(() => g.ledger.stats(), (s) => s.deliveries.delivered === n, 'the replayed deliveries to be delivered');
    await assertAllAtPortal(g.ledger, portal, 'good-school');
    assert.equal(portal.state().counters.applied, n, 'each record applied exactly once');
    const one = await g.ledger.getDelivery(dead[0]!.id);
    assert.ok(one?.attemptLog.some((a) => a.actor === 'operator@test' && a.fromState === 'dead' && a.toState === 'pending'), 'the replay is audited');
    assert.deepEqual(await g.ledger.verify(), []);
  });

  it('stops gracefully while deliveries are in flight: no row left in_flight, ledger consistent', async () => {
    // A slow portal keeps each batch in flight for a while.
    portal.inject({ kind: 'slow', ms: 300 });
    const cfg = makeConfig(dir, { delivery: { batchSize: 20 } });
    const g = await createGateway(cfg);
    // Intake finished first, so stop() has no run to wait for and goes straight to the workers.
    await g.start().initialSyncs;
    await until(() => g.ledger.stats(), (s) => s.deliveries.in_flight > 0, 'a batch in flight');
    const inFlight = await g.ledger.listDeliveries({ state: 'in_flight', limit: 1000 });
    assert.ok(inFlight.length > 0);
    await g.stop();
    gw = undefined;

    const ledger = openLedger({ driver: 'sqlite', path: path.join(dir, 'ledger.sqlite') });
    try {
      const stats = await ledger.stats();
      assert.equal(stats.deliveries.in_flight, 0, 'no row left in_flight');
      assert.deepEqual(await ledger.verify(), []);
      // The batch in flight when stop() came was allowed to finish rather than being cut off.
      for (const d of inFlight) {
        const now = await ledger.getDelivery(d.id);
        assert.equal(now?.state, 'delivered', `delivery ${d.id} in flight at stop: ${now?.state} ${now?.lastError?.message ?? ''}`);
        assert.equal(portal.latest(d.recordId)?.revision, d.revision);
      }
      const runs = await ledger.listRuns({});
      assert.ok(!runs.some((r) => r.status === 'running'), 'no run left running');
    } finally {
      await ledger.close();
    }
    assert.equal(portal.state().counters.appliedTwice, 0);
  });

  it('cuts off a push that outlasts the grace period, leaving it to retry rather than in flight', async () => {
    // Every answer takes 20 s: the first batch is still in flight when stop() comes.
    portal.inject({ kind: 'slow', ms: 20_000 });
    const g = await createGateway(makeConfig(dir, { delivery: { batchSize: 20 } }));
    await g.start().initialSyncs;
    await until(() => g.ledger.stats(), (s) => s.deliveries.in_flight > 0, 'a batch in flight');
    const inFlight = await g.ledger.listDeliveries({ state: 'in_flight', limit: 1000 });
    const t = Date.now();
    await g.stop(300);
    gw = undefined;
    assert.ok(Date.now() - t < 5000, `stop honoured its grace period (${Date.now() - t} ms)`);

    const ledger = openLedger({ driver: 'sqlite', path: path.join(dir, 'ledger.sqlite') });
    try {
      assert.equal((await ledger.stats()).deliveries.in_flight, 0);
      for (const d of inFlight) assert.equal((await ledger.getDelivery(d.id))?.state, 'retry_wait', `delivery ${d.id}`);
      assert.deepEqual(await ledger.verify(), []);
    } finally {
      await ledger.close();
    }
  });
});

describe('runtime/source-runner', () => {
  it('a ledger error while taking the run lock fails that sync but does not wedge the runner', async () => {
    const { ledger } = await tmpLedger();
    let failLock = true;
    const flaky = new Proxy(ledger, {
      get(target, prop, receiver) {
        if (prop === 'tryLock' && failLock) {
          return async () => { failLock = false; throw new GatewayError('GW_LEDGER_BUSY', 'database is locked'); };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const adapter: SourceAdapter<Record<string, unknown>> = {
      spec: { id: 'fake-source', system: 'fakejournal', version: '0.0.1', kind: 'source', title: 'Fake', configSchema: {} },
      streams: [{ name: 'subjects', entities: ['subject'] }],
      check: async () => ({ ok: true }),
      async *read(_ctx, stream) {
        yield { kind: 'record', stream, record: { entityType: 'subject', sourceId: 's1', fields: { title: 'Алгебра' } } };
        yield { kind: 'checkpoint', stream, cursor: { v: 1, position: 'end' } };
      },
    };
    const runner = new SourceRunner(
      { schoolId: 'school-1', instanceId: 'fake', adapterId: 'fake-source', adapter, config: {}, streams: ['subjects'], routes: [{ sinkId: 'portal', maxAttempts: 3 }] },
      { ledger: flaky, validator: getCanonicalValidator(), log: nullLogger, clock: systemClock, idNamespace: DEFAULT_ID_NAMESPACE, owner: `${os.hostname()}:${process.pid}:test` },
    );
    try {
      await assert.rejects(runner.sync({ trigger: 'manual' }), (e: unknown) => e instanceof GatewayError && e.code === 'GW_LEDGER_BUSY');
      assert.equal(runner.running, false, 'the runner is free again');
      const summary = await runner.sync({ trigger: 'manual' });
      assert.equal(summary?.status, 'ok');
      assert.equal(summary?.counts.inserted, 1);
      assert.equal(await ledger.lockHolder('run:school-1:fake'), undefined, 'the run lock was released');
    } finally {
      await ledger.close();
    }
  });
});
