/**
 * runSource against a real SQLite ledger file and the real canonical validator, fed by small
 * in-test source adapters (async generators), so every case controls exactly what is read.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import type { SourceAdapter, SourceMessage } from '../../src/core/adapter';
import type { Cursor } from '../../src/core/cursor';
import { GatewayError } from '../../src/core/errors';
import { canonicalId, DEFAULT_ID_NAMESPACE } from '../../src/core/ids';
import type { Ledger, SinkRoute } from '../../src/core/ledger';
import { nullLogger } from '../../src/core/logger';
import type { MappedRecord } from '../../src/core/records';
import { getCanonicalValidator } from '../../src/infra/schemas';
import { runSource, type SourceRunResult } from '../../src/pipeline/ingest';
import { fakeClock, makeContext, tmpLedger, type FakeClock } from '../support/harness';

const SCHOOL = 'school-17';
const SYSTEM = 'fakejournal';
const INSTANCE = 'fake';

type Reader = (stream: string, from: Cursor | null) => AsyncIterable<SourceMessage>;

/** A source whose `read` is the given generator; remembers the cursor each read started from. */
function fakeSource(streams: readonly string[], reader: Reader): SourceAdapter & { reads: { stream: string; from: Cursor | null }[] } {
  const reads: { stream: string; from: Cursor | null }[] = [];
  return {
    spec: { id: 'fake-source', system: SYSTEM, version: '0.0.1', kind: 'source', title: 'Fake source', configSchema: {} },
    streams: streams.map((name) => ({ name, entities: ['subject'] as const, cursorField: 'n' })),
    reads,
    check: async () => ({ ok: true }),
    read(_ctx, stream, from) {
      reads.push({ stream, from });
      return reader(stream, from);
    },
  };
}

/** A mapped subject; `title` '' breaks the canonical schema (minLength 1). */
function subject(n: number, title = `Предмет ${n}`, extra: Record<string, unknown> = {}): MappedRecord {
  return { entityType: 'subject', sourceId: `subj-${n}`, fields: { title, ...extra } };
}

const rec = (stream: string, record: MappedRecord): SourceMessage => ({ kind: 'record', stream, record });
const cp = (stream: string, position: string): SourceMessage => ({ kind: 'checkpoint', stream, cursor: { v: 1, position } });
const idOf = (n: number): string => canonicalId(DEFAULT_ID_NAMESPACE, SYSTEM, SCHOOL, 'subject', `subj-${n}`);

async function* messages(list: readonly SourceMessage[], thenThrow?: unknown): AsyncGenerator<SourceMessage> {
  for (const m of list) yield m;
  if (thenThrow !== undefined) throw thenThrow;
}

const PORTAL: SinkRoute = { sinkId: 'portal', maxAttempts: 5 };
const ARCHIVE: SinkRoute = { sinkId: 'archive', maxAttempts: 3 };
/** Takes marks only: subjects must not be queued for it. */
const MARKS_ONLY: SinkRoute = { sinkId: 'marks-portal', maxAttempts: 3, accepts: ['mark'] };

