import type { DeliveryItem } from '../../core/adapter';
import type { Cursor } from '../../core/cursor';
import { GatewayError } from '../../core/errors';
import type {
  CursorRow, DeliveryAttempt, ExportWatermark, DeliveryFilter, DeliveryResult, DeliveryView, FieldQuery, HoldPolicy, HoldState, HoldView, IngestBatch, IngestResult,
  Ledger, LedgerStats, QuarantineEntry, QuarantineFilter, RecordFilter, RecordVersion, RunSummary, ServedBatch, ServedRow, SettleResult, StoredRecord,
} from '../../core/ledger';
import type { EntityType } from '../../core/records';
import type { DeliveryTransport } from '../../core/transport';
import { guard, openDatabase, StatementCache, type Db, type SqliteConnectionOptions } from './connection';
import { LedgerCounters } from './counters';
import { DeliveryStore } from './deliveries';
import { HoldStore } from './holds';
import { ServedStore } from './served';
import { IngestWriter } from './ingest';
import { LedgerLookups } from './lookups';
import { FieldLookups } from './field-lookups';
import { SELECT_EXPORT_WATERMARK, UPSERT_EXPORT_WATERMARK, type ExportWatermarkRow } from './migrations-exports';
import { appliedVersion, applyMigrations, latestVersion, MIGRATIONS, type Migration } from './migrations';
import { DeliveryTransitions } from './transitions';
import { SqliteDeliveryTransport } from './transport';
import { ledgerStats, verifyLedger } from './verify';

export interface SqliteLedgerOptions extends SqliteConnectionOptions {
  /** Schema steps; tests pass their own list. Defaults to MIGRATIONS. */
  migrations?: readonly Migration[];
}

/** Statements are prepared once, after the schema exists. */
interface Parts {
  served: ServedStore;
  ingest: IngestWriter;
  holds: HoldStore;
  deliveries: DeliveryStore;
  lookups: LedgerLookups;
  fields: FieldLookups;
  adhoc: StatementCache;
}

/**
 * The embedded ledger: one better-sqlite3 connection, synchronous work behind the async
 * contract. Call `migrate()` before anything else; other methods refuse an unmigrated file.
 */
export class SqliteLedger implements Ledger {
  private readonly db: Db;
  private readonly migrations: readonly Migration[];
  private parts: Parts | undefined;
  private transportStore: SqliteDeliveryTransport | undefined;

  constructor(opts: SqliteLedgerOptions) {
    this.db = openDatabase(opts);
    this.migrations = opts.migrations ?? MIGRATIONS;
  }

  /**
   * The connection, for the domain stores in src/ledger/sqlite/ (SLA, families) that live in the
   * same file and transactions. Not for anything outside the ledger.
   */
  database(): Db {
    return this.db;
  }

  migrate(): Promise<{ from: number; to: number }> {
    return guard(() => applyMigrations(this.db, this.migrations, () => new Date().toISOString()));
  }

  close(): Promise<void> {
    return guard(() => {
      if (this.db.open) this.db.close();
    });
  }

  currentHashes(ids: readonly string[]): Promise<Map<string, string>> {
    return this.with((p) => p.ingest.currentHashes(ids));
  }

  ingest(batch: IngestBatch): Promise<IngestResult> {
    return this.with((p) => p.ingest.ingest(batch));
  }

  settleRun(runId: string, policy: HoldPolicy, now: string): Promise<SettleResult> {
    return this.with((p) => p.holds.settleRun(runId, policy, now));
  }

  settleInterrupted(schoolId: string, sourceInstance: string, policy: HoldPolicy, now: string): Promise<SettleResult> {
    return this.with((p) => p.holds.settleInterrupted(schoolId, sourceInstance, policy, now));
  }

  listHolds(filter: { schoolId?: string; state?: HoldState; limit?: number }): Promise<HoldView[]> {
    return this.with((p) => p.holds.list(filter));
  }

  getHold(id: number): Promise<HoldView | undefined> {
    return this.with((p) => p.holds.get(id));
  }

  decideHold(id: number, decision: 'approve' | 'reject', actor: string, now: string): Promise<HoldView> {
    return this.with((p) => p.holds.decideHold(id, decision, actor, now));
  }

  findByExternalId(entityType: EntityType, idType: string, value: string): Promise<StoredRecord[]> {
    // Persons through the index of migration 11; other kinds (and older schemas) by scan.
    return this.with((p) => (entityType === 'person' ? p.fields.personsByExternalId(idType, value) : false)
      || p.lookups.findByExternalId(entityType, idType, value));
  }

  findRecords(q: FieldQuery): Promise<StoredRecord[]> {
    return this.with((p) => p.fields.find(q));
  }

  currentRevisions(ids: readonly string[]): Promise<Map<string, number>> {
    return this.with((p) => p.fields.currentRevisions(ids));
  }

  recordServed(served: ServedBatch): Promise<number> {
    return this.with((p) => p.served.record(served));
  }

  listServed(filter: { recordId?: string; consumer?: string; limit?: number }): Promise<ServedRow[]> {
    return this.with((p) => p.served.list(filter));
  }

  activeRecordIds(schoolId: string, sourceInstance: string, entityType: EntityType): Promise<string[]> {
    return this.with((p) => p.adhoc.get<{ id: string }>(
      "SELECT id FROM records WHERE school_id = ? AND entity_type = ? AND status = 'active' AND source_instance = ?",
    ).all(schoolId, entityType, sourceInstance).map((r) => r.id));
  }

  getCursor(schoolId: string, sourceInstance: string, stream: string): Promise<Cursor | null> {
    return this.with((p) => p.lookups.getCursor(schoolId, sourceInstance, stream));
  }

