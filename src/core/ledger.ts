/**
 * The storage contract of the ledger.
 *
 * Everything outside `src/ledger/` talks to storage only through this interface, so the
 * embedded SQLite ledger (`src/ledger/sqlite/`) and a shared PostgreSQL ledger can serve the
 * same gateway. All methods are async for that reason, even where SQLite is synchronous.
 * Times are ISO 8601 UTC strings; the caller passes `now` so tests control the clock.
 */
import type { Cursor } from './cursor';
import type { DeliveryState } from './delivery-states';
import type { DeliveryItem } from './adapter';
import type { Issue, SerializedError } from './errors';
import type { ErrorCode } from './error-codes';
import type { EntityType, RecordStatus } from './records';
import type { DeliveryTransport } from './transport';

/** A canonical record ready to store: envelope columns plus the serialised record. */
export interface PreparedRecord {
  id: string;
  entityType: EntityType;
  schoolId: string;
  sourceSystem: string;
  sourceId: string;
  status: RecordStatus;
  contentHash: string;
  dateLastModified: string;
  sourceModifiedAt?: string;
  sourceCreatedAt?: string;
  /** JSON of the complete canonical record without `revision` (the ledger stamps it). */
  body: string;
}

export interface QuarantineInput {
  stream: string;
  sourceId: string;
  entityType?: EntityType;
  errorCode: ErrorCode;
  message: string;
  issues: Issue[];
  /** The vendor record or the mapped record as received. Kept for the operator; never logged. */
  raw: unknown;
}

/** Where records of one batch must be delivered. */
export interface SinkRoute {
  sinkId: string;
  /** Entity types the sink takes; absent = all. */
  accepts?: readonly EntityType[];
  maxAttempts: number;
}

export interface IngestBatch {
  runId: string;
  schoolId: string;
  /** Adapter instance id from the config (e.g. `netschool`), not the adapter type. */
  sourceInstance: string;
  stream: string;
  /** Only records whose content hash differs from the stored one cause writes. */
  records: PreparedRecord[];
  /**
   * Source ids read in this batch whose content was unchanged (no write). Only used to close
   * open quarantine entries of records that went back to their stored, valid content.
   */
  unchangedSourceIds?: readonly string[];
  quarantine: QuarantineInput[];
  /** Committed in the same transaction as the records. */
  checkpoint?: Cursor;
  routes: readonly SinkRoute[];
  now: string;
  /**
   * The safety-hold policy of the school. When given and enabled, changes to records already
   * stored (new content or a tombstone) are staged for the run instead of applied; `settleRun`
   * then applies them or holds them for an operator. New records are always applied at once.
   */
  hold?: HoldPolicy;
}

/**
 * When one sync would delete or change too much of a school's data of one kind, it is held
 * until an operator approves it (rostering products do the same: a journal that suddenly
 * returns an empty class list must not wipe the portal).
 */
export interface HoldPolicy {
  enabled: boolean;
  /** Hold when a sync marks more than this share (percent) of a school's records of one kind as deleted. */
  deletePercent: number;
  /** Hold when a sync changes more than this share (percent) of a school's records of one kind. */
  changePercent: number;
  /** Kinds with fewer stored records than this are never held (small numbers swing percentages). */
  minRecords: number;
}

export type HoldState = 'pending' | 'approved' | 'rejected';

/** A held change set: one school, source instance and entity type. */
export interface HoldView {
  id: number;
  schoolId: string;
  sourceInstance: string;
  entityType: EntityType;
  state: HoldState;
  /** Active records of this kind in the school when the hold was made. */
  baseline: number;
  deletes: number;
  changes: number;
  /** Why it was held, in words an operator reads (the thresholds crossed). */
  reason: string;
  /** Runs whose changes the hold collected (later syncs join a pending hold). */
  runIds: string[];
  createdAt: string;
  updatedAt: string;
  decidedAt?: string;
  decidedBy?: string;
  /** Changes applied on approval; changes dropped because a newer version had been applied meanwhile. */
  applied?: number;
  superseded?: number;
}

export interface SettleResult {
  /** Staged changes applied (within the thresholds). */
  applied: IngestResult;
  /** Holds created or extended by this run. */
  holds: HoldView[];
}

export interface IngestResult {
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  enqueued: number;
  superseded: number;
  /** Changes to stored records staged for the run's settlement (IngestBatch.hold). */
  staged?: number;
}

