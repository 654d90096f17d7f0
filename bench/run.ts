/**
 * `npm run bench` — prints figures and ratios (add `-- --json` for JSON):
 *  (a) full-pipeline ingest rate vs raw batched SQLite inserts of the same canonical records
 *      (one row per record, one table, same journal mode and synchronous setting), same run;
 *  (b) re-read rate of unchanged data;
 *  (c) peak RSS of a fresh process taking in 1,000,000 records;
 *  (d) delivery records/s through the REST portal sink and the СМЭВ 3 sink (DeliveryWorker, SQLite
 *      ledger, simulators) vs a plain HTTP POST loop of the same recorded bodies, same run; and the
 *      ledger part alone (claim + complete) vs raw SELECT + UPDATEs of the same rows;
 *  (e)/(f) the ФГИС pull API on a school of 1,000 students vs a raw select of the same rows, and
 *      push-intake revision lookups (bench/fgis.ts; also runnable alone: node dist/bench/fgis.js).
 * Targets (issue 2): (a) ratio ≥ 0.5, (b) ≥ 100,000 records/s, (c) ≤ 300 MB.
 * Options: --records N (default 200000) for (a)/(b), --rss-records N (default 1000000), --skip-rss,
 * --delivery-records N (default 5000), --skip-delivery, --skip-fgis.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DEFAULT_ID_NAMESPACE } from '../src/core/ids';
import { openLedger } from '../src/ledger';
import { normalizeRecord } from '../src/pipeline/normalize';
import { benchDelivery } from './delivery';
import { benchFgis } from './fgis';
import { ingestSynthetic } from './pipeline';
import { BENCH_SCHOOL, syntheticMark } from './synthetic';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const JSON_OUT = process.argv.includes('--json');
const N = arg('--records', 200_000);
const RSS_N = arg('--rss-records', 1_000_000);
const BATCH = 1000;

function rawInsertRate(dir: string, bodies: Array<{ id: string; body: string }>): number {
  const db = new Database(path.join(dir, 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE raw (id TEXT PRIMARY KEY, body TEXT NOT NULL)');
  const ins = db.prepare('INSERT INTO raw (id, body) VALUES (?, ?)');
  const tx = db.transaction((rows: Array<{ id: string; body: string }>) => { for (const r of rows) ins.run(r.id, r.body); });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < bodies.length; i += BATCH) tx(bodies.slice(i, i + BATCH));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  db.close();
  return bodies.length / s;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dgw-bench-'));
  const log = (s: string): void => { if (!JSON_OUT) process.stdout.write(`${s}\n`); };
  log(`diary-gateway bench — node ${process.version}, ${os.cpus().length} cpu(s), ${os.cpus()[0]?.model ?? ''}`);
  log(`(a) ingest of ${N.toLocaleString('en')} canonical marks, batches of ${BATCH}`);

  // The same canonical records, serialised beforehand: the raw limit is the insert alone.
  const fetchedAt = new Date().toISOString();
  const bodies: Array<{ id: string; body: string }> = [];
  for (let i = 0; i < N; i++) {
    const n = normalizeRecord(syntheticMark(i), { idNamespace: DEFAULT_ID_NAMESPACE, schoolId: BENCH_SCHOOL, sourceSystem: 'bench', adapter: 'bench-source', adapterVersion: '1.0.0', fetchedAt });
    bodies.push({ id: n.prepared.id, body: n.prepared.body });
  }
  const avgBody = Math.round(bodies.reduce((a, b) => a + b.body.length, 0) / bodies.length);
  const raw = rawInsertRate(dir, bodies);
  bodies.length = 0;
  log(`    raw batched INSERT (1 table, WAL, synchronous=NORMAL): ${Math.round(raw).toLocaleString('en')} records/s (avg body ${avgBody} B)`);

  const ledger = openLedger({ driver: 'sqlite', path: path.join(dir, 'ledger.sqlite') });
  await ledger.migrate();
  const first = await ingestSynthetic(ledger, N, 'bench-1');
  if (first.result.counts.inserted !== N) throw new Error(`expected ${N} inserted, got ${JSON.stringify(first.result.counts)}`);
  const pipe = N / first.seconds;
  log(`    full pipeline (normalize, hash, dedup, validate, ledger + history + 1 outbox row): ${Math.round(pipe).toLocaleString('en')} records/s`);
  log(`    ratio pipeline/raw: ${(pipe / raw).toFixed(2)}  (target ≥ 0.50)`);

  log(`(b) re-read of the same ${N.toLocaleString('en')} unchanged records`);
  const second = await ingestSynthetic(ledger, N, 'bench-2');
  if (second.result.counts.unchanged !== N) throw new Error(`expected ${N} unchanged, got ${JSON.stringify(second.result.counts)}`);
  const reread = N / second.seconds;
  log(`    ${Math.round(reread).toLocaleString('en')} records/s  (target ≥ 100,000)`);
  await ledger.close();

  let rss: { n: number; seconds: number; maxRssKb: number } | undefined;
  if (!process.argv.includes('--skip-rss')) {
    log(`(c) peak RSS of a fresh process taking in ${RSS_N.toLocaleString('en')} records`);
    const out = execFileSync(process.execPath, [path.join(__dirname, 'rss-child.js'), String(RSS_N), dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
    rss = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { n: number; seconds: number; maxRssKb: number };
    log(`    peak RSS ${(rss.maxRssKb / 1024).toFixed(0)} MB (target ≤ 300 MB); ${Math.round(rss.n / rss.seconds).toLocaleString('en')} records/s over ${rss.seconds.toFixed(1)} s`);
  }
  const DN = arg('--delivery-records', 5000);
  log(`(d) delivery of ${DN.toLocaleString('en')} marks, batches of 100, against a plain HTTP POST loop of the same bodies`);
  const deliveryRun = process.argv.includes('--skip-delivery') ? undefined : await benchDelivery(DN, log);
  const fgisRun = process.argv.includes('--skip-fgis') ? undefined : await benchFgis(log);
  const delivery = deliveryRun?.sinks ?? [];
  const lp = deliveryRun?.ledger;
  const result = {
    node: process.version, cpus: os.cpus().length, records: N,
    delivery: delivery.map((d) => ({ ...d, sinkPerSec: Math.round(d.sinkPerSec), postPerSec: Math.round(d.postPerSec), ratio: Number(d.ratio.toFixed(3)) })),
    ...(lp ? {
      deliveryLedger: {
        records: lp.records, batchSize: lp.batchSize, ledgerPerSec: Math.round(lp.ledgerPerSec), rawPerSec: Math.round(lp.rawPerSec), ratio: Number(lp.ratio.toFixed(3)),
        claimUsPerRecord: Number(lp.claimUsPerRecord.toFixed(1)), completeUsPerRecord: Number(lp.completeUsPerRecord.toFixed(1)),
      },
    } : {}),
    rawInsertPerSec: Math.round(raw), pipelinePerSec: Math.round(pipe), ratio: Number((pipe / raw).toFixed(3)),
    unchangedRereadPerSec: Math.round(reread),
    ...(rss ? { rss: { records: rss.n, peakRssMb: Math.round(rss.maxRssKb / 1024), perSec: Math.round(rss.n / rss.seconds) } } : {}),
    ...(fgisRun ?? {}),
    targets: { ratio: 0.5, unchangedRereadPerSec: 100_000, peakRssMb: 300 },
  };
  if (JSON_OUT) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e: unknown) => { process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`); process.exit(1); });
