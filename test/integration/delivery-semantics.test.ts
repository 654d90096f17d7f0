/**
 * Delivery semantics (issue 4, point 6) for every sink, one suite run against each: the REST
 * portal sink, the СМЭВ 3 sink and the OneRoster sink, each through the real DeliveryWorker over
 * a real SQLite ledger file into its simulator on loopback, on one fake clock.
 *
 * - a newer version supersedes an older one still queued (only the newest is sent);
 * - per-record ordering: a newer version waits while an older one is in flight, and the
 *   destination sees the versions in order;
 * - dead letter: attempts exhausted by failures that are not outages end `dead` carrying the
 *   LAST fault, every attempt's fault in the audit log;
 * - replay by delivery id, by school and by time window, from the CLI (a child process on the
 *   same ledger file) and from the admin API (HTTP), each moving exactly what it names, then
 *   delivered once;
 * - a lost answer retried after the longest wait the sink's idempotency holds for (see
 *   README "Delivery semantics"): settled as a duplicate, never applied twice;
 * - a destination outage of six hours: nothing dead, nothing lost, drains by itself after.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import request from 'supertest';
import type { SinkAdapter } from '../../src/core/adapter';
import type { ErrorCode } from '../../src/core/error-codes';
import { DEFAULT_ID_NAMESPACE, uuidv5 } from '../../src/core/ids';
import type { DeliveryView, Ledger } from '../../src/core/ledger';
import { nullLogger } from '../../src/core/logger';
import type { EntityType } from '../../src/core/records';
import type { FaultSpec } from '../../src/core/simulator';
import { createApp } from '../../src/http/app';
import { actorForToken } from '../../src/http/auth';
import { createMetrics } from '../../src/infra/metrics';
import { DeliveryWorker, type DeliveryPolicyOptions } from '../../src/pipeline/deliver';
import { normalizeRecord } from '../../src/pipeline/normalize';
import { restPortalSink, startRestPortalSimulator } from '../../adapters/rest-portal-sink';
import { createSmev3Sink, startSmev3Simulator } from '../../adapters/smev3-sink';
import { createOneRosterSink, startOneRosterConsumer } from '../../adapters/oneroster-sink';
import { runCli } from '../support/cli-process';
import { fakeClock, makeContext, tmpDir, tmpLedger, type FakeClock } from '../support/harness';
import { FakeRuntime, TOKEN } from '../unit/http-kit.test';

type AnySink = SinkAdapter<Record<string, unknown>>;
const u = (...parts: (string | number)[]): string => uuidv5(parts.join('|'), DEFAULT_ID_NAMESPACE);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = new Date('2026-03-02T09:00:00.000Z');

/** What a test needs to know about the destination behind a sink. */
interface Destination {
  /** The revision the destination holds for a record and how many writes of it it took (re-sends included). */
  latest(recordId: string): { revision: number; writes: number } | undefined;
  /** Writes applied older than what was stored, and the same version applied twice: both must stay 0. */
  counters(): { outOfOrder: number; appliedTwice: number };
  inject(f: FaultSpec): void;
  close(): Promise<void>;
}

interface Started { dest: Destination; sink(): AnySink; config: Record<string, unknown>; system: string }

interface SinkCase {
  name: string;
  entity: EntityType;
  /** Canonical fields of record `n`, version `v` (each version a different content). */
  fields(n: number, v: number): Record<string, unknown>;
  start(clock: FakeClock): Promise<Started>;
  /** Three failed pushes that are not outages, and the error each gives. */
  hardFaults: Array<{ fault: FaultSpec; code: ErrorCode }>;
  /** A push the destination applies but whose answer never arrives. */
  loseAnswer: FaultSpec;
  /**
   * How long after a lost answer a re-send is still recognised as the same write (README
   * "Delivery semantics", idempotency retention). The test re-sends just inside it.
   */
  retentionMs: number;
}

function markFields(n: number, v: number): Record<string, unknown> {
  const value = 2 + ((n + v) % 4);
  return {
    kind: 'current', studentId: u('student', n), subjectId: u('subject', 1), assessmentId: u('assessment', n),
    value: { scale: 'five_point', raw: String(value), numeric: value }, markStatus: 'graded',
    teacherComment: `Версия ${v}`, date: '2026-03-02', markedAt: '2026-03-02T08:30:00Z',
  };
}

