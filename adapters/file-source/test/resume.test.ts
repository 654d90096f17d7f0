/**
 * Crash safety of the file source through the real pipeline and ledger: a read that dies after
 * a checkpoint inside a big file resumes at that checkpoint's byte offset (and only when the
 * bytes before it are unchanged), files leave the inbox only once a committed cursor lists them,
 * and a failing archive move never makes a file be read twice.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SourceAdapter, SourceMessage } from '../../../src/core/adapter';
import type { Ledger } from '../../../src/core/ledger';
import { collect, ingestAll, makeContext, tmpDir, tmpLedger } from '../../../test/support/harness';
import { parsePosition } from '../cursor';
import { createFileSource, type FileSourceConfig } from '../index';
import { dropFile } from '../simulator';
import { writeLargeExport } from '../simulator/large';

/** The adapter, dying (as a process would) right after its `n`-th checkpoint was handed over. */
function dyingAfter(adapter: SourceAdapter<FileSourceConfig>, n: number): SourceAdapter<FileSourceConfig> {
  return {
    ...adapter,
    read(ctx, stream, from) {
      return (async function* (): AsyncGenerator<SourceMessage> {
        let seen = 0;
        for await (const m of adapter.read(ctx, stream, from)) {
          yield m;
          if (m.kind === 'checkpoint' && ++seen === n) throw new Error('simulated crash');
        }
      })();
    },
  };
}

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function cursorOf(ledger: Ledger): Promise<ReturnType<typeof parsePosition>> {
  const c = await ledger.getCursor('test-school', 'src', 'files');
  return parsePosition(c ? { v: 1, position: c.position } : null);
}

