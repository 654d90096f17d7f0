/**
 * HTTP handling of the REST portal sink against nock: request shape, the status table,
 * Retry-After, per-item results, missing results and malformed bodies.
 */
import assert from 'node:assert/strict';
import nock from 'nock';
import type { DeliveryOutcome } from '../../../src/core/adapter';
import type { ErrorCode } from '../../../src/core/error-codes';
import { GatewayError } from '../../../src/core/errors';
import type { HttpClient, HttpRequest, HttpResponse } from '../../../src/core/http';
import { restPortalSink } from '../index';
import { batchIdempotencyKey } from '../protocol';
import type { RestPortalConfig } from '../spec';
import { makeCtx, makeItem, makeItems, NOW } from './helpers';

const BASE = 'http://portal.test';
const BATCH = '/api/v1/diary/batches';
const config: RestPortalConfig = { baseUrl: `${BASE}/`, token: 't0k-secret', timeoutMs: 2000 };

function failed(o: DeliveryOutcome | undefined): GatewayError {
  assert.ok(o && o.status === 'failed', `expected failed, got ${JSON.stringify(o)}`);
  return o.error;
}

async function pushRejects(status: number, reply: { body?: unknown; headers?: Record<string, string> } = {}): Promise<GatewayError> {
  nock(BASE).post(BATCH).reply(status, (reply.body ?? { error: { code: 'X', message: 'x' } }) as nock.Body, reply.headers);
  try {
    await restPortalSink.push(makeCtx(config), [makeItem(1)]);
  } catch (e) {
    assert.ok(e instanceof GatewayError, `not a GatewayError: ${String(e)}`);
    return e;
  }
  assert.fail('push did not throw');
}

