/** Shared set-up for the ledger tests: a migrated ledger on a real file in a fresh tmp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { IngestBatch, PreparedRecord, SinkRoute } from '../../src/core/ledger';
import type { EntityType } from '../../src/core/records';
import { SqliteLedger } from '../../src/ledger/sqlite/sqlite-ledger';

export interface TestLedger {
  ledger: SqliteLedger;
  dir: string;
  path: string;
  /** A second connection to the same file, to look at or tamper with rows directly. */
  peek(): Database.Database;
  cleanup(): Promise<void>;
}

export async function openTestLedger(opts: { busyTimeoutMs?: number } = {}): Promise<TestLedger> {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-test-'));
  const path = join(dir, 'nested', 'ledger.db');
  const ledger = new SqliteLedger({ path, ...opts });
  await ledger.migrate();
  const peeks: Database.Database[] = [];
  return {
    ledger,
    dir,
    path,
    peek() {
      const db = new Database(path);
      peeks.push(db);
      return db;
    },
    async cleanup() {
      for (const db of peeks) if (db.open) db.close();
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Minutes after a fixed instant, as the ISO string the ledger stores. */
export function at(minutes: number): string {
  return new Date(Date.UTC(2025, 0, 13, 8, 0) + minutes * 60_000).toISOString();
}

export const SCHOOL = 'school-1';
export const INSTANCE = 'netschool';

/** A canonical record; `version` changes its content (and hash). */
export function record(n: number, version = 1, overrides: Partial<PreparedRecord> = {}): PreparedRecord {
  const id = `00000000-0000-5000-8000-${String(n).padStart(12, '0')}`;
  const entityType: EntityType = overrides.entityType ?? 'mark';
  const contentHash = `hash-${n}-v${version}`;
  const body = {
    id, entityType, schemaVersion: 1, schoolId: SCHOOL, sourceSystem: 'netschool', sourceId: `src-${n}`,
    externalIds: [], status: 'active', dateLastModified: at(version), contentHash,
    provenance: { sourceSystem: 'netschool', adapter: 'netschool-source', adapterVersion: '1.0.0', fetchedAt: at(version) },
    value: String(version),
  };
  return {
    id, entityType, schoolId: SCHOOL, sourceSystem: 'netschool', sourceId: `src-${n}`, status: 'active',
    contentHash, dateLastModified: at(version), body: JSON.stringify(body), ...overrides,
  };
}

export const PORTAL: SinkRoute = { sinkId: 'portal', maxAttempts: 5 };

export function batch(over: Partial<IngestBatch> = {}): IngestBatch {
  return {
    runId: 'run-1', schoolId: SCHOOL, sourceInstance: INSTANCE, stream: 'marks',
    records: [], quarantine: [], routes: [PORTAL], now: at(0), ...over,
  };
}

export function count(db: Database.Database, sql: string, ...params: unknown[]): number {
  return (db.prepare(sql).pluck().get(...params) as number | undefined) ?? 0;
}
