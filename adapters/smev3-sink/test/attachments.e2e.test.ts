/**
 * Large batches as MTOM attachments, size limits, MTOM answers (also for an empty GetResponse
 * queue), and XSD validation with the real validator of every body on the wire, both ways.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import type { DeliveryItem } from '../../../src/core/adapter';
import { createSmev3Sink, startSmev3Simulator, type Smev3SimulatorHandle, type Smev3SimulatorOptions, type Smev3SinkConfig } from '../index';
import type { Operation } from '../protocol';
import { readMtomRequest } from '../simulator/mtom';
import { loadSmev3Xml, type Smev3Xml } from '../xsd';
import { makeItem, makeItems, recordingCtx, simConfig, testClock, type Exchange, type TestClock } from './helpers';

/** The SOAP envelope of an HTTP body, MTOM or not. */
function envelopeOf(body: Buffer, contentType: string): string {
  return /multipart\/related/i.test(contentType) ? readMtomRequest(body, contentType).xml : body.toString('utf8');
}

describe('smev3-sink attachments, MTOM and XSD validation', function () {
  this.timeout(30_000);
  let sim: Smev3SimulatorHandle;
  let clock: TestClock;
  let xml: Smev3Xml;
  let log: Exchange[];
  const start = async (opts: Smev3SimulatorOptions = {}): Promise<void> => { sim = await startSmev3Simulator({ now: () => clock.now(), ...opts }); };
  const ctx = (over: Partial<Smev3SinkConfig> = {}) => recordingCtx(simConfig(sim, over), log, clock);
  const bigItems = (n: number, from = 1): DeliveryItem[] => makeItems(n, from).map((i) => ({ ...i, payload: { ...i.payload, teacherComment: 'Подробный отзыв учителя о работе. '.repeat(50) } }));
  before(async () => { nock.enableNetConnect(); xml = await loadSmev3Xml(); });
  beforeEach(() => { clock = testClock(); log = []; });
  afterEach(async () => { await sim?.close(); });

  it('a batch over inlineLimitBytes goes as one MTOM attachment the simulator checks and applies', async () => {
    await start();
    const items = bigItems(5);
    const out = await createSmev3Sink().push(ctx({ inlineLimitBytes: 4096 }), items);
    assert.ok(out.every((o) => o.status === 'delivered'));
    const st = sim.state();
    assert.equal(st.messages.length, 1);
    assert.equal(st.messages[0]?.viaAttachment, true);
    assert.equal(st.counters.applied, 5);
    const send = log.find((x) => x.requestHeaders.SOAPAction === '"urn:SendRequest"')!;
    const ct = send.requestHeaders['Content-Type'] ?? '';
    assert.match(ct, /^multipart\/related; type="application\/xop\+xml"/);
    const wire = send.requestBody.toString('utf8');
    assert.match(wire, /<b:Content><xop:Include xmlns:xop="http:\/\/www\.w3\.org\/2004\/08\/xop\/include" href="cid:records-[0-9a-f]{32}"\/><\/b:Content>/);
    assert.match(wire, /Content-ID: <records-[0-9a-f]{32}>/);
    assert.match(wire, /<d:RecordsAttachment attachmentId="records-[0-9a-f]{32}" mimeType="application\/xml" size="\d+" sha256="[0-9a-f]{64}"\/>/);
    assert.deepEqual(xml.validateSmevBody(envelopeOf(send.requestBody, ct)), [], 'the logical envelope validates');
  });

  it('a batch under the limit stays inline, in plain text/xml', async () => {
    await start();
    await createSmev3Sink().push(ctx(), makeItems(3));
    const send = log.find((x) => x.requestHeaders.SOAPAction === '"urn:SendRequest"')!;
    assert.match(send.requestHeaders['Content-Type'] ?? '', /^text\/xml/);
    assert.equal(sim.state().messages[0]?.viaAttachment, false);
  });

  it('AttachmentSizeLimitExceeded: the sink splits until each message fits; nothing is lost or doubled', async () => {
    await start({ maxAttachmentBytes: 8000 });
    const items = bigItems(6);
    const out = await createSmev3Sink().push(ctx({ inlineLimitBytes: 2048 }), items);
    assert.ok(out.every((o) => o.status === 'delivered'), JSON.stringify(out.map((o) => o.status)));
    const st = sim.state();
    assert.ok((st.counters.faults.AttachmentSizeLimitExceeded ?? 0) >= 1);
    assert.ok(st.messages.length >= 2 && st.messages.every((m) => m.viaAttachment));
    assert.equal(st.counters.applied, 6);
    assert.equal(st.counters.appliedTwice, 0);
  });

  it('maxAttachmentBytes on the sink cuts messages before sending; a record larger than it is rejected alone', async () => {
    await start();
    const items = bigItems(3);
    const huge = makeItem(4, { entityType: 'homework', fields: { text: 'я'.repeat(5000) } });
    const out = await createSmev3Sink().push(ctx({ inlineLimitBytes: 2048, maxAttachmentBytes: 5000 }), [...items, huge]);
    assert.deepEqual(out.map((o) => o.status === 'failed' ? o.error.code : o.status), ['delivered', 'delivered', 'delivered', 'GW_SINK_REJECTED']);
    assert.equal(sim.state().messages.length, 3, 'one record per message at this limit');
    assert.equal(sim.state().counters.faults.AttachmentSizeLimitExceeded, undefined);
  });

  for (const mode of ['get-response', 'always', 'never'] as const) {
    it(`GetResponse answered ${mode === 'never' ? 'as plain XML' : 'as MTOM multipart'} (mtom: ${mode}), empty queue and with a message`, async () => {
      await start({ mtom: mode });
      const sink = createSmev3Sink();
      assert.deepEqual(await sink.pollResponses(ctx()), [], 'empty queue');
      const empty = log.find((x) => x.requestHeaders.SOAPAction === '"urn:GetResponse"')!;
      const ct = empty.responseHeaders['content-type'] ?? '';
      if (mode === 'never') assert.match(ct, /^text\/xml/);
      else assert.match(ct, /^multipart\/related; type="application\/xop\+xml"; boundary="uuid:[^"]+"; start="<root\.message@cxf\.apache\.org>"/);
      assert.match(envelopeOf(empty.responseBody, ct), /<ns2:GetResponseResponse [^>]*\/>/, 'no child: the queue is empty');
      await sink.push(ctx(), makeItems(2));
      const polled = await sink.pollResponses(ctx());
      assert.equal(polled.length, 1);
      assert.equal(polled[0]?.message.kind, 'primary');
      assert.equal(polled[0]?.ack, 'acked');
    });
  }

  it('every body the sink sends and every answer the simulator gives validates against the official XSDs', async () => {
    await start();
    const sent: { op: Operation; body: string }[] = [];
    const sink = createSmev3Sink({ onSend: (op, body) => sent.push({ op, body }) });
    const c = ctx({ testMessage: true, transactionCode: 'diary-2026', nodeId: 'node-1', eolMinutes: 30 });
    assert.equal((await sink.check(c)).ok, true);
    await sink.push(c, makeItems(3));
    await sink.push(ctx({ inlineLimitBytes: 2048 }), bigItems(3, 10));
    await sink.pollResponses(c);
    await sink.pollStatuses(c);
    assert.deepEqual([...new Set(sent.map((s) => s.op))].sort(), ['Ack', 'GetIncomingQueueStatistics', 'GetResponse', 'GetStatus', 'SendRequest']);
    for (const s of sent) assert.deepEqual(xml.validateSmevBody(s.body), [], `${s.op} as sent`);
    assert.ok(sim.received().length >= sent.length);
    for (const r of sim.received()) assert.deepEqual(xml.validateSmevBody(r.xml), [], `${r.op} as received`);
    assert.equal(sim.state().counters.invalid, 0);
    const answers = log.filter((x) => x.status === 200);
    assert.ok(answers.length >= sent.length);
    for (const a of answers) assert.deepEqual(xml.validateSmevBody(envelopeOf(a.responseBody, a.responseHeaders['content-type'] ?? '')), [], a.requestHeaders.SOAPAction);
  });
});
