import { canTransition, DELIVERY_STATES, type DeliveryState } from '../../core/delivery-states';
import type { LedgerStats } from '../../core/ledger';
import type { StatementCache } from './connection';
import { deliveryCounter } from './counters';

/** How many offending keys a problem line names; the count is always complete. */
const EXAMPLES = 5;

interface Check {
  problem: string;
  /** Returns one key per offending row. */
  sql: string;
}

const CHECKS: readonly Check[] = [
  {
    problem: 'records whose current revision has no matching version row',
    sql: `SELECT r.id AS k FROM records r LEFT JOIN record_versions v ON v.revision = r.revision
          WHERE v.revision IS NULL OR v.record_seq <> r.seq OR v.content_hash <> r.content_hash`,
  },
  {
    problem: 'version rows whose record is missing',
    sql: `SELECT v.revision AS k FROM record_versions v
          WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.seq = v.record_seq AND r.id = v.record_id)`,
  },
  {
    // A newer version may wait while an older one is in flight, so the rule is per group:
    // at most one waiting (pending/retry_wait) and at most one in flight per (sink, record).
    problem: '(sink, record) pairs with more than one queued delivery',
    sql: `SELECT sink_id || ' ' || MIN(record_id) AS k FROM deliveries
          WHERE state IN ('pending', 'retry_wait', 'in_flight') GROUP BY sink_id, record_seq
          HAVING SUM(state IN ('pending', 'retry_wait')) > 1 OR SUM(state = 'in_flight') > 1`,
  },
  {
    problem: 'deliveries pointing to a missing record version',
    sql: `SELECT d.id AS k FROM deliveries d LEFT JOIN record_versions v ON v.revision = d.revision
          WHERE v.revision IS NULL OR v.record_seq <> d.record_seq OR v.record_id <> d.record_id`,
  },
  {
    problem: 'in_flight deliveries without a lease',
    sql: "SELECT id AS k FROM deliveries WHERE state = 'in_flight' AND (lease_until IS NULL OR lease_owner IS NULL)",
  },
  {
    problem: 'staged changes of a decided hold (should have been applied or discarded)',
    sql: "SELECT s.id AS k FROM staged_changes s JOIN holds h ON h.id = s.hold_id WHERE h.state <> 'pending'",
  },
  {
    problem: 'delivery_attempts rows whose delivery is missing',
    sql: 'SELECT a.id AS k FROM delivery_attempts a WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id)',
  },
];

/** Full consistency check: every problem is one line; empty = consistent. Reads the whole ledger. */
export function verifyLedger(q: StatementCache): string[] {
  const problems: string[] = [];
  const integrity = q.get<{ integrity_check: string }>('PRAGMA integrity_check').all().map((r) => r.integrity_check);
  if (integrity.length !== 1 || integrity[0] !== 'ok') {
    problems.push(`integrity_check: ${integrity.slice(0, EXAMPLES).join('; ')}`);
  }
  for (const check of CHECKS) {
    const keys = q.get<{ k: string | number }>(check.sql).all().map((r) => String(r.k));
    if (keys.length > 0) problems.push(describe(check.problem, keys));
  }
  const moves = q.get<{ from_state: string; to_state: string; n: number }>(
    'SELECT from_state, to_state, COUNT(*) AS n FROM delivery_attempts GROUP BY from_state, to_state',
  ).all();
  for (const m of moves) {
    if (!isState(m.from_state) || !isState(m.to_state) || !canTransition(m.from_state, m.to_state)) {
      problems.push(`delivery_attempts with illegal transition ${m.from_state} -> ${m.to_state}: ${m.n}`);
    }
  }
  problems.push(...counterDrift(q));
  return problems;
}

function counterDrift(q: StatementCache): string[] {
  const stored = new Map(q.get<{ name: string; n: number }>('SELECT name, n FROM counters').all().map((r) => [r.name, r.n]));
  const actual = new Map<string, number>(DELIVERY_STATES.map((s) => [deliveryCounter(s), 0]));
  for (const row of q.get<{ state: DeliveryState; n: number }>('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state').all()) {
    actual.set(deliveryCounter(row.state), row.n);
  }
  actual.set('records', q.get<{ n: number }>('SELECT COUNT(*) AS n FROM records').get()?.n ?? 0);
  actual.set('holds.pending', q.get<{ n: number }>("SELECT COUNT(*) AS n FROM holds WHERE state = 'pending'").get()?.n ?? 0);
  const drift: string[] = [];
  for (const [name, n] of actual) {
    if (stored.get(name) !== n) drift.push(`counter ${name} is ${String(stored.get(name))}, actual ${n}`);
  }
  return drift;
}

/** Reads maintained counters and two index probes: constant time however large the ledger. */
export function ledgerStats(q: StatementCache): LedgerStats {
  const counters = new Map(q.get<{ name: string; n: number }>('SELECT name, n FROM counters').all().map((r) => [r.name, r.n]));
  const deliveries = Object.fromEntries(DELIVERY_STATES.map((s) => [s, counters.get(deliveryCounter(s)) ?? 0])) as Record<DeliveryState, number>;
  const records = counters.get('records') ?? 0;
  const quarantineOpen = q.get<{ n: number }>('SELECT COUNT(*) AS n FROM quarantine WHERE resolved_at IS NULL').get()?.n ?? 0;
  const oldest = q.get<{ t: string | null }>(
    "SELECT MIN(created_at) AS t FROM deliveries WHERE state IN ('pending', 'retry_wait')",
  ).get()?.t ?? null;
  const holdsPending = counters.get('holds.pending') ?? 0;
  return { records, quarantineOpen, holdsPending, deliveries, ...(oldest === null ? {} : { oldestPendingAt: oldest }) };
}

function describe(problem: string, keys: string[]): string {
  const more = keys.length > EXAMPLES ? ', …' : '';
  return `${problem}: ${keys.length} (${keys.slice(0, EXAMPLES).join(', ')}${more})`;
}

function isState(s: string): s is DeliveryState {
  return (DELIVERY_STATES as readonly string[]).includes(s);
}
