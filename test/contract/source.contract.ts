/**
 * The shared contract every source adapter's tests call (STYLE §8, Airbyte acceptance tests).
 * It runs against the adapter's real simulator over loopback and the real pipeline and ledger.
 */
import assert from 'node:assert/strict';
import type { SourceAdapter } from '../../src/core/adapter';
import type { Cursor } from '../../src/core/cursor';
import type { SimulatorHandle } from '../../src/core/simulator';
import { getCanonicalValidator } from '../../src/infra/schemas';
import { checkSpec } from './spec-checks';
import { collect, fakeClock, ingestAll, makeContext, tmpLedger } from '../support/harness';

export interface SourceContractOptions<C> {
  adapter: SourceAdapter<C>;
  /** A fresh simulator per case (faults are injected on it). */
  startSimulator(): Promise<SimulatorHandle>;
  config(sim: SimulatorHandle): C;
  badAuthConfig(sim: SimulatorHandle): C;
  /** A cursor "from the future" for `stream`, in the adapter's own position format. */
  futureCursor(stream: string, now: Date): Cursor;
  /** Streams to exercise (default: all). */
  streams?: string[];
  /** Stream whose records the `malformed` fault damages. */
  malformedStream: string;
}

export function describeSourceContract<C>(name: string, o: SourceContractOptions<C>): void {
  describe(`source contract: ${name}`, function () {
    this.timeout(60_000);
    let sim: SimulatorHandle;
    beforeEach(async () => { sim = await o.startSimulator(); });
    afterEach(async () => { await sim.close(); });
    const streams = (): string[] => o.streams ?? o.adapter.streams.map((s) => s.name);
    const ctx = (cfg: C, clock = fakeClock()) => makeContext(cfg, { clock, system: o.adapter.spec.system });

    it('has a config spec that compiles under ajv strict, with every secret-looking field marked x-secret', () => {
      assert.equal(o.adapter.spec.kind, 'source');
      const { unmarked } = checkSpec(o.adapter.spec);
      assert.deepEqual(unmarked, []);
    });

    it('declares streams whose entities have canonical schemas', () => {
      const v = getCanonicalValidator();
      for (const s of o.adapter.streams) for (const e of s.entities) assert.ok(v.validatorFor(e), `${s.name}: ${e}`);
    });

    it('check succeeds with good credentials and fails as permanent with bad ones', async () => {
      const ok = await o.adapter.check(ctx(o.config(sim)));
      assert.equal(ok.ok, true, ok.ok ? '' : `${ok.error.code}: ${ok.error.message}`);
      const bad = await o.adapter.check(ctx(o.badAuthConfig(sim)));
      assert.equal(bad.ok, false);
      if (!bad.ok) assert.equal(bad.error.errorClass, 'permanent', bad.error.code);
    });

    it('a full read validates canonically, yields checkpoints, and a re-read from the cursor adds no ledger rows', async () => {
      const { ledger } = await tmpLedger();
      try {
        const c = ctx(o.config(sim));
        const first = await ingestAll(ledger, o.adapter, c, { streams: streams() });
        assert.equal(first.status, 'ok', JSON.stringify(first.streams));
        assert.ok(first.counts.inserted > 0, 'some records');
        assert.equal(first.counts.quarantined, 0, 'nothing quarantined from clean demo data');
        for (const s of streams()) assert.ok(await ledger.getCursor(c.schoolId, 'src', s), `checkpoint committed for ${s}`);
        const before = (await ledger.stats()).records;
        const again = await ingestAll(ledger, o.adapter, c, { streams: streams() });
        assert.equal(again.counts.inserted + again.counts.updated, 0, 'no new versions on re-read');
        assert.equal((await ledger.stats()).records, before);
      } finally { await ledger.close(); }
    });

    it('a cursor from the future yields no records and no error', async () => {
      for (const s of streams()) {
        const msgs = await collect(o.adapter.read(ctx(o.config(sim)), s, o.futureCursor(s, new Date())));
        assert.equal(msgs.filter((m) => m.kind === 'record').length, 0, s);
      }
    });

    it('recovers from a 503 followed by 200', async () => {
      const { ledger } = await tmpLedger();
      try {
        sim.inject({ kind: 'status', status: 503, count: 1 });
        const clock = fakeClock();
        const r = await ingestAll(ledger, o.adapter, ctx(o.config(sim), clock), { streams: streams(), clock });
        assert.equal(r.status, 'ok', JSON.stringify(r.streams));
        assert.ok(clock.sleeps.length >= 1, 'backed off once');
      } finally { await ledger.close(); }
    });

    it('honours Retry-After on 429', async () => {
      const { ledger } = await tmpLedger();
      try {
        sim.inject({ kind: 'status', status: 429, count: 1, retryAfterSec: 7 });
        const clock = fakeClock();
        const r = await ingestAll(ledger, o.adapter, ctx(o.config(sim), clock), { streams: streams(), clock });
        assert.equal(r.status, 'ok', JSON.stringify(r.streams));
        assert.ok(clock.sleeps.includes(7000), `slept ${JSON.stringify(clock.sleeps)}`);
      } finally { await ledger.close(); }
    });

    it('quarantines a malformed record with its reason while the rest of the batch goes on', async () => {
      const { ledger } = await tmpLedger();
      try {
        sim.inject({ kind: 'malformed', count: 1 });
        const r = await ingestAll(ledger, o.adapter, ctx(o.config(sim)), { streams: [o.malformedStream] });
        assert.notEqual(r.status, 'failed', JSON.stringify(r.streams));
        assert.ok(r.counts.quarantined >= 1, 'quarantined');
        assert.ok(r.counts.inserted > 0, 'the rest went on');
        const [q] = await ledger.listQuarantine({});
        assert.ok(q, 'quarantine entry');
        assert.ok(q.issues.length > 0 && q.issues[0]!.path.length > 0, 'issue names the field');
        assert.equal(q.schoolId, 'test-school');
        assert.ok(q.sourceId.length > 0, 'names the record');
      } finally { await ledger.close(); }
    });
  });
}