describe('rest-portal-sink client (nock)', () => {
  before(() => nock.disableNetConnect());
  after(() => nock.enableNetConnect());
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    assert.deepEqual(pending, [], 'every interceptor was used');
  });

  it('pins the batch Idempotency-Key algorithm to a known vector', () => {
    // sha256("a\nb"), computed with `printf 'a\nb' | sha256sum`
    assert.equal(batchIdempotencyKey(['b', 'a']), '7e18f737311b2dc3b2f269dd78396b0351f14fb66efa879f768cb23181883c78');
    assert.equal(batchIdempotencyKey(['a', 'b']), batchIdempotencyKey(['b', 'a']));
  });

  it('posts the documented request and maps accepted / duplicate / rejected results', async () => {
    const items = makeItems(3);
    const [a, b, c] = items as [typeof items[0], typeof items[0], typeof items[0]];
    let seenBody: unknown;
    nock(BASE, {
      reqheaders: {
        authorization: 'Bearer t0k-secret',
        'content-type': /^application\/json/,
        'idempotency-key': batchIdempotencyKey(items.map((i) => i.key)),
      },
    })
      .post(BATCH, (body: unknown) => { seenBody = body; return true; })
      .reply(200, {
        results: [
          { idempotencyKey: c.key, status: 'rejected', reason: { code: 'RECORD_INVALID', message: 'value out of range', path: '/record/value' } },
          { idempotencyKey: a.key, status: 'accepted', remoteId: 'R-1' },
          { idempotencyKey: b.key, status: 'duplicate', remoteId: 'R-2' },
        ],
      });
    const out = await restPortalSink.push(makeCtx(config), items);
    assert.deepEqual(seenBody, {
      items: items.map((i) => ({
        idempotencyKey: i.key, recordId: i.recordId, entityType: i.entityType, schoolId: i.schoolId,
        revision: i.revision, status: i.status, record: i.payload,
      })),
    });
    assert.deepEqual(out[0], { deliveryId: a.deliveryId, status: 'delivered', remoteRef: 'R-1' });
    assert.deepEqual(out[1], { deliveryId: b.deliveryId, status: 'delivered', remoteRef: 'R-2', duplicate: true });
    const err = failed(out[2]);
    assert.equal(out[2]?.deliveryId, c.deliveryId);
    assert.equal(err.code, 'GW_SINK_REJECTED');
    assert.equal(err.errorClass, 'invalid_data');
    assert.deepEqual(err.issues, [{ path: '/record/value', message: 'value out of range' }]);
  });

  const statusTable: [number, string | undefined, ErrorCode, string][] = [
    [400, 'BATCH_MALFORMED', 'GW_SINK_PROTOCOL', 'permanent'],
    [401, 'UNAUTHORIZED', 'GW_SINK_AUTH_FAILED', 'permanent'],
    [403, 'FORBIDDEN', 'GW_SINK_AUTH_FAILED', 'permanent'],
    [404, 'NOT_FOUND', 'GW_SINK_PROTOCOL', 'permanent'],
    [408, undefined, 'GW_SINK_TIMEOUT', 'retryable'],
    [409, 'REQUEST_IN_PROGRESS', 'GW_SINK_UNAVAILABLE', 'retryable'],
    [409, 'CONFLICT', 'GW_SINK_PROTOCOL', 'permanent'],
    [413, 'BATCH_TOO_LARGE', 'GW_SINK_PROTOCOL', 'permanent'],
    [418, undefined, 'GW_SINK_PROTOCOL', 'permanent'],
    [422, 'BATCH_MALFORMED', 'GW_SINK_PROTOCOL', 'permanent'],
    [429, 'RATE_LIMITED', 'GW_SINK_RATE_LIMITED', 'retryable'],
    [500, undefined, 'GW_SINK_UNAVAILABLE', 'retryable'],
    [502, undefined, 'GW_SINK_UNAVAILABLE', 'retryable'],
    [503, 'UNAVAILABLE', 'GW_SINK_UNAVAILABLE', 'retryable'],
    [504, undefined, 'GW_SINK_UNAVAILABLE', 'retryable'],
    [201, undefined, 'GW_SINK_PROTOCOL', 'permanent'],
  ];
  for (const [status, portalCode, code, cls] of statusTable) {
    it(`HTTP ${status}${portalCode ? ` ${portalCode}` : ''} → throws ${code} (${cls}), one attempt only`, async () => {
      const body = portalCode ? { error: { code: portalCode, message: 'm' } } : 'plain text';
      const e = await pushRejects(status, { body });
      assert.equal(e.code, code);
      assert.equal(e.errorClass, cls);
      assert.equal(e.opts.httpStatus, status);
    });
  }

  it('429 Retry-After in seconds sets retryAfterMs', async () => {
    const e = await pushRejects(429, { headers: { 'Retry-After': '7' } });
    assert.equal(e.code, 'GW_SINK_RATE_LIMITED');
    assert.equal(e.retryAfterMs, 7000);
  });

  it('429 Retry-After as an HTTP date is measured from the injected clock', async () => {
    const at = new Date(NOW.getTime() + 90_000).toUTCString();
    const e = await pushRejects(429, { headers: { 'Retry-After': at } });
    assert.equal(e.retryAfterMs, 90_000);
  });

  it('an unparseable Retry-After is ignored, and 503 carries one too', async () => {
    assert.equal((await pushRejects(429, { headers: { 'Retry-After': 'soon' } })).retryAfterMs, undefined);
    assert.equal((await pushRejects(503, { headers: { 'Retry-After': '12' } })).retryAfterMs, 12_000);
  });

  it('a whole-batch error body passes its issues on', async () => {
    const e = await pushRejects(400, {
      body: { error: { code: 'BATCH_MALFORMED', message: 'bad', issues: [{ path: '/items/0/revision', message: 'integer' }] } },
    });
    assert.deepEqual(e.issues, [{ path: '/items/0/revision', message: 'integer' }]);
    assert.doesNotMatch(e.message, /t0k-secret/);
  });

  it('an item with no result fails alone with GW_SINK_PROTOCOL', async () => {
    const items = makeItems(3);
    nock(BASE).post(BATCH).reply(200, { results: [{ idempotencyKey: items[0]!.key, status: 'accepted' }] });
    const out = await restPortalSink.push(makeCtx(config), items);
    assert.equal(out.length, 3);
    assert.equal(out[0]?.status, 'delivered');
    assert.equal(failed(out[1]).code, 'GW_SINK_PROTOCOL');
    assert.equal(failed(out[2]).code, 'GW_SINK_PROTOCOL');
    assert.deepEqual(out.map((o) => o.deliveryId), items.map((i) => i.deliveryId));
  });

  it('stray, repeated, unknown-status and reason-less results are handled per item', async () => {
    const items = makeItems(3);
    nock(BASE).post(BATCH).reply(200, {
      results: [
        'garbage',
        { idempotencyKey: 'never-sent', status: 'accepted' },
        { idempotencyKey: items[0]!.key, status: 'accepted' },
        { idempotencyKey: items[0]!.key, status: 'rejected' },
        { idempotencyKey: items[1]!.key, status: 'queued' },
        { idempotencyKey: items[2]!.key, status: 'rejected' },
      ],
    });
    const out = await restPortalSink.push(makeCtx(config), items);
    assert.equal(out[0]?.status, 'delivered', 'first result for a key wins');
    assert.equal(failed(out[1]).code, 'GW_SINK_PROTOCOL');
    const rej = failed(out[2]);
    assert.equal(rej.code, 'GW_SINK_REJECTED');
    assert.deepEqual(rej.issues, [{ path: '', message: 'rejected without a reason' }]);
  });

  it('a TEMPORARILY_UNAVAILABLE item reason is retryable, not a rejection', async () => {
    const item = makeItem(1);
    nock(BASE).post(BATCH).reply(200, {
      results: [{ idempotencyKey: item.key, status: 'rejected', reason: { code: 'TEMPORARILY_UNAVAILABLE', message: 'locked' } }],
    });
    const e = failed((await restPortalSink.push(makeCtx(config), [item]))[0]);
    assert.equal(e.code, 'GW_SINK_UNAVAILABLE');
    assert.equal(e.errorClass, 'retryable');
  });

  for (const [what, body] of [
    ['not JSON', '<html>oops</html>'],
    ['an object without results', { ok: true }],
    ['results that is not an array', { results: { a: 1 } }],
    ['a JSON array', [1, 2]],
  ] as [string, nock.Body][]) {
    it(`a 200 body that is ${what} throws GW_SINK_PROTOCOL`, async () => {
      const e = await pushRejects(200, { body });
      assert.equal(e.code, 'GW_SINK_PROTOCOL');
    });
  }

  it('splits a batch larger than maxBatchSize and keeps outcome order', async () => {
    const items = makeItems(5);
    const seen: number[] = [];
    nock(BASE).post(BATCH).times(3).reply(200, (_uri, body) => {
      const sent = (body as { items: { idempotencyKey: string }[] }).items;
      seen.push(sent.length);
      return { results: sent.map((i) => ({ idempotencyKey: i.idempotencyKey, status: 'accepted' })) };
    });
    const out = await restPortalSink.push(makeCtx({ ...config, maxBatchSize: 2 }), items);
    assert.deepEqual(seen, [2, 2, 1]);
    assert.deepEqual(out.map((o) => o.deliveryId), items.map((i) => i.deliveryId));
  });

  it('an empty batch sends nothing', async () => {
    assert.deepEqual(await restPortalSink.push(makeCtx(config), []), []);
  });

  it('a timeout becomes GW_SINK_TIMEOUT and a reset GW_SINK_UNAVAILABLE', async () => {
    nock(BASE).post(BATCH).delay(400).reply(200, { results: [] });
    await assert.rejects(
      restPortalSink.push(makeCtx({ ...config, timeoutMs: 100 }), [makeItem(1)]),
      (e: GatewayError) => e.code === 'GW_SINK_TIMEOUT' && e.errorClass === 'retryable',
    );
    // A plain error: nock's `{code: 'ECONNRESET'}` object comes out of axios as ETIMEDOUT. A real reset is
    // covered by the simulator's drop-connection test.
    nock(BASE).post(BATCH).replyWithError('socket hang up');
    await assert.rejects(
      restPortalSink.push(makeCtx(config), [makeItem(2)]),
      (e: GatewayError) => e.code === 'GW_SINK_UNAVAILABLE' && e.errorClass === 'retryable',
    );
  });

  describe('with a fake HTTP client', () => {
    function fakeHttp(behave: (req: HttpRequest) => Promise<HttpResponse>): HttpClient & { seen: HttpRequest[] } {
      const seen: HttpRequest[] = [];
      return {
        seen,
        request: async <T>(req: HttpRequest) => { seen.push(req); return (await behave(req)) as HttpResponse<T>; },
      };
    }

    it('asks for one attempt, text, the configured timeout, and never logs the token in the path template', async () => {
      const item = makeItem(1);
      const http = fakeHttp(async () => ({
        status: 200, headers: {}, attempts: 1,
        data: JSON.stringify({ results: [{ idempotencyKey: item.key, status: 'accepted' }] }),
      }));
      await restPortalSink.push(makeCtx({ ...config, timeoutMs: 1234 }, { http }), [item]);
      const req = http.seen[0];
      assert.equal(req?.maxAttempts, 1);
      assert.equal(req?.responseType, 'text');
      assert.equal(req?.timeoutMs, 1234);
      assert.equal(req?.url, `${BASE}${BATCH}`);
      assert.equal(req?.pathTemplate, BATCH);
      assert.equal(req?.headers?.Authorization, 'Bearer t0k-secret');
    });

    const transport: [ErrorCode, ErrorCode][] = [
      ['GW_SRC_NETWORK', 'GW_SINK_UNAVAILABLE'],
      ['GW_SRC_TIMEOUT', 'GW_SINK_TIMEOUT'],
      ['GW_SINK_TIMEOUT', 'GW_SINK_TIMEOUT'],
    ];
    for (const [thrown, expected] of transport) {
      it(`maps a thrown ${thrown} to ${expected}`, async () => {
        const http = fakeHttp(async () => { throw new GatewayError(thrown, 'x'); });
        await assert.rejects(restPortalSink.push(makeCtx(config, { http }), [makeItem(1)]), (e: GatewayError) => e.code === expected);
        const res = await restPortalSink.check(makeCtx(config, { http }));
        assert.ok(!res.ok && res.error.code === expected);
      });
    }

    it('a non-gateway throw from the client is GW_INTERNAL, not dressed up as retryable', async () => {
      const http = fakeHttp(async () => { throw new TypeError('bug'); });
      await assert.rejects(restPortalSink.push(makeCtx(config, { http }), [makeItem(1)]), (e: GatewayError) => e.code === 'GW_INTERNAL');
    });

    it('stops between requests once the run is aborted', async () => {
      const ac = new AbortController();
      const http = fakeHttp(async (req) => {
        ac.abort();
        const sent = (req.body as { items: { idempotencyKey: string }[] }).items;
        return { status: 200, headers: {}, attempts: 1, data: { results: sent.map((i) => ({ idempotencyKey: i.idempotencyKey, status: 'accepted' })) } };
      });
      await assert.rejects(
        restPortalSink.push(makeCtx({ ...config, maxBatchSize: 1 }, { http, signal: ac.signal }), makeItems(3)),
        (e: GatewayError) => e.code === 'GW_SINK_UNAVAILABLE',
      );
      assert.equal(http.seen.length, 1);
    });
  });

  describe('check', () => {
    it('GET /api/v1/health with the token → ok with the portal version', async () => {
      nock(BASE, { reqheaders: { authorization: 'Bearer t0k-secret' } })
        .get('/api/v1/health').reply(200, { status: 'ok', version: '2.1' });
      assert.deepEqual(await restPortalSink.check(makeCtx(config)), { ok: true, details: { portalVersion: '2.1' } });
    });

    it('401 and 403 are permanent GW_SINK_AUTH_FAILED', async () => {
      for (const status of [401, 403]) {
        nock(BASE).get('/api/v1/health').reply(status, { error: { code: 'UNAUTHORIZED', message: 'no' } });
        const res = await restPortalSink.check(makeCtx(config));
        assert.ok(!res.ok);
        assert.equal(res.error.code, 'GW_SINK_AUTH_FAILED');
        assert.equal(res.error.errorClass, 'permanent');
      }
    });

    it('503 is a retryable failure, not ok', async () => {
      nock(BASE).get('/api/v1/health').reply(503);
      const res = await restPortalSink.check(makeCtx(config));
      assert.ok(!res.ok && res.error.errorClass === 'retryable');
    });
  });
});
