/**
 * Delivery throughput (issue 4): records/s through the REST portal sink and through the СМЭВ 3
 * sink, each driven by the real DeliveryWorker over a real SQLite ledger into its simulator on
 * loopback — against a plain HTTP POST loop of the very same request bodies (recorded from the
 * sink's own HTTP client) sent one after another to a fresh instance of the same simulator, in
 * the same run. The ratio is what the gateway's machinery (claim, lease, push, per-item outcome,
 * audit row per attempt; for СМЭВ also XML building, XSD validation and signing) costs on top of
 * the transport.
 *
 * `node dist/bench/delivery.js [records]` (default 5000), or through `npm run bench`.
 */
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunContext, SinkAdapter } from '../src/core/adapter';
import type { HttpClient, HttpRequest } from '../src/core/http';
import type { Ledger } from '../src/core/ledger';
import { DEFAULT_ID_NAMESPACE, makeIdResolver } from '../src/core/ids';
import { nullLogger } from '../src/core/logger';
import { createHttpClient } from '../src/infra/http-client';
import { openLedger } from '../src/ledger';
import { openDatabase } from '../src/ledger/sqlite/connection';
import { DeliveryWorker } from '../src/pipeline/deliver';
import { normalizeRecord } from '../src/pipeline/normalize';
import { restPortalSink, startRestPortalSimulator } from '../adapters/rest-portal-sink';
import { smev3Sink, startSmev3Simulator } from '../adapters/smev3-sink';
import { BENCH_SCHOOL, syntheticMark } from './synthetic';

interface Recorded { url: string; headers: Record<string, string>; body: Buffer }

/** Wraps the sink's HTTP client and keeps every request exactly as sent. */
function recording(inner: HttpClient, into: Recorded[]): HttpClient {
  return {
    request(req: HttpRequest) {
      const headers = { ...(req.headers ?? {}) };
      const body = req.body === undefined ? Buffer.alloc(0)
        : Buffer.isBuffer(req.body) ? req.body : Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body));
      if (!Buffer.isBuffer(req.body) && typeof req.body !== 'string' && req.body !== undefined) headers['content-type'] ??= 'application/json';
      const pairs: Array<[string, string]> = Object.entries(req.params ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]);
      const q = pairs.length > 0 ? `?${new URLSearchParams(pairs).toString()}` : '';
      into.push({ url: `${req.url}${q}`, headers, body });
      return inner.request(req);
    },
  };
}

/** The same requests again, one after another on a keep-alive agent; returns seconds. */
async function postLoop(requests: readonly Recorded[], rebase: (url: string) => string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const t0 = process.hrtime.bigint();
  for (const r of requests) {
    const u = new URL(rebase(r.url));
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ agent, method: 'POST', hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, headers: { ...r.headers, 'content-length': String(r.body.length) } }, (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 500) < 500 ? resolve() : reject(new Error(`HTTP ${res.statusCode ?? '?'}`))));
      });
      req.on('error', reject);
      req.end(r.body);
    });
  }
  agent.destroy();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** A fresh ledger file in `dir` with `n` synthetic marks queued for `sinkId`. */
async function queuedLedger(dir: string, sinkId: string, n: number): Promise<{ ledger: Ledger; file: string }> {
  const file = path.join(dir, `${sinkId}.sqlite`);
  const ledger = openLedger({ driver: 'sqlite', path: file });
  await ledger.migrate();
  const fetchedAt = new Date().toISOString();
  const nctx = { idNamespace: DEFAULT_ID_NAMESPACE, schoolId: BENCH_SCHOOL, sourceSystem: 'bench', adapter: 'bench-source', adapterVersion: '1.0.0', fetchedAt };
  const prepared = Array.from({ length: n }, (_, i) => normalizeRecord(syntheticMark(i), nctx).prepared);
  for (let i = 0; i < n; i += 1000) {
    await ledger.ingest({ runId: 'bench', schoolId: BENCH_SCHOOL, sourceInstance: 'bench', stream: 'marks', records: prepared.slice(i, i + 1000), quarantine: [], routes: [{ sinkId, maxAttempts: 3 }], now: fetchedAt });
  }
  return { ledger, file };
}

