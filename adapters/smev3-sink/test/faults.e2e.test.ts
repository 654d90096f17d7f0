/**
 * Every fault the WSDL declares, injected by the simulator, read off the wire by the sink and
 * mapped through FAULT_TABLE; the HTTP-level failures; and the faults the simulator produces
 * by itself from bad requests (signature, MessageID, envelope, type registration, EOL).
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import type { DeliveryOutcome } from '../../../src/core/adapter';
import { GatewayError } from '../../../src/core/errors';
import { senderProvidedRequestDataXml } from '../envelope';
import { FAULT_TABLE } from '../errors';
import { createSmev3Sink, startSmev3Simulator, type Smev3SimulatorHandle, type Smev3SinkConfig } from '../index';
import { NS, SIGNED_ID, SMEV_FAULTS } from '../protocol';
import { readMtomRequest } from '../simulator/mtom';
import { TestSigner, type XmlSigner } from '../signer';
import { loadSmev3Xml, type Smev3Xml } from '../xsd';
import { makeCtx, makeItem, recordingCtx, simConfig, testClock, type Exchange, type TestClock } from './helpers';

const EXPECTED_CLASS: Record<string, string> = {
  SMEVFailure: 'retryable', DestinationOverflow: 'retryable', EndOfLifeReached: 'retryable', QuoteLimitExceeded: 'retryable',
  InvalidContent: 'invalid_data', AttachmentSizeLimitExceeded: 'invalid_data',
  AccessDenied: 'permanent', SenderIsNotRegistered: 'permanent', SignatureVerificationFault: 'permanent', BusinessDataTypeIsNotSupported: 'permanent',
  RecipientIsNotFound: 'permanent', TransactionCodeInvalid: 'permanent', InvalidMessageIdFormat: 'permanent', AttachmentContentMiscoordination: 'permanent',
  UnknownMessageType: 'permanent', TargetMessageIsNotFound: 'permanent', RequestIsNotFound: 'permanent', IncorrectResponseContentType: 'permanent',
};

describe('smev3-sink faults', function () {
  this.timeout(30_000);
  let sim: Smev3SimulatorHandle;
  let clock: TestClock;
  let xml: Smev3Xml;
  const ctx = (over: Partial<Smev3SinkConfig> = {}) => makeCtx(simConfig(sim, over), { clock });
  const outcomeOrError = async (p: Promise<DeliveryOutcome[]>): Promise<DeliveryOutcome | GatewayError> => {
    try { return (await p)[0]!; } catch (e) { assert.ok(e instanceof GatewayError, String(e)); return e; }
  };
  before(async () => { nock.enableNetConnect(); xml = await loadSmev3Xml(); });
  beforeEach(async () => { clock = testClock(); sim = await startSmev3Simulator({ now: () => clock.now() }); });
  afterEach(async () => { await sim.close(); });

  it('each WSDL fault on SendRequest: its detail validates against the faults XSD and it ends as the table says', async () => {
    let n = 0;
    for (const fault of SMEV_FAULTS) {
      const log: Exchange[] = [];
      sim.inject({ kind: 'custom', name: fault, count: 1 });
      const item = makeItem(++n);
      const got = await outcomeOrError(createSmev3Sink().push(recordingCtx(simConfig(sim), log, clock), [item]));
      const faultBody = log.find((x) => x.status === 500)?.responseBody.toString('utf8') ?? '';
      const detail = /<detail>([\s\S]*)<\/detail>/.exec(faultBody)?.[1] ?? '';
      assert.deepEqual(xml.validateFault(detail), [], `${fault} detail`);
      const rule = FAULT_TABLE.find((r) => r.fault === fault && r.signatureCode === undefined)!;
      if (rule.action === 'duplicate') {
        assert.ok(!(got instanceof GatewayError) && got.status === 'delivered' && got.duplicate === true, fault);
      } else if (rule.action === 'renew-id') {
        assert.ok(!(got instanceof GatewayError) && got.status === 'delivered' && !got.duplicate, fault);
        assert.equal(log.filter((x) => x.requestHeaders.SOAPAction === '"urn:SendRequest"').length, 2);
      } else if (rule.action === 'isolate') {
        assert.ok(!(got instanceof GatewayError) && got.status === 'failed', `${fault}: a lone record is an outcome, not a throw`);
        assert.equal(got.error.code, rule.code);
        assert.equal(got.error.errorClass, EXPECTED_CLASS[fault]);
      } else {
        assert.ok(got instanceof GatewayError, `${fault} throws for the whole batch`);
        assert.equal(got.code, rule.code, fault);
        assert.equal(got.errorClass, EXPECTED_CLASS[fault], fault);
        assert.equal(got.opts.httpStatus, 500);
        assert.match(got.message, new RegExp(`СМЭВ answered ${fault}`));
      }
    }
    assert.equal(sim.state().counters.faults.SMEVFailure, 1);
  });

  it('SignatureVerificationFault codes: certificate problems are auth, envelope problems are protocol', async () => {
    for (const [code, expected] of [['CertificateIsExpired', 'GW_SINK_AUTH_FAILED'], ['CertificateIsNotFound', 'GW_SINK_AUTH_FAILED'], ['SignatureIsInvalid', 'GW_SINK_PROTOCOL'], ['PoorSOAPEnvelopeFormat', 'GW_SINK_PROTOCOL']] as const) {
      sim.inject({ kind: 'custom', name: `SignatureVerificationFault:${code}` });
      const e = await outcomeOrError(createSmev3Sink().push(ctx(), [makeItem(1)]));
      assert.ok(e instanceof GatewayError && e.code === expected && e.errorClass === 'permanent', code);
    }
  });

  it('a permanent fault stops the push: later messages are not sent and fail with it', async () => {
    sim.inject({ kind: 'custom', name: 'AccessDenied' });
    const items = [1, 2, 3, 4].map((n) => makeItem(n));
    await assert.rejects(createSmev3Sink().push(ctx({ maxRecordsPerMessage: 2 }), items), (e: GatewayError) => e.code === 'GW_SINK_AUTH_FAILED');
    assert.equal(sim.state().counters.requests, 1, 'the second message was never sent');
  });

  it('a fault after a delivered message fails only the rest; the push returns outcomes instead of throwing', async () => {
    const items = [1, 2, 3, 4].map((n) => makeItem(n));
    const sink = createSmev3Sink();
    await sink.push(ctx({ maxRecordsPerMessage: 2 }), items.slice(0, 2));
    sim.inject({ kind: 'custom', name: 'DestinationOverflow' });
    const out = await sink.push(ctx({ maxRecordsPerMessage: 2 }), items);
    assert.deepEqual(out.map((o) => o.status === 'failed' ? o.error.code : o.status), ['delivered', 'delivered', 'GW_SINK_UNAVAILABLE', 'GW_SINK_UNAVAILABLE']);
  });

  it('faults of the other operations: GetResponse, Ack, GetStatus, GetIncomingQueueStatistics', async () => {
    const sink = createSmev3Sink();
    await sink.push(ctx(), [makeItem(1)]);
    sim.inject({ kind: 'custom', name: 'SMEVFailure@GetResponse' });
    await assert.rejects(sink.pollResponses(ctx()), (e: GatewayError) => e.code === 'GW_SINK_UNAVAILABLE' && /to GetResponse/.test(e.message));
    sim.inject({ kind: 'custom', name: 'TargetMessageIsNotFound@Ack' });
    const polled = await sink.pollResponses(ctx(), { max: 1 });
    assert.equal(polled[0]?.ack, 'gone', 'nothing left to acknowledge is not an error');
    sim.inject({ kind: 'custom', name: 'SenderIsNotRegistered@GetStatus' });
    await assert.rejects(sink.pollStatuses(ctx()), (e: GatewayError) => e.code === 'GW_SINK_AUTH_FAILED');
    sim.inject({ kind: 'custom', name: 'SMEVFailure@GetIncomingQueueStatistics' });
    const chk = await sink.check(ctx());
    assert.ok(!chk.ok && chk.error.errorClass === 'retryable');
    await assert.rejects(sink.pollResponses(ctx({ responseSelector: { namespaceUri: 'urn:nobody', rootElementLocalName: 'X' } })), (e: GatewayError) => /UnknownMessageType/.test(e.message));
  });

  it('HTTP without SOAP: 503 and 500 retryable, 429 with Retry-After, 404 protocol, a 200 that is not XML protocol, a timeout', async () => {
    const cases: [Record<string, unknown>, string, number | undefined][] = [
      [{ kind: 'status', status: 503, count: 1 }, 'GW_SINK_UNAVAILABLE', undefined],
      [{ kind: 'status', status: 500, count: 1 }, 'GW_SINK_UNAVAILABLE', undefined],
      [{ kind: 'status', status: 429, count: 1, retryAfterSec: 7 }, 'GW_SINK_RATE_LIMITED', 7000],
      [{ kind: 'status', status: 404, count: 1 }, 'GW_SINK_PROTOCOL', undefined],
      [{ kind: 'malformed', count: 1 }, 'GW_SINK_PROTOCOL', undefined],
    ];
    for (const [fault, code, retryAfterMs] of cases) {
      sim.inject(fault as never);
      const e = await outcomeOrError(createSmev3Sink().push(ctx(), [makeItem(1)]));
      assert.ok(e instanceof GatewayError, JSON.stringify(fault));
      assert.equal(e.code, code, JSON.stringify(fault));
      assert.equal(e.retryAfterMs, retryAfterMs);
    }
    sim.inject({ kind: 'slow', ms: 300, count: 1 });
    const t = await outcomeOrError(createSmev3Sink().push(ctx({ timeoutMs: 100 }), [makeItem(2)]));
    assert.ok(t instanceof GatewayError && t.code === 'GW_SINK_TIMEOUT' && t.errorClass === 'retryable');
  });

  it('natural faults from the request itself: wrong signature target, wrong digest, unregistered type, EOL passed', async () => {
    const base = new TestSigner(xml, 'diary-gateway-test');
    const wrongTarget: XmlSigner = { kind: 'test', sign: async (r) => (await base.sign(r)).replace(`URI="#${SIGNED_ID}"`, 'URI="#elsewhere"') };
    const wrongDigest: XmlSigner = { kind: 'test', sign: (r) => base.sign({ ...r, xml: r.xml.replace(/<t:ReferenceMessageID>[^<]*<\/t:ReferenceMessageID>/, '') }) };
    for (const [signer, code] of [[wrongTarget, 'IncorrectSignatureTarget'], [wrongDigest, 'SignatureIsInvalid']] as const) {
      const e = await outcomeOrError(createSmev3Sink({ signer }).push(ctx(), [makeItem(1)]));
      assert.ok(e instanceof GatewayError && e.code === 'GW_SINK_PROTOCOL' && e.message.includes(code), code);
    }
    const ns = await outcomeOrError(createSmev3Sink().push(ctx({ payloadNamespace: 'urn://x-artefacts-other/diary/9.9' }), [makeItem(1)]));
    assert.ok(ns instanceof GatewayError && /BusinessDataTypeIsNotSupported/.test(ns.message) && ns.errorClass === 'permanent');
    const simAhead = await startSmev3Simulator({ now: () => new Date(clock.now().getTime() + 2 * 3_600_000) });
    try {
      const eol = await outcomeOrError(createSmev3Sink().push(makeCtx(simConfig(simAhead, { eolMinutes: 60 }), { clock }), [makeItem(1)]));
      assert.ok(eol instanceof GatewayError && /EndOfLifeReached/.test(eol.message) && eol.errorClass === 'retryable');
    } finally { await simAhead.close(); }
  });

  describe('raw requests the sink would never send', () => {
    const post = async (body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> => {
      const res = await fetch(sim.endpoint, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:SendRequest"', ...headers }, body });
      const ct = res.headers.get('content-type') ?? '';
      const buf = Buffer.from(await res.arrayBuffer());
      return { status: res.status, text: /multipart/.test(ct) ? readMtomRequest(buf, ct).xml : buf.toString('utf8') };
    };
    const envelope = (inner: string, header = true): string => `<s:Envelope xmlns:s="${NS.soap}">${header ? '<s:Header/>' : ''}<s:Body>${inner}</s:Body></s:Envelope>`;
    const request = async (messageId: string, sign = true): Promise<string> => {
      const spd = senderProvidedRequestDataXml({ messageId, primaryContent: '<x:A xmlns:x="urn:x"/>' });
      const sig = sign ? `<t:CallerInformationSystemSignature>${await new TestSigner(xml, 'diary-gateway-test').sign({ xml: spd, referenceId: SIGNED_ID })}</t:CallerInformationSystemSignature>` : '';
      return `<t:SendRequestRequest xmlns:t="${NS.types}">${spd}${sig}</t:SendRequestRequest>`;
    };

    it('an envelope body that fails the СМЭВ XSD gets InvalidContent; no Header gets PoorSOAPEnvelopeFormat', async () => {
      const bad = await post(envelope((await request('7ea413e1-1615-11f1-b031-e99286481e63')).replace('<t:MessageID>7ea4', '<t:MessageID>XYZ4')));
      assert.equal(bad.status, 500);
      assert.match(bad.text, /<ns2:InvalidContent [^>]*>.*<ns2:ValidationError errorPosition="1">[^<]*MessageID/);
      const noHeader = await post(envelope(await request('7ea413e1-1615-11f1-b031-e99286481e63'), false));
      assert.match(noHeader.text, /PoorSOAPEnvelopeFormat/);
      assert.equal(sim.state().counters.invalid, 1);
    });

    it('no signature: NoSignatureFound; a version-4 UUID: InvalidMessageIdFormat; the WSDL is served at ?wsdl', async () => {
      assert.match((await post(envelope(await request('7ea413e1-1615-11f1-b031-e99286481e63', false)))).text, /NoSignatureFound/);
      assert.match((await post(envelope(await request('3f2b8c1e-9d4a-4b7c-8e1f-2a3b4c5d6e7f')))).text, /<ns2:InvalidMessageIdFormat /);
      const wsdl = await (await fetch(`${sim.endpoint}?wsdl`)).text();
      assert.match(wsdl, /SMEVMessageExchangeService/);
    });
  });
});