export interface StoredRecord {
  id: string;
  entityType: EntityType;
  schoolId: string;
  sourceSystem: string;
  sourceInstance: string;
  sourceId: string;
  status: RecordStatus;
  revision: number;
  contentHash: string;
  dateLastModified: string;
  sourceModifiedAt?: string;
  sourceCreatedAt?: string;
  /** When the gateway first took this record in. */
  firstSeenAt: string;
  /** The canonical record with `revision` filled in. */
  record: Record<string, unknown>;
}

export interface RecordVersion {
  recordId: string;
  revision: number;
  contentHash: string;
  status: RecordStatus;
  runId: string;
  ingestedAt: string;
  record: Record<string, unknown>;
}

export interface RecordFilter {
  schoolId?: string;
  entityType?: EntityType;
  /** Records whose current revision is greater than this (watermark export). */
  afterRevision?: number;
  limit?: number;
}

/**
 * Fields a lookup by reference may test: `id` is the record id, the others are top-level fields of
 * the canonical body. The SQLite ledger indexes personId, guardianId, (classGroupId, date),
 * (classGroupId, dueDate), dueLessonId and (lessonId, studentId) (ledger migration 11), so a
 * query led by one of those costs what it finds, not what the school holds.
 */
export type IndexedField = 'id' | 'personId' | 'guardianId' | 'studentId' | 'lessonId' | 'classGroupId' | 'date' | 'dueDate' | 'dueLessonId';

/** One test on a field: equal to `eq`, one of `in`, within the inclusive `from`..`to` (string order). */
export interface FieldCondition {
  field: IndexedField;
  eq?: string;
  in?: readonly string[];
  from?: string;
  to?: string;
}

/** Active current records of one school and kind that pass every condition. */
export interface FieldQuery {
  schoolId: string;
  entityType: EntityType;
  where: readonly FieldCondition[];
}

/**
 * How far the exports of one school to one destination got (CLI `export oneroster --delta`):
 * every change up to `revision` is in a package completely written there.
 */
export interface ExportWatermark {
  schoolId: string;
  /** The export and where its packages go, e.g. `oneroster-csv:/srv/exports/district-lms`. */
  destination: string;
  revision: number;
  /** The mode and folder of the last package that moved it. */
  mode: 'bulk' | 'delta';
  lastPackage: string;
  updatedAt: string;
}

export interface DeliveryResult {
  deliveryId: number;
  /** The attempt this result is for (DeliveryItem.attempt); a result for an older attempt is stale and ignored. */
  attempt: number;
  to: Extract<DeliveryState, 'delivered' | 'retry_wait' | 'dead' | 'rejected'>;
  /** Required with `retry_wait`. */
  nextAttemptAt?: string;
  error?: SerializedError;
  remoteRef?: string;
  durationMs: number;
}

export interface DeliveryView {
  id: number;
  sinkId: string;
  recordId: string;
  entityType: EntityType;
  schoolId: string;
  revision: number;
  idempotencyKey: string;
  state: DeliveryState;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt?: string;
  lastError?: SerializedError;
  remoteRef?: string;
  createdAt: string;
  updatedAt: string;
  deliveredAt?: string;
}

export interface DeliveryAttempt {
  deliveryId: number;
  attempt: number;
  fromState: DeliveryState;
  toState: DeliveryState;
  at: string;
  durationMs?: number;
  errorCode?: string;
  errorClass?: string;
  message?: string;
  /** `gateway`, or the operator who replayed. */
  actor: string;
}

export interface DeliveryFilter {
  ids?: number[];
  state?: DeliveryState;
  sinkId?: string;
  schoolId?: string;
  /** created_at window, inclusive. */
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}

export interface QuarantineEntry {
  id: number;
  schoolId: string;
  sourceInstance: string;
  stream: string;
  sourceId: string;
  entityType?: EntityType;
  errorCode: string;
  message: string;
  issues: Issue[];
  raw: unknown;
  runId: string;
  firstSeenAt: string;
  lastSeenAt: string;
  seenCount: number;
  /** Set when a valid version of the same record was later taken in. */
  resolvedAt?: string;
}

export interface QuarantineFilter {
  schoolId?: string;
  includeResolved?: boolean;
  limit?: number;
  offset?: number;
}

export type RunStatus = 'running' | 'ok' | 'partial' | 'failed';

export interface RunCounts {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  enqueued: number;
  /** Changes to stored records staged for the safety hold (applied or held at the run's end). */
  staged?: number;
  /** Of those, changes held for an operator. */
  held?: number;
}

