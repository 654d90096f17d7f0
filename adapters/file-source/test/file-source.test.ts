/**
 * The file source through the real pipeline into a real SQLite ledger, on the export files the
 * simulator writes. The shared contract suite assumes an HTTP journal (it injects 503 and 429
 * into a server); a folder has neither, so its checks are run here one by one, with the folder's
 * equivalents where they differ:
 * - 503 then 200 → a file that changes while it is read fails the read as retryable and is read
 *   in full by the next run;
 * - 429 + Retry-After → there is no rate limit; the one wait a read makes is the settle wait for
 *   files still being written, on the injected clock, and a file still changing is left for later.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import type { RunContext } from '../../../src/core/adapter';
import { GatewayError } from '../../../src/core/errors';
import type { SimulatorHandle } from '../../../src/core/simulator';
import { getCanonicalValidator } from '../../../src/infra/schemas';
import { checkSpec } from '../../../test/contract/spec-checks';
import { collect, fakeClock, ingestAll, makeContext, tmpDir, tmpLedger, type FakeClock } from '../../../test/support/harness';
import { toCursor } from '../cursor';
import { createFileSource, fileExportSimulator, type FileSourceConfig } from '../index';
import { listInbox } from '../inbox';
import { countRows, demoTables, FILE_FAULT_NAMES } from '../simulator';

const NOW = new Date('2025-10-16T09:00:00Z');
const TODAY = NOW.toISOString().slice(0, 10);

function ctxOf(cfg: FileSourceConfig, clock: FakeClock = fakeClock(new Date())): RunContext<FileSourceConfig> {
  return makeContext(cfg, { clock, system: 'file' });
}

const filesIn = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort() : []);

describe('file source (folder contract and end-to-end)', function () {
  this.timeout(120_000);
  let sim: SimulatorHandle;
  let inbox: string;
  const cfg = (extra: Partial<FileSourceConfig> = {}): FileSourceConfig => ({ inbox, settleMs: 0, ...extra });
  beforeEach(async () => {
    sim = await fileExportSimulator.start({ seed: 7, now: () => NOW });
    inbox = sim.env.DIARY_SIM_FILE_INBOX as string;
  });
  afterEach(async () => { await sim.close(); });

  it('has a config spec that compiles under ajv strict, nothing secret, and streams of canonical entities', () => {
    const adapter = createFileSource();
    assert.equal(adapter.spec.kind, 'source');
    assert.deepEqual(checkSpec(adapter.spec).unmarked, []);
    const v = getCanonicalValidator();
    for (const s of adapter.streams) for (const e of s.entities) assert.ok(v.validatorFor(e), `${s.name}: ${e}`);
  });

  it('check succeeds on the inbox and fails as permanent when the folder is missing or not a folder', async () => {
    const adapter = createFileSource();
    const ok = await adapter.check(ctxOf(cfg()));
    assert.equal(ok.ok, true);
    assert.deepEqual(ok.ok && ok.details, { files: 7, settling: 0 });
    for (const bad of [path.join(inbox, 'missing'), path.join(inbox, 'persons.csv')]) {
      const r = await adapter.check(ctxOf({ inbox: bad }));
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.error.errorClass, 'permanent');
        assert.equal(r.error.code, 'GW_SRC_NOT_FOUND');
        assert.match(r.error.message, /test-school: inbox folder .* does not exist or is not a folder/);
      }
    }
    // A read of a missing inbox fails the same way (and does not create it).
    const { ledger } = await tmpLedger();
    try {
      const r = await ingestAll(ledger, adapter, ctxOf({ inbox: path.join(inbox, 'missing') }));
      assert.equal(r.status, 'failed');
      assert.equal(r.error?.code, 'GW_SRC_NOT_FOUND');
      assert.equal(fs.existsSync(path.join(inbox, 'missing')), false);
    } finally { await ledger.close(); }
  });

  it('a full read takes in every record valid, commits a checkpoint, keeps the files until the next read archives them, and a re-read adds nothing', async () => {
    const { ledger } = await tmpLedger();
    try {
      const adapter = createFileSource();
      const c = ctxOf(cfg());
      const exported = filesIn(inbox);
      const first = await ingestAll(ledger, adapter, c);
      assert.equal(first.status, 'ok', JSON.stringify(first.streams));
      assert.equal(first.counts.inserted, countRows(demoTables(7, TODAY)));
      assert.equal(first.counts.quarantined, 0);
      assert.ok(await ledger.getCursor(c.schoolId, 'src', 'files'), 'checkpoint committed');
      assert.deepEqual(filesIn(inbox), exported, 'nothing moved by the read that took the files in');
      const before = (await ledger.stats()).records;
      const again = await ingestAll(ledger, adapter, c);
      assert.equal(again.status, 'ok');
      assert.equal(again.counts.read, 0, 'taken-in files are not read again');
      assert.equal(again.counts.inserted + again.counts.updated, 0);
      assert.equal((await ledger.stats()).records, before);
      assert.deepEqual(filesIn(inbox), []);
      assert.deepEqual(filesIn(path.join(inbox, 'processed')), exported);
    } finally { await ledger.close(); }
  });

  it('a cursor that already lists every file (the folder\'s "future") yields no records and no error', async () => {
    const files = await listInbox(inbox, Date.now(), 0);
    const cursor = toCursor({ done: files.map((f) => ({ name: f.name, size: f.size, mtimeMs: f.mtimeMs, sha256: 'x', records: 1, invalid: 0 })) }, NOW.toISOString());
    const adapter = createFileSource();
    const msgs = await collect(adapter.read(ctxOf(cfg({ archive: path.join(inbox, '..', 'archive') })), 'files', cursor));
    assert.equal(msgs.filter((m) => m.kind === 'record').length, 0);
    assert.deepEqual(msgs.map((m) => m.kind), ['checkpoint']);
    assert.equal(filesIn(path.join(inbox, '..', 'archive')).length, files.length, 'files a committed cursor lists are archived');
  });

  it('503 then 200, for a folder: a file changing while read fails the read as retryable, and the next run reads it all', async () => {
    for (const f of filesIn(inbox)) if (f !== 'attendance_events.csv') fs.unlinkSync(path.join(inbox, f));
    const adapter = createFileSource();
    const c = ctxOf(cfg());
    const it = adapter.read(c, 'files', null)[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.value?.kind, 'record');
    fs.appendFileSync(path.join(inbox, 'attendance_events.csv'), iconv.encode('a-x;st-001;;16.10.2025;Н;unknown\r\n', 'win1251'));
    let err: unknown;
    try { while (!(await it.next()).done) { /* drain */ } } catch (e) { err = e; }
    assert.ok(err instanceof GatewayError, String(err));
    assert.equal(err.code, 'GW_SRC_UNAVAILABLE');
    assert.equal(err.errorClass, 'retryable');
    const { ledger } = await tmpLedger();
    try {
      const r = await ingestAll(ledger, adapter, c);
      assert.equal(r.status, 'ok', JSON.stringify(r.streams));
      assert.equal(r.counts.quarantined, 0);
      assert.equal(r.counts.inserted, demoTables(7, TODAY).find((t) => t.stream === 'attendance_events')!.rows.length + 1);
    } finally { await ledger.close(); }
  });

  it('429 has no folder equivalent; the settle wait is on the injected clock, and a file still being written is left for a later run', async () => {
    for (const f of filesIn(inbox)) if (f !== 'subjects.csv') fs.unlinkSync(path.join(inbox, f));
    const now = new Date();
    fs.utimesSync(path.join(inbox, 'subjects.csv'), now, now);
    const adapter = createFileSource();
    // While the read waits, more of the file arrives: it is not read now.
    const growing = fakeClock(now);
    const c1 = { ...ctxOf(cfg({ settleMs: 3000 }), growing), sleep: async (ms: number) => { await growing.sleep(ms); fs.appendFileSync(path.join(inbox, 'subjects.csv'), 's-x,Черчение\n'); } };
    const m1 = await collect(adapter.read(c1, 'files', null));
    assert.deepEqual(growing.sleeps, [3000]);
    assert.equal(m1.filter((m) => m.kind === 'record').length, 0);
    // Unchanged over the wait: read.
    const clock = fakeClock(new Date());
    const m2 = await collect(adapter.read(ctxOf(cfg({ settleMs: 3000 }), clock), 'files', null));
    assert.deepEqual(clock.sleeps, [3000]);
    assert.equal(m2.filter((m) => m.kind === 'record').length, 7);
    // Settled files cost no wait at all.
    const later = fakeClock(new Date(Date.now() + 60_000));
    await collect(adapter.read(ctxOf(cfg({ settleMs: 3000 }), later), 'files', null));
    assert.deepEqual(later.sleeps, []);
  });

  it('quarantines malformed rows with file, line and field while the rest of the file goes on', async () => {
    for (const f of filesIn(inbox)) fs.unlinkSync(path.join(inbox, f));
    sim.inject({ kind: 'malformed', count: 2 });
    const { ledger } = await tmpLedger();
    try {
      const r = await ingestAll(ledger, createFileSource(), ctxOf(cfg()));
      assert.equal(r.status, 'ok', JSON.stringify(r.streams));
      assert.equal(r.counts.quarantined, 2);
      assert.equal(r.counts.inserted, 3);
      const q = (await ledger.listQuarantine({})).sort((a, b) => a.sourceId.localeCompare(b.sourceId));
      assert.deepEqual(q.map((x) => [x.sourceId, x.errorCode, x.issues.map((i) => i.path)]), [
        ['fault-mk-1000', 'GW_RECORD_UNMAPPABLE', ['/value/numeric']],
        ['fault-mk-1001', 'GW_RECORD_UNMAPPABLE', ['/date']],
      ]);
      assert.match(q[0]!.message, /marks_malformed_1\.csv line 3: value\.numeric not a number/);
      assert.match(q[1]!.message, /marks_malformed_1\.csv line 4: date not a date/);
      for (const x of q) assert.doesNotMatch(x.message, /пять|31\.02/);
    } finally { await ledger.close(); }
  });

  it('refuses broken and hostile files whole: moved to failed/ with an error note, quarantined by file name; .part files are left alone', async () => {
    for (const f of filesIn(inbox)) fs.unlinkSync(path.join(inbox, f));
    sim.inject({ kind: 'shape-change' });
    for (const name of FILE_FAULT_NAMES) sim.inject({ kind: 'custom', name });
    fs.writeFileSync(path.join(inbox, 'notes.docx'), 'PK');
    const { ledger } = await tmpLedger();
    try {
      const r = await ingestAll(ledger, createFileSource(), ctxOf(cfg()));
      assert.equal(r.status, 'ok', JSON.stringify(r.streams));
      assert.equal(r.counts.inserted, 0);
      const q = await ledger.listQuarantine({});
      const reasons = Object.fromEntries(q.map((x) => [x.sourceId, /refused \(([a-z0-9-]+)\)/.exec(x.message)?.[1]]));
      assert.deepEqual(reasons, {
        'file:marks_shape_1.csv': 'csv-header', 'file:laughs_2.xml': 'xml-entity-declaration', 'file:xxe_3.xml': 'xml-entity-declaration',
        'file:marks_badenc_4.csv': 'encoding-invalid', 'file:marks_binary_5.csv': 'binary', 'file:marks_html_6.csv': 'format-mismatch',
        'file:other_7.xml': 'xml-school-mismatch', 'file:notes.docx': 'format-unknown',
      });
      assert.deepEqual(filesIn(inbox), ['marks_partial_8.csv.part']);
      const failed = filesIn(path.join(inbox, 'failed'));
      assert.equal(failed.length, 16);
      const note = fs.readFileSync(path.join(inbox, 'failed', 'xxe_3.xml.error.txt'), 'utf8');
      assert.match(note, /^Файл не принят шлюзом/);
      assert.match(note, /Школа: test-school\nФайл: xxe_3\.xml/);
      assert.match(note, /reason=xml-entity-declaration/);
      assert.doesNotMatch(note, /root:/);
    } finally { await ledger.close(); }
  });

  it('files of a disabled format, and files over maxFileBytes, are refused unread', async () => {
    for (const f of filesIn(inbox)) if (f !== 'timetable.xml' && f !== 'persons.csv') fs.unlinkSync(path.join(inbox, f));
    const size = fs.statSync(path.join(inbox, 'persons.csv')).size;
    const failedDir = tmpDir('dgw-file-failed-');
    const msgs = await collect(createFileSource().read(ctxOf(cfg({ formats: ['csv'], maxFileBytes: size - 1, failed: failedDir })), 'files', null));
    assert.deepEqual(msgs.filter((m) => m.kind === 'invalid').map((m) => m.kind === 'invalid' && m.error.message.replace(/: .*/, '')), [
      'file persons.csv refused (too-large)', 'file timetable.xml refused (format-disabled)',
    ]);
    assert.deepEqual(filesIn(failedDir), ['persons.csv', 'persons.csv.error.txt', 'timetable.xml', 'timetable.xml.error.txt']);
  });
});
