import type Database from 'better-sqlite3';
import type { DeliveryItem } from '../../core/adapter';
import { REPLAYABLE_STATES, type DeliveryState } from '../../core/delivery-states';
import { GatewayError } from '../../core/errors';
import type { DeliveryAttempt, DeliveryFilter, DeliveryResult, DeliveryView } from '../../core/ledger';
import type { EntityType, RecordStatus } from '../../core/records';
import { StatementCache, type Db } from './connection';
import type { LedgerCounters } from './counters';
import {
  bodyWithRevision, buildWhere, limitOffset, toDeliveryAttempt, toDeliveryView,
  type AttemptRow, type DeliveryRow,
} from './rows';
import type { BatchRow, DeliveryTransitions } from './transitions';

/** The actor of every automatic transition. */
export const GATEWAY_ACTOR = 'gateway';

type ClaimRow = Pick<DeliveryRow, 'id' | 'record_id' | 'entity_type' | 'school_id' | 'revision' | 'content_hash' | 'idempotency_key'> & {
  record_seq: number;
  state: 'pending' | 'retry_wait';
  attempts: number;
  next_attempt_at: string | null;
  status: RecordStatus;
  body: string;
};

interface KeyRow {
  id: number;
  state: DeliveryState;
  sink_id: string;
  record_seq: number;
  revision: number;
  attempts: number;
}

const CLAIM_COLUMNS = `d.id, d.record_seq, d.record_id, d.entity_type, d.school_id, d.revision, d.content_hash, d.idempotency_key,
  d.state, d.attempts, d.next_attempt_at, v.status, v.body`;
/** A record with a delivery of this sink in flight is not claimed again (never two versions at once). */
const NOT_IN_FLIGHT = `NOT EXISTS (SELECT 1 FROM deliveries f
  WHERE f.sink_id = d.sink_id AND f.record_seq = d.record_seq AND f.state = 'in_flight')`;

/** Orders claim candidates the way the claim index stores them: (next_attempt_at, id). */
function claimOrder(a: ClaimRow, b: ClaimRow): number {
  const ta = a.next_attempt_at ?? '';
  const tb = b.next_attempt_at ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.id - b.id;
}

/** Claiming, completing, recovering and replaying deliveries; every state change goes through DeliveryTransitions. */
export class DeliveryStore {
  private readonly claimPending: Database.Statement<[string, number], ClaimRow>;
  private readonly claimRetry: Database.Statement<[string, string, number], ClaimRow>;
  private readonly rowsById: Database.Statement<[string], KeyRow>;
  private readonly newerExists: Database.Statement<[string, number, number], { one: number }>;
  private readonly olderQueued: Database.Statement<[string, number, number], KeyRow>;
  private readonly expiredInFlight: Database.Statement<[string], KeyRow>;
  private readonly allInFlight: Database.Statement<[], KeyRow>;
  private readonly anyExpired: Database.Statement<[string], { one: number }>;
  private readonly attemptsOf: Database.Statement<[number], AttemptRow>;
  private readonly minDue: Database.Statement<[string], { t: string | null }>;
  private readonly dynamic: StatementCache;
  private readonly claimTx: (opts: ClaimOptions) => DeliveryItem[];
  private readonly completeTx: (results: readonly DeliveryResult[], now: string) => void;
  private readonly recoverTx: (now: string, all: boolean) => number;
  private readonly replayTx: (filter: DeliveryFilter, actor: string, now: string) => { replayed: number; superseded: number };

