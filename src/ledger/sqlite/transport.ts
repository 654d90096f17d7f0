/**
 * Transport state of deliveries over SQLite (the contract is src/core/transport.ts): the
 * columns `transport_id`, `sending_timestamp`, `remote_status`, `remote_status_at`,
 * `acknowledged_at` (migration 6) and `remote_detail` (migration 8) of `deliveries`.
 *
 * These columns are not part of the delivery state machine: writing them never changes a
 * delivery's state and writes no attempt row, with one exception: a refusal the destination
 * sends after it took the message (`setRemoteStatus` with `refused`) moves a delivered delivery
 * to `rejected` through DeliveryTransitions (checked, audited, counted), in the same transaction. Every write is one transaction; lookups by
 * transport id use the partial index `deliveries_transport (sink_id, transport_id)`.
 */
import type { DeliveryState } from '../../core/delivery-states';
import type { EntityType } from '../../core/records';
import type {
  DeliveryTransport, DeliveryTransportState, RemoteStatusUpdate, SettleInput, SinkTransport, TransportDelivery,
} from '../../core/transport';
import { GatewayError } from '../../core/errors';
import { guard, StatementCache, type Db } from './connection';
import { LedgerCounters } from './counters';
import { GATEWAY_ACTOR } from './deliveries';
import { DeliveryTransitions } from './transitions';

interface TransportRow {
  id: number;
  transport_id: string | null;
  sending_timestamp: string | null;
  remote_status: string | null;
  remote_status_at: string | null;
  remote_detail: string | null;
  acknowledged_at: string | null;
}

interface TransportDeliveryRow extends TransportRow {
  transport_id: string;
  idempotency_key: string;
  school_id: string;
  record_id: string;
  entity_type: EntityType;
  state: DeliveryState;
}

const STATE_COLUMNS = 'id, transport_id, sending_timestamp, remote_status, remote_status_at, remote_detail, acknowledged_at';
const DELIVERY_COLUMNS = `${STATE_COLUMNS}, idempotency_key, school_id, record_id, entity_type, state`;
/** SQLite's default limit of host parameters is 32766; stay well below it. */
const CHUNK = 500;

function toState(r: TransportRow): DeliveryTransportState {
  return {
    deliveryId: r.id,
    ...(r.transport_id !== null ? { transportId: r.transport_id } : {}),
    ...(r.sending_timestamp !== null ? { sendingTimestamp: r.sending_timestamp } : {}),
    ...(r.remote_status !== null ? { remoteStatus: r.remote_status } : {}),
    ...(r.remote_status_at !== null ? { remoteStatusAt: r.remote_status_at } : {}),
    ...(r.remote_detail !== null ? { remoteDetail: r.remote_detail } : {}),
    ...(r.acknowledged_at !== null ? { acknowledgedAt: r.acknowledged_at } : {}),
  };
}

function toDelivery(r: TransportDeliveryRow): TransportDelivery {
  return {
    ...toState(r), transportId: r.transport_id, key: r.idempotency_key, schoolId: r.school_id, recordId: r.record_id,
    entityType: r.entity_type, state: r.state,
  };
}

function chunks<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

/** The ledger's DeliveryTransport: one per connection; `forSink` views share its statements. */
export class SqliteDeliveryTransport implements DeliveryTransport {
  private readonly sql: StatementCache;

  constructor(private readonly db: Db) {
    this.sql = new StatementCache(db);
  }

  forSink(sinkId: string): SinkTransport {
    return new SqliteSinkTransport(this.db, this.sql, sinkId);
  }

  lookup(deliveryIds: readonly number[]): Promise<Map<number, DeliveryTransportState>> {
    return guard(() => lookupIn(this.sql, undefined, deliveryIds));
  }
}

function lookupIn(sql: StatementCache, sinkId: string | undefined, deliveryIds: readonly number[]): Map<number, DeliveryTransportState> {
  const out = new Map<number, DeliveryTransportState>();
  for (const part of chunks([...new Set(deliveryIds)])) {
    const marks = part.map(() => '?').join(', ');
    const rows = sinkId === undefined
      ? sql.get<TransportRow>(`SELECT ${STATE_COLUMNS} FROM deliveries WHERE id IN (${marks})`).all(...part)
      : sql.get<TransportRow>(`SELECT ${STATE_COLUMNS} FROM deliveries WHERE sink_id = ? AND id IN (${marks})`).all(sinkId, ...part);
    for (const r of rows) out.set(r.id, toState(r));
  }
  return out;
}

class SqliteSinkTransport implements SinkTransport {
  private refusalParts: { transitions: DeliveryTransitions; tx: <R>(work: () => R) => R } | undefined;

  constructor(private readonly db: Db, private readonly sql: StatementCache, readonly sinkId: string) {}

  assign(transportId: string, deliveryIds: readonly number[], _now: string): Promise<void> {
    return guard(() => this.db.transaction(() => {
      for (const part of chunks([...new Set(deliveryIds)])) {
        this.sql.get(`UPDATE deliveries SET transport_id = ?, sending_timestamp = NULL, remote_status = NULL, remote_status_at = NULL,
          remote_detail = NULL, acknowledged_at = NULL WHERE sink_id = ? AND id IN (${part.map(() => '?').join(', ')})`)
          .run(transportId, this.sinkId, ...part);
      }
    })());
  }

