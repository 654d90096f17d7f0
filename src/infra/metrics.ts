/**
 * Prometheus metrics of the gateway.
 *
 * Every gateway instance gets its own prom-client `Registry` (never the global one), so tests and
 * several gateways in one process do not share counters. Queue depths are not counted by hand:
 * they are read from `ledger.stats()` at scrape time, so they cannot drift from the ledger.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DELIVERY_STATES } from '../core/delivery-states';
import type { Ledger, LedgerStats } from '../core/ledger';

export const METRIC_PREFIX = 'diary_gateway_';

/** Names of every metric this module defines (default process metrics aside). */
export const METRIC_NAMES = {
  recordsIn: 'diary_gateway_records_in_total',
  deliveryOutcomes: 'diary_gateway_delivery_outcomes_total',
  runDuration: 'diary_gateway_run_duration_seconds',
  runs: 'diary_gateway_runs_total',
  deliveries: 'diary_gateway_deliveries',
  oldestPendingAge: 'diary_gateway_oldest_pending_age_seconds',
  records: 'diary_gateway_records_total',
  quarantineOpen: 'diary_gateway_quarantine_open',
  holdsPending: 'diary_gateway_holds_pending',
  ledgerUp: 'diary_gateway_ledger_up',
} as const;

export type RecordResult = 'inserted' | 'updated' | 'unchanged' | 'quarantined';
export type DeliveryOutcomeLabel = 'delivered' | 'duplicate' | 'retry' | 'dead' | 'rejected';

export interface GatewayMetrics {
  registry: Registry;
  /** Records taken in, by `result`: inserted | updated | unchanged | quarantined. */
  recordsIn: Counter<'school' | 'source' | 'result'>;
  /** Delivery attempts by `outcome`: delivered | duplicate | retry | dead | rejected. */
  deliveries: Counter<'sink' | 'outcome'>;
  /** Wall time of a source run in seconds; `status` is the run's final status. */
  runDuration: Histogram<'school' | 'source' | 'status'>;
  runs: Counter<'school' | 'source' | 'status'>;
}

export interface CreateMetricsOptions {
  /** When given, queue and record gauges are read from `ledger.stats()` on every scrape. */
  ledger?: Ledger;
  now?: () => Date;
  /** Default process metrics (CPU, memory, event loop). Off only for tests that count lines. */
  defaultMetrics?: boolean;
}

/**
 * Run durations range from a second (nothing changed) to an hour (first full sync of a large
 * school), hence the wide buckets.
 */
const RUN_DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

export function createMetrics(opts: CreateMetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  }

  const recordsIn = new Counter({
    name: METRIC_NAMES.recordsIn,
    help: 'Records read from sources, by result of the ledger write.',
    labelNames: ['school', 'source', 'result'] as const,
    registers,
  });
  // Named *_outcomes_total so its family name does not collide with the diary_gateway_deliveries gauge.
  const deliveries = new Counter({
    name: METRIC_NAMES.deliveryOutcomes,
    help: 'Delivery attempts, by outcome.',
    labelNames: ['sink', 'outcome'] as const,
    registers,
  });
  const runDuration = new Histogram({
    name: METRIC_NAMES.runDuration,
    help: 'Duration of source runs in seconds.',
    labelNames: ['school', 'source', 'status'] as const,
    buckets: RUN_DURATION_BUCKETS,
    registers,
  });
  const runs = new Counter({
    name: METRIC_NAMES.runs,
    help: 'Finished source runs, by status.',
    labelNames: ['school', 'source', 'status'] as const,
    registers,
  });

  if (opts.ledger) registerLedgerGauges(registry, opts.ledger, opts.now ?? (() => new Date()));

  return { registry, recordsIn, deliveries, runDuration, runs };
}

function registerLedgerGauges(registry: Registry, ledger: Ledger, now: () => Date): void {
  const registers = [registry];
  // A scrape collects all gauges concurrently; they share one stats() call (single flight), so
  // a scrape costs one ledger query, not four.
  let inFlight: Promise<LedgerStats | undefined> | undefined;
  const readStats = (): Promise<LedgerStats | undefined> => {
    if (!inFlight) {
      inFlight = ledger.stats().then(
        (s) => s,
        // A closed or busy ledger must not break the whole scrape: diary_gateway_ledger_up says so.
        () => undefined,
      );
      void inFlight.finally(() => { inFlight = undefined; });
    }
    return inFlight;
  };

  new Gauge({
    name: METRIC_NAMES.ledgerUp,
    help: '1 when the last scrape could read ledger statistics, else 0.',
    registers,
    async collect() {
      this.set((await readStats()) ? 1 : 0);
    },
  });
  new Gauge({
    name: METRIC_NAMES.deliveries,
    help: 'Deliveries in the ledger, by state (queue depth).',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const s = await readStats();
      this.reset();
      if (!s) return;
      for (const state of DELIVERY_STATES) this.set({ state }, s.deliveries[state] ?? 0);
    },
  });
  new Gauge({
    name: METRIC_NAMES.oldestPendingAge,
    help: 'Age in seconds of the oldest delivery still pending or waiting to retry (0 when none).',
    registers,
    async collect() {
      const s = await readStats();
      if (!s) return this.reset();
      const at = s.oldestPendingAt ? Date.parse(s.oldestPendingAt) : NaN;
      this.set(Number.isFinite(at) ? Math.max(0, (now().getTime() - at) / 1000) : 0);
    },
  });
  new Gauge({
    name: METRIC_NAMES.records,
    help: 'Canonical records stored in the ledger.',
    registers,
    async collect() {
      const s = await readStats();
      if (!s) return this.reset();
      this.set(s.records);
    },
  });
  new Gauge({
    name: METRIC_NAMES.quarantineOpen,
    help: 'Quarantined records not yet resolved.',
    registers,
    async collect() {
      const s = await readStats();
      if (!s) return this.reset();
      this.set(s.quarantineOpen);
    },
  });
  new Gauge({
    name: METRIC_NAMES.holdsPending,
    help: 'Syncs held by the safety hold, waiting for an operator to approve or reject them.',
    registers,
    async collect() {
      const s = await readStats();
      if (!s) return this.reset();
      this.set(s.holdsPending ?? 0);
    },
  });
}
