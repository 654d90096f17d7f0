/**
 * The delivery state machine (pg-boss style: a small persisted enum, the policy on each row).
 *
 *   pending ─claim─▶ in_flight ─ok─▶ delivered ─destination refused it later─▶ rejected
 *                       │  └─item rejected─▶ rejected
 *                       └─failed─▶ retry_wait ─due─▶ in_flight … ─attempts exhausted─▶ dead
 *   pending | retry_wait ─newer version queued─▶ superseded
 *   dead | rejected ─operator replay─▶ pending (or superseded, when a newer version exists)
 *   in_flight ─lease expired (crash)─▶ retry_wait
 */
export const DELIVERY_STATES = [
  'pending', 'in_flight', 'delivered', 'retry_wait', 'dead', 'rejected', 'superseded',
] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export const ALLOWED_TRANSITIONS: Readonly<Record<DeliveryState, readonly DeliveryState[]>> = {
  pending: ['in_flight', 'superseded'],
  in_flight: ['delivered', 'retry_wait', 'dead', 'rejected'],
  retry_wait: ['in_flight', 'superseded', 'dead'],
  // Only the destination's own later refusal (a СМЭВ RequestRejected / requestIsRejectedBySmev
  // or a provider's per-record refusal read by the sink poller) leaves `delivered`, so the
  // operator sees it as a dead letter and can replay it.
  delivered: ['rejected'],
  dead: ['pending', 'superseded'],
  rejected: ['pending', 'superseded'],
  superseded: [],
};

export function canTransition(from: DeliveryState, to: DeliveryState): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

/** States the delivery loop never leaves (`delivered` is left only by a later remote refusal). */
export const TERMINAL_STATES: readonly DeliveryState[] = ['delivered', 'superseded'];
/** States an operator may replay. */
export const REPLAYABLE_STATES: readonly DeliveryState[] = ['dead', 'rejected'];
