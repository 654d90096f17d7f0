/**
 * Memory is bounded by the stream, not by the file: a child process (V8 heap capped at 96 MB)
 * takes in a 30 MB export to warm up (the ledger's 64 MiB SQLite page cache fills), then a 60 MB
 * windows-1251 CSV and a 40 MB UTF-8 XML through the real pipeline; peak RSS may not grow by more
 * than a few chunks' worth meanwhile. A reader that held a 60 MB file (as a JS string, twice its
 * size) could not even run under that heap cap. The 1 GB figures are in the README (bench/file-intake.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { tmpDir } from '../../../test/support/harness';
import { writeLargeExport } from '../simulator/large';

const MB = 1024 * 1024;

describe('file source memory bound', function () {
  this.timeout(300_000);

  it('peak RSS does not grow with the size of the file once warm (30 MB, then 60 MB CSV and 40 MB XML, heap capped at 96 MB)', async () => {
    const dir = tmpDir('dgw-file-rss-');
    try {
      const plan = [['csv', 30], ['csv', 60], ['xml', 40]] as const;
      const inboxes: string[] = [];
      const rows: number[] = [];
      for (const [i, [format, mb]] of plan.entries()) {
        const inbox = path.join(dir, `inbox${i}`);
        fs.mkdirSync(inbox);
        inboxes.push(inbox);
        // Distinct records per file: offset the homework numbers so nothing is deduplicated away.
        const w = await writeLargeExport(path.join(inbox, `homework_${i}.${format}`), { format, bytes: mb * MB, encoding: format === 'csv' ? 'windows-1251' : 'utf-8', entity: 'homework', firstRow: i * 1_000_000 });
        rows.push(w.rows);
      }
      const child = path.join(__dirname, 'rss-child.js');
      const { stdout } = await promisify(execFile)(process.execPath, ['--max-old-space-size=96', child, path.join(dir, 'ledger.sqlite'), ...inboxes], { maxBuffer: MB });
      const runs = stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string; inserted: number; quarantined: number; maxRssKb: number });
      assert.deepEqual(runs.map((r) => [r.status, r.inserted, r.quarantined]), rows.map((n) => ['ok', n, 0]));
      const [warm, csv, xml] = runs.map((r) => r.maxRssKb / 1024) as [number, number, number];
      assert.ok(csv - warm < 24, `60 MB CSV grew peak RSS by ${(csv - warm).toFixed(1)} MB (warm ${warm.toFixed(0)} MB)`);
      assert.ok(xml - warm < 24, `40 MB XML grew peak RSS by ${(xml - warm).toFixed(1)} MB (warm ${warm.toFixed(0)} MB)`);
      assert.ok(xml < 300, `peak RSS ${xml.toFixed(0)} MB`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