export interface RunSummary {
  runId: string;
  schoolId: string;
  sourceInstance: string;
  /** What started the run: the cron schedule, an operator, start-up, a watched folder or upload, or a push request. */
  trigger: 'schedule' | 'manual' | 'startup' | 'watch' | 'push';
  startedAt: string;
  finishedAt?: string;
  status: RunStatus;
  counts: RunCounts;
  /** Per stream: `ok`, or the error that stopped it. */
  streams?: Record<string, 'ok' | SerializedError>;
  error?: SerializedError;
}

export interface CursorRow {
  schoolId: string;
  sourceInstance: string;
  stream: string;
  cursor: Cursor;
  updatedAt: string;
}

export interface ServedBatch {
  consumer: string;
  /** Keyed hash of the account the consumer asked for (never the ЕСИА id itself). */
  accountHash: string;
  windowStart: string;
  windowEnd: string;
  records: ReadonlyArray<{ recordId: string; revision: number }>;
  now: string;
}

export interface ServedRow {
  consumer: string;
  recordId: string;
  revision: number;
  accountHash: string;
  windowStart: string;
  windowEnd: string;
  servedAt: string;
}

export interface LedgerStats {
  records: number;
  quarantineOpen: number;
  /** Holds waiting for an operator. */
  holdsPending?: number;
  deliveries: Record<DeliveryState, number>;
  /** Created-at of the oldest delivery still pending or waiting to retry. */
  oldestPendingAt?: string;
}

export interface Ledger {
  /** Applies pending migrations; refuses a ledger newer than this code (GW_LEDGER_MIGRATION). */
  migrate(): Promise<{ from: number; to: number }>;
  close(): Promise<void>;

  // --- intake -------------------------------------------------------------------------
  /** Current content hash of each id that is stored (ids not stored are absent). */
  currentHashes(ids: readonly string[]): Promise<Map<string, string>>;
  /**
   * Current revision of each id that is stored (ids not stored are absent), in one query. Optional
   * so that test doubles need not have it; callers fall back to getRecord per id.
   */
  currentRevisions?(ids: readonly string[]): Promise<Map<string, number>>;
  /**
   * One transaction: store changed records as new versions (each gets a new revision),
   * queue one delivery per (route, record version) and supersede older queued versions,
   * store quarantine entries (re-seen entries are counted, not duplicated), resolve
   * quarantine entries of records now valid, and move the cursor to `checkpoint`.
   */
  ingest(batch: IngestBatch): Promise<IngestResult>;
  getCursor(schoolId: string, sourceInstance: string, stream: string): Promise<Cursor | null>;
  listCursors(schoolId?: string): Promise<CursorRow[]>;

  /**
   * Ends the staging of a run (see IngestBatch.hold): per entity type, the run's staged
   * changes are applied when within the policy's thresholds, or collected into a pending hold
   * (one per school, source instance and entity type; while it is pending, later runs' changes
   * of that kind join it). Idempotent: settling a settled run does nothing.
   */
  settleRun(runId: string, policy: HoldPolicy, now: string): Promise<SettleResult>;
  /** Settles every unsettled run of a source instance (runs interrupted by a crash). */
  settleInterrupted(schoolId: string, sourceInstance: string, policy: HoldPolicy, now: string): Promise<SettleResult>;
  listHolds(filter: { schoolId?: string; state?: HoldState; limit?: number }): Promise<HoldView[]>;
  getHold(id: number): Promise<HoldView | undefined>;
  /**
   * An operator's decision on a pending hold: `approve` applies its changes (a change whose
   * record moved on meanwhile is dropped as superseded), `reject` discards them. Throws
   * GW_API_NOT_FOUND for an unknown hold and GW_HOLD_DECIDED for one already decided.
   */
  decideHold(id: number, decision: 'approve' | 'reject', actor: string, now: string): Promise<HoldView>;
  /** Ids of the active records of one kind that a source instance wrote (to delete those a full read no longer returns). */
  activeRecordIds(schoolId: string, sourceInstance: string, entityType: EntityType): Promise<string[]>;

  // --- records ------------------------------------------------------------------------
  getRecord(id: string): Promise<StoredRecord | undefined>;
  getRecordHistory(id: string): Promise<RecordVersion[]>;
  listRecords(filter: RecordFilter): Promise<StoredRecord[]>;