  constructor(db: Db, counters: LedgerCounters, private readonly transitions: DeliveryTransitions) {
    this.dynamic = new StatementCache(db);
    // Both claim queries walk deliveries_claim in index order: no sort, however long the backlog.
    this.claimPending = db.prepare(`SELECT ${CLAIM_COLUMNS} FROM deliveries d JOIN record_versions v ON v.revision = d.revision
      WHERE d.sink_id = ? AND d.state = 'pending' AND ${NOT_IN_FLIGHT}
      ORDER BY d.next_attempt_at, d.id LIMIT ?`);
    this.claimRetry = db.prepare(`SELECT ${CLAIM_COLUMNS} FROM deliveries d JOIN record_versions v ON v.revision = d.revision
      WHERE d.sink_id = ? AND d.state = 'retry_wait' AND d.next_attempt_at <= ? AND ${NOT_IN_FLIGHT}
      ORDER BY d.next_attempt_at, d.id LIMIT ?`);
    const key = 'id, state, sink_id, record_seq, revision, attempts';
    this.rowsById = db.prepare(`SELECT ${key} FROM deliveries WHERE id IN (SELECT value FROM json_each(?))`);
    this.newerExists = db.prepare(`SELECT 1 AS one FROM deliveries
      WHERE sink_id = ? AND record_seq = ? AND revision > ? AND state <> 'superseded' LIMIT 1`);
    this.olderQueued = db.prepare(`SELECT ${key} FROM deliveries
      WHERE sink_id = ? AND record_seq = ? AND revision < ? AND state IN ('pending', 'retry_wait')`);
    // No ORDER BY: it would turn the walk of the small partial index into a sort or a table scan.
    this.expiredInFlight = db.prepare(`SELECT ${key} FROM deliveries WHERE state = 'in_flight' AND lease_until <= ?`);
    this.allInFlight = db.prepare(`SELECT ${key} FROM deliveries WHERE state = 'in_flight'`);
    this.anyExpired = db.prepare("SELECT 1 AS one FROM deliveries WHERE state = 'in_flight' AND lease_until <= ? LIMIT 1");
    this.attemptsOf = db.prepare(`SELECT delivery_id, attempt, from_state, to_state, at, duration_ms, error_code, error_class,
      message, actor FROM delivery_attempts WHERE delivery_id = ? ORDER BY id`);
    this.minDue = db.prepare("SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE sink_id = ? AND state = 'retry_wait'");
    this.claimTx = counters.transaction((o: ClaimOptions) => this.claimIn(o));
    this.completeTx = counters.transaction((r: readonly DeliveryResult[], now: string) => this.completeIn(r, now));
    this.recoverTx = counters.transaction((now: string, all: boolean) => this.recoverIn(now, all));
    this.replayTx = counters.transaction((f: DeliveryFilter, actor: string, now: string) => this.replayIn(f, actor, now));
  }

  claim(opts: ClaimOptions): DeliveryItem[] {
    if (!(opts.limit > 0)) return [];
    return this.claimTx(opts);
  }

  complete(results: readonly DeliveryResult[], now: string): void {
    for (const r of results) {
      if (r.to === 'retry_wait' && r.nextAttemptAt === undefined) {
        throw new GatewayError('GW_INTERNAL', 'A retry_wait result needs nextAttemptAt', { context: { deliveryId: r.deliveryId } });
      }
    }
    if (results.length > 0) this.completeTx(results, now);
  }

  /**
   * The delivery loop calls this before every claim; nearly always nothing has expired, so a
   * read (the small in-flight index) decides first and the write transaction is taken only when
   * there is something to recover (the transaction reads again: the read is only a shortcut).
   */
  recover(now: string, all: boolean): number {
    if (!all && this.anyExpired.get(now) === undefined) return 0;
    return this.recoverTx(now, all);
  }

  replay(filter: DeliveryFilter, actor: string, now: string): { replayed: number; superseded: number } {
    return this.replayTx(filter, actor, now);
  }

  /**
   * Supersedes queued (pending/retry_wait) deliveries of (sink, record) older than `revision`.
   * Called when a newer version gets queued, so at most one version per (sink, record) waits.
   */
  supersedeOlder(sinkId: string, recordSeq: number, revision: number, now: string, actor: string): number {
    const older = this.olderQueued.all(sinkId, recordSeq, revision);
    for (const d of older) {
      this.transitions.apply(d.id, d.state, 'superseded', { now, actor, message: `superseded by revision ${revision}` });
    }
    return older.length;
  }

