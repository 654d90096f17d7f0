/**
 * Ledgers for the ФГИС pull API tests: a real SQLite file with the lookup indexes (migration 11,
 * applied as the next step while it is not in MIGRATIONS yet), and the same ledger seen through
 * the plain Ledger contract (no findRecords / currentRevisions), so the fallback reads are tested
 * against the same data.
 */
import path from 'node:path';
import type { Ledger } from '../../src/core/ledger';
import { FGIS_SQL, FGIS_MIGRATION } from '../../src/ledger/sqlite/migrations-fgis';
import { latestVersion, MIGRATIONS, type Migration } from '../../src/ledger/sqlite/migrations';
import { SqliteLedger } from '../../src/ledger/sqlite/sqlite-ledger';
import { tmpDir } from '../support/harness';

/** MIGRATIONS with the lookup step at its end. */
export function fgisMigrations(): Migration[] {
  return MIGRATIONS.some((m) => m.sql === FGIS_SQL) ? [...MIGRATIONS] : [...MIGRATIONS, { ...FGIS_MIGRATION, version: latestVersion(MIGRATIONS) + 1 }];
}

/** MIGRATIONS without the lookup step (a ledger from before it). */
export function migrationsBefore(): Migration[] {
  return MIGRATIONS.filter((m) => m.sql !== FGIS_SQL && m.version < FGIS_MIGRATION.version);
}

export async function fgisLedger(file = path.join(tmpDir('dgw-fgis-'), 'ledger.sqlite'), migrations = fgisMigrations()): Promise<{ ledger: SqliteLedger; file: string }> {
  const ledger = new SqliteLedger({ path: file, migrations });
  await ledger.migrate();
  return { ledger, file };
}

/** The ledger without its optional lookups: callers must take their fallback paths. */
export function plainLedger(ledger: Ledger): Ledger {
  return new Proxy(ledger, {
    get(target, prop) {
      if (prop === 'findRecords' || prop === 'currentRevisions') return undefined;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
