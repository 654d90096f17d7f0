/**
 * The sink against the СМЭВ simulator over loopback: sending, MessageID idempotency
 * (MessageIsAlreadySent, StaleMessageId), messages whose fate is unknown, TestMessage,
 * isolation of refused records, and the shared sink contract.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import type { DeliveryItem } from '../../../src/core/adapter';
import { GatewayError } from '../../../src/core/errors';
import { describeSinkContract } from '../../../test/contract/sink.contract';
import { createSmev3Sink, parseRemoteRef, smev3Sink, startSmev3Simulator, type Smev3SimulatorHandle, type Smev3SimulatorOptions, type Smev3SinkConfig } from '../index';
import { messageIdTime } from '../message-id';
import { makeCtx, makeItem, makeItems, simConfig, testClock, type TestClock } from './helpers';

describe('smev3-sink against the СМЭВ simulator', function () {
  this.timeout(30_000);
  let sim: Smev3SimulatorHandle;
  let clock: TestClock;
  const start = async (opts: Smev3SimulatorOptions = {}): Promise<Smev3SimulatorHandle> => {
    sim = await startSmev3Simulator({ now: () => clock.now(), ...opts });
    return sim;
  };
  const ctx = (over: Partial<Smev3SinkConfig> = {}) => makeCtx(simConfig(sim, over), { clock });
  const pushError = async (sink: typeof smev3Sink, items: readonly DeliveryItem[], over: Partial<Smev3SinkConfig> = {}): Promise<GatewayError> => {
    try { await sink.push(ctx(over), items); } catch (e) { assert.ok(e instanceof GatewayError, String(e)); return e; }
    return assert.fail('push did not throw');
  };
  const until = async (what: string, cond: () => boolean, ms = 3000): Promise<void> => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  before(() => nock.enableNetConnect());
  beforeEach(() => { clock = testClock(); });
  afterEach(async () => { await sim?.close(); });

  it('delivers a batch in one message; remoteRef carries the MessageID and СМЭВ SendingTimestamp', async () => {
    await start();
    const items = [makeItem(1), makeItem(2, { entityType: 'lesson' }), makeItem(3, { entityType: 'attendance_event' })];
    const out = await createSmev3Sink().push(ctx(), items);
    const st = sim.state();
    assert.equal(st.counters.messages, 1);
    assert.equal(st.counters.applied, 3);
    const msg = st.messages[0]!;
    assert.equal(msg.recordCount, 3);
    assert.match(msg.sendingTimestamp, /\+03:00$/);
    for (const o of out) {
      assert.ok(o.status === 'delivered' && !o.duplicate);
      assert.deepEqual(parseRemoteRef(o.remoteRef), { messageId: msg.messageId, sendingTimestamp: msg.sendingTimestamp, status: 'requestIsQueued' });
    }
    assert.equal(new Date(messageIdTime(msg.messageId)!).toISOString(), '2026-03-02T08:55:00.000Z', 'anchored on provenance.fetchedAt');
    assert.deepEqual(st.applied.map((a) => a.key).sort(), items.map((i) => i.key).sort());
  });

  it('a retry from a fresh process gets MessageIsAlreadySent: delivered as duplicate, nothing applied twice', async () => {
    await start();
    const items = makeItems(4);
    await createSmev3Sink().push(ctx(), items);
    const again = await createSmev3Sink().push(ctx(), [...items].reverse().map((i) => ({ ...i, attempt: 2 })));
    assert.ok(again.every((o) => o.status === 'delivered' && o.duplicate === true));
    const st = sim.state();
    assert.equal(st.counters.duplicates, 1, 'СМЭВ answered MessageIsAlreadySent once');
    assert.equal(st.counters.faults.MessageIsAlreadySent, 1);
    assert.equal(st.counters.applied, 4);
    assert.equal(st.counters.appliedTwice, 0);
  });

  it('within one process a re-push is answered from memory, without another SendRequest', async () => {
    await start();
    const sink = createSmev3Sink();
    const items = makeItems(2);
    const first = await sink.push(ctx(), items);
    const requests = sim.state().counters.requests;
    const again = await sink.push(ctx(), items);
    assert.equal(sim.state().counters.requests, requests);
    assert.deepEqual(again.map((o) => o.status === 'delivered' && [o.duplicate, parseRemoteRef(o.remoteRef)?.sendingTimestamp]), first.map((o) => o.status === 'delivered' && [true, parseRemoteRef(o.remoteRef)?.sendingTimestamp]));
  });

  it('StaleMessageId (old records, a strict node): a fresh MessageID on the current clock, sent once more', async () => {
    await start({ staleAfterMs: 3_600_000 });
    const items = makeItems(2, 1, { fetchedAt: '2026-03-02T06:00:00Z' });
    const out = await createSmev3Sink().push(ctx(), items);
    assert.ok(out.every((o) => o.status === 'delivered'));
    const st = sim.state();
    assert.equal(st.counters.faults.StaleMessageId, 1);
    assert.equal(st.messages.length, 1);
    assert.equal(messageIdTime(st.messages[0]!.messageId), clock.now().getTime(), 'the renewed id carries the send time');
  });

  it('StaleMessageId twice means the clock is wrong: GW_SINK_PROTOCOL, thrown for the whole batch', async () => {
    await start();
    sim.inject({ kind: 'custom', name: 'StaleMessageId', count: 2 });
    const e = await pushError(createSmev3Sink(), makeItems(2));
    assert.equal(e.code, 'GW_SINK_PROTOCOL');
    assert.match(e.message, /StaleMessageId/);
    assert.equal(sim.state().counters.messages, 0);
  });

  it('drop-connection: taken but unanswered; the retry resends the same bytes and settles as duplicate', async () => {
    await start();
    const sink = createSmev3Sink();
    const items = makeItems(3);
    sim.inject({ kind: 'custom', name: 'drop-connection' });
    const e = await pushError(sink, items);
    assert.equal(e.errorClass, 'retryable');
    assert.equal(sink.memorySize(sim.endpoint).pending, 1);
    assert.equal(sim.state().counters.applied, 3, 'СМЭВ did take it');
    const out = await sink.push(ctx(), items);
    assert.ok(out.every((o) => o.status === 'delivered' && o.duplicate === true));
    const received = sim.received().filter((r) => r.op === 'SendRequest');
    assert.equal(received.length, 2);
    assert.equal(received[0]!.xml, received[1]!.xml, 'byte for byte the same body');
    assert.equal(sim.state().counters.appliedTwice, 0);
    assert.equal(sink.memorySize(sim.endpoint).pending, 0);
  });

  it('a message in doubt is resent whole even when the retry brings only some of its records; the rest settle without a send', async () => {
    await start();
    const sink = createSmev3Sink();
    const items = makeItems(3);
    sim.inject({ kind: 'slow', ms: 400, count: 1 });
    const t = await pushError(sink, items, { timeoutMs: 100 });
    assert.equal(t.code, 'GW_SINK_TIMEOUT');
    await until('the slow message to be taken', () => sim.state().counters.messages === 1);
    const [one] = await sink.push(ctx(), [items[1]!]);
    assert.ok(one?.status === 'delivered' && one.duplicate === true);
    const requests = sim.state().counters.requests;
    const rest = await sink.push(ctx(), [items[0]!, items[2]!, makeItem(9)]);
    assert.deepEqual(rest.map((o) => o.status === 'delivered' && o.duplicate === true), [true, true, false]);
    assert.equal(sim.state().counters.requests, requests + 1, 'only the new record was sent');
    assert.equal(sim.state().counters.applied, 4);
    assert.equal(sim.state().counters.appliedTwice, 0);
  });

  it('TestMessage: the request is marked, accepted and answered, and the provider changes nothing', async () => {
    await start();
    const out = await createSmev3Sink().push(ctx({ testMessage: true }), makeItems(2));
    assert.ok(out.every((o) => o.status === 'delivered'));
    const st = sim.state();
    assert.equal(st.counters.testMessages, 1);
    assert.equal(st.counters.applied, 0);
    assert.equal(st.messages[0]?.test, true);
    assert.match(sim.received()[0]!.xml, /<t:TestMessage\/><\/t:SenderProvidedRequestData>/);
  });

  it('a record СМЭВ refuses (InvalidContent) is isolated by splitting; it alone is rejected', async () => {
    await start();
    const items = makeItems(5);
    sim.inject({ kind: 'custom', name: 'reject-entity:mark', count: 1 });
    const out = await createSmev3Sink().push(ctx(), items);
    const rejected = out.filter((o) => o.status === 'failed');
    assert.equal(rejected.length, 1);
    const r = rejected[0]!;
    assert.ok(r.status === 'failed' && r.error.code === 'GW_SINK_REJECTED' && r.error.errorClass === 'invalid_data');
    assert.match(r.error.issues[0]?.message ?? '', /Record 1 \(mark\) is not accepted/);
    assert.equal(sim.state().counters.applied, 4);
    assert.ok(sim.state().counters.faults.InvalidContent! >= 2, 'the whole message, then the lone record');
  });

  it('a record that does not fit the diary XSD is rejected before sending; the rest go', async () => {
    await start();
    const bad = makeItem(2, { fields: { markStatus: 'excellent' } });
    const out = await createSmev3Sink().push(ctx(), [makeItem(1), bad, makeItem(3)]);
    assert.deepEqual(out.map((o) => o.status), ['delivered', 'failed', 'delivered']);
    const f = out[1]!;
    assert.ok(f.status === 'failed' && f.error.code === 'GW_SINK_REJECTED');
    assert.match(f.error.message, /mark record .* of school school-1 does not fit the diary-exchange XSD/);
    assert.match(f.error.issues[0]?.path ?? '', /markStatus/);
    assert.equal(sim.state().counters.applied, 2);
  });

  it('splits by maxRecordsPerMessage, the same records always making the same messages', async () => {
    await start();
    const items = makeItems(5);
    await createSmev3Sink().push(ctx({ maxRecordsPerMessage: 2 }), items);
    assert.equal(sim.state().counters.messages, 3);
    const again = await createSmev3Sink().push(ctx({ maxRecordsPerMessage: 2 }), [...items].reverse());
    assert.ok(again.every((o) => o.status === 'delivered' && o.duplicate));
    assert.equal(sim.state().counters.duplicates, 3);
  });

  it('check: fine with the test certificate; an unknown certificate is permanent GW_SINK_AUTH_FAILED', async () => {
    await start();
    assert.deepEqual(await smev3Sink.check(ctx()), { ok: true, details: { queues: 2, pending: 0 } });
    const bad = await smev3Sink.check(ctx({ signer: { kind: 'test', certificateAlias: 'stranger' } }));
    assert.ok(!bad.ok && bad.error.code === 'GW_SINK_AUTH_FAILED' && bad.error.errorClass === 'permanent');
    assert.match(bad.error.message, /SignatureVerificationFault\/CertificateIsNotFound/);
  });
});

let contractBase = 1000;
describeSinkContract<Smev3SinkConfig>('smev3-sink', {
  adapter: smev3Sink,
  startSimulator: () => startSmev3Simulator(),
  config: (sim) => simConfig(sim as Smev3SimulatorHandle),
  badAuthConfig: (sim) => simConfig(sim as Smev3SimulatorHandle, { signer: { kind: 'test', certificateAlias: 'not-registered' } }),
  appliedCount: async (sim) => (sim as Smev3SimulatorHandle).state().counters.applied,
  rejectNext: (sim, entityType) => sim.inject({ kind: 'custom', name: `reject-entity:${entityType}`, count: 1 }),
  items: (n) => makeItems(n, (contractBase += 100)),
});