export interface LedgerPartBench {
  records: number; batchSize: number;
  /** claim + complete (delivered) through the Ledger contract, records/s. */
  ledgerPerSec: number;
  /** µs per record of claimDeliveries and of completeDeliveries. */
  claimUsPerRecord: number; completeUsPerRecord: number;
  /** The raw limit: the same SELECT of due rows with their bodies and two UPDATEs of the same rows, same file, same pragmas. */
  rawPerSec: number;
  ratio: number;
}

/**
 * The ledger part of a delivery alone, no sink: claim a batch (lease, one audit row per item,
 * payloads) and complete it as delivered (one audit row per item), against the raw limit of
 * the same SQLite work without the machinery — per batch one SELECT of the due rows joined to
 * their bodies, one UPDATE to in_flight and one UPDATE to delivered of the same ids, on a
 * ledger file holding the same rows with the same schema, indexes and pragmas.
 */
export async function benchLedgerPart(n: number, batchSize: number): Promise<LedgerPartBench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dgw-bench-ledger-'));
  try {
    const { ledger } = await queuedLedger(dir, 'ledger-part', n);
    let claimNs = 0n;
    let completeNs = 0n;
    let done = 0;
    for (;;) {
      const now = new Date().toISOString();
      const t0 = process.hrtime.bigint();
      const items = await ledger.claimDeliveries({ sinkId: 'ledger-part', limit: batchSize, now, leaseMs: 60_000, owner: 'bench' });
      const t1 = process.hrtime.bigint();
      if (items.length === 0) break;
      await ledger.completeDeliveries(items.map((i) => ({ deliveryId: i.deliveryId, attempt: i.attempt, to: 'delivered' as const, durationMs: 1 })), now);
      const t2 = process.hrtime.bigint();
      claimNs += t1 - t0;
      completeNs += t2 - t1;
      done += items.length;
    }
    const stats = await ledger.stats();
    await ledger.close();
    if (done !== n || stats.deliveries.delivered !== n) throw new Error(`ledger part: ${stats.deliveries.delivered} of ${n} delivered`);

    const raw = await queuedLedger(dir, 'raw-part', n);
    await raw.ledger.close();
    const db = openDatabase({ path: raw.file });
    const select = db.prepare<[string, number], { id: number; body: string }>(`SELECT d.id, v.body FROM deliveries d JOIN record_versions v ON v.revision = d.revision
      WHERE d.sink_id = ? AND d.state = 'pending' ORDER BY d.next_attempt_at, d.id LIMIT ?`);
    const lease = db.prepare<[string, string]>("UPDATE deliveries SET state = 'in_flight', attempts = attempts + 1, lease_until = ? WHERE id IN (SELECT value FROM json_each(?))");
    const finish = db.prepare<[string, string]>("UPDATE deliveries SET state = 'delivered', lease_until = NULL, delivered_at = ? WHERE id IN (SELECT value FROM json_each(?))");
    const claimRaw = db.transaction((now: string): Array<{ id: number; body: string }> => {
      const rows = select.all('raw-part', batchSize);
      lease.run(now, JSON.stringify(rows.map((r) => r.id)));
      return rows;
    });
    const finishRaw = db.transaction((now: string, ids: string) => { finish.run(now, ids); });
    const r0 = process.hrtime.bigint();
    let rawDone = 0;
    for (;;) {
      const now = new Date().toISOString();
      const rows = claimRaw(now);
      if (rows.length === 0) break;
      finishRaw(now, JSON.stringify(rows.map((r) => r.id)));
      rawDone += rows.length;
    }
    const rawSec = Number(process.hrtime.bigint() - r0) / 1e9;
    db.close();
    if (rawDone !== n) throw new Error(`raw part: ${rawDone} of ${n}`);
    const ledgerSec = Number(claimNs + completeNs) / 1e9;
    return {
      records: n, batchSize, ledgerPerSec: n / ledgerSec,
      claimUsPerRecord: Number(claimNs) / 1e3 / n, completeUsPerRecord: Number(completeNs) / 1e3 / n,
      rawPerSec: n / rawSec, ratio: rawSec / ledgerSec,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function throughSink(name: string, sink: SinkAdapter<Record<string, unknown>>, config: Record<string, unknown>, n: number, batchSize: number, recorded: Recorded[]): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dgw-bench-${name}-`));
  const { ledger } = await queuedLedger(dir, name, n);
  const now = (): Date => new Date();
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const inner = createHttpClient({ log: nullLogger, side: 'sink', now, sleep, maxAttempts: 1 });
  const ctx: RunContext<Record<string, unknown>> = {
    config, schoolId: '*', log: nullLogger, http: recording(inner, recorded), signal: new AbortController().signal,
    ids: makeIdResolver(DEFAULT_ID_NAMESPACE, sink.spec.system, '*'), now, sleep,
  };
  const worker = new DeliveryWorker({
    sinkId: name, adapter: sink, ctx, ledger, log: nullLogger, owner: 'bench', now, sleep,
    policy: { batchSize, maxAttempts: 3, leaseMs: 60_000, pollIntervalMs: 10, backoff: { baseMs: 10, capMs: 100 } },
  });
  const t0 = process.hrtime.bigint();
  let handled = 0;
  while (handled < n) {
    const k = await worker.tick();
    if (k === 0) break;
    handled += k;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const stats = await ledger.stats();
  await ledger.close();
  fs.rmSync(dir, { recursive: true, force: true });
  if (stats.deliveries.delivered !== n) throw new Error(`${name}: ${stats.deliveries.delivered} of ${n} delivered (${JSON.stringify(stats.deliveries)})`);
  return seconds;
}

export interface DeliveryBench { sink: string; records: number; batchSize: number; requests: number; sinkPerSec: number; postPerSec: number; ratio: number }

export async function benchDelivery(n: number, log: (s: string) => void): Promise<{ sinks: DeliveryBench[]; ledger: LedgerPartBench }> {
  const out: DeliveryBench[] = [];
  const lp = await benchLedgerPart(n, 100);
  log(`    ledger part alone (claim + complete as delivered, audit rows, no sink): ${Math.round(lp.ledgerPerSec).toLocaleString('en')} records/s `
    + `(claim ${lp.claimUsPerRecord.toFixed(1)} µs, complete ${lp.completeUsPerRecord.toFixed(1)} µs per record); raw SELECT + 2 UPDATEs of the same rows `
    + `${Math.round(lp.rawPerSec).toLocaleString('en')} records/s; ratio ${lp.ratio.toFixed(2)}`);
  {
    const portal = await startRestPortalSimulator();
    const recorded: Recorded[] = [];
    const s = await throughSink('rest-portal', restPortalSink as unknown as SinkAdapter<Record<string, unknown>>, { baseUrl: portal.env['DIARY_SIM_PORTAL_URL'], token: portal.env['DIARY_SIM_PORTAL_TOKEN'] }, n, 100, recorded);
    await portal.close();
    const fresh = await startRestPortalSimulator();
    const base = new URL(fresh.url);
    const plain = await postLoop(recorded.filter((r) => r.body.length > 0), (u) => { const x = new URL(u); x.host = base.host; return x.toString(); });
    await fresh.close();
    out.push({ sink: 'rest-portal-sink', records: n, batchSize: 100, requests: recorded.length, sinkPerSec: n / s, postPerSec: n / plain, ratio: plain / s });
  }
  {
    const sim = await startSmev3Simulator();
    const recorded: Recorded[] = [];
    const s = await throughSink('smev3', smev3Sink as unknown as SinkAdapter<Record<string, unknown>>, { endpoint: sim.endpoint, signer: { kind: 'test' }, timeoutMs: 30_000 }, n, 100, recorded);
    await sim.close();
    const fresh = await startSmev3Simulator();
    const base = new URL(fresh.endpoint);
    const plain = await postLoop(recorded, (u) => { const x = new URL(u); x.host = base.host; return x.toString(); });
    await fresh.close();
    out.push({ sink: 'smev3-sink', records: n, batchSize: 100, requests: recorded.length, sinkPerSec: n / s, postPerSec: n / plain, ratio: plain / s });
  }
  for (const r of out) {
    log(`    ${r.sink}: ${Math.round(r.sinkPerSec).toLocaleString('en')} records/s through the worker and sink (${r.requests} requests of ≤ ${r.batchSize}); plain POST loop of the same bodies ${Math.round(r.postPerSec).toLocaleString('en')} records/s; ratio ${r.ratio.toFixed(2)}`);
  }
  return { sinks: out, ledger: lp };
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 5000);
  benchDelivery(n, (s) => process.stdout.write(`${s}\n`)).catch((e: unknown) => { process.stderr.write(`${String(e)}\n`); process.exitCode = 1; });
}
