/**
 * HTTP handling of the OneRoster sink against nock: the token request, token reuse and renewal,
 * request shapes, the error table (per-item vs whole push), Retry-After, DELETE, transport errors.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import type { DeliveryOutcome } from '../../../src/core/adapter';
import type { ErrorCode } from '../../../src/core/error-codes';
import { GatewayError } from '../../../src/core/errors';
import type { HttpClient, HttpRequest } from '../../../src/core/http';
import { fakeClock } from '../../../test/support/harness';
import { nockOnly, rejectsGateway } from '../../../test/support/source-run';
import { createOneRosterSink } from '../index';
import { categoryIdOf } from '../ids';
import type { OneRosterSinkConfig } from '../spec';
import { assessmentRecord, itemOf, markRecord, NOW, sinkCtx, type Obj } from './helpers';

const BASE = 'http://consumer.test';
const GB = '/ims/oneroster/gradebook/v1p2';
const CAT = categoryIdOf('control_work', 'Контрольная работа', 2);
const cfg = (over: Partial<OneRosterSinkConfig> = {}): OneRosterSinkConfig => ({
  baseUrl: `${BASE}/`, authUrl: `${BASE}/oauth2/token`, clientId: 'gw client', clientSecret: 's3cr:et', timeoutMs: 2000, ...over,
});
const imsx = (codeMinor: string, description = 'x'): Obj => ({
  imsx_codeMajor: 'failure', imsx_severity: 'error', imsx_description: description,
  imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: codeMinor }] },
});
const token = (n = 1, expiresIn = 3600): nock.Scope => nock(BASE).post('/oauth2/token').times(n).reply(200, { access_token: 'tok-1', token_type: 'bearer', expires_in: expiresIn });
const failed = (o: DeliveryOutcome | undefined): GatewayError => { assert.ok(o?.status === 'failed', JSON.stringify(o)); return o.error; };

describe('oneroster-sink client (nock)', () => {
  nockOnly('every interceptor was used');

  it('asks for a token with client credentials (Basic, form-encoded) and the createput scope, then PUTs the category and the line item', async () => {
    let form = '';
    nock(BASE, { reqheaders: { authorization: `Basic ${Buffer.from('gw+client:s3cr%3Aet').toString('base64')}`, 'content-type': /x-www-form-urlencoded/ } })
      .post('/oauth2/token')
      .reply((_uri, body) => { form = String(body); return [200, { access_token: 'tok-1', expires_in: 3600 }]; });
    const a = assessmentRecord(1);
    let catBody: unknown;
    let liBody: unknown;
    nock(BASE, { reqheaders: { authorization: 'Bearer tok-1', 'content-type': /application\/json/ } })
      .put(`${GB}/categories/${CAT}`, (b: unknown) => { catBody = b; return true; }).reply(201)
      .put(`${GB}/lineItems/${String(a.id)}`, (b: unknown) => { liBody = b; return true; }).reply(201);
    const item = itemOf(a);
    const out = await createOneRosterSink().push(sinkCtx(cfg()), [item]);
    assert.deepEqual(out, [{ deliveryId: item.deliveryId, status: 'delivered', remoteRef: `lineItems/${String(a.id)}` }]);
    assert.equal(form, `grant_type=client_credentials&scope=${encodeURIComponent('https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createput')}`);
    assert.equal(((catBody as Obj).category as Obj).sourcedId, CAT);
    assert.equal(((liBody as Obj).lineItem as Obj).sourcedId, a.id);
  });

  it('clientAuth body sends the id and secret in the form; DELETE mode asks for the delete scope too', async () => {
    nock(BASE, { badheaders: ['authorization'] })
      .post('/oauth2/token', (b: Record<string, string>) => b.client_id === 'gw client' && b.client_secret === 's3cr:et'
        && b.scope === ['createput', 'delete'].map((x) => `https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.${x}`).join(' '))
      .reply(200, { access_token: 'tok-1' });
    const sink = createOneRosterSink();
    const res = await sink.check(sinkCtx(cfg({ clientAuth: 'body', tombstones: 'delete' })));
    assert.deepEqual(res, { ok: true, details: { scopes: 2 } });
  });

  it('reuses the token and the delivered category across pushes; sends them again once the token expires', async () => {
    const clock = fakeClock(NOW);
    const sink = createOneRosterSink();
    token(1, 600);
    nock(BASE).put(`${GB}/categories/${CAT}`).reply(201).put(/lineItems/).times(2).reply(201);
    await sink.push(sinkCtx(cfg(), clock), [itemOf(assessmentRecord(1))]);
    await sink.push(sinkCtx(cfg(), clock), [itemOf(assessmentRecord(2))]);
    clock.advance(600_000);
    token(1, 600);
    nock(BASE).put(/lineItems/).reply(201);
    await sink.push(sinkCtx(cfg(), clock), [itemOf(assessmentRecord(3))]);
  });

  it('a 401 gets one fresh token and the same PUT again; a second 401 fails the push as auth', async () => {
    const sink = createOneRosterSink();
    token(2);
    const m = markRecord(1);
    nock(BASE).put(`${GB}/results/${String(m.id)}`).reply(401, imsx('unauthorisedrequest')).put(`${GB}/results/${String(m.id)}`).reply(201);
    const out = await sink.push(sinkCtx(cfg()), [itemOf(m)]);
    assert.equal(out[0]?.status, 'delivered');
    token(1);
    nock(BASE).put(/results/).times(2).reply(401, imsx('unauthorisedrequest'));
    const e = await rejectsGateway(sink.push(sinkCtx(cfg()), [itemOf(m)]));
    assert.equal(e.code, 'GW_SINK_AUTH_FAILED');
    assert.equal(e.errorClass, 'permanent');
  });

  const table: [number, string | undefined, 'item' | 'throw', ErrorCode][] = [
    [400, 'invaliddata', 'item', 'GW_SINK_REJECTED'],
    [422, 'invaliddata', 'item', 'GW_SINK_REJECTED'],
    [422, undefined, 'item', 'GW_SINK_REJECTED'],
    [404, 'unknownobject', 'item', 'GW_SINK_UNAVAILABLE'],
    [405, undefined, 'item', 'GW_SINK_REJECTED'],
    [404, undefined, 'throw', 'GW_SINK_PROTOCOL'],
    [403, 'forbidden', 'throw', 'GW_SINK_AUTH_FAILED'],
    [408, undefined, 'throw', 'GW_SINK_TIMEOUT'],
    [429, 'server_busy', 'throw', 'GW_SINK_RATE_LIMITED'],
    [503, 'server_busy', 'throw', 'GW_SINK_RATE_LIMITED'],
    [500, 'internal_server_error', 'throw', 'GW_SINK_UNAVAILABLE'],
    [502, undefined, 'throw', 'GW_SINK_UNAVAILABLE'],
    [409, undefined, 'throw', 'GW_SINK_PROTOCOL'],
    [302, undefined, 'throw', 'GW_SINK_PROTOCOL'],
  ];
  for (const [status, minor, effect, code] of table) {
    it(`PUT answered ${status}${minor ? ` ${minor}` : ''} → ${effect === 'item' ? 'this item fails' : 'the push throws'} ${code}`, async () => {
      token();
      const m = markRecord(1);
      nock(BASE).put(`${GB}/results/${String(m.id)}`).reply(status, minor ? imsx(minor, 'the student is not enrolled') : '<html>proxy</html>');
      const p = createOneRosterSink().push(sinkCtx(cfg()), [itemOf(m)]);
      if (effect === 'throw') {
        const e = await rejectsGateway(p);
        assert.equal(e.code, code);
        assert.equal(e.opts.httpStatus, status);
        return;
      }
      const e = failed((await p)[0]);
      assert.equal(e.code, code);
      assert.deepEqual(e.issues, [{ path: `/results/${String(m.id)}`, message: minor ? 'the student is not enrolled' : e.issues[0]?.message }]);
      assert.ok((e.issues[0]?.message ?? '').length > 0, 'a reason is always given');
    });
  }

  it('429 and 503 carry Retry-After (seconds or an HTTP date on the injected clock)', async () => {
    token(2);
    nock(BASE).put(/results/).reply(429, imsx('server_busy'), { 'Retry-After': '7' });
    const e1 = await rejectsGateway(createOneRosterSink().push(sinkCtx(cfg()), [itemOf(markRecord(1))]));
    assert.equal(e1.retryAfterMs, 7000);
    nock(BASE).put(/results/).reply(503, 'down', { 'Retry-After': new Date(NOW.getTime() + 90_000).toUTCString() });
    const e2 = await rejectsGateway(createOneRosterSink().push(sinkCtx(cfg()), [itemOf(markRecord(1))]));
    assert.equal(e2.code, 'GW_SINK_UNAVAILABLE');
    assert.equal(e2.retryAfterMs, 90_000);
  });

  it('a line item the consumer cannot place (404 unknownobject: its category is gone) makes the category go again next time', async () => {
    const sink = createOneRosterSink();
    token();
    nock(BASE).put(`${GB}/categories/${CAT}`).reply(201).put(/lineItems/).reply(404, imsx('unknownobject', `category ${CAT} is unknown`));
    const first = await sink.push(sinkCtx(cfg()), [itemOf(assessmentRecord(1))]);
    assert.equal(failed(first[0]).errorClass, 'retryable');
    nock(BASE).put(`${GB}/categories/${CAT}`).reply(201).put(/lineItems/).reply(201);
    assert.equal((await sink.push(sinkCtx(cfg()), [itemOf(assessmentRecord(1))]))[0]?.status, 'delivered');
  });

  it('the token endpoint: refused credentials and scopes are auth errors, a missing endpoint or an HTML page protocol errors, 503 an outage', async () => {
    const cases: [number, unknown, ErrorCode][] = [
      [401, { error: 'invalid_client' }, 'GW_SINK_AUTH_FAILED'],
      [400, { error: 'invalid_scope' }, 'GW_SINK_AUTH_FAILED'],
      [400, { error: 'unsupported_grant_type' }, 'GW_SINK_PROTOCOL'],
      [404, 'Not Found', 'GW_SINK_PROTOCOL'],
      [503, { error: 'temporarily_unavailable' }, 'GW_SINK_UNAVAILABLE'],
      [200, '<html>Sign in</html>', 'GW_SINK_PROTOCOL'],
    ];
    for (const [status, body, code] of cases) {
      nock(BASE).post('/oauth2/token').reply(status, body as nock.Body);
      const res = await createOneRosterSink().check(sinkCtx(cfg()));
      assert.ok(!res.ok, `${status}`);
      assert.equal(res.error.code, code, `${status} ${JSON.stringify(body)}`);
    }
  });

  it('DELETE mode: 204 is delivered, 404 unknownobject is delivered as already gone, 404 without imsx is a protocol error', async () => {
    const sink = createOneRosterSink();
    token();
    const m = markRecord(1, { status: 'tobedeleted' });
    nock(BASE).delete(`${GB}/results/${String(m.id)}`).reply(204).delete(`${GB}/results/${String(m.id)}`).reply(404, imsx('unknownobject'));
    const c = cfg({ tombstones: 'delete' });
    const item = itemOf(m);
    assert.deepEqual(await sink.push(sinkCtx(c), [item]), [{ deliveryId: item.deliveryId, status: 'delivered', remoteRef: `results/${String(m.id)}` }]);
    assert.deepEqual(await sink.push(sinkCtx(c), [item]), [{ deliveryId: item.deliveryId, status: 'delivered', remoteRef: `results/${String(m.id)}`, duplicate: true }]);
    nock(BASE).delete(/results/).reply(404, 'Not Found');
    assert.equal((await rejectsGateway(sink.push(sinkCtx(c), [item]))).code, 'GW_SINK_PROTOCOL');
  });

  it('transport: a timeout is GW_SINK_TIMEOUT after one attempt; a source-side client\'s network and timeout codes become sink codes', async () => {
    token();
    nock(BASE).put(/results/).delay(500).reply(201);
    assert.equal((await rejectsGateway(createOneRosterSink().push(sinkCtx(cfg({ timeoutMs: 100 })), [itemOf(markRecord(1))]))).code, 'GW_SINK_TIMEOUT');
    for (const [thrown, code] of [['GW_SRC_NETWORK', 'GW_SINK_UNAVAILABLE'], ['GW_SRC_TIMEOUT', 'GW_SINK_TIMEOUT']] as const) {
      const attempts: number[] = [];
      const http: HttpClient = { request: async (req: HttpRequest) => { attempts.push(req.maxAttempts ?? -1); throw new GatewayError(thrown, 'PUT consumer.test failed'); } };
      const e = await rejectsGateway(createOneRosterSink().check({ ...sinkCtx(cfg()), http }).then((r) => { if (!r.ok) throw r.error; }));
      assert.equal(e.code, code);
      assert.deepEqual(attempts, [1], 'the delivery loop owns retries');
    }
    const bug: HttpClient = { request: async () => { throw new TypeError('boom'); } };
    const res = await createOneRosterSink().check({ ...sinkCtx(cfg()), http: bug });
    assert.ok(!res.ok && res.error.code === 'GW_INTERNAL');
  });

  it('sends what others refer to first, answers in the order given, and a failure mid-batch fails the whole push', async () => {
    token();
    const order: string[] = [];
    const record = (status: number) => function (this: unknown, uri: string): [number] { order.push(uri.split('/')[5] ?? uri); return [status]; };
    nock(BASE).put(/categories/).reply(record(201)).put(/lineItems/).reply(record(201)).put(/results/).reply(record(201));
    const items = [itemOf(markRecord(1)), itemOf(assessmentRecord(1))];
    const out = await createOneRosterSink().push(sinkCtx(cfg()), items);
    assert.deepEqual(order, ['categories', 'lineItems', 'results']);
    assert.deepEqual(out.map((x) => [x.deliveryId, x.status]), items.map((i) => [i.deliveryId, 'delivered']));
    token();
    nock(BASE).put(/categories/).reply(201).put(/lineItems/).reply(201).put(/results/).reply(503, imsx('internal_server_error'));
    assert.equal((await rejectsGateway(createOneRosterSink().push(sinkCtx(cfg()), [itemOf(markRecord(2)), itemOf(assessmentRecord(2))]))).code, 'GW_SINK_UNAVAILABLE');
  });
});
