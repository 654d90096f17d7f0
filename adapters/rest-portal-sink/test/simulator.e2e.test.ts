/**
 * The sink against its simulator over loopback: the protocol end to end, faults, and the
 * counters that prove "once and in order".
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import type { DeliveryItem, DeliveryOutcome } from '../../../src/core/adapter';
import { GatewayError } from '../../../src/core/errors';
import {
  batchIdempotencyKey,
  restPortalSimulator,
  restPortalSink,
  startRestPortalSimulator,
  type RestPortalConfig,
  type RestPortalSimulatorHandle,
  type RestPortalSimulatorOptions,
} from '../index';
import { makeCtx, makeItem, makeItems } from './helpers';
import { describeSinkContract } from '../../../test/contract/sink.contract';

function configOf(sim: RestPortalSimulatorHandle, over: Partial<RestPortalConfig> = {}): RestPortalConfig {
  return { baseUrl: sim.env.DIARY_SIM_PORTAL_URL as string, token: sim.env.DIARY_SIM_PORTAL_TOKEN as string, timeoutMs: 5000, ...over };
}

function delivered(out: DeliveryOutcome[]): DeliveryOutcome[] {
  return out.filter((o) => o.status === 'delivered');
}

async function pushError(sim: RestPortalSimulatorHandle, items: readonly DeliveryItem[], over: Partial<RestPortalConfig> = {}): Promise<GatewayError> {
  try {
    await restPortalSink.push(makeCtx(configOf(sim, over)), items);
  } catch (e) {
    assert.ok(e instanceof GatewayError, String(e));
    return e;
  }
  assert.fail('push did not throw');
}

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('rest-portal-sink against its simulator', () => {
  let sim: RestPortalSimulatorHandle;
  const start = async (opts: RestPortalSimulatorOptions = {}): Promise<RestPortalSimulatorHandle> => {
    sim = await startRestPortalSimulator({ token: 'sim-token-1', ...opts });
    return sim;
  };
  // Another suite may have left nock blocking the network; this one talks to loopback for real.
  before(() => nock.enableNetConnect());
  afterEach(async () => { await sim?.close(); });

  it('the factory starts a loopback server whose env reaches it', async () => {
    const h = await restPortalSimulator.start();
    try {
      assert.equal(restPortalSimulator.system, 'rest-portal');
      assert.match(h.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(h.env.DIARY_SIM_PORTAL_URL, h.url);
      assert.ok((h.env.DIARY_SIM_PORTAL_TOKEN ?? '').length >= 16, 'a generated token');
      assert.equal(h.credentials.token, h.env.DIARY_SIM_PORTAL_TOKEN);
      assert.ok(h.faultKinds.includes('custom'));
      const res = await restPortalSink.check(makeCtx({ baseUrl: h.env.DIARY_SIM_PORTAL_URL as string, token: h.env.DIARY_SIM_PORTAL_TOKEN as string }));
      assert.equal(res.ok, true);
    } finally {
      await h.close();
    }
  });

  it('a batch is accepted; a re-push of the same keys is all duplicate and applies nothing', async () => {
    await start();
    const items = makeItems(3);
    const first = await restPortalSink.push(makeCtx(configOf(sim)), items);
    assert.equal(delivered(first).length, 3);
    for (const o of first) assert.ok(o.status === 'delivered' && !o.duplicate && /^rp-/.test(o.remoteRef ?? ''));
    let st = sim.state();
    assert.deepEqual(st.counters, { applied: 3, duplicates: 0, rejected: 0, batches: 1, outOfOrder: 0, appliedTwice: 0 });
    assert.deepEqual(st.applied.map((a) => a.key), items.map((i) => i.key), 'arrival order');
    assert.deepEqual(Object.keys(st.applied[0]!).sort(), ['entityType', 'key', 'receivedAt', 'recordId', 'remoteId', 'revision', 'schoolId', 'status']);

    const again = await restPortalSink.push(makeCtx(configOf(sim)), items.map((i) => ({ ...i, attempt: 2 })));
    assert.deepEqual(
      again.map((o) => (o.status === 'delivered' ? [o.duplicate, o.remoteRef] : o.status)),
      first.map((o) => (o.status === 'delivered' ? [true, o.remoteRef] : o.status)),
    );
    st = sim.state();
    assert.equal(st.counters.applied, 3);
    assert.equal(st.counters.duplicates, 3);
    assert.equal(st.counters.appliedTwice, 0);
  });

  it('a rejected item comes back failed with its reason while the rest are delivered', async () => {
    await start();
    const items = [makeItem(1), makeItem(2, { recordId: '' }), makeItem(3)];
    const out = await restPortalSink.push(makeCtx(configOf(sim)), items);
    assert.equal(out[0]?.status, 'delivered');
    assert.equal(out[2]?.status, 'delivered');
    const bad = out[1];
    assert.ok(bad?.status === 'failed');
    assert.equal(bad.error.code, 'GW_SINK_REJECTED');
    assert.equal(bad.error.errorClass, 'invalid_data');
    assert.deepEqual(bad.error.issues, [{ path: '/recordId', message: 'recordId is required' }]);
    assert.equal(sim.state().counters.rejected, 1);
    assert.equal(sim.state().counters.applied, 2);
  });

  it('refuses configured entity types, and reject-entity:<type> until cleared', async () => {
    await start({ refuseEntities: ['message'] });
    const out1 = await restPortalSink.push(makeCtx(configOf(sim)), [makeItem(1, { entityType: 'message' }), makeItem(2)]);
    assert.ok(out1[0]?.status === 'failed' && out1[0].error.issues[0]?.path === '/entityType');
    assert.equal(out1[1]?.status, 'delivered');

    sim.inject({ kind: 'custom', name: 'reject-entity:attendance_event' });
    const att = makeItem(3, { entityType: 'attendance_event' });
    for (let i = 0; i < 2; i++) {
      const [o] = await restPortalSink.push(makeCtx(configOf(sim)), [att]);
      assert.ok(o?.status === 'failed' && o.error.code === 'GW_SINK_REJECTED');
      assert.match(o.error.message, /ENTITY_NOT_ACCEPTED/);
    }
    sim.inject({ kind: 'clear' });
    assert.equal((await restPortalSink.push(makeCtx(configOf(sim)), [att]))[0]?.status, 'delivered');
    assert.throws(() => sim.inject({ kind: 'custom', name: 'reject-entity:nonsense' }), /unknown entity type/);
  });

  it('reject-entity:<type> with a count refuses only that many items', async () => {
    await start();
    sim.inject({ kind: 'custom', name: 'reject-entity:mark', count: 1 });
    const out = await restPortalSink.push(makeCtx(configOf(sim)), makeItems(3));
    assert.deepEqual(out.map((o) => o.status), ['failed', 'delivered', 'delivered']);
    assert.equal(sim.state().counters.rejected, 1);
  });

  it('503 throws retryable and applies nothing; the next batch goes through', async () => {
    await start();
    sim.inject({ kind: 'status', status: 503, count: 1 });
    const e = await pushError(sim, makeItems(2));
    assert.equal(e.code, 'GW_SINK_UNAVAILABLE');
    assert.equal(e.errorClass, 'retryable');
    assert.equal(e.opts.httpStatus, 503);
    assert.equal(sim.state().counters.applied, 0);
    assert.equal(sim.state().counters.batches, 0);
    assert.equal(delivered(await restPortalSink.push(makeCtx(configOf(sim)), makeItems(2, 10))).length, 2);
  });

  it('429 with Retry-After sets retryAfterMs; health checks do not eat a batch-only status fault', async () => {
    await start();
    sim.inject({ kind: 'status', status: 429, count: 1, retryAfterSec: 30 });
    assert.equal((await restPortalSink.check(makeCtx(configOf(sim)))).ok, true);
    const e = await pushError(sim, makeItems(1));
    assert.equal(e.code, 'GW_SINK_RATE_LIMITED');
    assert.equal(e.retryAfterMs, 30_000);
  });

  it('a bad token fails check as permanent, and push throws GW_SINK_AUTH_FAILED', async () => {
    await start();
    const bad = configOf(sim, { token: 'wrong' });
    const res = await restPortalSink.check(makeCtx(bad));
    assert.ok(!res.ok);
    assert.equal(res.error.code, 'GW_SINK_AUTH_FAILED');
    assert.equal(res.error.errorClass, 'permanent');
    const e = await pushError(sim, makeItems(1), { token: 'wrong' });
    assert.equal(e.code, 'GW_SINK_AUTH_FAILED');
    assert.equal(sim.state().counters.applied, 0);
  });

  it('drop-connection: applied but unanswered; the re-push gets duplicate and nothing is applied twice', async () => {
    await start();
    const items = makeItems(3);
    sim.inject({ kind: 'custom', name: 'drop-connection' });
    const e = await pushError(sim, items);
    assert.equal(e.code, 'GW_SINK_UNAVAILABLE');
    assert.equal(e.errorClass, 'retryable');
    assert.equal(sim.state().counters.applied, 3, 'the portal did apply the batch');
    const out = await restPortalSink.push(makeCtx(configOf(sim)), items);
    assert.ok(out.every((o) => o.status === 'delivered' && o.duplicate === true));
    assert.equal(sim.state().counters.applied, 3);
    assert.equal(sim.state().counters.appliedTwice, 0);
  });

  it('partial-results: the item without a result fails GW_SINK_PROTOCOL and a re-push settles it as duplicate', async () => {
    await start();
    const items = makeItems(3);
    sim.inject({ kind: 'custom', name: 'partial-results' });
    const out = await restPortalSink.push(makeCtx(configOf(sim)), items);
    assert.equal(delivered(out).length, 2);
    assert.ok(out[2]?.status === 'failed' && out[2].error.code === 'GW_SINK_PROTOCOL');
    const [again] = await restPortalSink.push(makeCtx(configOf(sim)), [items[2]!]);
    assert.ok(again?.status === 'delivered' && again.duplicate === true);
  });

  it('malformed: a 200 that is not the protocol throws GW_SINK_PROTOCOL; the re-push is duplicate', async () => {
    await start();
    const items = makeItems(2);
    sim.inject({ kind: 'malformed' });
    assert.equal((await pushError(sim, items)).code, 'GW_SINK_PROTOCOL');
    const out = await restPortalSink.push(makeCtx(configOf(sim)), items);
    assert.ok(out.every((o) => o.status === 'delivered' && o.duplicate === true));
  });

  it('slow: a timeout, then 409 while the first request is still applying, then duplicate', async () => {
    await start();
    const items = makeItems(2);
    sim.inject({ kind: 'slow', ms: 300, count: 1 });
    const t = await pushError(sim, items, { timeoutMs: 100 });
    assert.equal(t.code, 'GW_SINK_TIMEOUT');
    const busy = await pushError(sim, items);
    assert.equal(busy.code, 'GW_SINK_UNAVAILABLE');
    assert.equal(busy.opts.httpStatus, 409);
    await until('the slow batch to be applied', () => sim.state().counters.applied === 2);
    const out = await restPortalSink.push(makeCtx(configOf(sim)), items);
    assert.ok(out.every((o) => o.status === 'delivered' && o.duplicate === true));
  });

  it('counts out-of-order revisions and, with ignore-idempotency, keys applied twice (the counters can fail)', async () => {
    await start();
    const recordId = '00000000-0000-5000-8000-0000000000aa';
    await restPortalSink.push(makeCtx(configOf(sim)), [makeItem(1, { recordId, revision: 5 })]);
    const older = makeItem(2, { recordId, revision: 4 });
    await restPortalSink.push(makeCtx(configOf(sim)), [older]);
    assert.equal(sim.state().counters.outOfOrder, 1);
    assert.equal(sim.latest(recordId)?.revision, 4, 'latest is by arrival');

    sim.inject({ kind: 'custom', name: 'ignore-idempotency' });
    await restPortalSink.push(makeCtx(configOf(sim)), [older]);
    assert.equal(sim.state().counters.appliedTwice, 1);
  });

  it('splits by maxBatchSize: five items in three batches', async () => {
    await start();
    const out = await restPortalSink.push(makeCtx(configOf(sim, { maxBatchSize: 2 })), makeItems(5));
    assert.equal(delivered(out).length, 5);
    assert.equal(sim.state().counters.batches, 3);
  });

  it('a batch over the portal maximum is refused as a protocol error', async () => {
    await start({ maxBatchSize: 2 });
    const e = await pushError(sim, makeItems(3), { maxBatchSize: 10 });
    assert.equal(e.code, 'GW_SINK_PROTOCOL');
    assert.equal(e.opts.httpStatus, 413);
  });

  describe('raw HTTP', () => {
    const auth = (): Record<string, string> => ({ authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' });

    it('requires a matching Idempotency-Key header', async () => {
      await start();
      const body = JSON.stringify({ items: [{ idempotencyKey: 'k1', recordId: 'r', entityType: 'mark', schoolId: 's', revision: 1, status: 'active', record: {} }] });
      const url = sim.url + sim.batchPath;
      const missing = await fetch(url, { method: 'POST', headers: auth(), body });
      assert.equal(missing.status, 400);
      assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'IDEMPOTENCY_KEY_MISSING');
      const wrong = await fetch(url, { method: 'POST', headers: { ...auth(), 'idempotency-key': 'abc' }, body });
      assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'IDEMPOTENCY_KEY_MISMATCH');
      const ok = await fetch(url, { method: 'POST', headers: { ...auth(), 'idempotency-key': batchIdempotencyKey(['k1']) }, body });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { results: [{ idempotencyKey: 'k1', status: 'accepted', remoteId: 'rp-000001' }] });
    });

    it('answers bad JSON and bad envelopes with 400 BATCH_MALFORMED, and no token with 401', async () => {
      await start();
      const url = sim.url + sim.batchPath;
      const badJson = await fetch(url, { method: 'POST', headers: auth(), body: '{"items": [' });
      assert.equal(badJson.status, 400);
      assert.equal(((await badJson.json()) as { error: { code: string } }).error.code, 'BATCH_MALFORMED');
      const noItems = await fetch(url, { method: 'POST', headers: auth(), body: '{}' });
      assert.equal(noItems.status, 400);
      const noAuth = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(noAuth.status, 401);
      assert.equal(sim.state().counters.batches, 0);
    });

    it('serves /_sim/state, takes faults over /_sim/faults, and reads back the latest record', async () => {
      await start();
      const item = makeItem(7);
      await restPortalSink.push(makeCtx(configOf(sim)), [item]);
      const state = (await (await fetch(`${sim.url}/_sim/state`)).json()) as ReturnType<RestPortalSimulatorHandle['state']>;
      assert.deepEqual(state, sim.state());

      const rec = await fetch(`${sim.url}/api/v1/records/${item.recordId}`, { headers: auth() });
      assert.equal(rec.status, 200);
      const body = (await rec.json()) as { revision: number; record: unknown; key: string };
      assert.equal(body.key, item.key);
      assert.deepEqual(body.record, item.payload);
      assert.equal((await fetch(`${sim.url}/api/v1/records/nope`, { headers: auth() })).status, 404);
      assert.equal((await fetch(`${sim.url}/api/v1/records/${item.recordId}`)).status, 401);

      const bad = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"status","status":503}' });
      assert.equal(bad.status, 400);
      const good = await fetch(`${sim.url}/_sim/faults`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'status', status: 500, count: 1 }),
      });
      assert.equal(good.status, 204);
      assert.equal((await pushError(sim, makeItems(1, 20))).opts.httpStatus, 500);
    });
  });

  it('persistPath keeps idempotency memory across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rest-portal-sim-'));
    try {
      const persistPath = join(dir, 'applied.jsonl');
      await start({ persistPath });
      const items = makeItems(2);
      await restPortalSink.push(makeCtx(configOf(sim)), items);
      await sim.close();
      assert.equal(readFileSync(persistPath, 'utf8').trim().split('\n').length, 2);

      await start({ persistPath });
      assert.equal(sim.state().counters.applied, 2);
      const out = await restPortalSink.push(makeCtx(configOf(sim)), items);
      assert.ok(out.every((o) => o.status === 'delivered' && o.duplicate === true));
      assert.equal(sim.state().counters.appliedTwice, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

});

// ── Shared sink contract (test/contract/sink.contract.ts) ─────────────────────────────
describeSinkContract('rest-portal-sink', {
  adapter: restPortalSink,
  startSimulator: () => startRestPortalSimulator(),
  config: (sim) => configOf(sim as RestPortalSimulatorHandle),
  badAuthConfig: (sim) => configOf(sim as RestPortalSimulatorHandle, { token: 'wrong-token' }),
  appliedCount: async (sim) => (sim as RestPortalSimulatorHandle).state().counters.applied,
  rejectNext: (sim, entityType) => sim.inject({ kind: 'custom', name: `reject-entity:${entityType}`, count: 1 }),
  items: (n) => makeItems(n),
});
