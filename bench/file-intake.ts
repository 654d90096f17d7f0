/**
 * File intake benchmark: `node dist/bench/file-intake.js [sizeMB] [--json] [--keep]` (default 200 MB).
 *
 * For each format — CSV in windows-1251 with `;` (as Russian journals export), and XML in UTF-8 —
 * it writes a marks export of `sizeMB` into a temporary inbox, then a fresh child process takes
 * it in through the real pipeline (file-source adapter → runSource → SQLite ledger file) and
 * reports records/s, the peak RSS (getrusage maxRSS) and the RSS sampled during the read, so the
 * figure is not polluted by the generator. Memory must stay flat as the file grows: compare
 * `peakRssMb` across sizes.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_ID_NAMESPACE, makeIdResolver } from '../src/core/ids';
import { nullLogger } from '../src/core/logger';
import { createHttpClient } from '../src/infra/http-client';
import { getCanonicalValidator } from '../src/infra/schemas';
import { openLedger } from '../src/ledger';
import { runSource } from '../src/pipeline/ingest';
import { createFileSource } from '../adapters/file-source';
import { writeLargeExport } from '../adapters/file-source/simulator/large';

interface ChildResult {
  format: string; fileMb: number; records: number; quarantined: number; status: string; seconds: number;
  recordsPerSec: number; rssAtStartMb: number; peakRssMb: number; samplesMb: number[];
}

const MB = 1024 * 1024;

async function child(inbox: string, ledgerPath: string, format: string): Promise<void> {
  const ledger = openLedger({ driver: 'sqlite', path: ledgerPath });
  await ledger.migrate();
  const validator = getCanonicalValidator();
  const adapter = createFileSource();
  const schoolId = 'bench-school';
  const ctx = {
    config: { inbox, settleMs: 0 }, schoolId, log: nullLogger, signal: new AbortController().signal,
    http: createHttpClient({ log: nullLogger, now: () => new Date(), sleep: async () => undefined }),
    ids: makeIdResolver(DEFAULT_ID_NAMESPACE, adapter.spec.system, schoolId), now: () => new Date(), sleep: async () => undefined,
  };
  const fileBytes = fs.readdirSync(inbox).reduce((n, f) => n + fs.statSync(path.join(inbox, f)).size, 0);
  const rssAtStart = process.memoryUsage().rss;
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(process.memoryUsage().rss), 1000);
  const t0 = process.hrtime.bigint();
  const r = await runSource({ ledger, validator, log: nullLogger, now: () => new Date() }, {
    runId: 'bench', schoolId, sourceInstance: 'files', adapter, ctx, streams: ['files'], routes: [], idNamespace: DEFAULT_ID_NAMESPACE,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(timer);
  await ledger.close();
  const pick = (q: number): number => Math.round((samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0) / MB);
  const out: ChildResult = {
    format, fileMb: Math.round(fileBytes / MB), records: r.counts.inserted, quarantined: r.counts.quarantined, status: r.status,
    seconds: Math.round(seconds * 10) / 10, recordsPerSec: Math.round(r.counts.read / seconds),
    rssAtStartMb: Math.round(rssAtStart / MB), peakRssMb: Math.round((process.resourceUsage().maxRSS * 1024) / MB),
    samplesMb: [0.1, 0.25, 0.5, 0.75, 0.99].map(pick),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await child(process.argv[3] as string, process.argv[4] as string, process.argv[5] as string);
    return;
  }
  const sizeMb = Number(process.argv.find((a, i) => i >= 2 && /^\d+$/.test(a)) ?? 200);
  const json = process.argv.includes('--json');
  const keep = process.argv.includes('--keep');
  const say = (s: string): void => { if (!json) process.stdout.write(`${s}\n`); };
  say(`file intake bench — node ${process.version}, ${os.cpus().length} cpu(s), ${sizeMb} MB per file`);
  const results: ChildResult[] = [];
  for (const [format, encoding] of [['csv', 'windows-1251'], ['xml', 'utf-8']] as const) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dgw-file-bench-'));
    try {
      const inbox = path.join(dir, 'inbox');
      fs.mkdirSync(inbox);
      const file = path.join(inbox, `marks_bench.${format}`);
      const t0 = Date.now();
      const w = await writeLargeExport(file, { format, bytes: sizeMb * MB, encoding });
      say(`${format}: wrote ${w.rows.toLocaleString('en')} rows, ${(w.bytes / MB).toFixed(0)} MB ${encoding} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const stdout = execFileSync(process.execPath, [__filename, '--child', inbox, path.join(dir, 'ledger.sqlite'), format], { encoding: 'utf8', maxBuffer: 16 * MB });
      const r = JSON.parse(stdout.trim().split('\n').pop() as string) as ChildResult;
      results.push(r);
      say(`${format}: ${r.status}, ${r.records.toLocaleString('en')} records in ${r.seconds} s = ${r.recordsPerSec.toLocaleString('en')} records/s; `
        + `RSS at start ${r.rssAtStartMb} MB, peak ${r.peakRssMb} MB, during the read ${r.samplesMb.join(' / ')} MB (10/25/50/75/99 %)`);
    } finally {
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
      else say(`kept ${dir}`);
    }
  }
  if (json) process.stdout.write(`${JSON.stringify({ sizeMb, results })}\n`);
}

main().catch((e: unknown) => { process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`); process.exit(1); });
