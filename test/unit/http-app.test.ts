import assert from 'node:assert/strict';
import request from 'supertest';
import { GatewayError } from '../../src/core/errors';
import { actorForToken } from '../../src/http/auth';
import { delivery, FROZEN_NOW, harness, TOKEN, type Harness } from './http-kit.test';

const AUTH = `Bearer ${TOKEN}`;
const NOW = FROZEN_NOW.toISOString();

function get(h: Harness, path: string): request.Test {
  return request(h.app).get(path).set('Authorization', AUTH);
}

function post(h: Harness, path: string, body?: unknown): request.Test {
  const t = request(h.app).post(path).set('Authorization', AUTH);
  return body === undefined ? t : t.send(body as object);
}

function assertBadRequest(res: request.Response, paths: string[]): void {
  assert.equal(res.status, 400, res.text);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(res.body.code, 'GW_API_BAD_REQUEST');
  assert.equal(res.body.type, 'urn:diary-gateway:error:GW_API_BAD_REQUEST');
  assert.equal(res.body.status, 400);
  assert.equal(res.body.remedy, 'Fix the parameters listed in `issues`.');
  assert.deepEqual(res.body.issues.map((i: { path: string }) => i.path).sort(), [...paths].sort());
}

describe('http app: probes and metrics', () => {
  it('GET /healthz is alive without auth', async () => {
    const res = await request(harness().app).get('/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
  });

  it('GET /readyz follows runtime.ready() and survives it throwing', async () => {
    const h = harness();
    assert.equal((await request(h.app).get('/readyz')).status, 200);
    h.runtime.isReady = false;
    const res = await request(h.app).get('/readyz');
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, { status: 'not_ready' });
    h.runtime.ready = () => { throw new Error('boom'); };
    assert.equal((await request(h.app).get('/readyz')).status, 503);
  });

  it('GET /metrics serves Prometheus text with the gateway metrics and ledger gauges', async () => {
    const h = harness();
    h.ledger.stats_ = { ...h.ledger.stats_, records: 42, quarantineOpen: 3, oldestPendingAt: '2025-03-01T11:59:00.000Z' };
    h.ledger.stats_.deliveries.dead = 5;
    h.deps.metrics.deliveries.inc({ sink: 'portal', outcome: 'delivered' });
    const res = await request(h.app).get('/metrics');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    for (const line of [
      'diary_gateway_deliveries{state="dead"} 5',
      'diary_gateway_records_total 42',
      'diary_gateway_quarantine_open 3',
      'diary_gateway_oldest_pending_age_seconds 60',
      'diary_gateway_ledger_up 1',
      'diary_gateway_delivery_outcomes_total{sink="portal",outcome="delivered"} 1',
    ]) assert.ok(res.text.split('\n').includes(line), line);
    for (const name of ['diary_gateway_records_in_total', 'diary_gateway_runs_total', 'diary_gateway_run_duration_seconds']) {
      assert.match(res.text, new RegExp(`# TYPE ${name} `));
    }
  });
});