describe('file source crash safety', function () {
  this.timeout(120_000);

  for (const format of ['csv', 'xml'] as const) {
    it(`${format}: a read that dies inside a big file resumes at the committed byte offset, reads the rest once, and hashes the whole file`, async () => {
      const inbox = tmpDir('dgw-file-resume-');
      const file = path.join(inbox, `marks_big.${format}`);
      const { rows } = await writeLargeExport(file, { format, bytes: 900 * 1024, encoding: format === 'csv' ? 'windows-1251' : 'utf-8' });
      fs.utimesSync(file, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
      const cfg: FileSourceConfig = { inbox, settleMs: 0, checkpointEvery: 500 };
      const { ledger } = await tmpLedger();
      try {
        const adapter = createFileSource();
        const crashed = await ingestAll(ledger, dyingAfter(adapter, 2), makeContext(cfg, { system: 'file' }));
        assert.equal(crashed.status, 'failed');
        const committed = (await ledger.stats()).records;
        const partial = (await cursorOf(ledger)).partial;
        assert.ok(partial, 'a checkpoint inside the file was committed');
        assert.ok(partial.offset > 0 && partial.offset < fs.statSync(file).size);
        assert.equal(partial.records, committed, 'the cursor counts exactly the committed records');
        assert.ok(committed >= 1000 && committed < rows, `committed ${committed} of ${rows}`);

        const resumed = await ingestAll(ledger, adapter, makeContext(cfg, { system: 'file' }));
        assert.equal(resumed.status, 'ok', JSON.stringify(resumed.streams));
        assert.equal(resumed.counts.read, rows - committed, 'only the rest was read');
        assert.equal(resumed.counts.inserted, rows - committed);
        assert.equal(resumed.counts.quarantined, 0);
        assert.equal((await ledger.stats()).records, rows);
        const done = (await cursorOf(ledger)).done;
        assert.deepEqual(done.map((d) => [d.name, d.records, d.sha256]), [[`marks_big.${format}`, rows, sha256(file)]]);
      } finally {
        await ledger.close();
        fs.rmSync(inbox, { recursive: true, force: true });
      }
    });
  }

  it('does not resume a file whose bytes before the offset changed (same name, size and time): it is read from the start', async () => {
    const inbox = tmpDir('dgw-file-resume-');
    const file = path.join(inbox, 'marks_big.csv');
    const { rows } = await writeLargeExport(file, { format: 'csv', bytes: 400 * 1024, encoding: 'utf-8' });
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(file, past, past);
    const cfg: FileSourceConfig = { inbox, settleMs: 0, checkpointEvery: 500 };
    const { ledger } = await tmpLedger();
    try {
      await ingestAll(ledger, dyingAfter(createFileSource(), 1), makeContext(cfg, { system: 'file' }));
      assert.ok((await cursorOf(ledger)).partial);
      // Same length, same mtime, different content at the start (mk-1 → mk-9).
      const bytes = fs.readFileSync(file);
      const at = bytes.indexOf('mk-1;');
      bytes[at + 3] = 0x39;
      fs.writeFileSync(file, bytes);
      fs.utimesSync(file, past, past);
      const r = await ingestAll(ledger, createFileSource(), makeContext(cfg, { system: 'file' }));
      assert.equal(r.status, 'ok');
      assert.equal(r.counts.read, rows, 'read in full');
    } finally {
      await ledger.close();
      fs.rmSync(inbox, { recursive: true, force: true });
    }
  });

  it('a failing archive move keeps the file listed (never read twice) and is retried; a new version of a listed file is read', async () => {
    const inbox = tmpDir('dgw-file-archive-');
    const blocked = path.join(tmpDir('dgw-file-blocked-'), 'archive-is-a-file');
    fs.writeFileSync(blocked, '');
    const cfg: FileSourceConfig = { inbox, settleMs: 0, archive: blocked };
    dropFile(inbox, 'subjects.csv', 'sourceId,title\ns-1,Математика\ns-2,Физика\n');
    const { ledger } = await tmpLedger();
    try {
      const adapter = createFileSource();
      const ctx = makeContext(cfg, { system: 'file' });
      assert.equal((await ingestAll(ledger, adapter, ctx)).counts.inserted, 2);
      const second = await ingestAll(ledger, adapter, ctx);
      assert.equal(second.status, 'ok');
      assert.equal(second.counts.read, 0, 'listed as done: not read again');
      assert.deepEqual((await cursorOf(ledger)).done.map((d) => d.name), ['subjects.csv']);
      assert.ok(fs.existsSync(path.join(inbox, 'subjects.csv')));

      // A new version under the same name is a new file.
      dropFile(inbox, 'subjects.csv', 'sourceId,title\ns-1,Математика\ns-2,Физика\ns-3,Химия\n', new Date(Date.now() - 30_000));
      const third = await ingestAll(ledger, adapter, ctx);
      assert.equal(third.counts.read, 3);
      assert.equal(third.counts.inserted, 1);

      // The archive becomes writable: the next read moves it and the cursor forgets it.
      fs.unlinkSync(blocked);
      await ingestAll(ledger, adapter, ctx);
      assert.deepEqual(fs.readdirSync(blocked), ['subjects.csv']);
      assert.deepEqual((await cursorOf(ledger)).done, []);
    } finally {
      await ledger.close();
      fs.rmSync(inbox, { recursive: true, force: true });
    }
  });

  it('an archive name already taken gets a stamped name instead of being overwritten', async () => {
    const inbox = tmpDir('dgw-file-archive-');
    const archive = path.join(inbox, 'processed');
    fs.mkdirSync(archive);
    fs.writeFileSync(path.join(archive, 'subjects.csv'), 'older');
    dropFile(inbox, 'subjects.csv', 'sourceId,title\ns-1,Математика\n');
    const { ledger } = await tmpLedger();
    try {
      const ctx = makeContext({ inbox, settleMs: 0 }, { system: 'file' });
      await ingestAll(ledger, createFileSource(), ctx);
      await ingestAll(ledger, createFileSource(), ctx);
      const names = fs.readdirSync(archive);
      assert.equal(names.length, 2);
      assert.equal(fs.readFileSync(path.join(archive, 'subjects.csv'), 'utf8'), 'older');
      assert.match(names.find((n) => n !== 'subjects.csv') as string, /^subjects\.\d{4}-\d{2}-\d{2}T\d{6,9}Z-[0-9a-f]{8}\.csv$/);
    } finally {
      await ledger.close();
      fs.rmSync(inbox, { recursive: true, force: true });
    }
  });

  it('checkpoints inside a file carry the offset, line and header, and the checkpoint after it lists the file', async () => {
    const inbox = tmpDir('dgw-file-cp-');
    await writeLargeExport(path.join(inbox, 'marks_cp.csv'), { format: 'csv', bytes: 1024 * 1024, encoding: 'windows-1251' });
    try {
      const msgs = await collect(createFileSource().read(makeContext({ inbox, settleMs: 0, checkpointEvery: 1000 }, { system: 'file' }), 'files', null));
      const positions = msgs.flatMap((m) => (m.kind === 'checkpoint' ? [parsePosition(m.cursor)] : []));
      const inside = positions.filter((p) => p.partial);
      assert.ok(inside.length >= 2);
      for (const p of inside) {
        assert.equal(p.partial?.csv?.delimiter, ';');
        assert.equal(p.partial?.csv?.header[0], 'sourceId');
        assert.equal(p.partial?.encoding, 'windows-1251');
        assert.equal((p.partial?.line ?? 0) - 2, p.partial?.records, 'the next line to read: header and one line per row before it');
      }
      const last = positions[positions.length - 1];
      assert.equal(last?.partial, undefined);
      assert.deepEqual(last?.done.map((d) => d.name), ['marks_cp.csv']);
    } finally {
      fs.rmSync(inbox, { recursive: true, force: true });
    }
  });
});
