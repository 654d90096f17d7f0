/**
 * Child process of the memory test: takes in the files of each inbox in turn through the file
 * source and the real pipeline into one SQLite ledger, and prints after each the peak RSS so far
 * (getrusage maxRSS) as one JSON line. Usage: node rss-child.js <ledger file> <inbox>...
 */
import { DEFAULT_ID_NAMESPACE, makeIdResolver } from '../../../src/core/ids';
import { nullLogger } from '../../../src/core/logger';
import { createHttpClient } from '../../../src/infra/http-client';
import { getCanonicalValidator } from '../../../src/infra/schemas';
import { openLedger } from '../../../src/ledger';
import { runSource } from '../../../src/pipeline/ingest';
import { createFileSource } from '../index';

async function main(): Promise<void> {
  const [ledgerPath, ...inboxes] = process.argv.slice(2) as [string, ...string[]];
  const ledger = openLedger({ driver: 'sqlite', path: ledgerPath });
  await ledger.migrate();
  const adapter = createFileSource();
  const schoolId = 'rss-school';
  const validator = getCanonicalValidator();
  for (const [i, inbox] of inboxes.entries()) {
    const ctx = {
      config: { inbox, settleMs: 0 }, schoolId, log: nullLogger, signal: new AbortController().signal,
      http: createHttpClient({ log: nullLogger, now: () => new Date(), sleep: async () => undefined }),
      ids: makeIdResolver(DEFAULT_ID_NAMESPACE, adapter.spec.system, schoolId), now: () => new Date(), sleep: async () => undefined,
    };
    const r = await runSource({ ledger, validator, log: nullLogger, now: () => new Date() }, {
      runId: `rss-${i}`, schoolId, sourceInstance: `files-${i}`, adapter, ctx, streams: ['files'], routes: [], idNamespace: DEFAULT_ID_NAMESPACE,
    });
    process.stdout.write(`${JSON.stringify({ status: r.status, inserted: r.counts.inserted, quarantined: r.counts.quarantined, maxRssKb: process.resourceUsage().maxRSS })}\n`);
  }
  await ledger.close();
}

main().catch((e: unknown) => { process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`); process.exit(1); });