function assessmentFields(n: number, v: number): Record<string, unknown> {
  return {
    classGroupId: u('class', 1), subjectId: u('subject', 1), workType: { code: 'control_work', title: 'Контрольная работа' },
    weight: 2, date: '2026-03-02', title: `Контрольная работа № ${n} (версия ${v})`,
  };
}

/** Revisions applied per record, in arrival order → writes, latest, and how many arrived older than one before. */
function fromApplied(applied: ReadonlyArray<{ recordId: string; revision: number }>, recordId: string): { revision: number; writes: number } | undefined {
  const mine = applied.filter((a) => a.recordId === recordId);
  return mine.length === 0 ? undefined : { revision: Math.max(...mine.map((a) => a.revision)), writes: mine.length };
}
function outOfOrder(applied: ReadonlyArray<{ recordId: string; revision: number }>): number {
  const seen = new Map<string, number>();
  let n = 0;
  for (const a of applied) {
    if ((seen.get(a.recordId) ?? -1) > a.revision) n++;
    seen.set(a.recordId, Math.max(seen.get(a.recordId) ?? -1, a.revision));
  }
  return n;
}

const CASES: SinkCase[] = [
  {
    name: 'rest-portal-sink', entity: 'mark', fields: markFields,
    async start() {
      const sim = await startRestPortalSimulator({ token: 'sim-token-semantics' });
      return {
        system: 'rest-portal', sink: () => restPortalSink as unknown as AnySink,
        config: { baseUrl: sim.env.DIARY_SIM_PORTAL_URL as string, token: sim.token, timeoutMs: 5000 },
        dest: {
          latest: (id) => fromApplied(sim.state().applied, id),
          counters: () => { const c = sim.state().counters; return { outOfOrder: c.outOfOrder, appliedTwice: c.appliedTwice }; },
          inject: (f) => sim.inject(f), close: () => sim.close(),
        },
      };
    },
    hardFaults: [
      { fault: { kind: 'status', status: 403, count: 1 }, code: 'GW_SINK_AUTH_FAILED' },
      { fault: { kind: 'status', status: 403, count: 1 }, code: 'GW_SINK_AUTH_FAILED' },
      { fault: { kind: 'status', status: 404, count: 1 }, code: 'GW_SINK_PROTOCOL' },
    ],
    loseAnswer: { kind: 'custom', name: 'drop-connection', count: 1 },
    // The portal keeps every applied item key (README of the sink: "as long as the gateway may retry").
    retentionMs: 30 * DAY,
  },
  {
    name: 'smev3-sink', entity: 'mark', fields: markFields,
    async start(clock) {
      const sim = await startSmev3Simulator({ now: () => clock.now() });
      return {
        system: 'smev3', sink: () => createSmev3Sink() as unknown as AnySink,
        config: { endpoint: sim.endpoint, signer: { kind: 'test' }, timeoutMs: 5000 },
        dest: {
          latest: (id) => fromApplied(sim.state().applied, id),
          counters: () => { const s = sim.state(); return { outOfOrder: outOfOrder(s.applied), appliedTwice: s.counters.appliedTwice }; },
          inject: (f) => sim.inject(f), close: () => sim.close(),
        },
      };
    },
    hardFaults: [
      { fault: { kind: 'custom', name: 'AccessDenied', count: 1 }, code: 'GW_SINK_AUTH_FAILED' },
      { fault: { kind: 'custom', name: 'AccessDenied', count: 1 }, code: 'GW_SINK_AUTH_FAILED' },
      { fault: { kind: 'custom', name: 'BusinessDataTypeIsNotSupported', count: 1 }, code: 'GW_SINK_PROTOCOL' },
    ],
    loseAnswer: { kind: 'custom', name: 'drop-connection', count: 1 },
    // The same records give the same MessageID within messageIdWindowHours (24 h by default);
    // СМЭВ answers MessageIsAlreadySent for it until the id is stale (2 days).
    retentionMs: 20 * HOUR,
  },
  {
    name: 'oneroster-sink', entity: 'assessment', fields: assessmentFields,
    async start(clock) {
      const sim = await startOneRosterConsumer({ now: () => clock.now() });
      const revisionOf = (id: string): number | undefined => {
        const o = sim.get('lineItems', id)?.object as { metadata?: { diaryGateway?: { revision?: number } } } | undefined;
        return o?.metadata?.diaryGateway?.revision;
      };
      return {
        system: 'oneroster-consumer', sink: () => createOneRosterSink() as unknown as AnySink,
        config: { baseUrl: sim.url, authUrl: sim.tokenUrl, clientId: sim.clientId, clientSecret: sim.clientSecret, timeoutMs: 150 },
        dest: {
          latest: (id) => { const s = sim.get('lineItems', id); const r = revisionOf(id); return s && r !== undefined ? { revision: r, writes: s.puts } : undefined; },
          counters: () => { const c = sim.state().counters; return { outOfOrder: c.outOfOrder, appliedTwice: c.appliedTwice }; },
          inject: (f) => sim.inject(f), close: () => sim.close(),
        },
      };
    },
    hardFaults: [
      { fault: { kind: 'status', status: 403, count: 1 }, code: 'GW_SINK_AUTH_FAILED' },
      { fault: { kind: 'status', status: 403, count: 1 }, code: 'GW_SINK_AUTH_FAILED' },
      { fault: { kind: 'status', status: 404, count: 1 }, code: 'GW_SINK_PROTOCOL' },
    ],
    // Applied, then answered after the sink's 150 ms timeout.
    loseAnswer: { kind: 'slow', ms: 400, count: 1 },
    // A PUT by sourcedId of the same content changes nothing, however late it comes.
    retentionMs: 30 * DAY,
  },
];

