/**
 * Signers: the test signer's ds:Signature (shape, digest, fake marks), and the client of the
 * external signing service against a tiny signing service on loopback, end to end through the
 * sink and the СМЭВ simulator.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { GatewayError } from '../../../src/core/errors';
import { senderProvidedRequestDataXml, sendRequestRequestXml } from '../envelope';
import { createSmev3Sink, startSmev3Simulator, type Smev3SimulatorHandle, type Smev3SinkConfig } from '../index';
import { NS, SIGNED_ID, SIG_ALGORITHMS } from '../protocol';
import { TEST_SIGNATURE_MARK, TestSigner, signatureXml, testCertificate, testCertificateAlias, testDigest } from '../signer';
import { loadSmev3Xml, type Smev3Xml } from '../xsd';
import { makeCtx, makeItems, simConfig, testClock, type TestClock } from './helpers';

interface SignCall { authorization?: string; body: { keyAlias?: string; referenceId?: string; profile?: string; xml?: string } }

/** A stand-in for a certified crypto provider's signing service (it signs the way the test signer does). */
async function startSigningService(xml: Smev3Xml, token: string): Promise<{ url: string; calls: SignCall[]; mode: { answer: string }; close(): Promise<void> }> {
  const calls: SignCall[] = [];
  const mode = { answer: 'ok' };
  const read = (req: IncomingMessage): Promise<string> => new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  const server: Server = createServer((req, res) => {
    void read(req).then((text) => {
      const body = JSON.parse(text) as SignCall['body'];
      calls.push({ ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body });
      if (req.headers.authorization !== `Bearer ${token}`) { res.writeHead(401).end('{"error":"unauthorized"}'); return; }
      if (mode.answer === '503') { res.writeHead(503).end(); return; }
      if (mode.answer === '429') { res.writeHead(429, { 'retry-after': '12' }).end(); return; }
      if (mode.answer === 'garbage') { res.writeHead(200, { 'content-type': 'application/json' }).end('{"signature": 42}'); return; }
      const fragment = Buffer.from(body.xml ?? '', 'base64').toString('utf8');
      const ref = mode.answer === 'wrong-ref' ? 'SOMETHING_ELSE' : body.referenceId ?? '';
      const digest = testDigest(xml, fragment, body.referenceId ?? '');
      const signature = signatureXml(ref, digest, Buffer.from(`${TEST_SIGNATURE_MARK}:service`).toString('base64'), testCertificate('diary-gateway-test'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ signature }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1/smev3/sign`, calls, mode,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

describe('smev3-sink signers', function () {
  this.timeout(30_000);
  let xml: Smev3Xml;
  before(async () => { nock.enableNetConnect(); xml = await loadSmev3Xml(); });

  it('the test signer: a ds:Signature as СМЭВ expects it, digest over the canonical element, values marked fake', async () => {
    const spd = senderProvidedRequestDataXml({ messageId: '7ea413e1-1615-11f1-b031-e99286481e63', primaryContent: '<x:A xmlns:x="urn:x">данные</x:A>' });
    const sig = await new TestSigner(xml, 'school-7').sign({ xml: spd, referenceId: SIGNED_ID });
    xml.withDoc(sig, (doc) => {
      const ns = { ds: NS.ds };
      const alg = (p: string): string | undefined => (doc.get(p, ns) as { attr(n: string): { value: string } | null } | null)?.attr('Algorithm')?.value;
      assert.equal(alg('/ds:Signature/ds:SignedInfo/ds:CanonicalizationMethod'), SIG_ALGORITHMS.c14n);
      assert.equal(alg('/ds:Signature/ds:SignedInfo/ds:SignatureMethod'), SIG_ALGORITHMS.signature);
      assert.deepEqual(doc.find('/ds:Signature/ds:SignedInfo/ds:Reference[@URI="#SIGNED_BY_CALLER"]/ds:Transforms/ds:Transform', ns).map((t) => (t as unknown as { attr(n: string): { value: string } }).attr('Algorithm').value), [SIG_ALGORITHMS.c14n, SIG_ALGORITHMS.smevTransform]);
      assert.equal(alg('/ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestMethod'), SIG_ALGORITHMS.digest);
      const digest = doc.get('//ds:DigestValue', ns)?.content;
      assert.equal(digest, createHash('sha256').update(xml.canonicalById(spd, SIGNED_ID)).digest('base64'));
      assert.match(Buffer.from(doc.get('//ds:SignatureValue', ns)?.content ?? '', 'base64').toString(), new RegExp(`^${TEST_SIGNATURE_MARK}:`));
      assert.equal(testCertificateAlias(doc.get('//ds:X509Certificate', ns)?.content ?? ''), 'school-7');
    });
    assert.deepEqual(xml.validateSmevBody(sendRequestRequestXml(spd, sig)), [], 'the signed body validates');
    const changed = spd.replace('данные', 'другие данные');
    assert.notEqual(testDigest(xml, changed, SIGNED_ID), testDigest(xml, spd, SIGNED_ID), 'the digest follows the content');
    await assert.rejects(new TestSigner(xml, 'x').sign({ xml: spd, referenceId: 'NOPE' }), /no element with Id NOPE/);
  });

  describe('the signing-service client', () => {
    let sim: Smev3SimulatorHandle;
    let svc: Awaited<ReturnType<typeof startSigningService>>;
    let clock: TestClock;
    const cfg = (token = 'svc-token-1'): Smev3SinkConfig => simConfig(sim, { signer: { kind: 'signing-service', url: svc.url, keyAlias: 'school-key', token, timeoutMs: 2000 } });
    const pushError = async (c: Smev3SinkConfig): Promise<GatewayError> => {
      try { await createSmev3Sink().push(makeCtx(c, { clock }), makeItems(1)); } catch (e) { assert.ok(e instanceof GatewayError); return e; }
      return assert.fail('push did not throw');
    };
    beforeEach(async () => {
      clock = testClock();
      sim = await startSmev3Simulator({ now: () => clock.now() });
      svc = await startSigningService(xml, 'svc-token-1');
    });
    afterEach(async () => { await sim.close(); await svc.close(); });

    it('signs every signed element through the service; СМЭВ accepts; the token goes only to the service', async () => {
      const sink = createSmev3Sink();
      const c = makeCtx(cfg(), { clock });
      const out = await sink.push(c, makeItems(2));
      assert.ok(out.every((o) => o.status === 'delivered'));
      await sink.pollResponses(c);
      assert.deepEqual(svc.calls.map((x) => x.body.referenceId), [SIGNED_ID, SIGNED_ID, SIGNED_ID, SIGNED_ID], 'SendRequest, GetResponse, Ack, GetResponse');
      const first = svc.calls[0]!;
      assert.equal(first.authorization, 'Bearer svc-token-1');
      assert.equal(first.body.keyAlias, 'school-key');
      assert.equal(first.body.profile, 'smev3-xmldsig-gost2012-256');
      const fragment = Buffer.from(first.body.xml ?? '', 'base64').toString('utf8');
      assert.match(fragment, /^<t:SenderProvidedRequestData xmlns:t="[^"]+" xmlns:b="[^"]+" Id="SIGNED_BY_CALLER">/);
      assert.ok(sim.received()[0]!.xml.includes(fragment), 'the envelope carries the signed bytes unchanged');
      assert.ok(sim.received().every((r) => !r.xml.includes('svc-token-1')));
    });

    it('maps the service answers: 401 auth, 503 and 429 retryable, a 200 without a proper signature protocol; nothing reaches СМЭВ', async () => {
      const auth = await pushError(cfg('wrong'));
      assert.equal(auth.code, 'GW_SINK_AUTH_FAILED');
      assert.equal(auth.errorClass, 'permanent');
      svc.mode.answer = '503';
      assert.equal((await pushError(cfg())).code, 'GW_SINK_UNAVAILABLE');
      svc.mode.answer = '429';
      const slow = await pushError(cfg());
      assert.ok(slow.code === 'GW_SINK_RATE_LIMITED' && slow.retryAfterMs === 12_000);
      for (const bad of ['garbage', 'wrong-ref']) {
        svc.mode.answer = bad;
        assert.equal((await pushError(cfg())).code, 'GW_SINK_PROTOCOL', bad);
      }
      assert.equal(sim.state().counters.requests, 0);
      assert.ok(!auth.message.includes('wrong'), 'the token is not in the message');
    });

    it('an unreachable service is GW_SINK_UNAVAILABLE', async () => {
      await svc.close();
      const e = await pushError(cfg());
      assert.equal(e.code, 'GW_SINK_UNAVAILABLE');
      svc = await startSigningService(xml, 'svc-token-1');
    });
  });
});
