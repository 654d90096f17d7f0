/**
 * Transport state of deliveries: what a destination's own message transport (the СМЭВ 3
 * MessageID, its SendingTimestamp, its asynchronous statuses) said about each delivery.
 *
 * Sinks whose destination hands out message ids or reports progress after the send keep that
 * state here, in the ledger, next to the delivery row, so it survives a restart:
 *
 * - **before a send** the sink writes the message id onto every delivery the message carries
 *   (`assign`, one transaction): after a crash, a delivery that carries an id whose fate is
 *   unknown is sent again under THAT id, never under another one;
 * - **after the answer** it records that the destination took the message (`settle`, with the
 *   destination's timestamp: the start of the SLA clock) or forgets the id after a definite
 *   refusal (`release`);
 * - **later** a poller records the destination's processing statuses and answers
 *   (`setRemoteStatus`) and the acknowledgement of each answer (`acknowledge`).
 *
 * The ledger keeps these columns as long as the delivery row, i.e. longer than any retry or
 * replay window. The contract is transport-neutral: status values are the sink's own vocabulary
 * (the СМЭВ sink writes InteractionStatus values, `accepted`, `duplicate` and `rejected`).
 */
import type { DeliveryState } from './delivery-states';
import type { EntityType } from './records';

/** The transport columns of one delivery (absent = never written). */
export interface DeliveryTransportState {
  deliveryId: number;
  /** The destination's message id for this delivery, written before the send. */
  transportId?: string;
  /** When the destination took the message, as it wrote it (СМЭВ SendingTimestamp): the SLA start. */
  sendingTimestamp?: string;
  /** The destination's latest processing status for this delivery. */
  remoteStatus?: string;
  /** When `remoteStatus` was last written (gateway clock). */
  remoteStatusAt?: string;
  /** Why, for a refusal: codes and short reasons, never payload. */
  remoteDetail?: string;
  /** When the gateway acknowledged the destination's answer (СМЭВ Ack). */
  acknowledgedAt?: string;
}

/** A delivery carrying a transport id, with what a poller needs to log about it (no payload). */
export interface TransportDelivery extends DeliveryTransportState {
  transportId: string;
  key: string;
  schoolId: string;
  recordId: string;
  entityType: EntityType;
  state: DeliveryState;
}

/**
 * `settle` input. With `keys` (the idempotency keys the accepted message carried), the message
 * was taken fresh: those deliveries get the timestamp and status, and deliveries that still carry
 * the id but were not in this message are released (they were assigned to an earlier copy that
 * the destination never took). Without `keys` (the destination said it already had the id),
 * every delivery carrying the id is settled; values already stored are kept.
 */
export interface SettleInput {
  keys?: readonly string[];
  sendingTimestamp?: string;
  status: string;
}

export interface RemoteStatusUpdate {
  deliveryId: number;
  status: string;
  detail?: string;
  /**
   * The destination refused this delivery after it took the message (e.g. СМЭВ RequestRejected,
   * requestIsRejectedBySmev, a provider's per-record refusal). A `delivered` delivery then moves
   * to `rejected` in the same transaction (checked transition, one audit row with the detail),
   * so it shows as a dead letter and an operator replay sends it again as a new message.
   * Deliveries in any other state only get the status.
   */
  refused?: boolean;
}

/**
 * Transport state of one sink's deliveries. Every method is scoped to the sink, so a sink
 * never touches another sink's rows. Times are ISO 8601 UTC strings from the caller's clock.
 */
export interface SinkTransport {
  readonly sinkId: string;
  /** Writes `transportId` onto these deliveries (one transaction) and clears their other transport columns. */
  assign(transportId: string, deliveryIds: readonly number[], now: string): Promise<void>;
  /** The destination took the message `transportId` (see SettleInput). Returns the deliveries settled. */
  settle(transportId: string, input: SettleInput, now: string): Promise<number>;
  /** The destination definitely did not take `transportId`: deliveries still unsettled under it lose the id. */
  release(transportId: string, now: string): Promise<number>;
  /** Transport state of these deliveries (deliveries of other sinks are absent). */
  lookup(deliveryIds: readonly number[]): Promise<Map<number, DeliveryTransportState>>;
  /** Deliveries carrying `transportId`, oldest first. */
  byTransportId(transportId: string): Promise<TransportDelivery[]>;
  /**
   * Writes each delivery's remote status (and detail); `remote_status_at` = now. Refusals
   * (`refused`) of delivered deliveries also move them to `rejected` (one transaction).
   * Returns how many deliveries moved to `rejected`.
   */
  setRemoteStatus(updates: readonly RemoteStatusUpdate[], now: string): Promise<number>;
  /** Marks the answer to `transportId` as acknowledged. Returns how many deliveries carry it. */
  acknowledge(transportId: string, now: string): Promise<number>;
  /**
   * Deliveries whose message is still open: remote status one of `statuses` (the sink's
   * not-yet-final ones), last status change at or before `olderThan`; oldest change first.
   */
  awaiting(opts: { statuses: readonly string[]; olderThan: string; limit: number }): Promise<TransportDelivery[]>;
}

/**
 * Transport state over all sinks (the ledger implements it); `forSink` gives the scoped view a
 * sink sees in its RunContext.
 */
export interface DeliveryTransport {
  forSink(sinkId: string): SinkTransport;
  /** Transport state of these deliveries, whatever their sink (for the CLI and the admin API). */
  lookup(deliveryIds: readonly number[]): Promise<Map<number, DeliveryTransportState>>;
}

/** Is this delivery's message known to be taken by the destination? */
export function isSettled(s: DeliveryTransportState | undefined): boolean {
  return s?.transportId !== undefined && (s.sendingTimestamp !== undefined || s.remoteStatus !== undefined);
}