describe('http app: API answers', () => {
  let h: Harness;
  beforeEach(() => { h = harness(); });

  it('GET /schools merges runtime status, last run, counts and cursors per source', async () => {
    const lastError = new GatewayError('GW_SRC_AUTH_FAILED', 'journal refused login').toJSON();
    h.runtime.list = [
      { schoolId: 's1', schoolName: 'Гимназия № 5', sourceInstance: 'netschool', adapter: 'netschool-source', schedule: '*/15 * * * *', nextRunAt: '2025-03-01T12:15:00.000Z', running: true, healthy: true },
      { schoolId: 's1', sourceInstance: 'eljur', adapter: 'eljur-source', running: false, healthy: false, lastError },
      { schoolId: 's2', sourceInstance: 'netschool', adapter: 'netschool-source', running: false, healthy: true },
    ];
    const counts = { read: 10, inserted: 4, updated: 1, unchanged: 5, quarantined: 0, enqueued: 5 };
    h.ledger.runs = [{ runId: 'r1', schoolId: 's1', sourceInstance: 'netschool', trigger: 'schedule', startedAt: '2025-03-01T11:45:00.000Z', finishedAt: '2025-03-01T11:46:00.000Z', status: 'ok', counts }];
    h.ledger.cursors = [
      { schoolId: 's1', sourceInstance: 'netschool', stream: 'marks', cursor: { v: 1, position: '2025-03-01T11:45:00Z' }, updatedAt: '2025-03-01T11:46:00.000Z' },
      { schoolId: 's2', sourceInstance: 'netschool', stream: 'marks', cursor: { v: 1, position: 'p2' }, updatedAt: '2025-03-01T11:46:00.000Z' },
    ];
    const res = await get(h, '/api/v1/schools');
    assert.equal(res.status, 200);
    const [s1, s2] = res.body.items;
    assert.equal(res.body.items.length, 2);
    assert.deepEqual([s1.schoolId, s1.schoolName, s1.healthy, s1.running], ['s1', 'Гимназия № 5', false, true]);
    const [ns, ej] = s1.sources;
    assert.equal(ns.lastRun.runId, 'r1');
    assert.deepEqual(ns.counts, counts);
    assert.equal(ns.nextRunAt, '2025-03-01T12:15:00.000Z');
    assert.deepEqual(ns.cursors, [{ stream: 'marks', cursor: { v: 1, position: '2025-03-01T11:45:00Z' }, updatedAt: '2025-03-01T11:46:00.000Z' }]);
    assert.equal(ej.lastRun, null);
    assert.deepEqual(ej.cursors, []);
    assert.equal(ej.lastError.remedy, lastError.remedy);
    assert.equal(ej.lastError.actor, 'school_it');
    assert.deepEqual(s2.sources[0].cursors.map((c: { cursor: { position: string } }) => c.cursor.position), ['p2']);
    assert.deepEqual(h.ledger.callsOf('listRuns')[0], [{ schoolId: 's1', sourceInstance: 'netschool', limit: 1 }]);
  });

  it('GET /schools/:schoolId answers one school, or 404 GW_SCHOOL_UNKNOWN', async () => {
    h.runtime.list = [{ schoolId: 's1', sourceInstance: 'netschool', adapter: 'netschool-source', running: false, healthy: true }];
    const ok = await get(h, '/api/v1/schools/s1');
    assert.equal(ok.status, 200);
    assert.equal(ok.body.schoolId, 's1');
    assert.deepEqual(h.ledger.callsOf('listCursors'), [['s1']]);
    const missing = await get(h, '/api/v1/schools/s9');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'GW_SCHOOL_UNKNOWN');
  });

  it('GET /deliveries passes validated filters and paging to the ledger', async () => {
    const res = await get(h, '/api/v1/deliveries?state=dead&sink=portal&school=s1&from=2025-02-01&to=2025-03-01T15:00:00%2B03:00&limit=10&offset=20');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { items: [], limit: 10, offset: 20 });
    assert.deepEqual(h.ledger.callsOf('listDeliveries'), [[{
      state: 'dead', sinkId: 'portal', schoolId: 's1', from: '2025-02-01T00:00:00.000Z', to: '2025-03-01T12:00:00.000Z', limit: 10, offset: 20,
    }]]);
    await get(h, '/api/v1/deliveries');
    assert.deepEqual(h.ledger.callsOf('listDeliveries')[1], [{ limit: 100, offset: 0 }]);
  });

  it('rejects bad query values with 400 and one issue per parameter, before touching the ledger', async () => {
    assertBadRequest(await get(h, '/api/v1/deliveries?state=lost&limit=0&offset=-1&from=yesterday'), ['/query/state', '/query/limit', '/query/offset', '/query/from']);
    assertBadRequest(await get(h, '/api/v1/deliveries?limit=1001'), ['/query/limit']);
    assertBadRequest(await get(h, '/api/v1/deliveries?limit=1.5'), ['/query/limit']);
    assertBadRequest(await get(h, '/api/v1/deliveries?state=dead&state=rejected'), ['/query/state']);
    assertBadRequest(await get(h, '/api/v1/deliveries?from=2025-03-02&to=2025-03-01'), ['/query/to']);
    assertBadRequest(await get(h, '/api/v1/deliveries?stat=dead'), ['/query/stat']);
    assertBadRequest(await get(h, '/api/v1/quarantine?includeResolved=maybe'), ['/query/includeResolved']);
    assertBadRequest(await get(h, '/api/v1/runs?limit=x&school='), ['/query/limit', '/query/school']);
    assertBadRequest(await get(h, '/api/v1/stats?verbose=1'), ['/query/verbose']);
    assertBadRequest(await get(h, '/api/v1/deliveries/abc'), ['/params/id']);
    assertBadRequest(await get(h, '/api/v1/quarantine/0'), ['/params/id']);
    assert.equal(h.ledger.calls.length, 0);
  });

  it('GET /deliveries/:id answers the attempt log, or 404', async () => {
    h.ledger.deliveries = [delivery(7, 'dead')];
    const res = await get(h, '/api/v1/deliveries/7');
    assert.equal(res.status, 200);
    assert.equal(res.body.attemptLog[0].errorCode, 'GW_SINK_UNAVAILABLE');
    const missing = await get(h, '/api/v1/deliveries/8');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'GW_API_NOT_FOUND');
  });

  it('lists quarantine without raw records; the single entry has it', async () => {
    h.ledger.quarantine = [{
      id: 3, schoolId: 's1', sourceInstance: 'netschool', stream: 'marks', sourceId: 'm3', errorCode: 'GW_RECORD_INVALID',
      message: 'invalid', issues: [{ path: '/value', message: 'must be number' }], raw: { student: 'Иванов Иван' }, runId: 'r1',
      firstSeenAt: '2025-03-01T10:00:00.000Z', lastSeenAt: '2025-03-01T11:00:00.000Z', seenCount: 2,
    }];
    const list = await get(h, '/api/v1/quarantine?school=s1&includeResolved=true&limit=5');
    assert.equal(list.status, 200);
    assert.equal(list.body.items[0].id, 3);
    assert.ok(!('raw' in list.body.items[0]));
    assert.ok(!list.text.includes('Иванов'));
    assert.deepEqual(h.ledger.callsOf('listQuarantine'), [[{ schoolId: 's1', includeResolved: true, limit: 5, offset: 0 }]]);
    const one = await get(h, '/api/v1/quarantine/3');
    assert.deepEqual(one.body.raw, { student: 'Иванов Иван' });
    assert.equal((await get(h, '/api/v1/quarantine/4')).status, 404);
  });

  it('GET /runs and GET /stats', async () => {
    await get(h, '/api/v1/runs?school=s1&source=netschool&limit=3');
    await get(h, '/api/v1/runs');
    assert.deepEqual(h.ledger.callsOf('listRuns'), [[{ schoolId: 's1', sourceInstance: 'netschool', limit: 3 }], [{ limit: 20 }]]);
    h.ledger.stats_ = { ...h.ledger.stats_, records: 9, oldestPendingAt: '2025-03-01T11:00:00.000Z' };
    const stats = await get(h, '/api/v1/stats');
    assert.equal(stats.body.records, 9);
    assert.equal(stats.body.oldestPendingAgeSeconds, 3600);
  });
});

