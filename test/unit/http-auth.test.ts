import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { actorForToken, createTokenVerifier, parseBearer, tokenFingerprint } from '../../src/http/auth';
import { PROBLEM_CONTENT_TYPE } from '../../src/http/error-handler';
import { concretePath, delivery, harness, listAppRoutes, OTHER_TOKEN, TOKEN, type Harness } from './http-kit.test';

const PROBLEM_KEYS = ['actor', 'code', 'detail', 'issues', 'remedy', 'status', 'title', 'type'];

function seed(h: Harness): void {
  // Data that would show up in an answer if auth leaked.
  h.ledger.deliveries = [delivery(1, 'dead')];
  h.runtime.list = [{ schoolId: 'school-1', schoolName: 'Школа № 1', sourceInstance: 'netschool', adapter: 'netschool-source', running: false, healthy: true }];
}

function apiRoutes(h: Harness): Array<{ method: 'get' | 'post'; path: string }> {
  return listAppRoutes(h.app)
    .filter((r) => r.path.startsWith('/api/'))
    .map((r) => ({ method: r.method.toLowerCase() as 'get' | 'post', path: concretePath(r.path) }));
}

function assertUnauthorized(res: request.Response, what: string): void {
  assert.equal(res.status, 401, what);
  assert.match(String(res.headers['content-type']), new RegExp(`^${PROBLEM_CONTENT_TYPE.replace('+', '\\+')}`), what);
  assert.equal(res.headers['www-authenticate'], 'Bearer realm="diary-gateway"');
  const body = JSON.parse(res.text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), PROBLEM_KEYS, what);
  assert.equal(body['code'], 'GW_API_UNAUTHORIZED');
  assert.equal(body['actor'], 'gateway_operator');
  assert.doesNotMatch(res.text, /school-1|Школа|rec-1|portal|netschool/, `${what}: no data in the answer`);
}

