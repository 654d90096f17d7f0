import type Database from 'better-sqlite3';
import { GatewayError } from '../../core/errors';
import type { HoldPolicy, HoldState, HoldView, IngestResult, PreparedRecord, SettleResult, SinkRoute } from '../../core/ledger';
import type { EntityType } from '../../core/records';
import type { Db } from './connection';
import type { LedgerCounters } from './counters';
import { toRoutes, type IngestWriter, type Route } from './ingest';

interface HoldRow {
  id: number;
  school_id: string;
  source_instance: string;
  entity_type: string;
  state: HoldState;
  baseline: number;
  deletes: number;
  changes: number;
  reason: string;
  run_ids: string;
  routes: string;
  created_at: string;
  updated_at: string;
  decided_at: string | null;
  decided_by: string | null;
  applied: number | null;
  superseded: number | null;
}

interface StagedRow {
  id: number;
  record_id: string;
  base_hash: string;
  record: string;
}

interface KindCount {
  school_id: string;
  source_instance: string;
  entity_type: string;
  deletes: number;
  changes: number;
}

const emptyResult = (): IngestResult => ({ inserted: 0, updated: 0, unchanged: 0, quarantined: 0, enqueued: 0, superseded: 0 });

/**
 * Settles staged runs and keeps the safety holds (see V2 in migrations.ts and
 * `Ledger.settleRun`). Every public method is one IMMEDIATE transaction.
 */
export class HoldStore {
  private readonly run: Database.Statement<[string], { run_id: string; routes: string; settled_at: string | null }>;
  private readonly openRuns: Database.Statement<[string, string], { run_id: string }>;
  private readonly kinds: Database.Statement<[string], KindCount>;
  private readonly baseline: Database.Statement<[string, string], { n: number }>;
  private readonly openHold: Database.Statement<[string, string, string], HoldRow>;
  private readonly holdById: Database.Statement<[number], HoldRow>;
  private readonly insertHold: Database.Statement<unknown[]>;
  private readonly dropReplacedInHold: Database.Statement<[number, string, string]>;
  private readonly attach: Database.Statement<[number, string, string]>;
  private readonly recount: Database.Statement<[number], { deletes: number; changes: number }>;
  private readonly updateHoldCounts: Database.Statement<unknown[]>;
  private readonly stagedOfRun: Database.Statement<[string, string], StagedRow>;
  private readonly stagedOfHold: Database.Statement<[number], StagedRow>;
  private readonly deleteStaged: Database.Statement<[number]>;
  private readonly deleteStagedOfHold: Database.Statement<[number]>;
  private readonly markSettled: Database.Statement<[string, string]>;
  private readonly decide: Database.Statement<unknown[]>;
  private readonly settleTx: (runId: string, policy: HoldPolicy, now: string) => SettleResult;
  private readonly decideTx: (id: number, decision: 'approve' | 'reject', actor: string, now: string) => HoldView;