  /** Current records of a kind carrying an external id (e.g. person with `esia-oid` = 1000123456). */
  findByExternalId(entityType: EntityType, idType: string, value: string): Promise<StoredRecord[]>;
  /**
   * Active current records of one school and kind passing every condition of `q`, ordered by
   * revision (the order of listRecords). For lookups by reference (the ФГИС pull API): led by an
   * indexed field it reads only the rows it returns. Optional so that test doubles need not have
   * it; callers fall back to listRecords and the same conditions (src/http/fgis/lookup.ts).
   */
  findRecords?(q: FieldQuery): Promise<StoredRecord[]>;
  /**
   * Records that a pull consumer was served these record revisions (first serve per consumer
   * and revision is kept; later serves of the same revision change nothing).
   */
  recordServed(served: ServedBatch): Promise<number>;
  /** When each record revision was first served, per consumer. */
  listServed(filter: { recordId?: string; consumer?: string; limit?: number }): Promise<ServedRow[]>;

  // --- deliveries ---------------------------------------------------------------------
  /**
   * Moves up to `limit` due deliveries of one sink (pending, or retry_wait whose time has
   * come) to in_flight with a lease, oldest first, never two versions of one record at once,
   * and returns them with their payloads.
   */
  claimDeliveries(opts: { sinkId: string; limit: number; now: string; leaseMs: number; owner: string }): Promise<DeliveryItem[]>;
  /** Applies outcomes of in-flight deliveries (each a checked transition plus one attempt row). */
  completeDeliveries(results: readonly DeliveryResult[], now: string): Promise<void>;
  /** Returns in-flight deliveries whose lease expired (or all, after a restart) to retry_wait. */
  recoverInFlight(opts: { now: string; all?: boolean }): Promise<number>;
  /** Operator replay of dead or rejected deliveries; returns how many were re-queued. */
  replayDeliveries(filter: DeliveryFilter, actor: string, now: string): Promise<{ replayed: number; superseded: number }>;
  listDeliveries(filter: DeliveryFilter): Promise<DeliveryView[]>;
  getDelivery(id: number): Promise<(DeliveryView & { attemptLog: DeliveryAttempt[] }) | undefined>;
  /** Earliest next_attempt_at among retry_wait deliveries of a sink (for the delivery loop's sleep). */
  nextDueAt(sinkId: string): Promise<string | undefined>;
  /**
   * Transport state of deliveries (destination message ids, SendingTimestamp, remote statuses;
   * src/core/transport.ts). Optional: a ledger without it gives sinks no restart-safe message ids.
   */
  transport?(): DeliveryTransport;

  // --- exports ------------------------------------------------------------------------
  /** The export watermark of (school, destination); undefined before the first complete export. Optional for test doubles. */
  getExportWatermark?(schoolId: string, destination: string): Promise<ExportWatermark | undefined>;
  /**
   * Stores the watermark after a package is completely written; never moves it back (a lower
   * revision than the stored one changes nothing). Optional for test doubles.
   */
  setExportWatermark?(w: ExportWatermark): Promise<void>;

  // --- quarantine ---------------------------------------------------------------------
  listQuarantine(filter: QuarantineFilter): Promise<QuarantineEntry[]>;
  getQuarantine(id: number): Promise<QuarantineEntry | undefined>;

  // --- runs and locks -----------------------------------------------------------------
  startRun(run: Omit<RunSummary, 'status' | 'counts' | 'finishedAt'>): Promise<void>;
  finishRun(runId: string, result: Pick<RunSummary, 'finishedAt' | 'status' | 'counts' | 'streams' | 'error'>): Promise<void>;
  listRuns(filter: { schoolId?: string; sourceInstance?: string; limit?: number }): Promise<RunSummary[]>;
  /**
   * Takes a named lock until `until` unless someone else holds an unexpired one. With
   * `takeOverFrom`, also takes it from that owner (the caller proved that owner is dead).
   */
  tryLock(name: string, owner: string, until: string, now: string, takeOverFrom?: string): Promise<boolean>;
  /** Current holder of a lock, if any (expired or not). */
  lockHolder(name: string): Promise<{ owner: string; until: string } | undefined>;
  /**
   * Marks runs of a source instance still `running` as failed (the process that ran them
   * died). Call only while holding that instance's run lock. Returns how many.
   */
  failInterruptedRuns(schoolId: string, sourceInstance: string, now: string, reason: string): Promise<number>;
  unlock(name: string, owner: string): Promise<void>;

  // --- observation --------------------------------------------------------------------
  stats(): Promise<LedgerStats>;
  /** Problems found by a full consistency check (empty = consistent). For tests and `status --verify`. */
  verify(): Promise<string[]>;
}
