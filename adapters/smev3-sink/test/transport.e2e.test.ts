/**
 * The СМЭВ sink with the ledger's transport state (src/core/transport.ts) against the simulator
 * and a SQLite ledger file: MessageIDs written before the send survive a kill and a restart, so
 * a regrouped retry goes out under the same id (СМЭВ answers MessageIsAlreadySent, nothing is
 * applied twice); SendingTimestamp lands in its column; `poll` stores answers and statuses per
 * delivery, acknowledges answers and makes refusals visible.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import type { RunContext, SinkAdapter } from '../../../src/core/adapter';
import { DEFAULT_ID_NAMESPACE } from '../../../src/core/ids';
import type { Ledger } from '../../../src/core/ledger';
import { nullLogger, type Logger } from '../../../src/core/logger';
import type { SinkTransport } from '../../../src/core/transport';
import { openLedger } from '../../../src/ledger';
import type { SqliteLedger } from '../../../src/ledger/sqlite/sqlite-ledger';
import { DeliveryWorker, type DeliveryPolicyOptions } from '../../../src/pipeline/deliver';
import { normalizeRecord } from '../../../src/pipeline/normalize';
import { fakeClock, makeContext, tmpLedger, type FakeClock } from '../../../test/support/harness';
import { createSmev3Sink, parseRemoteRef, startSmev3Simulator, type Smev3SimulatorHandle, type Smev3SinkConfig } from '../index';
import { entityFields } from './helpers';

const SINK = 'smev3';
const SCHOOL = 'school-17';
const POLICY: DeliveryPolicyOptions = {
  batchSize: 10, maxAttempts: 5, backoff: { baseMs: 1000, capMs: 8000, maxRetryAfterMs: 3_600_000 }, leaseMs: 60_000, pollIntervalMs: 20,
};

interface LogLine { level: string; message: string; meta: Record<string, unknown> }

function recordingLogger(lines: LogLine[], fields: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (message: string, meta: Record<string, unknown> = {}): void => { lines.push({ level, message, meta: { ...fields, ...meta } }); };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: (f) => recordingLogger(lines, { ...fields, ...f }) };
}

/** The raw transport columns, read with SQL from the ledger file (what the SLA engine reads). */
function columns(ledger: Ledger): Array<{ id: number; idempotency_key: string; state: string; transport_id: string | null; sending_timestamp: string | null; remote_status: string | null; remote_detail: string | null; acknowledged_at: string | null }> {
  return (ledger as SqliteLedger).database().prepare(`SELECT id, idempotency_key, state, transport_id, sending_timestamp, remote_status, remote_detail, acknowledged_at
    FROM deliveries WHERE sink_id = ? ORDER BY id`).all(SINK) as never;
}