  constructor(private readonly db: Db, private readonly counters: LedgerCounters, private readonly writer: IngestWriter) {
    this.run = db.prepare('SELECT run_id, routes, settled_at FROM staged_runs WHERE run_id = ?');
    this.openRuns = db.prepare('SELECT run_id FROM staged_runs WHERE school_id = ? AND source_instance = ? AND settled_at IS NULL ORDER BY rowid');
    this.kinds = db.prepare(`SELECT school_id, source_instance, entity_type,
        SUM(kind = 'delete') AS deletes, SUM(kind = 'change') AS changes
      FROM staged_changes WHERE run_id = ? AND hold_id IS NULL GROUP BY school_id, source_instance, entity_type ORDER BY entity_type`);
    this.baseline = db.prepare("SELECT COUNT(*) AS n FROM records WHERE school_id = ? AND entity_type = ? AND status = 'active'");
    this.openHold = db.prepare("SELECT * FROM holds WHERE school_id = ? AND source_instance = ? AND entity_type = ? AND state = 'pending'");
    this.holdById = db.prepare('SELECT * FROM holds WHERE id = ?');
    this.insertHold = db.prepare(`INSERT INTO holds (school_id, source_instance, entity_type, state, baseline, deletes, changes, reason,
      run_ids, routes, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, 0, 0, ?, '[]', ?, ?, ?)`);
    // A later run's change to a record replaces the one the hold already had.
    this.dropReplacedInHold = db.prepare(`DELETE FROM staged_changes WHERE hold_id = ? AND record_id IN
      (SELECT record_id FROM staged_changes WHERE run_id = ? AND hold_id IS NULL AND entity_type = ?)`);
    this.attach = db.prepare('UPDATE staged_changes SET hold_id = ? WHERE run_id = ? AND hold_id IS NULL AND entity_type = ?');
    this.recount = db.prepare(`SELECT COALESCE(SUM(kind = 'delete'), 0) AS deletes, COALESCE(SUM(kind = 'change'), 0) AS changes
      FROM staged_changes WHERE hold_id = ?`);
    this.updateHoldCounts = db.prepare('UPDATE holds SET deletes = ?, changes = ?, run_ids = ?, routes = ?, updated_at = ? WHERE id = ?');
    this.stagedOfRun = db.prepare('SELECT id, record_id, base_hash, record FROM staged_changes WHERE run_id = ? AND hold_id IS NULL AND entity_type = ? ORDER BY id');
    this.stagedOfHold = db.prepare('SELECT id, record_id, base_hash, record FROM staged_changes WHERE hold_id = ? ORDER BY id');
    this.deleteStaged = db.prepare('DELETE FROM staged_changes WHERE id = ?');
    this.deleteStagedOfHold = db.prepare('DELETE FROM staged_changes WHERE hold_id = ?');
    this.markSettled = db.prepare('UPDATE staged_runs SET settled_at = ? WHERE run_id = ?');
    this.decide = db.prepare(`UPDATE holds SET state = ?, decided_at = ?, decided_by = ?, applied = ?, superseded = ?, updated_at = ?
      WHERE id = ? AND state = 'pending'`);
    this.settleTx = counters.transaction((runId: string, policy: HoldPolicy, now: string) => this.settleOne(runId, policy, now));
    this.decideTx = counters.transaction((id: number, decision: 'approve' | 'reject', actor: string, now: string) => this.decideOne(id, decision, actor, now));
  }

  settleRun(runId: string, policy: HoldPolicy, now: string): SettleResult {
    return this.settleTx(runId, policy, now);
  }

  settleInterrupted(schoolId: string, sourceInstance: string, policy: HoldPolicy, now: string): SettleResult {
    const total: SettleResult = { applied: emptyResult(), holds: [] };
    for (const { run_id } of this.openRuns.all(schoolId, sourceInstance)) {
      const r = this.settleTx(run_id, policy, now);
      addInto(total.applied, r.applied);
      total.holds.push(...r.holds);
    }
    return total;
  }

