import type Database from 'better-sqlite3';
import { canTransition, type DeliveryState } from '../../core/delivery-states';
import { GatewayError, type SerializedError } from '../../core/errors';
import type { Db } from './connection';
import type { LedgerCounters } from './counters';

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
 * (operator replay) resets attempts to 0; `delivered` stamps delivered_at; every state but
 * `in_flight` drops the lease. `last_error` is only ever replaced, never cleared, so a replayed or
 * delivered row still shows what went wrong before.
 */
export class DeliveryTransitions {
  private readonly update: Database.Statement<[TransitionParams], { attempts: number }>;
  private readonly audit: Database.Statement<unknown[]>;

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
        delivered_at = CASE @to WHEN 'delivered' THEN @now ELSE delivered_at END
      WHERE id = @id AND state = @from
      RETURNING attempts`);
    this.audit = db.prepare(`
      INSERT INTO delivery_attempts
        (delivery_id, attempt, from_state, to_state, at, duration_ms, error_code, error_class, message, actor)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  /** Returns the row's attempt count after the move. Throws GW_INTERNAL on an illegal or stale move. */
  apply(id: number, from: DeliveryState, to: DeliveryState, info: TransitionInfo): number {
    if (!canTransition(from, to)) {
      throw new GatewayError('GW_INTERNAL', `Illegal delivery transition ${from} -> ${to}`, { context: { deliveryId: id } });
    }
    if (to === 'in_flight' && info.lease === undefined) {
      throw new GatewayError('GW_INTERNAL', 'A delivery cannot go in_flight without a lease', { context: { deliveryId: id } });
    }
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