  list(filter: DeliveryFilter): DeliveryView[] {
    const w = deliveryWhere(filter);
    const page = limitOffset(filter.limit, filter.offset);
    return this.dynamic.get<DeliveryRow>(`SELECT * FROM deliveries ${w.where} ORDER BY id ${page.sql}`)
      .all(...w.params, ...page.params)
      .map(toDeliveryView);
  }

  get(id: number): (DeliveryView & { attemptLog: DeliveryAttempt[] }) | undefined {
    const row = this.dynamic.get<DeliveryRow>('SELECT * FROM deliveries WHERE id = ?').get(id);
    if (row === undefined) return undefined;
    return { ...toDeliveryView(row), attemptLog: this.attemptsOf.all(id).map(toDeliveryAttempt) };
  }

  nextDueAt(sinkId: string): string | undefined {
    return this.minDue.get(sinkId)?.t ?? undefined;
  }

  /**
   * One lease for the whole batch: the chosen rows move to in_flight in one checked UPDATE per
   * state they come from (pending, retry_wait) with their audit rows in one INSERT
   * (DeliveryTransitions.applyMany; the rows were read in this same IMMEDIATE transaction, so a
   * row that did not move is a bug and rolls everything back). Each body is parsed once, here.
   */
  private claimIn(o: ClaimOptions): DeliveryItem[] {
    const chosen = this.pickDue(o.sinkId, o.now, o.limit);
    if (chosen.length === 0) return [];
    const lease = { until: new Date(Date.parse(o.now) + o.leaseMs).toISOString(), owner: o.owner };
    const info = { now: o.now, actor: GATEWAY_ACTOR, lease, message: `claimed by ${o.owner}` };
    const pending = chosen.filter((c) => c.state === 'pending');
    const retry = pending.length === chosen.length ? [] : chosen.filter((c) => c.state === 'retry_wait');
    this.transitions.applyMany('pending', 'in_flight', pending, info);
    this.transitions.applyMany('retry_wait', 'in_flight', retry, info);
    return chosen.map((c) => ({
      deliveryId: c.id,
      key: c.idempotency_key,
      recordId: c.record_id,
      entityType: c.entity_type,
      schoolId: c.school_id,
      revision: c.revision,
      contentHash: c.content_hash,
      status: c.status,
      payload: bodyWithRevision(c.body, c.revision),
      attempt: c.attempts + 1,
    }));
  }

  /**
   * Due rows in (next_attempt_at, id) order, at most one per record (the oldest). Superseding
   * keeps one queued version per (sink, record), so duplicates are rare and the widening loop
   * almost never runs twice.
   */
  private pickDue(sinkId: string, now: string, limit: number): ClaimRow[] {
    for (let fetch = limit; ; fetch *= 2) {
      const pending = this.claimPending.all(sinkId, fetch);
      const retry = this.claimRetry.all(sinkId, now, fetch);
      // Each list is its own top `fetch`; their merge is exact only up to `fetch` rows unless
      // both lists ran dry.
      const exhausted = pending.length < fetch && retry.length < fetch;
      const merged = [...pending, ...retry].sort(claimOrder);
      const rows = exhausted ? merged : merged.slice(0, fetch);
      const seen = new Set<number>();
      const chosen: ClaimRow[] = [];
      for (const r of rows) {
        if (seen.has(r.record_seq)) continue;
        seen.add(r.record_seq);
        chosen.push(r);
        if (chosen.length === limit) return chosen;
      }
      if (exhausted) return chosen;
    }
  }

