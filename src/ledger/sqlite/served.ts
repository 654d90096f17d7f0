import type Database from 'better-sqlite3';
import type { ServedBatch, ServedRow } from '../../core/ledger';
import type { Db } from './connection';

interface Row {
  consumer: string;
  record_id: string;
  revision: number;
  account_hash: string;
  window_start: string;
  window_end: string;
  served_at: string;
}

/** The `served` table (migration 5): first serve of each record revision per pull consumer. */
export class ServedStore {
  private readonly insert: Database.Statement<unknown[]>;
  private readonly tx: (b: ServedBatch) => number;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(`INSERT INTO served (consumer, record_id, revision, account_hash, window_start, window_end, served_at)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (consumer, record_id, revision) DO NOTHING`);
    this.tx = db.transaction((b: ServedBatch) => {
      let n = 0;
      for (const r of b.records) n += this.insert.run(b.consumer, r.recordId, r.revision, b.accountHash, b.windowStart, b.windowEnd, b.now).changes;
      return n;
    }).immediate;
  }

  /** Returns how many (record, revision) pairs were served to this consumer for the first time. */
  record(b: ServedBatch): number {
    return b.records.length === 0 ? 0 : this.tx(b);
  }

  list(f: { recordId?: string; consumer?: string; limit?: number }): ServedRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.recordId !== undefined) { where.push('record_id = ?'); args.push(f.recordId); }
    if (f.consumer !== undefined) { where.push('consumer = ?'); args.push(f.consumer); }
    const sql = `SELECT * FROM served ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY served_at, record_id LIMIT ?`;
    return (this.db.prepare(sql).all(...args, f.limit ?? 1000) as Row[]).map((r) => ({
      consumer: r.consumer, recordId: r.record_id, revision: r.revision, accountHash: r.account_hash,
      windowStart: r.window_start, windowEnd: r.window_end, servedAt: r.served_at,
    }));
  }
}