  listCursors(schoolId?: string): Promise<CursorRow[]> {
    return this.with((p) => p.lookups.listCursors(schoolId));
  }

  getRecord(id: string): Promise<StoredRecord | undefined> {
    return this.with((p) => p.lookups.getRecord(id));
  }

  getRecordHistory(id: string): Promise<RecordVersion[]> {
    return this.with((p) => p.lookups.getRecordHistory(id));
  }

  listRecords(filter: RecordFilter): Promise<StoredRecord[]> {
    return this.with((p) => p.lookups.listRecords(filter));
  }

  claimDeliveries(opts: { sinkId: string; limit: number; now: string; leaseMs: number; owner: string }): Promise<DeliveryItem[]> {
    return this.with((p) => p.deliveries.claim(opts));
  }

  completeDeliveries(results: readonly DeliveryResult[], now: string): Promise<void> {
    return this.with((p) => p.deliveries.complete(results, now));
  }

  recoverInFlight(opts: { now: string; all?: boolean }): Promise<number> {
    return this.with((p) => p.deliveries.recover(opts.now, opts.all === true));
  }

  replayDeliveries(filter: DeliveryFilter, actor: string, now: string): Promise<{ replayed: number; superseded: number }> {
    return this.with((p) => p.deliveries.replay(filter, actor, now));
  }

  listDeliveries(filter: DeliveryFilter): Promise<DeliveryView[]> {
    return this.with((p) => p.deliveries.list(filter));
  }

  getDelivery(id: number): Promise<(DeliveryView & { attemptLog: DeliveryAttempt[] }) | undefined> {
    return this.with((p) => p.deliveries.get(id));
  }

  nextDueAt(sinkId: string): Promise<string | undefined> {
    return this.with((p) => p.deliveries.nextDueAt(sinkId));
  }

  /** Transport state of deliveries (src/ledger/sqlite/transport.ts); statements are prepared on first use. */
  transport(): DeliveryTransport {
    this.transportStore ??= new SqliteDeliveryTransport(this.db);
    return this.transportStore;
  }

  getExportWatermark(schoolId: string, destination: string): Promise<ExportWatermark | undefined> {
    return this.with((p) => {
      const r = p.adhoc.get<ExportWatermarkRow>(SELECT_EXPORT_WATERMARK).get(schoolId, destination);
      return r === undefined ? undefined : {
        schoolId: r.school_id, destination: r.destination, revision: r.revision, mode: r.mode, lastPackage: r.last_package, updatedAt: r.updated_at,
      };
    });
  }

  setExportWatermark(w: ExportWatermark): Promise<void> {
    return this.with((p) => { p.adhoc.get(UPSERT_EXPORT_WATERMARK).run({ ...w }); });
  }

  listQuarantine(filter: QuarantineFilter): Promise<QuarantineEntry[]> {
    return this.with((p) => p.lookups.listQuarantine(filter));
  }

  getQuarantine(id: number): Promise<QuarantineEntry | undefined> {
    return this.with((p) => p.lookups.getQuarantine(id));
  }

  startRun(run: Omit<RunSummary, 'status' | 'counts' | 'finishedAt'>): Promise<void> {
    return this.with((p) => p.lookups.startRun(run));
  }

  finishRun(runId: string, result: Pick<RunSummary, 'finishedAt' | 'status' | 'counts' | 'streams' | 'error'>): Promise<void> {
    return this.with((p) => p.lookups.finishRun(runId, result));
  }

  listRuns(filter: { schoolId?: string; sourceInstance?: string; limit?: number }): Promise<RunSummary[]> {
    return this.with((p) => p.lookups.listRuns(filter));
  }

  tryLock(name: string, owner: string, until: string, now: string, takeOverFrom?: string): Promise<boolean> {
    return this.with((p) => p.lookups.tryLock(name, owner, until, now, takeOverFrom));
  }

  lockHolder(name: string): Promise<{ owner: string; until: string } | undefined> {
    return this.with((p) => p.lookups.lockHolder(name));
  }

  failInterruptedRuns(schoolId: string, sourceInstance: string, now: string, reason: string): Promise<number> {
    const error = new GatewayError('GW_INTERNAL', reason).toJSON();
    return this.with((p) => p.lookups.failInterruptedRuns(schoolId, sourceInstance, now, JSON.stringify(error)));
  }

  unlock(name: string, owner: string): Promise<void> {
    return this.with((p) => p.lookups.unlock(name, owner));
  }

  stats(): Promise<LedgerStats> {
    return this.with((p) => ledgerStats(p.adhoc));
  }

  verify(): Promise<string[]> {
    return this.with((p) => verifyLedger(p.adhoc));
  }

  private with<T>(work: (parts: Parts) => T): Promise<T> {
    return guard(() => work(this.prepared()));
  }

  private prepared(): Parts {
    if (this.parts !== undefined) return this.parts;
    if (!this.db.open) throw new GatewayError('GW_INTERNAL', 'The ledger is closed');
    const applied = appliedVersion(this.db);
    const latest = latestVersion(this.migrations);
    if (applied !== latest) {
      throw new GatewayError('GW_LEDGER_MIGRATION', `The ledger schema is at version ${applied}, this gateway needs ${latest}; run migrate() first`);
    }
    const counters = new LedgerCounters(this.db);
    const deliveries = new DeliveryStore(this.db, counters, new DeliveryTransitions(this.db, counters));
    const ingest = new IngestWriter(this.db, counters, deliveries);
    this.parts = {
      served: new ServedStore(this.db),
      ingest,
      holds: new HoldStore(this.db, counters, ingest),
      deliveries,
      lookups: new LedgerLookups(this.db),
      fields: new FieldLookups(this.db),
      adhoc: new StatementCache(this.db),
    };
    return this.parts;
  }
}