  settle(transportId: string, input: SettleInput, now: string): Promise<number> {
    return guard(() => this.db.transaction(() => {
      const rows = this.rowsOf(transportId);
      const carried = input.keys ? new Set(input.keys) : undefined;
      let settled = 0;
      for (const r of rows) {
        if (carried && !carried.has(r.idempotency_key)) {
          // Assigned to an earlier copy of this id, not carried by the copy the destination took:
          // that earlier copy never arrived, so the delivery is free to travel in another message.
          if (r.sending_timestamp === null && r.remote_status === null) {
            this.sql.get('UPDATE deliveries SET transport_id = NULL WHERE id = ?').run(r.id);
          }
          continue;
        }
        this.sql.get(`UPDATE deliveries SET sending_timestamp = COALESCE(sending_timestamp, ?),
          remote_status = COALESCE(remote_status, ?), remote_status_at = COALESCE(remote_status_at, ?) WHERE id = ?`)
          .run(input.sendingTimestamp ?? null, input.status, now, r.id);
        settled++;
      }
      return settled;
    })());
  }

  release(transportId: string, _now: string): Promise<number> {
    return guard(() => this.sql.get(`UPDATE deliveries SET transport_id = NULL
      WHERE sink_id = ? AND transport_id = ? AND sending_timestamp IS NULL AND remote_status IS NULL`)
      .run(this.sinkId, transportId).changes);
  }

  lookup(deliveryIds: readonly number[]): Promise<Map<number, DeliveryTransportState>> {
    return guard(() => lookupIn(this.sql, this.sinkId, deliveryIds));
  }

  byTransportId(transportId: string): Promise<TransportDelivery[]> {
    return guard(() => this.rowsOf(transportId).map(toDelivery));
  }

  setRemoteStatus(updates: readonly RemoteStatusUpdate[], now: string): Promise<number> {
    return guard(() => this.refusals().tx(() => {
      let moved = 0;
      for (const u of updates) {
        const changed = this.sql.get('UPDATE deliveries SET remote_status = ?, remote_status_at = ?, remote_detail = ? WHERE sink_id = ? AND id = ?')
          .run(u.status, now, u.detail ?? null, this.sinkId, u.deliveryId).changes;
        if (!u.refused || changed === 0) continue;
        // Only a delivered row moves: one in flight or waiting is settled by its own push
        // (push.ts turns a refused transport state into a rejection), a finished one stays.
        const state = this.sql.get<{ state: DeliveryState }>('SELECT state FROM deliveries WHERE id = ?').get(u.deliveryId)?.state;
        if (state !== 'delivered') continue;
        const reason = u.detail ?? u.status;
        this.refusals().transitions.apply(u.deliveryId, 'delivered', 'rejected', {
          now, actor: GATEWAY_ACTOR, message: `refused by the destination after delivery: ${reason}`,
          error: new GatewayError('GW_SINK_REJECTED', `refused by the destination after delivery: ${reason}`, { context: { deliveryId: u.deliveryId } }).toJSON(),
        });
        moved++;
      }
      return moved;
    }));
  }

  /** Transitions and counters for refusals, prepared on first use (after the schema exists). */
  private refusals(): { transitions: DeliveryTransitions; tx: <R>(work: () => R) => R } {
    if (!this.refusalParts) {
      const counters = new LedgerCounters(this.db);
      this.refusalParts = { transitions: new DeliveryTransitions(this.db, counters), tx: (work) => counters.transaction(work)() };
    }
    return this.refusalParts;
  }

  acknowledge(transportId: string, now: string): Promise<number> {
    return guard(() => this.sql.get(`UPDATE deliveries SET acknowledged_at = COALESCE(acknowledged_at, ?)
      WHERE sink_id = ? AND transport_id = ?`).run(now, this.sinkId, transportId).changes);
  }

  awaiting(opts: { statuses: readonly string[]; olderThan: string; limit: number }): Promise<TransportDelivery[]> {
    if (opts.statuses.length === 0 || !(opts.limit > 0)) return Promise.resolve([]);
    // Served by deliveries_remote_open: one range (sink, status, at <= T) per status.
    return guard(() => this.sql.get<TransportDeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries
      WHERE sink_id = ? AND transport_id IS NOT NULL AND remote_status IN (${opts.statuses.map(() => '?').join(', ')})
        AND remote_status_at <= ? ORDER BY remote_status_at, id LIMIT ?`)
      .all(this.sinkId, ...opts.statuses, opts.olderThan, Math.trunc(opts.limit)).map(toDelivery));
  }

  private rowsOf(transportId: string): TransportDeliveryRow[] {
    return this.sql.get<TransportDeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE sink_id = ? AND transport_id = ? ORDER BY id`)
      .all(this.sinkId, transportId);
  }
}
