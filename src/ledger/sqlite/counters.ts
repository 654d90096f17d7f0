import type Database from 'better-sqlite3';
import type { DeliveryState } from '../../core/delivery-states';
import type { Db } from './connection';

export type CounterName = 'records' | 'holds.pending' | `deliveries.${DeliveryState}`;

export const deliveryCounter = (s: DeliveryState): CounterName => `deliveries.${s}`;

/**
 * The `counters` table that makes stats() constant-time. Writers add deltas in memory while a
 * transaction runs; the deltas are written in one statement per counter at its end, inside the
 * same transaction, so a rolled-back transaction leaves no trace.
 */
export class LedgerCounters {
  private readonly delta = new Map<CounterName, number>();
  private readonly bump: Database.Statement<[number, string]>;

  constructor(private readonly db: Db) {
    this.bump = db.prepare('UPDATE counters SET n = n + ? WHERE name = ?');
  }

  add(name: CounterName, n: number): void {
    if (n !== 0) this.delta.set(name, (this.delta.get(name) ?? 0) + n);
  }

  moved(from: DeliveryState, to: DeliveryState): void {
    this.add(deliveryCounter(from), -1);
    this.add(deliveryCounter(to), 1);
  }

  /**
   * Wraps `work` in an IMMEDIATE transaction that flushes the counters before it commits.
   * IMMEDIATE because ledger transactions read, then write: taking the write lock up front lets
   * busy_timeout wait for another writer instead of failing on the lock upgrade.
   */
  transaction<A extends unknown[], R>(work: (...args: A) => R): (...args: A) => R {
    return this.db.transaction((...args: A): R => {
      // Deltas left by a transaction that threw were rolled back with it.
      this.delta.clear();
      const result = work(...args);
      for (const [name, n] of this.delta) if (n !== 0) this.bump.run(n, name);
      this.delta.clear();
      return result;
    }).immediate;
  }
}