describe('smev3-sink with the ledger transport state (restart-safe MessageIDs, polling)', function () {
  this.timeout(30_000);
  let ledger: Ledger;
  let file: string;
  let sim: Smev3SimulatorHandle;
  let clock: FakeClock;

  before(() => nock.enableNetConnect());
  beforeEach(async () => {
    ({ ledger, file } = await tmpLedger());
    clock = fakeClock(new Date('2026-03-02T09:00:00Z'));
    sim = await startSmev3Simulator({ now: () => clock.now(), staleAfterMs: 6 * 3_600_000 });
  });
  afterEach(async () => { await sim.close(); await ledger.close(); });

  const config = (over: Partial<Smev3SinkConfig> = {}): Smev3SinkConfig => ({ endpoint: sim.endpoint, signer: { kind: 'test' }, timeoutMs: 5000, ...over });
  const transport = (): SinkTransport => ledger.transport!().forSink(SINK);
  const ctx = (over: Partial<Smev3SinkConfig> = {}, log: Logger = nullLogger): RunContext<Smev3SinkConfig> =>
    ({ ...makeContext(config(over), { clock, side: 'sink', schoolId: '*', system: 'smev3', log }), transport: transport() });

  /** Takes in `n` marks and one lesson as a source run would, queued for the СМЭВ sink. */
  async function queue(n: number, from = 1): Promise<void> {
    const nctx = { idNamespace: DEFAULT_ID_NAMESPACE, schoolId: SCHOOL, sourceSystem: 'netschool', adapter: 'netschool-source', adapterVersion: '1.0.0', fetchedAt: clock.now().toISOString() };
    const records = [
      ...Array.from({ length: n }, (_, i) => normalizeRecord({ entityType: 'mark', sourceId: `m-${from + i}`, fields: entityFields('mark', from + i) }, nctx).prepared),
      normalizeRecord({ entityType: 'lesson', sourceId: `l-${from}`, fields: entityFields('lesson', from) }, nctx).prepared,
    ];
    await ledger.ingest({ runId: `run-${from}`, schoolId: SCHOOL, sourceInstance: 'netschool', stream: 'diary', records, quarantine: [], routes: [{ sinkId: SINK, maxAttempts: POLICY.maxAttempts }], now: clock.now().toISOString() });
  }

  function worker(sink: SinkAdapter<Smev3SinkConfig>, over: Partial<DeliveryPolicyOptions> = {}, c: RunContext<Smev3SinkConfig> = ctx()): DeliveryWorker<Smev3SinkConfig> {
    return new DeliveryWorker({
      sinkId: SINK, adapter: sink, ctx: c, ledger, policy: { ...POLICY, ...over }, log: nullLogger,
      now: () => clock.now(), sleep: (ms) => clock.sleep(ms), owner: 'w1', random: () => 0.5,
    });
  }

  /** Closes the ledger and opens the same file again, as a restarted process would. */
  async function restart(): Promise<void> {
    await ledger.close();
    ledger = openLedger({ driver: 'sqlite', path: file });
    await ledger.migrate();
    await ledger.recoverInFlight({ now: clock.now().toISOString(), all: true });
  }

  /** A push killed after the send: claimed, pushed against a dropped answer, never completed. */
  async function pushThenDie(): Promise<void> {
    const items = await ledger.claimDeliveries({ sinkId: SINK, limit: 10, now: clock.now().toISOString(), leaseMs: 60_000, owner: 'dead' });
    sim.inject({ kind: 'custom', name: 'drop-connection' });
    await assert.rejects(createSmev3Sink().push(ctx(), items), (e: Error) => e.name === 'GW_SINK_UNAVAILABLE');
  }

  it('kill after a send whose answer was lost, restart, regrouped retry: same MessageID, MessageIsAlreadySent, nothing applied twice', async () => {
    await queue(3);
    await pushThenDie();
    const taken = sim.state().messages;
    assert.equal(taken.length, 1);
    assert.equal(sim.state().counters.applied, 4, 'the provider applied the message whose answer was lost');
    // Write-ahead: every delivery holds the MessageID СМЭВ took, without a SendingTimestamp yet.
    assert.deepEqual(columns(ledger).map((r) => [r.state, r.transport_id, r.sending_timestamp]), Array(4).fill(['in_flight', taken[0]!.messageId, null]));

    await restart();
    clock.advance(60_000);
    const requests = sim.state().counters.requests;
    assert.equal(await worker(createSmev3Sink(), { batchSize: 2 }).tick(), 2);
    assert.equal(sim.state().counters.requests, requests + 1, 'one SendRequest for the regrouped pair');
    assert.equal(sim.state().counters.duplicates, 1, 'sent under the same MessageID: MessageIsAlreadySent');
    assert.equal(await worker(createSmev3Sink(), { batchSize: 2 }).tick(), 2);
    assert.equal(sim.state().counters.requests, requests + 1, 'the other pair settled from the ledger without a send');

    const st = sim.state();
    assert.equal(st.counters.appliedTwice, 0);
    assert.equal(st.counters.applied, 4);
    assert.equal(st.messages.length, 1);
    const rows = columns(ledger);
    assert.ok(rows.every((r) => r.state === 'delivered' && r.transport_id === taken[0]!.messageId && r.remote_status === 'requestIsQueued'), JSON.stringify(rows));
    for (const d of await ledger.listDeliveries({ sinkId: SINK })) assert.equal(parseRemoteRef(d.remoteRef)?.messageId, taken[0]!.messageId);
  });

  it('control: the same kill and regrouped retry without the ledger state sends under new ids and applies records twice', async () => {
    await queue(3);
    await pushThenDie();
    await restart();
    clock.advance(60_000);
    const { transport: _t, ...bare } = ctx();
    await worker(createSmev3Sink(), { batchSize: 2 }, bare).tick();
    assert.ok(sim.state().counters.appliedTwice > 0, 'this is the gap the transport state closes');
  });

  it('SendingTimestamp is stored in its column exactly as СМЭВ wrote it, for every delivery of the message', async () => {
    await queue(2);
    assert.equal(await worker(createSmev3Sink()).tick(), 3);
    const msg = sim.state().messages[0]!;
    assert.match(msg.sendingTimestamp, /\+03:00$/);
    const rows = columns(ledger);
    assert.deepEqual(rows.map((r) => [r.state, r.transport_id, r.sending_timestamp, r.remote_status]), Array(3).fill(['delivered', msg.messageId, msg.sendingTimestamp, 'requestIsQueued']));
    const view = await transport().lookup(rows.map((r) => r.id));
    assert.equal(view.get(rows[0]!.id)?.sendingTimestamp, msg.sendingTimestamp);
  });

  it('a first copy that never reached СМЭВ: the regrouped part goes under its id, the rest is released and sent under a fresh one', async () => {
    await queue(3);
    sim.inject({ kind: 'status', status: 502, count: 1 });
    await worker(createSmev3Sink()).tick();
    const x = columns(ledger)[0]!.transport_id;
    assert.ok(x && columns(ledger).every((r) => r.state === 'retry_wait' && r.transport_id === x), 'all four hold the id of the copy in doubt');
    assert.equal(sim.state().messages.length, 0);

    await restart();
    clock.advance(60_000);
    await worker(createSmev3Sink(), { batchSize: 2 }).tick();
    const first = sim.state().messages;
    assert.deepEqual(first.map((m) => [m.messageId, m.recordCount]), [[x, 2]], 'the pair went out under the id in doubt, and was new to СМЭВ');
    const released = columns(ledger).filter((r) => r.state === 'retry_wait');
    assert.equal(released.length, 2);
    assert.ok(released.every((r) => r.transport_id === null), 'the two left behind lost the id: СМЭВ never took them under it');

    await worker(createSmev3Sink(), { batchSize: 2 }).tick();
    const st = sim.state();
    assert.equal(st.messages.length, 2);
    assert.notEqual(st.messages[1]!.messageId, x);
    assert.equal(st.counters.applied, 4);
    assert.equal(st.counters.appliedTwice, 0);
    assert.ok(columns(ledger).every((r) => r.state === 'delivered' && r.sending_timestamp !== null));
  });

  it('StaleMessageId on an id in doubt: a fresh MessageID is recorded and delivered', async () => {
    await queue(1);
    sim.inject({ kind: 'status', status: 502, count: 1 });
    await worker(createSmev3Sink()).tick();
    const x = columns(ledger)[0]!.transport_id;
    clock.advance(7 * 3_600_000); // past the simulator's staleAfterMs (6 h)
    await worker(createSmev3Sink()).tick();
    const st = sim.state();
    assert.equal(st.counters.faults.StaleMessageId, 1);
    assert.equal(st.messages.length, 1);
    const y = st.messages[0]!.messageId;
    assert.notEqual(y, x);
    assert.deepEqual(columns(ledger).map((r) => [r.state, r.transport_id, r.sending_timestamp]), Array(2).fill(['delivered', y, st.messages[0]!.sendingTimestamp]));
  });

  it('a retryable fault on an id in doubt keeps the id; a fresh id refused is released', async () => {
    await queue(1);
    sim.inject({ kind: 'custom', name: 'SMEVFailure' });
    await worker(createSmev3Sink()).tick();
    assert.ok(columns(ledger).every((r) => r.state === 'retry_wait' && r.transport_id === null), 'a fresh id СМЭВ refused is not kept');

    clock.advance(60_000);
    sim.inject({ kind: 'custom', name: 'drop-connection' });
    await worker(createSmev3Sink()).tick();
    const x = columns(ledger)[0]!.transport_id;
    assert.ok(x);
    clock.advance(60_000);
    sim.inject({ kind: 'custom', name: 'SMEVFailure' });
    await worker(createSmev3Sink()).tick();
    assert.ok(columns(ledger).every((r) => r.state === 'retry_wait' && r.transport_id === x), 'the copy in doubt may have been taken: its id stays');
    clock.advance(60_000);
    await worker(createSmev3Sink()).tick();
    assert.ok(columns(ledger).every((r) => r.state === 'delivered' && r.transport_id === x));
    assert.equal(sim.state().counters.appliedTwice, 0);
    assert.equal(sim.state().counters.duplicates, 1);
  });

  it('poll: answers stored per delivery and acknowledged; statuses never move a final answer back', async () => {
    await queue(2);
    sim.inject({ kind: 'custom', name: 'provider-reject:lesson' });
    await worker(createSmev3Sink()).tick();
    const lines: LogLine[] = [];
    const sink = createSmev3Sink();
    const first = await sink.poll(ctx({ poll: { statusAfterMinutes: 0 } }, recordingLogger(lines)));
    assert.equal(first.responses, 1);
    assert.equal(first.rejected, 1);
    assert.ok(first.statuses >= 2, 'the status queue was read too');
    assert.equal(sim.state().counters.acks, 1);
    assert.equal(sim.state().pendingResponses, 0);
    const rows = columns(ledger);
    const lesson = (await ledger.listDeliveries({ sinkId: SINK })).find((d) => d.entityType === 'lesson')!;
    for (const r of rows) {
      assert.ok(r.acknowledged_at, 'acknowledged');
      if (r.id === lesson.id) assert.deepEqual([r.remote_status, r.remote_detail], ['rejected', 'provider: UNKNOWN_PERSON']);
      else assert.deepEqual([r.remote_status, r.remote_detail], ['accepted', null]);
    }
    const refused = lines.filter((l) => l.message === 'smev3: delivery refused after СМЭВ took it');
    assert.equal(refused.length, 1);
    assert.deepEqual([refused[0]!.meta.schoolId, refused[0]!.meta.recordId, refused[0]!.meta.reason], [SCHOOL, lesson.recordId, 'provider: UNKNOWN_PERSON']);
    assert.ok(!JSON.stringify(refused).includes('markStatus'), 'no payload in the log');

    const again = await sink.poll(ctx({ poll: { statusAfterMinutes: 0 } }));
    assert.deepEqual(again.updated, 0, 'responseIsDelivered arrives after the per-record answer and changes nothing');
    assert.deepEqual(columns(ledger).map((r) => r.remote_status), rows.map((r) => r.remote_status));
  });

  it('poll: a request refused as a whole (RequestRejected) marks every delivery of the message rejected', async () => {
    await queue(1);
    sim.inject({ kind: 'custom', name: 'respond-rejected' });
    await worker(createSmev3Sink()).tick();
    const lines: LogLine[] = [];
    const sum = await createSmev3Sink().poll(ctx({}, recordingLogger(lines)));
    assert.equal(sum.rejected, 2);
    assert.deepEqual(columns(ledger).map((r) => [r.state, r.remote_status, r.remote_detail]), Array(2).fill(['rejected', 'rejected', 'RequestRejected NO_DATA']));
    assert.equal(lines.filter((l) => l.level === 'warn' && l.meta.reason === 'RequestRejected NO_DATA' && l.meta.schoolId === SCHOOL).length, 2);
    for (const d of await ledger.listDeliveries({ sinkId: SINK })) {
      const log = (await ledger.getDelivery(d.id))!.attemptLog;
      assert.deepEqual(log.slice(-2).map((a) => [a.fromState, a.toState, a.errorCode ?? null]), [['in_flight', 'delivered', null], ['delivered', 'rejected', 'GW_SINK_REJECTED']]);
      assert.match(log[log.length - 1]!.message ?? '', /RequestRejected NO_DATA/);
    }
    assert.deepEqual(await ledger.verify(), []);
  });

  it('replay after a refusal: the rejected deliveries go out again as a new message under a new MessageID and are applied once', async () => {
    await queue(1);
    sim.inject({ kind: 'custom', name: 'async-reject' });
    await worker(createSmev3Sink()).tick();
    const refusedId = sim.state().messages[0]!.messageId;
    clock.advance(11 * 60_000);
    await createSmev3Sink().poll(ctx({ poll: { statusAfterMinutes: 10 } }));
    assert.deepEqual(columns(ledger).map((r) => [r.state, r.remote_status]), Array(2).fill(['rejected', 'rejected']));
    assert.equal(sim.state().counters.applied, 0);

    assert.deepEqual(await ledger.replayDeliveries({ sinkId: SINK, schoolId: SCHOOL }, 'operator', clock.now().toISOString()), { replayed: 2, superseded: 0 });
    clock.advance(60_000);
    assert.equal(await worker(createSmev3Sink()).tick(), 2);
    const st = sim.state();
    // The same two keys and the same anchor would derive the refused message's id again
    // (СМЭВ: MessageIsAlreadySent, nothing applied): the replay takes a renewed one.
    assert.equal(st.counters.duplicates, 0);
    assert.equal(st.messages.length, 2);
    const again = st.messages[1]!;
    assert.notEqual(again.messageId, refusedId);
    assert.equal(again.recordCount, 2);
    assert.deepEqual([st.counters.applied, st.counters.appliedTwice], [2, 0]);
    assert.deepEqual(columns(ledger).map((r) => [r.state, r.transport_id, r.sending_timestamp, r.remote_status, r.remote_detail]),
      Array(2).fill(['delivered', again.messageId, again.sendingTimestamp, 'requestIsQueued', null]));
    assert.deepEqual(await ledger.verify(), []);
  });

  it('replay of one record the provider refused: only it goes out again; its message-mates stay delivered', async () => {
    await queue(2);
    sim.inject({ kind: 'custom', name: 'provider-reject:lesson' });
    await worker(createSmev3Sink()).tick();
    const first = sim.state().messages[0]!.messageId;
    await createSmev3Sink().poll(ctx());
    const lesson = (await ledger.listDeliveries({ sinkId: SINK })).find((d) => d.entityType === 'lesson')!;
    assert.deepEqual(columns(ledger).map((r) => r.state), columns(ledger).map((r) => (r.id === lesson.id ? 'rejected' : 'delivered')));
    assert.deepEqual(await ledger.replayDeliveries({ ids: [lesson.id] }, 'operator', clock.now().toISOString()), { replayed: 1, superseded: 0 });
    assert.equal(await worker(createSmev3Sink()).tick(), 1);
    const st = sim.state();
    assert.equal(st.messages.length, 2);
    assert.equal(st.messages[1]!.recordCount, 1);
    assert.equal(st.counters.appliedTwice, 0);
    assert.equal(st.applied.filter((a) => a.key === lesson.idempotencyKey).length, 1);
    for (const r of columns(ledger)) {
      assert.equal(r.state, 'delivered');
      assert.equal(r.transport_id, r.id === lesson.id ? st.messages[1]!.messageId : first);
    }
  });

  it('a retry whose message was refused meanwhile is rejected with the reason, without a send', async () => {
    await queue(1);
    sim.inject({ kind: 'custom', name: 'async-reject' });
    sim.inject({ kind: 'custom', name: 'drop-connection' });
    await worker(createSmev3Sink()).tick();
    assert.ok(columns(ledger).every((r) => r.state === 'retry_wait' && r.transport_id !== null && r.remote_status === null), JSON.stringify(columns(ledger)));
    await createSmev3Sink().poll(ctx({ poll: { statusAfterMinutes: 0 } }));
    assert.ok(columns(ledger).every((r) => r.state === 'retry_wait' && r.remote_status === 'rejected'), 'a refusal does not move a waiting delivery');
    const requests = sim.state().counters.requests;
    clock.advance(60_000);
    assert.equal(await worker(createSmev3Sink()).tick(), 2);
    assert.equal(sim.state().counters.requests, requests, 'nothing sent');
    for (const d of await ledger.listDeliveries({ sinkId: SINK })) {
      assert.equal(d.state, 'rejected');
      assert.equal(d.lastError?.code, 'GW_SINK_REJECTED');
      assert.match(JSON.stringify(d.lastError?.issues), /requestIsRejectedBySmev SMEV-302/);
    }
  });

  it('poll: GetStatus is read only once a message went quiet for statusAfterMinutes; an asynchronous refusal becomes rejected', async () => {
    await queue(1);
    sim.inject({ kind: 'custom', name: 'async-reject' });
    await worker(createSmev3Sink()).tick();
    assert.equal(sim.state().counters.applied, 0);
    const sink = createSmev3Sink();
    const early = await sink.poll(ctx({ poll: { statusAfterMinutes: 10 } }));
    assert.deepEqual([early.responses, early.statuses], [0, 0], 'no answer yet, and not quiet for 10 minutes');
    assert.equal(sim.state().pendingStatuses, 1);
    clock.advance(11 * 60_000);
    const lines: LogLine[] = [];
    const late = await sink.poll(ctx({ poll: { statusAfterMinutes: 10 } }, recordingLogger(lines)));
    assert.deepEqual([late.statuses, late.rejected], [1, 2]);
    assert.deepEqual(columns(ledger).map((r) => [r.remote_status, r.remote_detail, r.acknowledged_at]), Array(2).fill(['rejected', 'requestIsRejectedBySmev SMEV-302', null]));
    assert.equal(lines.filter((l) => l.message === 'smev3: delivery refused after СМЭВ took it').length, 2);
    assert.deepEqual(await transport().awaiting({ statuses: ['requestIsQueued'], olderThan: clock.now().toISOString(), limit: 10 }), []);
  });
});
