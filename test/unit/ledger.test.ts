import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GatewayError } from '../../src/core/errors';
import type { QuarantineInput } from '../../src/core/ledger';
import { openLedger } from '../../src/ledger';
import { MIGRATIONS, type Migration } from '../../src/ledger/sqlite/migrations';
import { SqliteLedger } from '../../src/ledger/sqlite/sqlite-ledger';
import { at, batch, count, INSTANCE, openTestLedger, PORTAL, record, SCHOOL, type TestLedger } from './ledger-fixtures';

async function rejectsWith(p: Promise<unknown>, code: string): Promise<GatewayError> {
  try {
    await p;
  } catch (e: unknown) {
    assert.ok(e instanceof GatewayError, `expected a GatewayError, got ${String(e)}`);
    assert.equal(e.code, code);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('sqlite ledger: schema and connection', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'ledger-schema-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the parent folder, uses WAL, and migrations are idempotent and recorded', async () => {
    const path = join(dir, 'a', 'b', 'ledger.db');
    const ledger = openLedger({ driver: 'sqlite', path });
    assert.ok(existsSync(join(dir, 'a', 'b')));
    assert.deepEqual(await ledger.migrate(), { from: 0, to: MIGRATIONS.length });
    assert.deepEqual(await ledger.migrate(), { from: MIGRATIONS.length, to: MIGRATIONS.length });
    await ledger.close();
    const db = new Database(path, { readonly: true });
    const rows = db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as Array<{ version: number; name: string; applied_at: string }>;
    assert.deepEqual(rows.map((r) => [r.version, r.name]), MIGRATIONS.map((m) => [m.version, m.name]));
    assert.match(rows[0]?.applied_at ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  it('works in memory (for tests of other modules)', async () => {
    const ledger = openLedger({ driver: 'sqlite', path: ':memory:' });
    await ledger.migrate();
    assert.equal((await ledger.ingest(batch({ records: [record(1)] }))).inserted, 1);
    assert.equal((await ledger.stats()).records, 1);
    await ledger.close();
  });

  it('refuses an unknown driver from untyped config', () => {
    assert.throws(() => openLedger({ driver: 'postgres' } as unknown as Parameters<typeof openLedger>[0]),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_CONFIG_INVALID');
  });

  it('applies only the new migrations, each with its version row', async () => {
    const path = join(dir, 'ledger.db');
    const first = new SqliteLedger({ path });
    await first.migrate();
    await first.close();
    const extra: Migration = { version: MIGRATIONS.length + 1, name: 'add probe table', sql: 'CREATE TABLE probe (x INTEGER)' };
    const second = new SqliteLedger({ path, migrations: [...MIGRATIONS, extra] });
    assert.deepEqual(await second.migrate(), { from: MIGRATIONS.length, to: extra.version });
    await second.close();
    const db = new Database(path, { readonly: true });
    assert.equal(count(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'probe'"), 1);
    assert.equal(count(db, 'SELECT MAX(version) FROM schema_migrations'), extra.version);
    db.close();
  });

  it('rolls back a failing migration and reports GW_LEDGER_MIGRATION', async () => {
    const path = join(dir, 'ledger.db');
    const broken: Migration = { version: MIGRATIONS.length + 1, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); SELECT * FROM nowhere;' };
    const ledger = new SqliteLedger({ path, migrations: [...MIGRATIONS, broken] });
    await rejectsWith(ledger.migrate(), 'GW_LEDGER_MIGRATION');
    await ledger.close();
    const db = new Database(path, { readonly: true });
    assert.equal(count(db, 'SELECT MAX(version) FROM schema_migrations'), MIGRATIONS.length);
    assert.equal(count(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'"), 0);
    db.close();
  });

  it('several processes opening one fresh file at once all migrate it, each step applied once', async () => {
    const file = join(dir, 'shared.sqlite');
    // Each child opens the file, migrates and reads: the gateway and a CLI command started together.
    const script = `const { openLedger } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'ledger'))});
      (async () => { const l = openLedger({ driver: 'sqlite', path: ${JSON.stringify(file)} }); await l.migrate(); await l.stats(); await l.close(); })()
        .then(() => process.stdout.write('ok'), (e) => process.stdout.write(String(e.code) + ' ' + String(e.message)));`;
    const run = (): Promise<string> => new Promise((resolve) => {
      execFile(process.execPath, ['-e', script], { timeout: 30_000 }, (_err, stdout) => resolve(stdout));
    });
    const outputs = await Promise.all(Array.from({ length: 6 }, run));
    assert.deepEqual(outputs, Array(6).fill('ok'));
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[];
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
    } finally { db.close(); }
  });

  it('refuses a ledger newer than the code, and an unmigrated one', async () => {
    const path = join(dir, 'ledger.db');
    const fresh = new SqliteLedger({ path });
    await rejectsWith(fresh.stats(), 'GW_LEDGER_MIGRATION');
    await fresh.migrate();
    await fresh.close();
    const db = new Database(path);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, ?)').run('from the future', at(0));
    db.close();
    const old = new SqliteLedger({ path });
    const err = await rejectsWith(old.migrate(), 'GW_LEDGER_MIGRATION');
    assert.match(err.message, /999/);
    await rejectsWith(old.stats(), 'GW_LEDGER_MIGRATION');
    await old.close();
  });

  it('maps SQLITE_BUSY to GW_LEDGER_BUSY', async () => {
    const path = join(dir, 'ledger.db');
    const ledger = new SqliteLedger({ path, busyTimeoutMs: 20 });
    await ledger.migrate();
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      await rejectsWith(ledger.ingest(batch({ records: [record(1)] })), 'GW_LEDGER_BUSY');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal((await ledger.ingest(batch({ records: [record(1)] }))).inserted, 1);
    await ledger.close();
  });
});

describe('sqlite ledger: intake', () => {
  let t: TestLedger;
  beforeEach(async () => { t = await openTestLedger(); });
  afterEach(async () => t.cleanup());

  it('counts new, changed and unchanged records and stamps monotonic revisions', async () => {
    const first = await t.ledger.ingest(batch({ records: [record(1), record(2), record(3)] }));
    assert.deepEqual(first, { inserted: 3, updated: 0, unchanged: 0, quarantined: 0, enqueued: 3, superseded: 0 });
    const second = await t.ledger.ingest(batch({ records: [record(1), record(2, 2), record(4)], now: at(1) }));
    assert.deepEqual(second, { inserted: 1, updated: 1, unchanged: 1, quarantined: 0, enqueued: 2, superseded: 1 });

    const r2 = await t.ledger.getRecord(record(2).id);
    const r4 = await t.ledger.getRecord(record(4).id);
    assert.ok(r2 && r4);
    assert.deepEqual([r2.revision, r4.revision], [4, 5], 'revisions follow the order of writes across batches');
    assert.equal(r2.record.revision, r2.revision);
    assert.equal(r2.record.value, '2');
    assert.equal(r2.contentHash, 'hash-2-v2');
    assert.equal(r2.firstSeenAt, at(0), 'first_seen_at survives updates');
    assert.equal(r2.sourceInstance, INSTANCE);
    assert.equal(r2.sourceModifiedAt, undefined);
    const all = await t.ledger.listRecords({});
    const revisions = all.map((r) => r.revision);
    assert.deepEqual(revisions, [...revisions].sort((a, b) => a - b));
    assert.equal(new Set(revisions).size, 4);
    assert.deepEqual(await t.ledger.currentHashes([record(1).id, record(2).id, 'unknown']),
      new Map([[record(1).id, 'hash-1-v1'], [record(2).id, 'hash-2-v2']]));
  });

  it('writes nothing at all for a batch of unchanged records', async () => {
    await t.ledger.ingest(batch({ records: [record(1), record(2)], checkpoint: { v: 1, position: 'p1' } }));
    const db = t.peek();
    const version = (): unknown => db.pragma('data_version', { simple: true });
    const before = version();
    const result = await t.ledger.ingest(batch({ records: [record(1), record(2)], checkpoint: { v: 1, position: 'p1' }, now: at(5) }));
    assert.equal(result.unchanged, 2);
    assert.equal(version(), before, 'another connection saw no commit');
    await t.ledger.ingest(batch({ records: [record(1, 2)], now: at(6) }));
    assert.notEqual(version(), before, 'a real change is visible (the probe can fail)');
  });

  it('keeps every version in the history', async () => {
    await t.ledger.ingest(batch({ records: [record(1)], runId: 'r1' }));
    await t.ledger.ingest(batch({ records: [record(1, 2)], runId: 'r2', now: at(1) }));
    await t.ledger.ingest(batch({ records: [record(1, 3, { status: 'tobedeleted' })], runId: 'r3', now: at(2) }));
    const history = await t.ledger.getRecordHistory(record(1).id);
    assert.deepEqual(history.map((v) => [v.runId, v.contentHash, v.status, v.record.value]), [
      ['r1', 'hash-1-v1', 'active', '1'], ['r2', 'hash-1-v2', 'active', '2'], ['r3', 'hash-1-v3', 'tobedeleted', '3'],
    ]);
    assert.ok(history.every((v, i) => i === 0 || v.revision > (history[i - 1]?.revision ?? 0)));
    assert.equal((await t.ledger.getRecord(record(1).id))?.revision, history[2]?.revision);
    assert.equal((await t.ledger.getRecord(record(1).id))?.status, 'tobedeleted');
  });

  it('compares a repeated id within one batch against its earlier occurrence', async () => {
    const result = await t.ledger.ingest(batch({ records: [record(1), record(1), record(1, 2)] }));
    assert.deepEqual([result.inserted, result.unchanged, result.updated, result.superseded], [1, 1, 1, 1]);
    assert.equal((await t.ledger.getRecordHistory(record(1).id)).length, 2);
  });

  it('filters records for a watermark export', async () => {
    await t.ledger.ingest(batch({ records: [record(1), record(2, 1, { entityType: 'lesson' }), record(3)] }));
    const marks = await t.ledger.listRecords({ schoolId: SCHOOL, entityType: 'mark' });
    assert.deepEqual(marks.map((r) => r.id), [record(1).id, record(3).id]);
    const after = await t.ledger.listRecords({ afterRevision: marks[0]?.revision ?? 0, limit: 1 });
    assert.equal(after.length, 1);
    assert.equal(after[0]?.id, record(2).id);
    assert.deepEqual(await t.ledger.listRecords({ schoolId: 'other' }), []);
  });

  it('routes only the entity types a sink accepts', async () => {
    const routes = [PORTAL, { sinkId: 'lessons-only', accepts: ['lesson'] as const, maxAttempts: 3 }];
    const result = await t.ledger.ingest(batch({ records: [record(1), record(2, 1, { entityType: 'lesson' })], routes }));
    assert.equal(result.enqueued, 3);
    const onlyLessons = await t.ledger.listDeliveries({ sinkId: 'lessons-only' });
    assert.deepEqual(onlyLessons.map((d) => [d.entityType, d.maxAttempts, d.state]), [['lesson', 3, 'pending']]);
    const d = onlyLessons[0];
    assert.ok(d);
    assert.equal(d.idempotencyKey, `lesson:${record(2).id}:${d.revision}`);
    assert.equal(d.nextAttemptAt, at(0));
  });

  it('commits the cursor with the batch and neither when the batch fails', async () => {
    await t.ledger.ingest(batch({ records: [record(1)], checkpoint: { v: 1, position: 'page-1' } }));
    assert.deepEqual(await t.ledger.getCursor(SCHOOL, INSTANCE, 'marks'), { v: 1, position: 'page-1' });

    const throwing = record(3);
    Object.defineProperty(throwing, 'body', { get(): string { throw new Error('boom while reading record'); } });
    await rejectsWith(t.ledger.ingest(batch({ records: [record(2), throwing], checkpoint: { v: 1, position: 'page-2' }, now: at(1) })), 'GW_INTERNAL');

    const badQuarantine: QuarantineInput = {
      stream: 'marks', sourceId: 'x', errorCode: 'GW_RECORD_INVALID', message: 'bad', issues: [], raw: { n: 10n },
    };
    await rejectsWith(t.ledger.ingest(batch({ records: [record(2)], quarantine: [badQuarantine], checkpoint: { v: 1, position: 'page-2' } })), 'GW_INTERNAL');

    await rejectsWith(t.ledger.ingest(batch({ records: [record(2), record(4, 1, { contentHash: null as unknown as string })], checkpoint: { v: 1, position: 'page-2' } })), 'GW_INTERNAL');

    assert.deepEqual(await t.ledger.getCursor(SCHOOL, INSTANCE, 'marks'), { v: 1, position: 'page-1' });
    assert.equal(await t.ledger.getRecord(record(2).id), undefined);
    const db = t.peek();
    assert.equal(count(db, 'SELECT COUNT(*) FROM record_versions'), 1);
    assert.equal(count(db, 'SELECT COUNT(*) FROM deliveries'), 1);
    assert.equal(count(db, 'SELECT COUNT(*) FROM quarantine'), 0);
    assert.deepEqual(await t.ledger.verify(), []);

    const rows = await t.ledger.listCursors(SCHOOL);
    assert.deepEqual(rows.map((c) => [c.stream, c.cursor.position, c.updatedAt]), [['marks', 'page-1', at(0)]]);
    assert.deepEqual(await t.ledger.listCursors('other-school'), []);
  });

  it('fails cleanly once closed', async () => {
    await t.ledger.close();
    await rejectsWith(t.ledger.ingest(batch({ records: [record(1)] })), 'GW_INTERNAL');
  });
});

describe('sqlite ledger: quarantine', () => {
  let t: TestLedger;
  beforeEach(async () => { t = await openTestLedger(); });
  afterEach(async () => t.cleanup());

  const bad = (sourceId: string, message = 'mark value missing'): QuarantineInput => ({
    stream: 'marks', sourceId, entityType: 'mark', errorCode: 'GW_RECORD_INVALID', message,
    issues: [{ path: '/value', message: 'required' }], raw: { Mark: null, Id: sourceId },
  });

  it('counts a re-seen entry instead of duplicating it', async () => {
    const r1 = await t.ledger.ingest(batch({ quarantine: [bad('src-7')], runId: 'r1' }));
    assert.equal(r1.quarantined, 1);
    await t.ledger.ingest(batch({ quarantine: [bad('src-7', 'still missing'), bad('src-8')], runId: 'r2', now: at(3) }));
    const open = await t.ledger.listQuarantine({ schoolId: SCHOOL });
    assert.equal(open.length, 2);
    const e = open.find((q) => q.sourceId === 'src-7');
    assert.ok(e);
    assert.deepEqual([e.seenCount, e.firstSeenAt, e.lastSeenAt, e.message, e.runId], [2, at(0), at(3), 'still missing', 'r2']);
    assert.deepEqual(e.issues, [{ path: '/value', message: 'required' }]);
    assert.deepEqual(e.raw, { Mark: null, Id: 'src-7' });
    assert.deepEqual(await t.ledger.getQuarantine(e.id), e);
    assert.equal(await t.ledger.getQuarantine(9999), undefined);
  });

  it('resolves open entries when a valid record with that source id arrives, and re-opens a new one later', async () => {
    await t.ledger.ingest(batch({ quarantine: [bad('src-1'), bad('src-2')] }));
    await t.ledger.ingest(batch({ records: [record(1)], now: at(2) }));
    const open = await t.ledger.listQuarantine({});
    assert.deepEqual(open.map((q) => q.sourceId), ['src-2']);
    const all = await t.ledger.listQuarantine({ includeResolved: true });
    assert.equal(all.find((q) => q.sourceId === 'src-1')?.resolvedAt, at(2));
    assert.equal((await t.ledger.stats()).quarantineOpen, 1);

    await t.ledger.ingest(batch({ quarantine: [bad('src-1')], now: at(4) }));
    const again = await t.ledger.listQuarantine({ includeResolved: true });
    assert.equal(again.filter((q) => q.sourceId === 'src-1').length, 2, 'a resolved entry is history; a new problem opens a new entry');
  });

  it('resolves an open entry when its record is read back unchanged (unchangedSourceIds), and only that one', async () => {
    await t.ledger.ingest(batch({ records: [record(1), record(2)] }));
    // Both records turn invalid at the source; the stored valid versions stay as they are.
    await t.ledger.ingest(batch({ quarantine: [bad('src-1'), bad('src-2')], now: at(1) }));
    assert.equal((await t.ledger.stats()).quarantineOpen, 2);

    const none = await t.ledger.ingest(batch({ unchangedSourceIds: ['src-9'], now: at(2) }));
    assert.equal(none.unchanged, 0);
    assert.equal((await t.ledger.listQuarantine({})).length, 2, 'a source id not in the list resolves nothing');
    await t.ledger.ingest(batch({ unchangedSourceIds: ['src-1'], sourceInstance: 'eljur', now: at(2) }));
    assert.equal((await t.ledger.listQuarantine({})).length, 2, 'another instance resolves nothing');

    // Record 1 went back to its stored content: no write, but its entry is closed.
    const result = await t.ledger.ingest(batch({ records: [record(1)], unchangedSourceIds: ['src-1'], now: at(3) }));
    assert.deepEqual([result.unchanged, result.inserted, result.updated, result.enqueued], [1, 0, 0, 0]);
    assert.deepEqual((await t.ledger.listQuarantine({})).map((q) => q.sourceId), ['src-2']);
    const all = await t.ledger.listQuarantine({ includeResolved: true });
    assert.equal(all.find((q) => q.sourceId === 'src-1')?.resolvedAt, at(3));
    assert.equal(all.find((q) => q.sourceId === 'src-2')?.resolvedAt, undefined);
    assert.equal((await t.ledger.stats()).quarantineOpen, 1);
    assert.equal((await t.ledger.getRecordHistory(record(1).id)).length, 1);

    // Without `records` at all, the list alone resolves too.
    await t.ledger.ingest(batch({ unchangedSourceIds: ['src-2'], now: at(4) }));
    assert.deepEqual(await t.ledger.listQuarantine({}), []);
    assert.deepEqual(await t.ledger.verify(), []);
  });

  it('does not resolve entries of another source instance or school', async () => {
    await t.ledger.ingest(batch({ quarantine: [bad('src-1')], sourceInstance: 'eljur' }));
    await t.ledger.ingest(batch({ records: [record(1)], now: at(1) }));
    assert.equal((await t.ledger.listQuarantine({})).length, 1);
  });

  it('pages through entries', async () => {
    await t.ledger.ingest(batch({ quarantine: [bad('a'), bad('b'), bad('c')] }));
    const page = await t.ledger.listQuarantine({ limit: 1, offset: 1 });
    assert.deepEqual(page.map((q) => q.sourceId), ['b']);
  });
});

describe('sqlite ledger: runs, locks, stats, verify', () => {
  let t: TestLedger;
  beforeEach(async () => { t = await openTestLedger(); });
  afterEach(async () => t.cleanup());

  it('records run summaries newest first', async () => {
    await t.ledger.startRun({ runId: 'r1', schoolId: SCHOOL, sourceInstance: INSTANCE, trigger: 'schedule', startedAt: at(0) });
    await t.ledger.startRun({ runId: 'r2', schoolId: SCHOOL, sourceInstance: 'eljur', trigger: 'manual', startedAt: at(1) });
    const counts = { read: 5, inserted: 3, updated: 1, unchanged: 1, quarantined: 0, enqueued: 4 };
    const error = new GatewayError('GW_SRC_TIMEOUT', 'journal timed out').toJSON();
    await t.ledger.finishRun('r1', { finishedAt: at(2), status: 'partial', counts, streams: { marks: 'ok', lessons: error }, error });
    const runs = await t.ledger.listRuns({});
    assert.deepEqual(runs.map((r) => [r.runId, r.status]), [['r2', 'running'], ['r1', 'partial']]);
    const r1 = runs[1];
    assert.ok(r1);
    assert.deepEqual([r1.finishedAt, r1.counts, r1.streams, r1.error], [at(2), counts, { marks: 'ok', lessons: error }, error]);
    assert.deepEqual(runs[0]?.counts, { read: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0, enqueued: 0 });
    assert.equal(runs[0]?.finishedAt, undefined);
    assert.deepEqual((await t.ledger.listRuns({ sourceInstance: INSTANCE })).map((r) => r.runId), ['r1']);
    assert.equal((await t.ledger.listRuns({ limit: 1 })).length, 1);
  });

  it('takes, refuses, extends and takes over expired locks', async () => {
    assert.equal(await t.ledger.tryLock('sync:s1', 'a', at(10), at(0)), true);
    assert.equal(await t.ledger.tryLock('sync:s1', 'b', at(10), at(5)), false);
    assert.equal(await t.ledger.tryLock('sync:s1', 'a', at(20), at(5)), true, 'the holder may extend');
    assert.equal(await t.ledger.tryLock('sync:s1', 'b', at(30), at(15)), false);
    assert.equal(await t.ledger.tryLock('sync:s1', 'b', at(30), at(20)), true, 'expired at its until');
    await t.ledger.unlock('sync:s1', 'a');
    assert.equal(await t.ledger.tryLock('sync:s1', 'c', at(40), at(21)), false, 'unlock by a non-holder does nothing');
    await t.ledger.unlock('sync:s1', 'b');
    assert.equal(await t.ledger.tryLock('sync:s1', 'c', at(40), at(21)), true);
  });

  it('takes a live lock over from the named owner only, and tells who holds a lock', async () => {
    assert.equal(await t.ledger.lockHolder('sync:s1'), undefined);
    assert.equal(await t.ledger.tryLock('sync:s1', 'a', at(10), at(0)), true);
    assert.deepEqual(await t.ledger.lockHolder('sync:s1'), { owner: 'a', until: at(10) });

    assert.equal(await t.ledger.tryLock('sync:s1', 'b', at(30), at(5), 'x'), false, 'naming someone else takes nothing');
    assert.deepEqual(await t.ledger.lockHolder('sync:s1'), { owner: 'a', until: at(10) });
    assert.equal(await t.ledger.tryLock('sync:s1', 'b', at(30), at(5), 'a'), true, 'taken from a live holder named as dead');
    assert.deepEqual(await t.ledger.lockHolder('sync:s1'), { owner: 'b', until: at(30) });

    assert.equal(await t.ledger.tryLock('sync:s1', 'c', at(40), at(6), 'a'), false, 'a no longer holds it, so c cannot take it from a');
    assert.equal(await t.ledger.tryLock('sync:s1', 'a', at(40), at(6)), false, 'the old holder cannot extend');
    assert.deepEqual(await t.ledger.lockHolder('sync:s1'), { owner: 'b', until: at(30) });

    assert.equal(await t.ledger.tryLock('sync:s2', 'c', at(40), at(6), 'a'), true, 'a free lock is taken as usual');
    assert.deepEqual(await t.ledger.lockHolder('sync:s2'), { owner: 'c', until: at(40) });
    assert.deepEqual(await t.ledger.lockHolder('sync:s1'), { owner: 'b', until: at(30) }, 'locks are independent');

    // lockHolder has no clock: an expired lock is reported until it is taken or released.
    assert.equal(await t.ledger.tryLock('sync:s1', 'b', at(7), at(6)), true, 'the new holder may extend (or shorten)');
    assert.deepEqual(await t.ledger.lockHolder('sync:s1'), { owner: 'b', until: at(7) });
    await t.ledger.unlock('sync:s1', 'b');
    assert.equal(await t.ledger.lockHolder('sync:s1'), undefined);
  });

  it('fails only the running runs of one (school, instance), with the reason in the error', async () => {
    const start = (runId: string, schoolId: string, sourceInstance: string, minute: number) =>
      t.ledger.startRun({ runId, schoolId, sourceInstance, trigger: 'schedule', startedAt: at(minute) });
    await start('mine-1', SCHOOL, INSTANCE, 0);
    await start('done', SCHOOL, INSTANCE, 1);
    await start('other-instance', SCHOOL, 'eljur', 2);
    await start('other-school', 'school-2', INSTANCE, 3);
    await start('mine-2', SCHOOL, INSTANCE, 4);
    const counts = { read: 1, inserted: 1, updated: 0, unchanged: 0, quarantined: 0, enqueued: 1 };
    await t.ledger.finishRun('done', { finishedAt: at(5), status: 'ok', counts });

    const reason = 'process 4242 on host-a died while the run was going';
    assert.equal(await t.ledger.failInterruptedRuns(SCHOOL, INSTANCE, at(9), reason), 2);
    const byId = new Map((await t.ledger.listRuns({})).map((r) => [r.runId, r]));
    for (const id of ['mine-1', 'mine-2']) {
      const r = byId.get(id);
      assert.deepEqual([r?.status, r?.finishedAt, r?.error?.code, r?.error?.message], ['failed', at(9), 'GW_INTERNAL', reason], id);
      assert.deepEqual(r?.counts, { read: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0, enqueued: 0 });
    }
    const done = byId.get('done');
    assert.deepEqual([done?.status, done?.finishedAt, done?.error, done?.counts], ['ok', at(5), undefined, counts]);
    for (const id of ['other-instance', 'other-school']) {
      const r = byId.get(id);
      assert.deepEqual([r?.status, r?.finishedAt, r?.error], ['running', undefined, undefined], id);
    }
    assert.equal(await t.ledger.failInterruptedRuns(SCHOOL, INSTANCE, at(10), 'again'), 0, 'nothing left running');
    const after = await t.ledger.listRuns({ sourceInstance: INSTANCE });
    assert.deepEqual(after.filter((r) => r.runId.startsWith('mine-')).map((r) => [r.finishedAt, r.error?.message]), [[at(9), reason], [at(9), reason]]);
  });

  it('reports stats with every delivery state', async () => {
    const empty = await t.ledger.stats();
    assert.deepEqual(empty, {
      records: 0, quarantineOpen: 0, holdsPending: 0,
      deliveries: { pending: 0, in_flight: 0, delivered: 0, retry_wait: 0, dead: 0, rejected: 0, superseded: 0 },
    });
    await t.ledger.ingest(batch({ records: [record(1), record(2)], now: at(1) }));
    await t.ledger.ingest(batch({ records: [record(1, 2), record(3)], now: at(2) }));
    const s = await t.ledger.stats();
    assert.equal(s.records, 3);
    assert.deepEqual(s.deliveries, { pending: 3, in_flight: 0, delivered: 0, retry_wait: 0, dead: 0, rejected: 0, superseded: 1 });
    assert.equal(s.oldestPendingAt, at(1));
  });

  it('verify finds injected inconsistencies', async () => {
    await t.ledger.ingest(batch({ records: [record(1), record(2), record(3)] }));
    assert.deepEqual(await t.ledger.verify(), []);
    const db = t.peek();
    const r1 = await t.ledger.getRecord(record(1).id);
    assert.ok(r1);
    db.prepare('DELETE FROM record_versions WHERE revision = ?').run(r1.revision);
    db.prepare("INSERT INTO record_versions (record_seq, record_id, content_hash, status, run_id, ingested_at, body) VALUES (999, 'ghost', 'h', 'active', 'r', ?, '{}')").run(at(0));
    db.exec(`INSERT INTO deliveries (sink_id, record_seq, record_id, entity_type, school_id, revision, content_hash, idempotency_key,
      state, max_attempts, created_at, updated_at)
      SELECT sink_id, record_seq, record_id, entity_type, school_id, revision + 1000, content_hash, 'dup', 'retry_wait', 5, created_at, updated_at
      FROM deliveries WHERE record_id = '${record(2).id}'`);
    db.exec(`UPDATE deliveries SET state = 'in_flight' WHERE record_id = '${record(3).id}'`);
    db.exec(`INSERT INTO delivery_attempts (delivery_id, attempt, from_state, to_state, at, actor)
      SELECT id, 1, 'delivered', 'pending', '${at(0)}', 'someone' FROM deliveries LIMIT 1`);
    const problems = await t.ledger.verify();
    const expect = [
      /^records whose current revision has no matching version row: 1 /,
      /^version rows whose record is missing: 1 /,
      /^\(sink, record\) pairs with more than one queued delivery: 1 /,
      /^deliveries pointing to a missing record version: 2 /,
      /^in_flight deliveries without a lease: 1 /,
      /^delivery_attempts with illegal transition delivered -> pending: 1$/,
      // Rows written behind the ledger's back also put the maintained counters out of step.
      /^counter deliveries\.pending is 3, actual 2$/,
      /^counter deliveries\.in_flight is 0, actual 1$/,
      /^counter deliveries\.retry_wait is 0, actual 1$/,
    ];
    for (const re of expect) assert.ok(problems.some((p) => re.test(p)), `${re} in ${JSON.stringify(problems)}`);
    assert.equal(problems.length, expect.length);
  });
});
