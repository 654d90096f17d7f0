import type Database from 'better-sqlite3';
import { canTransition, type DeliveryState } from '../../core/delivery-states';
import { GatewayError, type SerializedError } from '../../core/errors';
import type { Db } from './connection';
import { deliveryCounter, type LedgerCounters } from './counters';

/** What a transition records besides the new state. Absent fields leave the column as it was. */
export interface TransitionInfo {
  now: string;
  /** `gateway`, or the operator who replayed. */
  actor: string;
  /** Audit text; defaults to the error's message. Never payloads or personal data. */
  message?: string;
  error?: SerializedError;
  durationMs?: number;
  nextAttemptAt?: string;
  remoteRef?: string;
  /** Only with `in_flight`; every other state clears the lease. */
  lease?: { until: string; owner: string };
}

/**
 * One row of a batch move (DeliveryTransitions.applyMany): its attempt count before the move
 * (read in the same transaction) and what differs from row to row.
 */
export interface BatchRow {
  id: number;
  attempts: number;
  durationMs?: number;
  error?: SerializedError;
  nextAttemptAt?: string;
  remoteRef?: string;
}

interface TransitionParams {
  id: number;
  from: DeliveryState;
  to: DeliveryState;
  now: string;
  leaseUntil: string | null;
  leaseOwner: string | null;
  nextAttemptAt: string | null;
  lastError: string | null;
  remoteRef: string | null;
}

/**
 * The one way a delivery changes state: checks the move against ALLOWED_TRANSITIONS, applies it
 * only if the row is still in `from` (compare-and-set), writes one `delivery_attempts` row and
 * moves the per-state counters. Call it inside a LedgerCounters transaction.
 *
 * Column rules by target state: `in_flight` counts an attempt and takes the lease; `pending`
 * (operator replay) resets attempts to 0; `delivered` stamps delivered_at and `rejected` clears
 * it (a refusal after delivery: the record did not arrive, so the SLA engine, which counts
 * delivered_at, no longer counts it; the audit row keeps when it was delivered); every state but
 * `in_flight` drops the lease. `last_error` is only ever replaced, never cleared, so a replayed or
 * delivered row still shows what went wrong before.
 */
export class DeliveryTransitions {
  private readonly update: Database.Statement<[TransitionParams], { attempts: number }>;
  private readonly audit: Database.Statement<unknown[]>;
  private readonly updateMany: Database.Statement<[Record<string, unknown>]>;
  private readonly auditMany: Database.Statement<[Record<string, unknown>]>;

