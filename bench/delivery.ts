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
import { DEFAULT_ID_NAMESPACE, makeIdResolver } from '../src/core/ids';
import { nullLogger } from '../src/core/logger';
import { createHttpClient } from '../src/infra/http-client';
import { openLedger } from '../src/ledger';
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

async function throughSink(name: string, sink: SinkAdapter<Record<string, unknown>>, config: Record<string, unknown>, n: number, batchSize: number, recorded: Recorded[]): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dgw-bench-${name}-`));
  const ledger = openLedger({ driver: 'sqlite', path: path.join(dir, 'ledger.sqlite') });
  await ledger.migrate();
  const fetchedAt = new Date().toISOString();
  const nctx = { idNamespace: DEFAULT_ID_NAMESPACE, schoolId: BENCH_SCHOOL, sourceSystem: 'bench', adapter: 'bench-source', adapterVersion: '1.0.0', fetchedAt };
  const prepared = Array.from({ length: n }, (_, i) => normalizeRecord(syntheticMark(i), nctx).prepared);
  for (let i = 0; i < n; i += 1000) {
    await ledger.ingest({ runId: 'bench', schoolId: BENCH_SCHOOL, sourceInstance: 'bench', stream: 'marks', records: prepared.slice(i, i + 1000), quarantine: [], routes: [{ sinkId: name, maxAttempts: 3 }], now: fetchedAt });
  }
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

export async function benchDelivery(n: number, log: (s: string) => void): Promise<DeliveryBench[]> {
  const out: DeliveryBench[] = [];
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
  return out;
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 5000);
  benchDelivery(n, (s) => process.stdout.write(`${s}\n`)).catch((e: unknown) => { process.stderr.write(`${String(e)}\n`); process.exitCode = 1; });
}
