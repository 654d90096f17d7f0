/** GetResponse polling, Ack and GetStatus against the simulator: what the consumer learns after SendRequest. */
import assert from 'node:assert/strict';
import nock from 'nock';
import { createSmev3Sink, parseRemoteRef, startSmev3Simulator, type Smev3SimulatorHandle, type Smev3SinkConfig } from '../index';
import { Smev3Client } from '../client';
import { resolveSmev3Config } from '../spec';
import { loadSmev3Xml } from '../xsd';
import { makeCtx, makeItems, simConfig, testClock, type TestClock } from './helpers';

describe('smev3-sink GetResponse, Ack and GetStatus', function () {
  this.timeout(30_000);
  let sim: Smev3SimulatorHandle;
  let clock: TestClock;
  const ctx = (over: Partial<Smev3SinkConfig> = {}) => makeCtx(simConfig(sim, over), { clock });
  const client = async (): Promise<Smev3Client> => {
    const c = ctx();
    return new Smev3Client({ config: resolveSmev3Config(c.config), http: c.http, log: c.log, now: c.now, xml: await loadSmev3Xml() });
  };
  before(() => nock.enableNetConnect());
  beforeEach(async () => { clock = testClock(); sim = await startSmev3Simulator({ now: () => clock.now() }); });
  afterEach(async () => { await sim.close(); });

  it('the provider answer names every record; Ack takes it off the queue; its status follows the request', async () => {
    const sink = createSmev3Sink();
    const items = makeItems(3);
    const out = await sink.push(ctx(), items);
    const messageId = parseRemoteRef(out[0]?.status === 'delivered' ? out[0].remoteRef : undefined)?.messageId;
    const polled = await sink.pollResponses(ctx());
    assert.equal(polled.length, 1);
    const m = polled[0]!.message;
    assert.equal(m.originalMessageId, messageId);
    assert.ok(m.kind === 'primary' && m.rootLocalName === 'DiaryBatchResponse');
    assert.deepEqual(m.results?.map((r) => [r.key, r.status]).sort(), items.map((i) => [i.key, 'accepted']).sort());
    assert.equal(sim.state().pendingResponses, 0);
    assert.equal(sim.state().counters.acks, 1);
    const statuses = await sink.pollStatuses(ctx());
    assert.deepEqual(statuses.map((s) => [s.originalMessageId, s.category]), [
      [messageId, 'requestIsAcceptedBySmev'], [messageId, 'responseIsAcceptedBySmev'], [messageId, 'responseIsDelivered'],
    ]);
    assert.deepEqual(await sink.pollStatuses(ctx()), [], 'nothing more');
  });

  it('without Ack the same message comes again; a second Ack of it is "gone"', async () => {
    await createSmev3Sink().push(ctx(), makeItems(1));
    const c = await client();
    const a = await c.getResponse();
    const b = await c.getResponse();
    assert.ok(a && b && a.messageId === b.messageId);
    assert.equal(await c.ack(a.messageId), 'acked');
    assert.equal(await c.ack(a.messageId), 'gone');
    assert.equal(await c.getResponse(), undefined);
  });

  it('a provider refusal arrives as RequestRejected, with its code', async () => {
    sim.inject({ kind: 'custom', name: 'respond-rejected' });
    await createSmev3Sink().push(ctx(), makeItems(2));
    const [p] = await createSmev3Sink().pollResponses(ctx());
    assert.ok(p?.message.kind === 'rejected');
    assert.deepEqual(p.message.rejections.map((r) => r.code), ['NO_DATA']);
  });

  it('answers come in the order the requests were taken, and max bounds one poll', async () => {
    const sink = createSmev3Sink();
    const ids: string[] = [];
    for (const from of [1, 10, 20]) {
      const [o] = await sink.push(ctx(), makeItems(1, from));
      ids.push(parseRemoteRef(o?.status === 'delivered' ? o.remoteRef : undefined)?.messageId ?? '');
    }
    const first = await sink.pollResponses(ctx(), { max: 2 });
    const rest = await sink.pollResponses(ctx());
    assert.deepEqual([...first, ...rest].map((p) => p.message.originalMessageId), ids);
  });
});