describe('http app: replay', () => {
  let h: Harness;
  beforeEach(() => { h = harness(); });

  it('POST /deliveries/:id/replay replays one dead delivery as the token actor', async () => {
    h.ledger.deliveries = [delivery(5, 'dead')];
    h.ledger.replayResult = { replayed: 1, superseded: 0 };
    const res = await post(h, '/api/v1/deliveries/5/replay');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { replayed: 1, superseded: 0 });
    assert.deepEqual(h.ledger.callsOf('replayDeliveries'), [[{ ids: [5] }, actorForToken(TOKEN), NOW]]);
  });

  it('refuses to replay a delivery that is not dead or rejected, and 404s a missing one', async () => {
    h.ledger.deliveries = [delivery(5, 'delivered')];
    assertBadRequest(await post(h, '/api/v1/deliveries/5/replay'), ['/params/id']);
    assert.equal((await post(h, '/api/v1/deliveries/6/replay')).status, 404);
    assert.equal(h.ledger.callsOf('replayDeliveries').length, 0);
  });

  it('POST /deliveries/replay passes the filter, defaulting state to dead', async () => {
    h.ledger.replayResult = { replayed: 3, superseded: 1 };
    const res = await post(h, '/api/v1/deliveries/replay', { sinkId: 'portal', schoolId: 's1', from: '2025-02-01T00:00:00Z' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { replayed: 3, superseded: 1 });
    await post(h, '/api/v1/deliveries/replay', { state: 'rejected' });
    assert.deepEqual(h.ledger.callsOf('replayDeliveries'), [
      [{ state: 'dead', sinkId: 'portal', schoolId: 's1', from: '2025-02-01T00:00:00.000Z' }, actorForToken(TOKEN), NOW],
      [{ state: 'rejected' }, actorForToken(TOKEN), NOW],
    ]);
  });

  it('refuses a replay without filters, with bad members, or without a JSON body', async () => {
    assertBadRequest(await post(h, '/api/v1/deliveries/replay', {}), ['/body']);
    assertBadRequest(await post(h, '/api/v1/deliveries/replay'), ['/body']);
    assertBadRequest(await post(h, '/api/v1/deliveries/replay', { state: 'pending', sinkId: 7, all: true }), ['/body/state', '/body/sinkId', '/body/all']);
    assertBadRequest(await post(h, '/api/v1/deliveries/replay', [1]), ['/body']);
    const bad = await post(h, '/api/v1/deliveries/replay').set('Content-Type', 'application/json').send('{"state": "dead", ИВАНОВ');
    assertBadRequest(bad, ['/body']);
    assert.ok(!bad.text.includes('ИВАНОВ'), 'the body is not echoed');
    assert.equal(h.ledger.callsOf('replayDeliveries').length, 0);
  });
});

describe('http app: errors', () => {
  it('maps ledger GatewayErrors to their catalog status and hides internal errors', async () => {
    const h = harness();
    h.ledger.failStats = true;
    const busy = await get(h, '/api/v1/stats');
    assert.equal(busy.status, 503);
    assert.equal(busy.body.code, 'GW_LEDGER_BUSY');
    h.ledger.listRuns = async () => { throw new Error('SQLITE_CORRUPT near "Иванов"'); };
    const res = await get(h, '/api/v1/runs');
    assert.equal(res.status, 500);
    assert.equal(res.body.code, 'GW_INTERNAL');
    assert.equal(res.body.actor, 'developer');
    assert.ok(!res.text.includes('Иванов'));
    assert.ok(h.log.lines.some((l) => l.level === 'error' && l.meta?.['code'] === 'GW_INTERNAL'));
  });

  it('answers unknown non-API paths with 404 problem+json', async () => {
    const res = await request(harness().app).get('/nope');
    assert.equal(res.status, 404);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(JSON.parse(res.text).code, 'GW_API_NOT_FOUND');
  });
});
