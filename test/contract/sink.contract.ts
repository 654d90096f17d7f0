/**
 * The shared contract every sink adapter's tests call. Runs against the sink's simulator.
 */
import assert from 'node:assert/strict';
import type { DeliveryItem, SinkAdapter } from '../../src/core/adapter';
import type { SimulatorHandle } from '../../src/core/simulator';
import { checkSpec } from './spec-checks';
import { fakeClock, makeContext } from '../support/harness';

export interface SinkContractOptions<C> {
  adapter: SinkAdapter<C>;
  startSimulator(): Promise<SimulatorHandle>;
  config(sim: SimulatorHandle): C;
  badAuthConfig(sim: SimulatorHandle): C;
  /** How many items the remote has applied (not counting duplicates). */
  appliedCount(sim: SimulatorHandle): Promise<number>;
  /** Makes the remote reject the next item of `entityType` with a reason. */
  rejectNext(sim: SimulatorHandle, entityType: DeliveryItem['entityType']): void;
  items(n: number): DeliveryItem[];
}

export function describeSinkContract<C>(name: string, o: SinkContractOptions<C>): void {
  describe(`sink contract: ${name}`, function () {
    this.timeout(30_000);
    let sim: SimulatorHandle;
    beforeEach(async () => { sim = await o.startSimulator(); });
    afterEach(async () => { await sim.close(); });
    const ctx = (cfg: C) => makeContext(cfg, { clock: fakeClock(), side: 'sink', system: o.adapter.spec.system });

    it('has a config spec that compiles under ajv strict, with secrets marked', () => {
      assert.equal(o.adapter.spec.kind, 'sink');
      assert.deepEqual(checkSpec(o.adapter.spec).unmarked, []);
    });

    it('check succeeds with good credentials and fails as permanent with bad ones', async () => {
      const ok = await o.adapter.check(ctx(o.config(sim)));
      assert.equal(ok.ok, true);
      const bad = await o.adapter.check(ctx(o.badAuthConfig(sim)));
      assert.equal(bad.ok, false);
      if (!bad.ok) assert.equal(bad.error.errorClass, 'permanent');
    });

    it('returns one outcome per item, and a re-push of the same keys is delivered without being applied twice', async () => {
      const items = o.items(5);
      const first = await o.adapter.push(ctx(o.config(sim)), items);
      assert.deepEqual(first.map((x) => x.deliveryId).sort(), items.map((x) => x.deliveryId).sort());
      assert.ok(first.every((x) => x.status === 'delivered'));
      const applied = await o.appliedCount(sim);
      assert.equal(applied, 5);
      const again = await o.adapter.push(ctx(o.config(sim)), items.map((i) => ({ ...i, attempt: 2 })));
      assert.ok(again.every((x) => x.status === 'delivered'));
      assert.equal(await o.appliedCount(sim), applied, 'not applied twice');
    });

    it('a per-item rejection is an invalid_data outcome while the rest are delivered', async () => {
      const items = o.items(3);
      o.rejectNext(sim, items[1]!.entityType);
      const out = await o.adapter.push(ctx(o.config(sim)), items);
      const failed = out.filter((x) => x.status === 'failed');
      assert.ok(failed.length >= 1);
      for (const f of failed) if (f.status === 'failed') assert.equal(f.error.errorClass, 'invalid_data');
      assert.ok(out.some((x) => x.status === 'delivered'));
    });

    it('throws retryable on 503 and carries Retry-After on 429', async () => {
      sim.inject({ kind: 'status', status: 503, count: 1 });
      await assert.rejects(o.adapter.push(ctx(o.config(sim)), o.items(1)), (e: { errorClass?: string }) => e.errorClass === 'retryable');
      sim.inject({ kind: 'status', status: 429, count: 1, retryAfterSec: 9 });
      await assert.rejects(o.adapter.push(ctx(o.config(sim)), o.items(1)), (e: { errorClass?: string; retryAfterMs?: number }) => e.errorClass === 'retryable' && e.retryAfterMs === 9000);
    });
  });
}
