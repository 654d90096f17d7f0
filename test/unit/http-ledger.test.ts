/**
 * The admin API over the real SQLite ledger (a file in a tmp dir): data written through the
 * Ledger contract is read, replayed and counted through HTTP, and every answer matches the
 * OpenAPI schemas.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { DeliveryItem } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import type { Ledger, PreparedRecord } from '../../src/core/ledger';
import { createApp } from '../../src/http/app';
import { actorForToken } from '../../src/http/auth';
import { createMetrics } from '../../src/infra/metrics';
import { openLedger } from '../../src/ledger';
import { FakeRuntime, FROZEN_NOW, TOKEN } from './http-kit.test';
import { assertMatchesSchema } from './http-openapi.test';

const AUTH = `Bearer ${TOKEN}`;
const T0 = '2025-03-01T10:00:00.000Z';
const T1 = '2025-03-01T10:01:00.000Z';

function mark(n: number): PreparedRecord {
  const id = `00000000-0000-5000-8000-00000000000${n}`;
  const body = { id, entityType: 'mark', schoolId: 's1', sourceId: `m${n}`, value: n };
  return {
    id, entityType: 'mark', schoolId: 's1', sourceSystem: 'netschool', sourceId: `m${n}`, status: 'active',
    contentHash: `hash-${n}`, dateLastModified: T0, body: JSON.stringify(body),
  };
}

async function seed(ledger: Ledger): Promise<void> {
  await ledger.startRun({ runId: 'r1', schoolId: 's1', sourceInstance: 'netschool', trigger: 'manual', startedAt: T0 });
  const counts = await ledger.ingest({
    runId: 'r1', schoolId: 's1', sourceInstance: 'netschool', stream: 'marks', now: T0,
    records: [mark(1), mark(2), mark(3)],
    quarantine: [{ stream: 'marks', sourceId: 'm9', entityType: 'mark', errorCode: 'GW_RECORD_INVALID', message: 'value out of range',
      issues: [{ path: '/value', message: 'must be <= 5' }], raw: { pupil: 'Петров Пётр', value: 9 } }],
    checkpoint: { v: 1, position: '2025-03-01T09:59:00Z' },
    routes: [{ sinkId: 'portal', maxAttempts: 1 }],
  });
  assert.equal(counts.enqueued, 3);
  await ledger.finishRun('r1', { finishedAt: T1, status: 'partial', counts: { read: 4, inserted: 3, updated: 0, unchanged: 0, quarantined: 1, enqueued: 3 } });
  const claimed = await ledger.claimDeliveries({ sinkId: 'portal', limit: 10, now: T1, leaseMs: 60_000, owner: 'test' });
  assert.equal(claimed.length, 3);
  const [a, b, c] = claimed as [DeliveryItem, DeliveryItem, DeliveryItem];
  await ledger.completeDeliveries([
    { deliveryId: a.deliveryId, attempt: a.attempt, to: 'dead', error: new GatewayError('GW_DELIVERY_EXHAUSTED', 'portal down').toJSON(), durationMs: 5 },
    { deliveryId: b.deliveryId, attempt: b.attempt, to: 'rejected', error: new GatewayError('GW_SINK_REJECTED', 'bad mark').toJSON(), durationMs: 5 },
    { deliveryId: c.deliveryId, attempt: c.attempt, to: 'delivered', remoteRef: 'R-1', durationMs: 5 },
  ], T1);
}

describe('http admin API over the SQLite ledger', () => {
  let dir: string;
  let ledger: Ledger;
  let app: ReturnType<typeof createApp>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-http-'));
    ledger = openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db') });
    await ledger.migrate();
    await seed(ledger);
    const runtime = new FakeRuntime();
    runtime.list = [{ schoolId: 's1', schoolName: 'Школа № 1', sourceInstance: 'netschool', adapter: 'netschool-source', running: false, healthy: true }];
    app = createApp({
      ledger, runtime, tokens: [TOKEN], now: () => FROZEN_NOW,
      metrics: createMetrics({ ledger, now: () => FROZEN_NOW, defaultMetrics: false }),
    });
  });

  afterEach(async () => {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string): request.Test => request(app).get(path).set('Authorization', AUTH);

  it('shows schools, runs, cursors, deliveries, quarantine and stats as documented', async () => {
    const schools = await get('/api/v1/schools');
    assertMatchesSchema('SchoolList', schools.body);
    const src = schools.body.items[0].sources[0];
    assert.equal(src.lastRun.runId, 'r1');
    assert.equal(src.lastRun.status, 'partial');
    assert.deepEqual(src.cursors.map((c: { stream: string }) => c.stream), ['marks']);

    const dead = await get('/api/v1/deliveries?state=dead&school=s1&sink=portal');
    assertMatchesSchema('DeliveryList', dead.body);
    assert.equal(dead.body.items.length, 1);
    assert.equal((await get('/api/v1/deliveries?limit=2')).body.items.length, 2);
    assert.equal((await get('/api/v1/deliveries?from=2025-03-01T10:00:01Z')).body.items.length, 0);

    const detail = await get(`/api/v1/deliveries/${dead.body.items[0].id}`);
    assertMatchesSchema('DeliveryDetail', detail.body);
    assert.ok(detail.body.attemptLog.some((a: { toState: string }) => a.toState === 'dead'));

    const q = await get('/api/v1/quarantine?school=s1');
    assertMatchesSchema('QuarantineList', q.body);
    assert.equal(q.body.items.length, 1);
    assert.ok(!q.text.includes('Петров'));
    const entry = await get(`/api/v1/quarantine/${q.body.items[0].id}`);
    assertMatchesSchema('QuarantineEntry', entry.body);
    assert.equal(entry.body.raw.pupil, 'Петров Пётр');

    assertMatchesSchema('RunList', (await get('/api/v1/runs?school=s1')).body);
    const stats = await get('/api/v1/stats');
    assertMatchesSchema('Stats', stats.body);
    assert.deepEqual([stats.body.records, stats.body.quarantineOpen, stats.body.deliveries.dead, stats.body.deliveries.rejected], [3, 1, 1, 1]);
  });

  it('replays one delivery and then by filter, recording the token actor in the attempt log', async () => {
    const [dead] = await ledger.listDeliveries({ state: 'dead' });
    assert.ok(dead);
    const one = await request(app).post(`/api/v1/deliveries/${dead.id}/replay`).set('Authorization', AUTH);
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.body, { replayed: 1, superseded: 0 });
    const after = await ledger.getDelivery(dead.id);
    assert.equal(after?.state, 'pending');
    assert.equal(after?.attemptLog.at(-1)?.actor, actorForToken(TOKEN));

    const again = await request(app).post(`/api/v1/deliveries/${dead.id}/replay`).set('Authorization', AUTH);
    assert.equal(again.status, 400, 'a pending delivery is not replayable');

    const bulk = await request(app).post('/api/v1/deliveries/replay').set('Authorization', AUTH).send({ state: 'rejected', sinkId: 'portal' });
    assert.deepEqual(bulk.body, { replayed: 1, superseded: 0 });
    assert.equal((await ledger.stats()).deliveries.pending, 2);
    const none = await request(app).post('/api/v1/deliveries/replay').set('Authorization', AUTH).send({ schoolId: 's1' });
    assert.deepEqual(none.body, { replayed: 0, superseded: 0 }, 'default state dead: nothing left');
  });

  it('lists a safety hold, approves it once (actor recorded), answers 409 to a second decision and 404 to an unknown hold', async () => {
    const policy = { enabled: true, deletePercent: 10, changePercent: 75, minRecords: 0 };
    const tomb = { ...mark(1), status: 'tobedeleted' as const, contentHash: 'hash-1-deleted' };
    await ledger.ingest({ runId: 'r2', schoolId: 's1', sourceInstance: 'netschool', stream: 'marks', now: T1, records: [tomb], quarantine: [], routes: [{ sinkId: 'portal', maxAttempts: 1 }], hold: policy });
    const { holds } = await ledger.settleRun('r2', policy, T1);
    assert.equal(holds.length, 1, 'one of three marks deleted (33%) is held');
    const list = await get('/api/v1/holds?state=pending&school=s1');
    assertMatchesSchema('HoldList', list.body);
    assert.equal(list.body.items[0].id, holds[0]?.id);
    assert.equal(list.body.items[0].deletes, 1);
    assertMatchesSchema('Stats', (await get('/api/v1/stats')).body);
    assert.equal((await get('/api/v1/stats')).body.holdsPending, 1);

    const ok = await request(app).post(`/api/v1/holds/${holds[0]?.id}/approve`).set('Authorization', AUTH);
    assert.equal(ok.status, 200, ok.text);
    assertMatchesSchema('Hold', ok.body);
    assert.deepEqual([ok.body.state, ok.body.applied, ok.body.decidedBy], ['approved', 1, actorForToken(TOKEN)]);
    assert.equal((await ledger.getRecord(mark(1).id))?.status, 'tobedeleted');
    const twice = await request(app).post(`/api/v1/holds/${holds[0]?.id}/reject`).set('Authorization', AUTH);
    assert.equal(twice.status, 409);
    assert.equal(twice.body.code, 'GW_HOLD_DECIDED');
    const unknown = await request(app).post('/api/v1/holds/999/approve').set('Authorization', AUTH);
    assert.equal(unknown.status, 404);
  });

  it('exports ledger gauges on /metrics', async () => {
    const res = await request(app).get('/metrics');
    const lines = res.text.split('\n');
    for (const l of ['diary_gateway_deliveries{state="dead"} 1', 'diary_gateway_deliveries{state="delivered"} 1',
      'diary_gateway_records_total 3', 'diary_gateway_quarantine_open 1', 'diary_gateway_holds_pending 0', 'diary_gateway_ledger_up 1',
      'diary_gateway_oldest_pending_age_seconds 0']) {
      assert.ok(lines.includes(l), l);
    }
  });
});
