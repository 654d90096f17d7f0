import type { DeliveryItem, DeliveryOutcome, RunContext, SinkAdapter } from '../core/adapter';
import { GatewayError, toGatewayError } from '../core/errors';
import type { DeliveryResult, Ledger } from '../core/ledger';
import type { Logger } from '../core/logger';
import { backoffDelay, type BackoffPolicy } from './backoff';

export interface DeliveryPolicyOptions {
  batchSize: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  leaseMs: number;
  pollIntervalMs: number;
}

export interface DeliveryObserver {
  delivered?(sinkId: string, outcome: 'delivered' | 'duplicate' | 'retry' | 'dead' | 'rejected', n: number): void;
  /** Called when the sink as a whole failed (push threw) or recovered. */
  sinkHealth?(sinkId: string, healthy: boolean, error?: GatewayError): void;
}

export interface DeliveryWorkerDeps<C> {
  sinkId: string;
  adapter: SinkAdapter<C>;
  ctx: RunContext<C>;
  ledger: Ledger;
  policy: DeliveryPolicyOptions;
  log: Logger;
  now(): Date;
  sleep(ms: number): Promise<void>;
  owner: string;
  observer?: DeliveryObserver;
  random?: () => number;
}

/**
 * Drains one sink's outbox: claim a batch (leased), push it, write one outcome per item.
 *
 * - delivered (or duplicate: the remote already had the idempotency key) → delivered;
 * - invalid_data (the remote rejected this record) → rejected, not retried;
 * - anything else → retry_wait with capped jittered backoff (Retry-After wins), or dead once
 *   the attempts reach the policy's maximum.
 * A push that throws fails the whole batch with that error. A crash between push and
 * completion leaves the rows in_flight; recovery returns them to retry_wait and the same
 * idempotency keys make the re-push harmless.
 */
export class DeliveryWorker<C> {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  healthy = true;
  lastError: GatewayError | undefined;

  constructor(private readonly d: DeliveryWorkerDeps<C>) {}

  /** Delivers one batch; returns how many items it handled (0 = nothing due). */
  async tick(): Promise<number> {
    const { d } = this;
    // A claim whose worker died (or whose completion failed) would otherwise stay in_flight until
    // a restart and block every newer version of its record: give expired leases back first.
    const recovered = await d.ledger.recoverInFlight({ now: d.now().toISOString() });
    if (recovered > 0) d.log.warn('expired delivery leases recovered', { sink: d.sinkId, count: recovered });
    const items = await d.ledger.claimDeliveries({
      sinkId: d.sinkId, limit: d.policy.batchSize, now: d.now().toISOString(), leaseMs: d.policy.leaseMs, owner: d.owner,
    });
    if (items.length === 0) return 0;
    const started = Date.now();
    let outcomes: DeliveryOutcome[];
    try {
      outcomes = await d.adapter.push(d.ctx, items);
      if (!this.healthy) d.log.info('sink recovered', { sink: d.sinkId });
      this.healthy = true;
      this.lastError = undefined;
      d.observer?.sinkHealth?.(d.sinkId, true);
    } catch (e) {
      const err = toGatewayError(e, 'GW_SINK_UNAVAILABLE');
      if (this.healthy) d.log.warn('sink push failed', { sink: d.sinkId, code: err.code, class: err.errorClass, items: items.length });
      this.healthy = false;
      this.lastError = err;
      d.observer?.sinkHealth?.(d.sinkId, false, err);
      outcomes = items.map((i) => ({ deliveryId: i.deliveryId, status: 'failed' as const, error: err }));
    }
    const durationMs = Date.now() - started;
    const results = this.toResults(items, outcomes, durationMs);
    await d.ledger.completeDeliveries(results, d.now().toISOString());
    return items.length;
  }

  private toResults(items: readonly DeliveryItem[], outcomes: DeliveryOutcome[], durationMs: number): DeliveryResult[] {
    const { d } = this;
    const byId = new Map(outcomes.map((o) => [o.deliveryId, o]));
    const tally = { delivered: 0, duplicate: 0, retry: 0, dead: 0, rejected: 0 };
    const results: DeliveryResult[] = items.map((item) => {
      const o: DeliveryOutcome = byId.get(item.deliveryId) ?? {
        deliveryId: item.deliveryId, status: 'failed',
        error: new GatewayError('GW_SINK_PROTOCOL', `sink ${d.sinkId} returned no outcome for delivery ${item.deliveryId}`),
      };
      if (o.status === 'delivered') {
        if (o.duplicate) tally.duplicate++; else tally.delivered++;
        return { deliveryId: item.deliveryId, attempt: item.attempt, to: 'delivered', durationMs, ...(o.remoteRef ? { remoteRef: o.remoteRef } : {}) };
      }
      const err = o.error;
      if (err.errorClass === 'invalid_data') {
        tally.rejected++;
        d.log.warn('delivery rejected', { sink: d.sinkId, deliveryId: item.deliveryId, entityType: item.entityType, code: err.code, paths: err.issues.map((i) => i.path) });
        return { deliveryId: item.deliveryId, attempt: item.attempt, to: 'rejected', error: err.toJSON(), durationMs };
      }
      if (item.attempt >= d.policy.maxAttempts) {
        tally.dead++;
        d.log.error('delivery dead', { sink: d.sinkId, deliveryId: item.deliveryId, attempts: item.attempt, code: err.code });
        return { deliveryId: item.deliveryId, attempt: item.attempt, to: 'dead', error: err.toJSON(), durationMs };
      }
      tally.retry++;
      const delay = backoffDelay(item.attempt, d.policy.backoff, err.retryAfterMs, d.random);
      return {
        deliveryId: item.deliveryId, attempt: item.attempt, to: 'retry_wait', error: err.toJSON(), durationMs,
        nextAttemptAt: new Date(d.now().getTime() + delay).toISOString(),
      };
    });
    for (const [k, n] of Object.entries(tally)) if (n > 0) d.observer?.delivered?.(d.sinkId, k as keyof typeof tally, n);
    return results;
  }

  /** Runs until stop(): ticks while there is work, otherwise sleeps until the next due retry or the poll interval. */
  start(): void {
    if (this.loop) return;
    this.loop = (async () => {
      while (!this.stopping) {
        let handled = 0;
        try {
          handled = await this.tick();
        } catch (e) {
          const err = toGatewayError(e);
          this.d.log.error('delivery loop error', { sink: this.d.sinkId, code: err.code, err });
          await this.pause(this.d.policy.pollIntervalMs * 5);
          continue;
        }
        if (handled === 0 && !this.stopping) {
          let wait = this.d.policy.pollIntervalMs;
          const due = await this.d.ledger.nextDueAt(this.d.sinkId);
          if (due) wait = Math.max(10, Math.min(wait, Date.parse(due) - this.d.now().getTime()));
          await this.pause(wait);
        }
      }
    })();
  }

  /** Wake the loop now (new records were queued). */
  poke(): void {
    this.wake?.();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      // stop() may have come between the loop's check and this pause: its poke found no sleeper.
      if (this.stopping) { resolve(); return; }
      const t = setTimeout(done, ms);
      const self = this;
      function done(): void { clearTimeout(t); self.wake = undefined; resolve(); }
      this.wake = done;
    });
  }

  /** Stops after the batch in flight completes. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.poke();
    await this.loop;
  }
}