  /**
   * A batch of outcomes: the rows are read in one statement, results for rows no longer in
   * flight or for an older attempt are stale (the lease expired and the row was recovered, or it
   * was already completed: the newer state wins) and dropped, and the rest move in one checked
   * UPDATE per target state with their audit rows (DeliveryTransitions.applyMany).
   */
  private completeIn(results: readonly DeliveryResult[], now: string): void {
    const current = new Map(this.rowsById.all(JSON.stringify(results.map((r) => r.deliveryId))).map((r) => [r.id, r]));
    const groups = new Map<DeliveryResult['to'], { rows: BatchRow[]; keys: KeyRow[] }>();
    for (const r of results) {
      const row = current.get(r.deliveryId);
      if (row === undefined || row.state !== 'in_flight' || row.attempts !== r.attempt) continue;
      // A second result for the same row in one call finds it completed: stale, as one by one.
      current.delete(r.deliveryId);
      let g = groups.get(r.to);
      if (!g) { g = { rows: [], keys: [] }; groups.set(r.to, g); }
      g.rows.push({
        id: row.id, attempts: row.attempts, durationMs: r.durationMs,
        ...(r.error !== undefined ? { error: r.error } : {}),
        ...(r.nextAttemptAt !== undefined ? { nextAttemptAt: r.nextAttemptAt } : {}),
        ...(r.remoteRef !== undefined ? { remoteRef: r.remoteRef } : {}),
      });
      g.keys.push(row);
    }
    for (const [to, g] of groups) {
      this.transitions.applyMany('in_flight', to, g.rows, { now, actor: GATEWAY_ACTOR });
      if (to === 'retry_wait') for (const row of g.keys) this.supersedeIfNewer(row, 'retry_wait', now, GATEWAY_ACTOR);
    }
  }

  private recoverIn(now: string, all: boolean): number {
    const rows = all ? this.allInFlight.all() : this.expiredInFlight.all(now);
    const message = all ? 'recovered after restart' : 'lease expired';
    for (const row of rows) {
      this.transitions.apply(row.id, 'in_flight', 'retry_wait', { now, actor: GATEWAY_ACTOR, nextAttemptAt: now, message });
      this.supersedeIfNewer(row, 'retry_wait', now, GATEWAY_ACTOR);
    }
    return rows.length;
  }

  private replayIn(filter: DeliveryFilter, actor: string, now: string): { replayed: number; superseded: number } {
    const states = filter.state === undefined ? REPLAYABLE_STATES : REPLAYABLE_STATES.filter((s) => s === filter.state);
    if (states.length === 0) return { replayed: 0, superseded: 0 };
    const w = deliveryWhere({ ...filter, state: undefined });
    const stateSql = `state IN (${states.map(() => '?').join(', ')})`;
    const where = w.where === '' ? `WHERE ${stateSql}` : `${w.where} AND ${stateSql}`;
    const page = limitOffset(filter.limit, filter.offset);
    const rows = this.dynamic
      .get<KeyRow>(`SELECT id, state, sink_id, record_seq, revision, attempts FROM deliveries ${where} ORDER BY id ${page.sql}`)
      .all(...w.params, ...states, ...page.params);
    let replayed = 0;
    let superseded = 0;
    for (const row of rows) {
      if (this.supersedeIfNewer(row, row.state, now, actor)) {
        superseded++;
        continue;
      }
      this.transitions.apply(row.id, row.state, 'pending', {
        now, actor, nextAttemptAt: now, message: `replayed after ${row.attempts} attempt(s)`,
      });
      superseded += this.supersedeOlder(row.sink_id, row.record_seq, row.revision, now, actor);
      replayed++;
    }
    return { replayed, superseded };
  }

  /**
   * The stale-version guard: a delivery that is about to wait (retry, replay) while a newer
   * version of the same record for the same sink exists in any live or finished state is
   * superseded, so an older version is never delivered after a newer one.
   */
  private supersedeIfNewer(row: KeyRow, state: DeliveryState, now: string, actor: string): boolean {
    if (this.newerExists.get(row.sink_id, row.record_seq, row.revision) === undefined) return false;
    this.transitions.apply(row.id, state, 'superseded', { now, actor, message: 'a newer version of the record exists' });
    return true;
  }
}

export interface ClaimOptions {
  sinkId: string;
  limit: number;
  now: string;
  leaseMs: number;
  owner: string;
}

function deliveryWhere(f: DeliveryFilter): { where: string; params: unknown[] } {
  return buildWhere([
    ['id IN (SELECT value FROM json_each(?))', f.ids === undefined ? undefined : JSON.stringify(f.ids)],
    ['state = ?', f.state],
    ['sink_id = ?', f.sinkId],
    ['school_id = ?', f.schoolId],
    ['created_at >= ?', f.from],
    ['created_at <= ?', f.to],
  ]);
}