describe('pipeline/ingest runSource', () => {
  let ledger: Ledger;
  let file: string;
  let clock: FakeClock;

  beforeEach(async () => {
    ({ ledger, file } = await tmpLedger());
    clock = fakeClock(new Date('2025-11-13T05:00:00Z'));
  });
  afterEach(async () => {
    await ledger.close();
  });

  function run(adapter: SourceAdapter, opts: { streams?: string[]; routes?: SinkRoute[]; batchSize?: number; runId?: string } = {}): Promise<SourceRunResult> {
    return runSource({ ledger, validator: getCanonicalValidator(), log: nullLogger, now: () => clock.now() }, {
      runId: opts.runId ?? 'run-1', schoolId: SCHOOL, sourceInstance: INSTANCE, adapter,
      ctx: makeContext({}, { schoolId: SCHOOL, clock, system: SYSTEM }),
      streams: opts.streams ?? adapter.streams.map((s) => s.name),
      routes: opts.routes ?? [PORTAL], idNamespace: DEFAULT_ID_NAMESPACE,
      ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
    });
  }

  it('stores every record and queues one delivery per route that takes the entity', async () => {
    const src = fakeSource(['subjects'], (s) => messages([rec(s, subject(1)), rec(s, subject(2)), rec(s, subject(3)), cp(s, 'p3')]));
    const res = await run(src, { routes: [PORTAL, ARCHIVE, MARKS_ONLY] });

    assert.equal(res.status, 'ok');
    assert.deepEqual(res.streams, { subjects: 'ok' });
    assert.deepEqual(res.counts, { read: 3, inserted: 3, updated: 0, unchanged: 0, quarantined: 0, enqueued: 6 });
    const stored = await ledger.getRecord(idOf(2));
    assert.ok(stored, 'record 2 stored under its canonical id');
    assert.equal(stored.record.title, 'Предмет 2');
    assert.equal(stored.record.revision, stored.revision);
    assert.equal(stored.schoolId, SCHOOL);
    assert.equal(stored.sourceInstance, INSTANCE);
    assert.deepEqual(stored.record.provenance, { sourceSystem: SYSTEM, adapter: 'fake-source', adapterVersion: '0.0.1', fetchedAt: '2025-11-13T05:00:00.000Z' });
    for (const sinkId of ['portal', 'archive']) {
      const ds = await ledger.listDeliveries({ sinkId });
      assert.deepEqual(ds.map((d) => d.recordId).sort(), [idOf(1), idOf(2), idOf(3)].sort(), `queued for ${sinkId}`);
      assert.ok(ds.every((d) => d.state === 'pending'));
    }
    assert.deepEqual((await ledger.listDeliveries({ sinkId: 'portal' })).map((d) => d.maxAttempts), [5, 5, 5]);
    assert.deepEqual((await ledger.listDeliveries({ sinkId: 'archive' })).map((d) => d.maxAttempts), [3, 3, 3]);
    assert.equal((await ledger.listDeliveries({ sinkId: 'marks-portal' })).length, 0, 'a sink that takes marks only gets no subjects');
    assert.deepEqual(await ledger.getCursor(SCHOOL, INSTANCE, 'subjects'), { v: 1, position: 'p3' });
    assert.deepEqual(await ledger.verify(), []);
  });

  it('quarantines a record failing the canonical schema with its issue paths and keeps the rest of the batch', async () => {
    const src = fakeSource(['subjects'], (s) => messages([
      rec(s, subject(1)),
      rec(s, subject(2, '', { colour: 'red' })),
      rec(s, subject(3)),
      cp(s, 'p3'),
    ]));
    const res = await run(src);

    assert.equal(res.status, 'ok', 'a bad record does not fail the run');
    assert.equal(res.counts.read, 3);
    assert.equal(res.counts.inserted, 2);
    assert.equal(res.counts.quarantined, 1);
    assert.ok(await ledger.getRecord(idOf(1)));
    assert.ok(await ledger.getRecord(idOf(3)));
    assert.equal(await ledger.getRecord(idOf(2)), undefined, 'the invalid record is not stored');
    assert.equal((await ledger.listDeliveries({ sinkId: 'portal' })).length, 2, 'nothing queued for the invalid record');

    const q = await ledger.listQuarantine({ schoolId: SCHOOL });
    assert.equal(q.length, 1);
    const e = q[0]!;
    assert.equal(e.errorCode, 'GW_RECORD_INVALID');
    assert.equal(e.sourceId, 'subj-2');
    assert.equal(e.entityType, 'subject');
    assert.equal(e.stream, 'subjects');
    assert.equal(e.runId, 'run-1');
    const paths = e.issues.map((i) => i.path);
    assert.ok(paths.includes('/title'), `issue at /title, got ${JSON.stringify(paths)}`);
    assert.ok(e.issues.some((i) => /colour/.test(`${i.path} ${i.message}`)), `the unknown field is named, got ${JSON.stringify(e.issues)}`);
    assert.match(e.message, new RegExp(`school ${SCHOOL}`), 'message names the school');
    assert.match(e.message, /subject subj-2/, 'message names the record');
    assert.match(e.message, /\/title/, 'message names the path');
    assert.equal((e.raw as { sourceId?: string }).sourceId, 'subj-2', 'the record as received is kept for the operator');
    assert.deepEqual(await ledger.getCursor(SCHOOL, INSTANCE, 'subjects'), { v: 1, position: 'p3' }, 'the cursor still moves');
  });

  it("quarantines an adapter 'invalid' message as GW_RECORD_UNMAPPABLE with its issues and raw record", async () => {
    const raw = { assignmentId: 45011, mark: '??' };
    const src = fakeSource(['subjects'], (s) => messages([
      rec(s, subject(1)),
      {
        kind: 'invalid', stream: s, sourceId: 'assignment:45011:student:5501', entityType: 'mark', raw,
        error: new GatewayError('GW_RECORD_UNMAPPABLE', 'unknown mark sign', { issues: [{ path: '/mark', message: 'unknown mark sign' }] }),
      },
      cp(s, 'p1'),
    ]));
    const res = await run(src);

    assert.equal(res.status, 'ok');
    assert.equal(res.counts.read, 2);
    assert.equal(res.counts.inserted, 1);
    assert.equal(res.counts.quarantined, 1);
    const [e, ...more] = await ledger.listQuarantine({ schoolId: SCHOOL });
    assert.equal(more.length, 0);
    assert.ok(e);
    assert.equal(e.errorCode, 'GW_RECORD_UNMAPPABLE');
    assert.equal(e.entityType, 'mark');
    assert.equal(e.sourceId, 'assignment:45011:student:5501');
    assert.deepEqual(e.issues, [{ path: '/mark', message: 'unknown mark sign' }]);
    assert.deepEqual(e.raw, raw);
    assert.match(e.message, new RegExp(`school ${SCHOOL}`));
    assert.match(e.message, /assignment:45011:student:5501/);
  });

  it('writes nothing and counts unchanged when the same data is read again; a changed record supersedes its queued delivery', async () => {
    let titles = ['Алгебра', 'Геометрия', 'Физика'];
    const src = fakeSource(['subjects'], (s) => messages([...titles.map((t, i) => rec(s, subject(i + 1, t))), cp(s, 'p3')]));
    await run(src, { runId: 'run-1' });
    const before = await ledger.getRecord(idOf(1));
    const first3 = await ledger.getRecord(idOf(3));

    const peek = new Database(file, { readonly: true });
    try {
      const dataVersion = (): number => peek.pragma('data_version', { simple: true }) as number;
      const versionsCount = (): number => peek.prepare('SELECT COUNT(*) FROM record_versions').pluck().get() as number;
      const v0 = dataVersion();
      const n0 = versionsCount();
      clock.advance(60_000);
      const again = await run(src, { runId: 'run-2' });
      assert.equal(again.status, 'ok');
      assert.deepEqual(again.counts, { read: 3, inserted: 0, updated: 0, unchanged: 3, quarantined: 0, enqueued: 0 });
      assert.equal(dataVersion(), v0, 'no transaction changed the ledger file');
      assert.equal(versionsCount(), n0);
      assert.deepEqual(await ledger.getRecord(idOf(1)), before, 'record untouched (same revision, same fetchedAt)');
      assert.equal((await ledger.listDeliveries({})).length, 3, 'nothing queued again');

      titles = ['Алгебра', 'Геометрия', 'Физика и астрономия'];
      const changed = await run(src, { runId: 'run-3' });
      assert.deepEqual(changed.counts, { read: 3, inserted: 0, updated: 1, unchanged: 2, quarantined: 0, enqueued: 1 });
      assert.notEqual(dataVersion(), v0);
    } finally {
      peek.close();
    }
    const r3 = await ledger.getRecord(idOf(3));
    assert.ok(r3);
    assert.equal(r3.record.title, 'Физика и астрономия');
    assert.equal((await ledger.getRecordHistory(idOf(3))).length, 2);
    const ds = await ledger.listDeliveries({ sinkId: 'portal' });
    const of3 = ds.filter((d) => d.recordId === idOf(3)).map((d) => [d.revision, d.state]);
    assert.deepEqual(of3, [[first3!.revision, 'superseded'], [r3.revision, 'pending']]);
    assert.equal(ds.filter((d) => d.state === 'pending').length, 3, 'one queued version per record');
  });

  it('commits the cursor only at checkpoints: a read that fails resumes from the last committed checkpoint', async () => {
    let failFirst = true;
    const src = fakeSource(['subjects'], (s, from) => {
      if (from === null) {
        // Records 4 and 5 come after the last checkpoint, then the journal goes away.
        const err = failFirst ? new GatewayError('GW_SRC_UNAVAILABLE', 'journal answered 503') : undefined;
        return messages([rec(s, subject(1)), rec(s, subject(2)), rec(s, subject(3)), cp(s, 'p3'), rec(s, subject(4)), rec(s, subject(5))], err);
      }
      assert.equal(from.position, 'p3');
      return messages([rec(s, subject(4)), rec(s, subject(5)), rec(s, subject(6)), cp(s, 'p6')]);
    });

    const first = await run(src, { runId: 'run-1' });
    assert.equal(first.status, 'failed', 'the only stream failed');
    assert.equal(first.error?.code, 'GW_SRC_UNAVAILABLE');
    assert.equal((first.streams.subjects as { code: string }).code, 'GW_SRC_UNAVAILABLE');
    assert.equal(first.counts.inserted, 3);
    assert.deepEqual(await ledger.getCursor(SCHOOL, INSTANCE, 'subjects'), { v: 1, position: 'p3' });
    for (const n of [1, 2, 3]) assert.ok(await ledger.getRecord(idOf(n)), `record ${n} (before the checkpoint) committed`);
    for (const n of [4, 5]) assert.equal(await ledger.getRecord(idOf(n)), undefined, `record ${n} (after the checkpoint) not committed`);

    failFirst = false;
    const second = await run(src, { runId: 'run-2' });
    assert.deepEqual(src.reads.map((r) => r.from?.position ?? null), [null, 'p3'], 'the re-read starts at the committed cursor');
    assert.equal(second.status, 'ok');
    assert.equal(second.counts.inserted, 3);
    for (const n of [1, 2, 3, 4, 5, 6]) assert.ok(await ledger.getRecord(idOf(n)), `record ${n} committed after the re-read`);
    assert.deepEqual(await ledger.getCursor(SCHOOL, INSTANCE, 'subjects'), { v: 1, position: 'p6' });
    assert.deepEqual(await ledger.verify(), []);
  });

  it('a batch-size flush between checkpoints commits records but not the cursor', async () => {
    const src = fakeSource(['subjects'], (s) => messages(
      [rec(s, subject(1)), cp(s, 'p1'), rec(s, subject(2)), rec(s, subject(3)), rec(s, subject(4))],
      new GatewayError('GW_SRC_TIMEOUT', 'read timed out'),
    ));
    const res = await run(src, { batchSize: 2 });
    assert.equal(res.status, 'failed');
    assert.equal(res.counts.inserted, 3, 'record 1 at the checkpoint, 2 and 3 at the batch-size flush');
    assert.ok(await ledger.getRecord(idOf(3)));
    assert.equal(await ledger.getRecord(idOf(4)), undefined);
    assert.deepEqual(await ledger.getCursor(SCHOOL, INSTANCE, 'subjects'), { v: 1, position: 'p1' }, 'the cursor stays at the checkpoint');
  });

  it('a stream failing with a retryable error does not stop the next stream (partial)', async () => {
    const src = fakeSource(['alpha', 'beta'], (s) => (s === 'alpha'
      ? messages([rec(s, subject(1))], new GatewayError('GW_SRC_TIMEOUT', 'alpha timed out'))
      : messages([rec(s, subject(2)), rec(s, subject(3)), cp(s, 'b3')])));
    const res = await run(src);

    assert.equal(res.status, 'partial');
    assert.equal(res.error?.code, 'GW_SRC_TIMEOUT');
    assert.equal((res.streams.alpha as { code: string }).code, 'GW_SRC_TIMEOUT');
    assert.equal(res.streams.beta, 'ok');
    assert.deepEqual(src.reads.map((r) => r.stream), ['alpha', 'beta']);
    assert.ok(await ledger.getRecord(idOf(2)));
    assert.ok(await ledger.getRecord(idOf(3)));
    assert.equal(await ledger.getCursor(SCHOOL, INSTANCE, 'alpha'), null);
    assert.deepEqual(await ledger.getCursor(SCHOOL, INSTANCE, 'beta'), { v: 1, position: 'b3' });
  });

  it('a permanent error stops the run (failed), even after an earlier stream was read', async () => {
    const src = fakeSource(['alpha', 'beta', 'gamma'], (s) => {
      if (s === 'beta') return messages([], new GatewayError('GW_SRC_AUTH_FAILED', 'login refused'));
      return messages([rec(s, subject(s === 'alpha' ? 1 : 9)), cp(s, `${s}-1`)]);
    });
    const res = await run(src);

    assert.equal(res.status, 'failed');
    assert.equal(res.error?.code, 'GW_SRC_AUTH_FAILED');
    assert.equal(res.error?.class, 'permanent');
    assert.equal(res.streams.alpha, 'ok');
    assert.equal((res.streams.beta as { code: string }).code, 'GW_SRC_AUTH_FAILED');
    assert.equal(res.streams.gamma, undefined, 'gamma was not read');
    assert.deepEqual(src.reads.map((r) => r.stream), ['alpha', 'beta']);
    assert.ok(await ledger.getRecord(idOf(1)), 'what alpha read stays committed');
    assert.equal(await ledger.getRecord(idOf(9)), undefined);
  });

  it('the permanent error is the run error even when a retryable one came first', async () => {
    const src = fakeSource(['alpha', 'beta', 'gamma'], (s) => {
      if (s === 'alpha') return messages([], new GatewayError('GW_SRC_TIMEOUT', 'slow'));
      if (s === 'beta') return messages([], new GatewayError('GW_SRC_AUTH_FAILED', 'login refused'));
      return messages([cp(s, 'g')]);
    });
    const res = await run(src);
    assert.equal(res.status, 'failed');
    assert.equal(res.error?.code, 'GW_SRC_AUTH_FAILED', 'the runner decides health from the run error: it must be the permanent one');
    assert.deepEqual(src.reads.map((r) => r.stream), ['alpha', 'beta']);
  });

  it('a bug in the adapter (plain Error) fails the run as GW_INTERNAL and stops it', async () => {
    const src = fakeSource(['alpha', 'beta'], (s) => (s === 'alpha'
      ? messages([], new TypeError("Cannot read properties of undefined (reading 'Mark')"))
      : messages([rec(s, subject(1)), cp(s, 'b1')])));
    const res = await run(src);
    assert.equal(res.status, 'failed');
    assert.equal(res.error?.code, 'GW_INTERNAL');
    assert.match(res.error?.message ?? '', /TypeError/);
    assert.deepEqual(src.reads.map((r) => r.stream), ['alpha']);
  });
});