  constructor(db: Db, private readonly counters: LedgerCounters) {
    this.update = db.prepare<[TransitionParams], { attempts: number }>(`
      UPDATE deliveries SET
        state = @to,
        updated_at = @now,
        attempts = CASE @to WHEN 'in_flight' THEN attempts + 1 WHEN 'pending' THEN 0 ELSE attempts END,
        lease_until = @leaseUntil,
        lease_owner = @leaseOwner,
        next_attempt_at = COALESCE(@nextAttemptAt, next_attempt_at),
        last_error = COALESCE(@lastError, last_error),
        remote_ref = COALESCE(@remoteRef, remote_ref),
        delivered_at = CASE @to WHEN 'delivered' THEN @now WHEN 'rejected' THEN NULL ELSE delivered_at END
      WHERE id = @id AND state = @from
      RETURNING attempts`);
    this.audit = db.prepare(`
      INSERT INTO delivery_attempts
        (delivery_id, attempt, from_state, to_state, at, duration_ms, error_code, error_class, message, actor)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    // The same column rules as `update`, for many rows moving between the same two states: the
    // ids come as one JSON array, the values rows share as parameters, and the few that differ
    // (remote ref, next attempt, error) as JSON objects keyed by id ('{}' when none do).
    this.updateMany = db.prepare<[Record<string, unknown>]>(`
      UPDATE deliveries SET
        state = @to,
        updated_at = @now,
        attempts = CASE @to WHEN 'in_flight' THEN attempts + 1 WHEN 'pending' THEN 0 ELSE attempts END,
        lease_until = @leaseUntil,
        lease_owner = @leaseOwner,
        next_attempt_at = COALESCE(@nextAttemptAt ->> CAST(id AS TEXT), next_attempt_at),
        last_error = COALESCE(@lastError ->> CAST(id AS TEXT), last_error),
        remote_ref = COALESCE(@remoteRef ->> CAST(id AS TEXT), remote_ref),
        delivered_at = CASE @to WHEN 'delivered' THEN @now WHEN 'rejected' THEN NULL ELSE delivered_at END
      WHERE state = @from AND id IN (SELECT value FROM json_each(@ids))`);
    // One audit row per moved row, in the order given, with the row's attempt count after the move.
    this.auditMany = db.prepare<[Record<string, unknown>]>(`
      INSERT INTO delivery_attempts
        (delivery_id, attempt, from_state, to_state, at, duration_ms, error_code, error_class, message, actor)
      SELECT d.id, d.attempts, @from, @to, @now, @durationMs, NULL, NULL, @message, @actor
      FROM json_each(@ids) AS j JOIN deliveries AS d ON d.id = j.value
      ORDER BY j.key`);
  }

  /** The checks every move passes before it touches a row. */
  private check(id: number, from: DeliveryState, to: DeliveryState, info: TransitionInfo): void {
    if (!canTransition(from, to)) {
      throw new GatewayError('GW_INTERNAL', `Illegal delivery transition ${from} -> ${to}`, { context: { deliveryId: id } });
    }
    if (to === 'in_flight' && info.lease === undefined) {
      throw new GatewayError('GW_INTERNAL', 'A delivery cannot go in_flight without a lease', { context: { deliveryId: id } });
    }
  }

  /**
   * Moves many rows from `from` to `to` in one UPDATE, with their audit rows in one INSERT (or
   * one per row when rows carry their own error): the same checks, column rules, counters and
   * one audit row per move as `apply` per row, at about half the cost per row. `shared` holds
   * what every row gets (time, actor, lease, duration, message); `rows` their attempt count
   * before the move (read in this transaction) and what differs per row.
   *
   * Strict compare-and-set: the caller read the rows in the same IMMEDIATE transaction, so a
   * row not in `from` any more is a bug: GW_INTERNAL, and the caller's transaction rolls back.
   * Returns each row's attempt count after the move, in the order given. Call it inside a
   * LedgerCounters transaction.
   */
  applyMany(from: DeliveryState, to: DeliveryState, rows: readonly BatchRow[], shared: TransitionInfo): number[] {
    if (rows.length === 0) return [];
    const first = rows[0] as BatchRow;
    this.check(first.id, from, to, shared);
    const lease = to === 'in_flight' ? shared.lease : undefined;
    const ids: number[] = [];
    const next: Record<number, string> = {};
    const errors: Record<number, string> = {};
    const refs: Record<number, string> = {};
    // Audit rows go in one INSERT when they differ only by id and attempt count.
    const durationMs = shared.durationMs ?? first.durationMs;
    let perRowAudit = false;
    for (const r of rows) {
      if ((r.durationMs ?? shared.durationMs) !== durationMs) perRowAudit = true;
      ids.push(r.id);
      const nextAt = r.nextAttemptAt ?? shared.nextAttemptAt;
      if (nextAt !== undefined) next[r.id] = nextAt;
      const err = r.error ?? shared.error;
      if (err !== undefined) { errors[r.id] = JSON.stringify(err); perRowAudit = true; }
      const ref = r.remoteRef ?? shared.remoteRef;
      if (ref !== undefined) refs[r.id] = ref;
    }
    const idsJson = JSON.stringify(ids);
    const moved = this.updateMany.run({
      from, to, now: shared.now, ids: idsJson, leaseUntil: lease?.until ?? null, leaseOwner: lease?.owner ?? null,
      nextAttemptAt: JSON.stringify(next), lastError: JSON.stringify(errors), remoteRef: JSON.stringify(refs),
    }).changes;
    if (moved !== rows.length) {
      throw new GatewayError('GW_INTERNAL', `${rows.length - moved} of ${rows.length} deliveries are not in state ${from}`, { context: { from, to, firstDeliveryId: first.id } });
    }
    this.counters.add(deliveryCounter(from), -moved);
    this.counters.add(deliveryCounter(to), moved);
    const after = rows.map((r) => (to === 'in_flight' ? r.attempts + 1 : to === 'pending' ? 0 : r.attempts));
    if (!perRowAudit) {
      this.auditMany.run({ ids: idsJson, from, to, now: shared.now, durationMs: durationMs ?? null, message: shared.message ?? null, actor: shared.actor });
    } else {
      rows.forEach((r, k) => {
        const err = r.error ?? shared.error;
        this.audit.run(r.id, after[k], from, to, shared.now, r.durationMs ?? shared.durationMs ?? null, err?.code ?? null, err?.class ?? null, shared.message ?? err?.message ?? null, shared.actor);
      });
    }
    return after;
  }

  /** Returns the row's attempt count after the move. Throws GW_INTERNAL on an illegal or stale move. */
  apply(id: number, from: DeliveryState, to: DeliveryState, info: TransitionInfo): number {
    this.check(id, from, to, info);
    const lease = to === 'in_flight' ? info.lease : undefined;
    const row = this.update.get({
      id,
      from,
      to,
      now: info.now,
      leaseUntil: lease?.until ?? null,
      leaseOwner: lease?.owner ?? null,
      nextAttemptAt: info.nextAttemptAt ?? null,
      lastError: info.error === undefined ? null : JSON.stringify(info.error),
      remoteRef: info.remoteRef ?? null,
    });
    if (row === undefined) {
      throw new GatewayError('GW_INTERNAL', `Delivery ${id} is not in state ${from}`, { context: { deliveryId: id, from, to } });
    }
    this.counters.moved(from, to);
    this.audit.run(
      id,
      row.attempts,
      from,
      to,
      info.now,
      info.durationMs ?? null,
      info.error?.code ?? null,
      info.error?.class ?? null,
      info.message ?? info.error?.message ?? null,
      info.actor,
    );
    return row.attempts;
  }
}