describe('http auth', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
    seed(h);
  });

  it('finds the API routes to check (guards the loops below)', () => {
    assert.equal(apiRoutes(h).length, 23);
  });

  it('answers 401 problem+json with no data to every /api/ route without a token', async () => {
    for (const r of apiRoutes(h)) {
      const res = await request(h.app)[r.method](r.path).send(r.method === 'post' ? { state: 'dead' } : undefined);
      assertUnauthorized(res, `${r.method} ${r.path}`);
    }
    assert.equal(h.ledger.calls.length, 0, 'the ledger was not touched');
  });

  it('answers 401 to a wrong token, a wrong scheme and an empty bearer', async () => {
    const headers = [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, 'Bearer ', TOKEN, `Bearer ${TOKEN} extra`];
    for (const r of apiRoutes(h)) {
      for (const auth of headers) {
        const res = await request(h.app)[r.method](r.path).set('Authorization', auth);
        assertUnauthorized(res, `${r.method} ${r.path} with "${auth.slice(0, 6)}…"`);
      }
    }
    assert.equal(h.ledger.calls.length, 0);
  });

  it('answers 401 before 404 on unknown /api/ paths, including case variants', async () => {
    for (const path of ['/api', '/api/', '/api/v1', '/api/v1/nope', '/api/v2/schools', '/API/v1/deliveries', '/api/v1/deliveries/1/nope']) {
      assertUnauthorized(await request(h.app).get(path), `GET ${path}`);
      assertUnauthorized(await request(h.app).delete(path).set('Authorization', 'Bearer wrong'), `DELETE ${path}`);
    }
    const known = await request(h.app).get('/api/v1/nope').set('Authorization', `Bearer ${TOKEN}`);
    assert.equal(known.status, 404);
    assert.equal(known.body.code, 'GW_API_NOT_FOUND');
  });

  it('does not parse the body of an unauthenticated replay', async () => {
    const res = await request(h.app).post('/api/v1/deliveries/replay').set('Content-Type', 'application/json').send('{not json');
    assertUnauthorized(res, 'bad JSON without token');
  });

  it('accepts each configured token, with any case of the scheme', async () => {
    for (const auth of [`Bearer ${TOKEN}`, `bearer ${OTHER_TOKEN}`, `BEARER  ${TOKEN}`]) {
      const res = await request(h.app).get('/api/v1/deliveries').set('Authorization', auth);
      assert.equal(res.status, 200, auth.slice(0, 8));
      assert.equal(res.body.items[0].id, 1);
      assert.equal(res.headers['cache-control'], 'no-store');
    }
  });

  it('answers 200 to every GET /api/ route with the right token', async () => {
    h.ledger.holds = [{
      id: 1, schoolId: 'school-1', sourceInstance: 'netschool', entityType: 'mark', state: 'pending', baseline: 40, deletes: 5, changes: 0,
      reason: 'too many deletions', runIds: ['r1'], createdAt: '2025-03-01T10:00:00.000Z', updatedAt: '2025-03-01T10:00:00.000Z',
    }];
    h.ledger.quarantine = [{
      id: 1, schoolId: 'school-1', sourceInstance: 'netschool', stream: 'marks', sourceId: 'm1', errorCode: 'GW_RECORD_INVALID',
      message: 'invalid', issues: [], raw: {}, runId: 'r1', firstSeenAt: '2025-03-01T10:00:00.000Z', lastSeenAt: '2025-03-01T10:00:00.000Z', seenCount: 1,
    }];
    // The SLA routes answer 404 without a configured engine (this harness has none); sla-routes tests cover them.
    for (const r of apiRoutes(h).filter((x) => x.method === 'get' && !x.path.startsWith('/api/v1/sla/'))) {
      const res = await request(h.app).get(r.path).set('Authorization', `Bearer ${TOKEN}`);
      assert.equal(res.status, 200, `${r.path}: ${res.text}`);
      assert.match(String(res.headers['content-type']), /^application\/json/);
    }
  });

  it('denies everyone when no token is configured', async () => {
    const empty = harness({ tokens: ['', '   '] });
    for (const auth of ['Bearer ', 'Bearer x', `Bearer ${TOKEN}`]) {
      assertUnauthorized(await request(empty.app).get('/api/v1/stats').set('Authorization', auth), auth);
    }
  });

  it('protects /metrics only when metricsAuth is set', async () => {
    assert.equal((await request(h.app).get('/metrics')).status, 200);
    const locked = harness({ metricsAuth: true });
    assertUnauthorized(await request(locked.app).get('/metrics'), '/metrics');
    const ok = await request(locked.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    assert.equal(ok.status, 200);
  });

  it('never logs the token or the body', async () => {
    await request(h.app).post('/api/v1/deliveries/replay').set('Authorization', `Bearer ${TOKEN}`).send({ schoolId: 'secret-school-x' });
    await request(h.app).get('/api/v1/deliveries?school=secret-school-y').set('Authorization', `Bearer ${TOKEN}x`);
    const text = JSON.stringify(h.log.lines);
    assert.ok(h.log.lines.length >= 2);
    for (const needle of [TOKEN, 'secret-school', tokenFingerprint(TOKEN)]) assert.ok(!text.includes(needle), needle);
    assert.deepEqual(h.log.lines.map((l) => l.meta?.['route']), ['/api/v1/deliveries/replay', '/api/*']);
    assert.deepEqual(h.log.lines.map((l) => l.meta?.['status']), [200, 401]);
    assert.deepEqual(Object.keys(h.log.lines[0]?.meta ?? {}).sort(), ['durationMs', 'method', 'route', 'status']);
  });
});

describe('http auth helpers', () => {
  it('parses bearer headers strictly', () => {
    assert.equal(parseBearer('Bearer abc'), 'abc');
    assert.equal(parseBearer('bearer\tabc '), 'abc');
    assert.equal(parseBearer('Bearer a b'), undefined);
    assert.equal(parseBearer('Basic abc'), undefined);
    assert.equal(parseBearer(undefined), undefined);
  });

  it('verifies against every configured token and ignores empty ones', () => {
    const verify = createTokenVerifier(['one', '', 'two']);
    assert.equal(verify('one'), true);
    assert.equal(verify('two'), true);
    assert.equal(verify(''), false);
    assert.equal(verify('three'), false);
    assert.equal(createTokenVerifier([])('anything'), false);
  });

  it('names the actor by the first 8 hex chars of sha256(token)', () => {
    const expected = createHash('sha256').update(TOKEN).digest('hex').slice(0, 8);
    assert.equal(actorForToken(TOKEN), `admin-api:${expected}`);
  });
});
