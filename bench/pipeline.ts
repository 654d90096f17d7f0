/** Runs the real ingest pipeline (normalize → dedup → validate → ledger + outbox) on synthetic data. */
import { makeIdResolver, DEFAULT_ID_NAMESPACE } from '../src/core/ids';
import type { Ledger } from '../src/core/ledger';
import { nullLogger } from '../src/core/logger';
import { createHttpClient } from '../src/infra/http-client';
import { getCanonicalValidator } from '../src/infra/schemas';
import { runSource, type SourceRunResult } from '../src/pipeline/ingest';
import { BENCH_SCHOOL, syntheticSource } from './synthetic';

export async function ingestSynthetic(ledger: Ledger, n: number, runId: string, variant = 0): Promise<{ result: SourceRunResult; seconds: number }> {
  const adapter = syntheticSource(n, 1000, variant);
  const validator = getCanonicalValidator();
  const ctx = {
    config: {}, schoolId: BENCH_SCHOOL, log: nullLogger, signal: new AbortController().signal,
    http: createHttpClient({ log: nullLogger, now: () => new Date(), sleep: async () => undefined }),
    ids: makeIdResolver(DEFAULT_ID_NAMESPACE, 'bench', BENCH_SCHOOL), now: () => new Date(), sleep: async () => undefined,
  };
  const t0 = process.hrtime.bigint();
  const result = await runSource({ ledger, validator, log: nullLogger, now: () => new Date() }, {
    runId, schoolId: BENCH_SCHOOL, sourceInstance: 'bench', adapter, ctx, streams: ['marks'],
    routes: [{ sinkId: 'portal', maxAttempts: 8 }], idNamespace: DEFAULT_ID_NAMESPACE, batchSize: 1000,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { result, seconds };
}