  list(filter: { schoolId?: string; state?: HoldState; limit?: number }): HoldView[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.schoolId !== undefined) { where.push('school_id = ?'); args.push(filter.schoolId); }
    if (filter.state !== undefined) { where.push('state = ?'); args.push(filter.state); }
    const sql = `SELECT * FROM holds ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, filter.limit ?? 100) as HoldRow[]).map(toView);
  }

  get(id: number): HoldView | undefined {
    const row = this.holdById.get(id);
    return row === undefined ? undefined : toView(row);
  }

  decideHold(id: number, decision: 'approve' | 'reject', actor: string, now: string): HoldView {
    return this.decideTx(id, decision, actor, now);
  }

  private settleOne(runId: string, policy: HoldPolicy, now: string): SettleResult {
    const result: SettleResult = { applied: emptyResult(), holds: [] };
    const run = this.run.get(runId);
    if (run === undefined || run.settled_at !== null) return result;
    const routes = JSON.parse(run.routes) as SinkRoute[];
    for (const k of this.kinds.all(runId)) {
      const baseline = this.baseline.get(k.school_id, k.entity_type)?.n ?? 0;
      const open = this.openHold.get(k.school_id, k.source_instance, k.entity_type);
      const reason = open === undefined ? exceeds(policy, baseline, k.deletes, k.changes) : undefined;
      if (open === undefined && reason === undefined) {
        this.applyRows(this.stagedOfRun.all(runId, k.entity_type), toRoutes(routes), runId, k.source_instance, now, result.applied);
        continue;
      }
      let holdId: number;
      let runIds: string[];
      if (open !== undefined) {
        holdId = open.id;
        runIds = JSON.parse(open.run_ids) as string[];
      } else {
        holdId = Number(this.insertHold.run(k.school_id, k.source_instance, k.entity_type, baseline, reason, JSON.stringify(routes), now, now).lastInsertRowid);
        runIds = [];
        this.counters.add('holds.pending', 1);
      }
      this.dropReplacedInHold.run(holdId, runId, k.entity_type);
      this.attach.run(holdId, runId, k.entity_type);
      const counts = this.recount.get(holdId) ?? { deletes: 0, changes: 0 };
      if (!runIds.includes(runId)) runIds.push(runId);
      // The newest run's routes win: they reflect the config in force when the changes are applied.
      this.updateHoldCounts.run(counts.deletes, counts.changes, JSON.stringify(runIds), JSON.stringify(routes), now, holdId);
      const row = this.holdById.get(holdId);
      if (row !== undefined) result.holds.push(toView(row));
    }
    this.markSettled.run(now, runId);
    return result;
  }

  private decideOne(id: number, decision: 'approve' | 'reject', actor: string, now: string): HoldView {
    const row = this.holdById.get(id);
    if (row === undefined) throw new GatewayError('GW_API_NOT_FOUND', `There is no safety hold ${id}`);
    if (row.state !== 'pending') {
      throw new GatewayError('GW_HOLD_DECIDED', `Safety hold ${id} (school ${row.school_id}, ${row.entity_type}) was already ${row.state} by ${row.decided_by ?? 'unknown'} at ${row.decided_at ?? '?'}`);
    }
    const applied = emptyResult();
    let superseded = 0;
    if (decision === 'approve') {
      superseded = this.applyRows(this.stagedOfHold.all(id), toRoutes(JSON.parse(row.routes) as SinkRoute[]), `hold-${id}`, row.source_instance, now, applied);
    }
    this.deleteStagedOfHold.run(id);
    const n = applied.inserted + applied.updated;
    this.decide.run(decision === 'approve' ? 'approved' : 'rejected', now, actor, decision === 'approve' ? n : 0, superseded, now, id);
    this.counters.add('holds.pending', -1);
    const after = this.holdById.get(id);
    if (after === undefined) throw new GatewayError('GW_INTERNAL', `Safety hold ${id} vanished while it was decided`);
    return toView(after);
  }

  /**
   * Applies staged changes whose record is still at the content they were staged against.
   * A record that moved on meanwhile (a later run applied a newer version) keeps the newer
   * version: the staged change is dropped and counted as superseded. Returns that count.
   */
  private applyRows(rows: StagedRow[], routes: readonly Route[], runId: string, sourceInstance: string, now: string, into: IngestResult): number {
    const current = this.writer.known(rows.map((r) => r.record_id));
    const seqs = this.writer.seqAllocator();
    let superseded = 0;
    for (const row of rows) {
      const rec = JSON.parse(row.record) as PreparedRecord;
      const prev = current.get(row.record_id);
      if (prev === undefined || prev.hash !== row.base_hash) {
        superseded++;
      } else if (prev.hash === rec.contentHash) {
        into.unchanged++;
      } else {
        const seq = this.writer.write(rec, prev, routes, { runId, sourceInstance, now }, into, seqs);
        current.set(rec.id, { hash: rec.contentHash, seq, status: rec.status });
      }
      this.deleteStaged.run(row.id);
    }
    return superseded;
  }
}

/** The reason a change set must be held, or undefined when it is within the policy. */
export function exceeds(policy: HoldPolicy, baseline: number, deletes: number, changes: number): string | undefined {
  if (!policy.enabled || baseline < policy.minRecords || baseline === 0) return undefined;
  const pct = (n: number): string => `${((100 * n) / baseline).toFixed(1)}%`;
  if (deletes * 100 > policy.deletePercent * baseline) {
    return `this sync would delete ${deletes} of ${baseline} records (${pct(deletes)}), more than the ${policy.deletePercent}% allowed`;
  }
  if (changes * 100 > policy.changePercent * baseline) {
    return `this sync would change ${changes} of ${baseline} records (${pct(changes)}), more than the ${policy.changePercent}% allowed`;
  }
  return undefined;
}

function addInto(into: IngestResult, r: IngestResult): void {
  into.inserted += r.inserted;
  into.updated += r.updated;
  into.unchanged += r.unchanged;
  into.quarantined += r.quarantined;
  into.enqueued += r.enqueued;
  into.superseded += r.superseded;
}

function toView(r: HoldRow): HoldView {
  return {
    id: r.id, schoolId: r.school_id, sourceInstance: r.source_instance, entityType: r.entity_type as EntityType, state: r.state,
    baseline: r.baseline, deletes: r.deletes, changes: r.changes, reason: r.reason, runIds: JSON.parse(r.run_ids) as string[],
    createdAt: r.created_at, updatedAt: r.updated_at,
    ...(r.decided_at !== null ? { decidedAt: r.decided_at } : {}),
    ...(r.decided_by !== null ? { decidedBy: r.decided_by } : {}),
    ...(r.applied !== null ? { applied: r.applied } : {}),
    ...(r.superseded !== null ? { superseded: r.superseded } : {}),
  };
}