const POLICY: DeliveryPolicyOptions = {
  batchSize: 20, maxAttempts: 3, backoff: { baseMs: 1000, capMs: 8000 }, leaseMs: 60_000, pollIntervalMs: 20,
  breaker: { failureThreshold: 3, openMs: 30_000, maxOpenMs: 600_000 },
};
const SINK_ID = 'dest';

for (const c of CASES) {
  describe(`delivery semantics: ${c.name} (DeliveryWorker + SQLite ledger + simulator)`, function () {
    this.timeout(120_000);
    let clock: FakeClock;
    let started: Started;
    let ledger: Ledger;
    let file: string;
    let dir: string;
    before(() => nock.enableNetConnect());
    beforeEach(async () => {
      clock = fakeClock(T0);
      dir = tmpDir('dgw-semantics-');
      ({ ledger, file } = await tmpLedger(dir));
      started = await c.start(clock);
    });
    afterEach(async () => {
      await started.dest.close();
      await ledger.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Takes in version `v` of records `ns` of a school, queued for the sink, at the clock's time. */
    async function take(ns: number[], v: number, schoolId = 'school-a'): Promise<string[]> {
      const nctx = { idNamespace: DEFAULT_ID_NAMESPACE, schoolId, sourceSystem: 'netschool', adapter: 'netschool-source', adapterVersion: '1.0.0', fetchedAt: clock.now().toISOString() };
      const records = ns.map((n) => normalizeRecord({ entityType: c.entity, sourceId: `r-${n}`, fields: c.fields(n, v) }, nctx).prepared);
      await ledger.ingest({ runId: `run-${v}-${ns.join('-')}`, schoolId, sourceInstance: 'netschool', stream: 'diary', records, quarantine: [], routes: [{ sinkId: SINK_ID, maxAttempts: POLICY.maxAttempts }], now: clock.now().toISOString() });
      return records.map((r) => r.id);
    }
    const worker = (policy: Partial<DeliveryPolicyOptions> = {}, sink: AnySink = started.sink()): DeliveryWorker<Record<string, unknown>> => new DeliveryWorker({
      sinkId: SINK_ID, adapter: sink, ctx: makeContext(started.config, { clock, side: 'sink', schoolId: '*', system: started.system }), ledger,
      policy: { ...POLICY, ...policy }, log: nullLogger, now: () => clock.now(), sleep: (ms) => clock.sleep(ms), owner: 'w1', random: () => 0.5,
    });
    /** Ticks until nothing is due, moving the clock to the next retry or probe. */
    const drain = async (w: DeliveryWorker<Record<string, unknown>>): Promise<void> => {
      for (let i = 0; i < 500; i++) {
        if (await w.tick() > 0) continue;
        const due = await ledger.nextDueAt(SINK_ID);
        if (!due && w.breakerState === 'closed') return;
        clock.advance(Math.max(1000, (due ? Date.parse(due) : w.openUntil ?? 0) - clock.now().getTime()));
      }
      assert.fail('the outbox did not drain');
    };
    const all = (): Promise<DeliveryView[]> => ledger.listDeliveries({ sinkId: SINK_ID, limit: 10_000 });
    const ofRecord = async (id: string): Promise<DeliveryView[]> => (await all()).filter((d) => d.recordId === id);
    const stateCount = async (): Promise<Record<string, number>> => (await all()).reduce<Record<string, number>>((m, d) => ({ ...m, [d.state]: (m[d.state] ?? 0) + 1 }), {});
    const clean = (): void => assert.deepEqual(started.dest.counters(), { outOfOrder: 0, appliedTwice: 0 });

    it('supersede: a newer version taken in while the older one is still queued replaces it; only the newest is sent', async () => {
      const [id] = await take([1], 1) as [string];
      await take([2], 1);
      clock.advance(60_000);
      await take([1], 2);
      const mine = await ofRecord(id);
      assert.deepEqual(mine.map((d) => [d.revision, d.state]).sort(), [[mine[0]?.revision, 'superseded'], [mine[1]?.revision, 'pending']].sort());
      const newest = Math.max(...mine.map((d) => d.revision));
      await drain(worker());
      assert.deepEqual(started.dest.latest(id), { revision: newest, writes: 1 }, 'the older version never left the gateway');
      assert.equal((await stateCount()).delivered, 2);
      clean();
    });

    it('ordering per record: a newer version waits while the older one is in flight, and arrives after it', async () => {
      const [id] = await take([1], 1) as [string];
      // Worker A takes version 1 and is still pushing it when version 2 arrives.
      const ctx = makeContext(started.config, { clock, side: 'sink', schoolId: '*', system: started.system });
      const claimed = await ledger.claimDeliveries({ sinkId: SINK_ID, limit: 10, now: clock.now().toISOString(), leaseMs: 60_000, owner: 'a' });
      assert.equal(claimed.length, 1);
      clock.advance(1000);
      await take([1], 2);
      assert.equal(await worker().tick(), 0, 'version 2 is not claimed while version 1 is in flight');
      const outcomes = await started.sink().push(ctx, claimed);
      assert.equal(outcomes[0]?.status, 'delivered');
      const first = claimed[0];
      assert.ok(first);
      await ledger.completeDeliveries([{ deliveryId: first.deliveryId, attempt: first.attempt, to: 'delivered', durationMs: 1 }], clock.now().toISOString());
      assert.equal(started.dest.latest(id)?.revision, first.revision);
      await drain(worker());
      const revisions = (await ofRecord(id)).map((d) => [d.revision, d.state]);
      const v2 = Math.max(...revisions.map(([r]) => r as number));
      assert.ok(v2 > first.revision);
      assert.deepEqual(started.dest.latest(id), { revision: v2, writes: 2 });
      assert.ok(revisions.every(([, s]) => s === 'delivered'));
      clean();
    });

    it('dead letter: failures that are not outages exhaust the attempts; the delivery is dead with the last fault, each attempt audited', async () => {
      const [id] = await take([1], 1) as [string];
      const w = worker();
      for (const [k, f] of c.hardFaults.entries()) {
        started.dest.inject(f.fault);
        assert.equal(await w.tick(), 1, `attempt ${k + 1}`);
        const due = await ledger.nextDueAt(SINK_ID);
        if (due) clock.advance(Date.parse(due) - clock.now().getTime() + 1);
      }
      const [d] = await ofRecord(id);
      assert.equal(d?.state, 'dead');
      assert.equal(d?.attempts, 3);
      const last = c.hardFaults.at(-1)?.code;
      assert.equal(d?.lastError?.code, last, 'the dead letter carries the last fault');
      const log = (await ledger.getDelivery(d.id))?.attemptLog ?? [];
      const failures = log.filter((a) => a.fromState === 'in_flight');
      assert.deepEqual(failures.map((a) => [a.attempt, a.toState, a.errorCode]), c.hardFaults.map((f, k) => [k + 1, k === 2 ? 'dead' : 'retry_wait', f.code]));
      assert.equal(started.dest.latest(id), undefined, 'nothing reached the destination');
      assert.equal(w.breakerState, 'closed', 'not an outage: the circuit stayed closed');
    });

    it('replay by delivery id, by school and by time window — from the admin API and from the CLI — moves exactly what it names, then delivers it once', async () => {
      // Six records, made dead by one refused push (a worker allowing one attempt): schools and intake times differ.
      const plan: Array<{ n: number; school: string; at: number }> = [
        { n: 1, school: 'school-a', at: 0 }, { n: 2, school: 'school-b', at: 0 }, { n: 3, school: 'school-a', at: HOUR },
        { n: 4, school: 'school-a', at: 0 }, { n: 5, school: 'school-c', at: 0 }, { n: 6, school: 'school-a', at: 3 * HOUR },
      ];
      const ids: string[] = [];
      for (const p of [...plan].sort((a, b) => a.at - b.at)) {
        clock.advance(T0.getTime() + p.at - clock.now().getTime());
        ids[p.n] = (await take([p.n], 1, p.school))[0] as string;
      }
      started.dest.inject(c.hardFaults[0]?.fault as FaultSpec);
      assert.equal(await worker({ maxAttempts: 1 }).tick(), 6);
      const deadIds = async (): Promise<number[]> => (await ledger.listDeliveries({ sinkId: SINK_ID, state: 'dead' })).map((d) => d.id);
      assert.equal((await deadIds()).length, 6);
      const delivery = async (n: number): Promise<number> => (await ofRecord(ids[n] as string))[0]?.id as number;
      const pending = async (): Promise<string[]> => (await ledger.listDeliveries({ sinkId: SINK_ID, state: 'pending' })).map((d) => d.recordId).sort();
      const expectPending = async (ns: number[]): Promise<void> => assert.deepEqual(await pending(), ns.map((n) => ids[n] as string).sort());
      const window = (at: number): { from: string; to: string } => ({ from: new Date(T0.getTime() + at - 1000).toISOString(), to: new Date(T0.getTime() + at + 1000).toISOString() });

      const app = createApp({ ledger, runtime: new FakeRuntime(), tokens: [TOKEN], now: () => clock.now(), metrics: createMetrics({ ledger, now: () => clock.now(), defaultMetrics: false }) });
      const api = (p: string, body?: object): request.Test => {
        const r = request(app).post(`/api/v1${p}`).set('Authorization', `Bearer ${TOKEN}`);
        return body ? r.send(body) : r;
      };
      const byId = await api(`/deliveries/${await delivery(1)}/replay`);
      assert.deepEqual([byId.status, byId.body], [200, { replayed: 1, superseded: 0 }], byId.text);
      await expectPending([1]);
      const bySchool = await api('/deliveries/replay', { schoolId: 'school-b' });
      assert.deepEqual(bySchool.body, { replayed: 1, superseded: 0 });
      await expectPending([1, 2]);
      const byWindow = await api('/deliveries/replay', { sinkId: SINK_ID, ...window(HOUR) });
      assert.deepEqual(byWindow.body, { replayed: 1, superseded: 0 });
      await expectPending([1, 2, 3]);

      const config = path.join(dir, 'gateway.json');
      fs.writeFileSync(config, JSON.stringify({
        gateway: { ledger: { driver: 'sqlite', path: file }, admin: { enabled: false, host: '127.0.0.1', port: 0, tokensEnv: 'DIARY_GATEWAY_ADMIN_TOKENS' } },
        sinks: [],
        schools: ['school-a', 'school-b', 'school-c'].map((id) => ({
          id, name: `Школа ${id}`, timezone: 'Europe/Moscow', sinks: [],
          sources: [{ id: 'or', adapter: 'oneroster-source', schedule: '*/15 7-20 * * 1-6', config: { mode: 'csv', csvPath: '${OR_CSV}' } }],
        })),
      }));
      const cli = async (...args: string[]): Promise<unknown> => {
        const r = await runCli(['-c', config, '--json', 'replay', ...args], { env: { USER: 'operator-1' } });
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout) as unknown;
      };
      assert.deepEqual(await cli(String(await delivery(4))), { replayed: 1, superseded: 0 });
      await expectPending([1, 2, 3, 4]);
      assert.deepEqual(await cli('--all-dead', '--school', 'school-c'), { replayed: 1, superseded: 0 });
      await expectPending([1, 2, 3, 4, 5]);
      const w6 = window(3 * HOUR);
      assert.deepEqual(await cli('--all-dead', '--sink', SINK_ID, '--from', w6.from, '--to', w6.to), { replayed: 1, superseded: 0 });
      await expectPending([1, 2, 3, 4, 5, 6]);
      assert.deepEqual(await deadIds(), []);

      const actors = async (n: number): Promise<string | undefined> => (await ledger.getDelivery(await delivery(n)))?.attemptLog.at(-1)?.actor;
      assert.equal(await actors(1), actorForToken(TOKEN));
      assert.equal(await actors(4), 'cli:operator-1');

      await drain(worker());
      for (const n of [1, 2, 3, 4, 5, 6]) assert.equal(started.dest.latest(ids[n] as string)?.writes, 1, `record ${n} delivered once`);
      assert.equal((await stateCount()).delivered, 6);
      clean();
    });

    it('idempotency retention: a write whose answer was lost, re-sent by a fresh sink after the longest wait the destination\'s idempotency covers, is not applied twice', async () => {
      // A first record settles what a sink sends once (OneRoster: the category), so the lost answer is the record's own write.
      const w = worker();
      await take([9], 1);
      await drain(w);
      clock.advance(60_000);
      const [id] = await take([1], 1) as [string];
      started.dest.inject(c.loseAnswer);
      assert.equal(await w.tick(), 1);
      const [d] = await ofRecord(id);
      assert.equal(d?.state, 'retry_wait', 'the answer never came: the push failed as a whole');
      const end = Date.now() + 3000;
      while (started.dest.latest(id) === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      assert.equal(started.dest.latest(id)?.writes, 1, 'the destination applied it all the same');
      clock.advance(c.retentionMs);
      await drain(worker({}, started.sink()));
      const [after] = await ofRecord(id);
      assert.equal(after?.state, 'delivered');
      assert.equal(started.dest.latest(id)?.revision, d.revision);
      clean();
    });

    it('an outage of six hours: the circuit opens and probes, nothing goes dead or is lost, and the outbox drains by itself when the destination returns', async () => {
      const ids = await take([1, 2, 3, 4, 5], 1);
      started.dest.inject({ kind: 'status', status: 503, count: 100_000 });
      const w = worker();
      let opened = false;
      while (clock.now().getTime() < T0.getTime() + 6 * HOUR) {
        if (await w.tick() > 0) { opened ||= w.breakerState === 'open'; continue; }
        const due = await ledger.nextDueAt(SINK_ID);
        clock.advance(Math.max(1000, (w.breakerState === 'open' ? w.openUntil ?? 0 : due ? Date.parse(due) : 0) - clock.now().getTime()));
      }
      assert.ok(opened, 'the circuit opened');
      const during = await stateCount();
      assert.equal(during.dead ?? 0, 0, 'an outage never makes a delivery dead');
      assert.equal(during.delivered ?? 0, 0);
      assert.ok((await all()).every((x) => x.attempts >= 1));
      for (const rid of ids) assert.equal(started.dest.latest(rid), undefined);
      started.dest.inject({ kind: 'clear' });
      await drain(w);
      assert.equal((await stateCount()).delivered, 5);
      for (const rid of ids) assert.equal(started.dest.latest(rid)?.writes, 1);
      assert.equal(w.breakerState, 'closed');
      clean();
    });
  });
}
