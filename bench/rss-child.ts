/**
 * Child process of the benchmark: takes in N records into a fresh ledger and reports the
 * process's peak RSS (getrusage maxrss), so the figure is not polluted by the parent.
 */
import path from 'node:path';
import { openLedger } from '../src/ledger';
import { ingestSynthetic } from './pipeline';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1_000_000);
  const dir = process.argv[3] ?? '.';
  const ledger = openLedger({ driver: 'sqlite', path: path.join(dir, 'rss-ledger.sqlite') });
  await ledger.migrate();
  const rssBefore = process.resourceUsage().maxRSS;
  const { result, seconds } = await ingestSynthetic(ledger, n, 'rss');
  await ledger.close();
  process.stdout.write(`${JSON.stringify({ n, seconds, inserted: result.counts.inserted, status: result.status, maxRssKb: process.resourceUsage().maxRSS, rssAtStartKb: rssBefore })}\n`);
}

main().catch((e: unknown) => { process.stderr.write(`${String(e)}\n`); process.exit(1); });
