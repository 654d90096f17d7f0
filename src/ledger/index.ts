/**
 * The one place that knows which storage engines exist. Everything else takes a `Ledger`.
 */
import { GatewayError } from '../core/errors';
import type { Ledger } from '../core/ledger';
import { SqliteLedger } from './sqlite/sqlite-ledger';

export interface SqliteLedgerConfig {
  driver: 'sqlite';
  /** File path (its folder is created) or `:memory:`. */
  path: string;
  /** Wait for another writer this long before GW_LEDGER_BUSY (default 5000). */
  busyTimeoutMs?: number;
}

/** A union so PostgreSQL can join as another member without touching callers. */
export type LedgerConfig = SqliteLedgerConfig;

/** Opens (does not migrate) a ledger; call `migrate()` before use. */
export function openLedger(opts: LedgerConfig): Ledger {
  switch (opts.driver) {
    case 'sqlite':
      return new SqliteLedger({ path: opts.path, ...(opts.busyTimeoutMs !== undefined ? { busyTimeoutMs: opts.busyTimeoutMs } : {}) });
    default:
      // Reachable from untyped config only.
      throw new GatewayError('GW_CONFIG_INVALID', `Unknown ledger driver '${String((opts as { driver: unknown }).driver)}'`);
  }
}
