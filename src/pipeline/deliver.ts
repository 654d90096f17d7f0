import type { DeliveryItem, DeliveryOutcome, RunContext, SinkAdapter } from '../core/adapter';
import type { ConsentGate, ElectronicChannel } from '../core/consent';
import { GatewayError, toGatewayError } from '../core/errors';
import type { DeliveryResult, Ledger } from '../core/ledger';
import type { Logger } from '../core/logger';
import { backoffDelay, DEFAULT_MAX_RETRY_AFTER_MS, type BackoffPolicy } from './backoff';

export interface DeliveryPolicyOptions {
  batchSize: number;
  /** Attempts before an item that keeps failing on its own goes dead (outages do not count, see below). */
  maxAttempts: number;
  backoff: BackoffPolicy;
  leaseMs: number;
  pollIntervalMs: number;
  /** Records per second pushed to this sink at most; absent = as fast as the sink answers. */
  ratePerSecond?: number;
  breaker?: BreakerPolicy;
}

/**
 * The circuit breaker of a sink. After `failureThreshold` pushes in a row failed as a whole
 * with an outage error (unavailable, timeout, rate limited), the sink is left alone for
 * `openMs` (doubling on each failed probe up to `maxOpenMs`); then one item is pushed as a
 * probe, and the first success closes the circuit and the outbox drains.
 */
export interface BreakerPolicy {
  failureThreshold: number;
  openMs: number;
  maxOpenMs: number;
}

/** 3 failed pushes open it; probes after 30 s, 1 min, 2 min … at most every 10 min. */
export const DEFAULT_BREAKER: BreakerPolicy = { failureThreshold: 3, openMs: 30_000, maxOpenMs: 600_000 };

/**
 * Failures that mean "the destination is down or overloaded", not "this record is bad" (of the
 * whole push, or of single items when part of a push went in). They never make a delivery dead, however long they last: an outage of hours must lose
 * nothing and drain by itself (the attempts are still counted and logged).
 */
const OUTAGE_CODES: ReadonlySet<string> = new Set(['GW_SINK_UNAVAILABLE', 'GW_SINK_TIMEOUT', 'GW_SINK_RATE_LIMITED']);

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface DeliveryObserver {
  delivered?(sinkId: string, outcome: 'delivered' | 'duplicate' | 'retry' | 'dead' | 'rejected', n: number): void;
  /** Called when the sink as a whole failed (push threw) or recovered. */
  sinkHealth?(sinkId: string, healthy: boolean, error?: GatewayError): void;
  /** Called when the circuit breaker changes state. */
  breaker?(sinkId: string, state: BreakerState): void;
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
  /**
   * The consent gate (src/families/gate.ts) and the channel this sink is (default `portal`).
   * Checked for every claimed batch at push time, so a withdrawal stops the next push: a refused
   * item is completed `rejected` with GW_CONSENT_MISSING without reaching the sink, and a later
   * consent re-queues it (ConsentStore.requeueWithheld). Absent = no gate (no families config).
   */
  consent?: { gate: ConsentGate; channel?: ElectronicChannel };
}

/**
 * Drains one sink's outbox: claim a batch (leased), push it, write one outcome per item.
 *
 * - delivered (or duplicate: the remote already had the idempotency key) → delivered;
 * - invalid_data (the remote rejected this record) → rejected, not retried;
 * - anything else → retry_wait with capped jittered backoff (Retry-After wins), or dead once
 *   the attempts reach the policy's maximum — except outages (a push or an item failing as
 *   unavailable, timed out or rate limited), which wait behind the circuit breaker and never
 *   go dead, so a portal down for hours drains by itself when it returns.
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
  /** Circuit breaker: closed (normal), open until `openUntil`, or half open (one probe item). */
  breakerState: BreakerState = 'closed';
  openUntil: number | undefined;
  private outagesInRow = 0;
  private opens = 0;
  /** Earliest time the rate limit lets the next push go. */
  private nextPushAt = 0;

  constructor(private readonly d: DeliveryWorkerDeps<C>) {}

  private get breaker(): BreakerPolicy {
    return this.d.policy.breaker ?? DEFAULT_BREAKER;
  }

  /** Delivers one batch; returns how many items it handled (0 = nothing due, or the circuit is open). */
  async tick(): Promise<number> {
    const { d } = this;
    // A claim whose worker died (or whose completion failed) would otherwise stay in_flight until
    // a restart and block every newer version of its record: give expired leases back first.
    const recovered = await d.ledger.recoverInFlight({ now: d.now().toISOString() });
    if (recovered > 0) d.log.warn('expired delivery leases recovered', { sink: d.sinkId, count: recovered });
    if (this.breakerState === 'open') {
      if (d.now().getTime() < (this.openUntil ?? 0)) return 0;
      this.setBreaker('half_open');
    }
    // The rate limit waits before claiming, so no lease ticks away while it waits.
    const wait = this.nextPushAt - d.now().getTime();
    if (wait > 0) await d.sleep(wait);
    const items = await d.ledger.claimDeliveries({
      sinkId: d.sinkId, limit: this.breakerState === 'half_open' ? 1 : d.policy.batchSize, now: d.now().toISOString(),
      leaseMs: d.policy.leaseMs, owner: d.owner,
    });
    if (items.length === 0) return 0;
    const { allowed, withheld } = await this.gate(items);
    if (allowed.length === 0) {
      await d.ledger.completeDeliveries(withheld, d.now().toISOString());
      return items.length;
    }
    const rate = d.policy.ratePerSecond;
    if (rate !== undefined && rate > 0) this.nextPushAt = Math.max(this.nextPushAt, d.now().getTime()) + (allowed.length * 1000) / rate;
    const started = Date.now();
    let outcomes: DeliveryOutcome[];
    let outage: GatewayError | undefined;
    try {
      outcomes = await d.adapter.push(d.ctx, allowed);
      if (!this.healthy) d.log.info('sink recovered', { sink: d.sinkId });
      this.healthy = true;
      this.lastError = undefined;
      d.observer?.sinkHealth?.(d.sinkId, true);
      this.closeBreaker();
    } catch (e) {
      const err = toGatewayError(e, 'GW_SINK_UNAVAILABLE');
      if (this.healthy) d.log.warn('sink push failed', { sink: d.sinkId, code: err.code, class: err.errorClass, items: items.length });
      this.healthy = false;
      this.lastError = err;
      d.observer?.sinkHealth?.(d.sinkId, false, err);
      outcomes = allowed.map((i) => ({ deliveryId: i.deliveryId, status: 'failed' as const, error: err }));
      if (OUTAGE_CODES.has(err.code)) {
        outage = err;
        this.recordOutage(err);
      } else {
        this.closeBreaker();
      }
    }
    const durationMs = Date.now() - started;
    const results = this.toResults(allowed, outcomes, durationMs, outage);
    await d.ledger.completeDeliveries([...withheld, ...results], d.now().toISOString());
    return items.length;
  }

  /** Splits a claimed batch into items the consent gate lets through and `rejected` results for the rest. */
  private async gate(items: DeliveryItem[]): Promise<{ allowed: DeliveryItem[]; withheld: DeliveryResult[] }> {
    const { d } = this;
    if (!d.consent) return { allowed: items, withheld: [] };
    const channel = d.consent.channel ?? 'portal';
    const decisions = await d.consent.gate.check(
      items.map((i) => ({ entityType: i.entityType, schoolId: i.schoolId, payload: i.payload, deliveryId: i.deliveryId })), channel, d.now().toISOString(),
    );
    const allowed: DeliveryItem[] = [];
    const withheld: DeliveryResult[] = [];
    const reasons: Record<string, number> = {};
    items.forEach((item, k) => {
      const dec = decisions[k];
      if (dec?.allowed === true) { allowed.push(item); return; }
      const reason = dec?.reason ?? 'unresolved';
      reasons[reason] = (reasons[reason] ?? 0) + 1;
      const err = new GatewayError('GW_CONSENT_MISSING',
        `Delivery ${item.deliveryId} (${item.entityType}, school ${item.schoolId}) withheld from sink ${d.sinkId}: no valid consent for channel ${channel} (${reason})`);
      withheld.push({ deliveryId: item.deliveryId, attempt: item.attempt, to: 'rejected', error: err.toJSON(), durationMs: 0 });
    });
    if (withheld.length > 0) {
      d.log.info('deliveries withheld: no valid consent', { sink: d.sinkId, channel, count: withheld.length, reasons });
      d.observer?.delivered?.(d.sinkId, 'rejected', withheld.length);
    }
    return { allowed, withheld };
  }

  private recordOutage(err: GatewayError): void {
    const { d } = this;
    this.outagesInRow++;
    if (this.breakerState !== 'half_open' && this.outagesInRow < this.breaker.failureThreshold) return;
    const openMs = Math.min(this.breaker.maxOpenMs, this.breaker.openMs * 2 ** Math.min(this.opens, 20));
    // A Retry-After longer than the pause is honoured (capped like any Retry-After).
    const pause = Math.max(openMs, Math.min(err.retryAfterMs ?? 0, this.d.policy.backoff.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS));
    this.opens++;
    this.openUntil = d.now().getTime() + pause;
    // Told once when the circuit opens; a failed probe re-opening it is routine (debug).
    const meta = { sink: d.sinkId, code: err.code, pauseMs: pause, failedPushesInRow: this.outagesInRow };
    if (this.breakerState === 'closed') d.log.warn('circuit open: sink left alone, then probed', meta);
    else d.log.debug('probe failed: circuit stays open', meta);
    this.setBreaker('open');
  }

  private closeBreaker(): void {
    this.outagesInRow = 0;
    this.opens = 0;
    this.openUntil = undefined;
    if (this.breakerState !== 'closed') {
      this.d.log.info('circuit closed: sink answers again', { sink: this.d.sinkId });
      this.setBreaker('closed');
    }
  }

  private setBreaker(state: BreakerState): void {
    if (this.breakerState === state) return;
    this.breakerState = state;
    this.d.observer?.breaker?.(this.d.sinkId, state);
  }

  private toResults(items: readonly DeliveryItem[], outcomes: DeliveryOutcome[], durationMs: number, outage?: GatewayError): DeliveryResult[] {
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
      // An outage error never makes a delivery dead, whether the whole push failed with it or only
      // this item did (a СМЭВ push whose later messages met SMEVFailure after earlier ones went in).
      if (item.attempt >= d.policy.maxAttempts && outage === undefined && !OUTAGE_CODES.has(err.code)) {
        tally.dead++;
        d.log.error('delivery dead', { sink: d.sinkId, deliveryId: item.deliveryId, attempts: item.attempt, code: err.code });
        return { deliveryId: item.deliveryId, attempt: item.attempt, to: 'dead', error: err.toJSON(), durationMs };
      }
      tally.retry++;
      let due = d.now().getTime() + backoffDelay(item.attempt, d.policy.backoff, err.retryAfterMs, d.random);
      // While the circuit is open nothing is pushed anyway: due when the probe may go.
      if (outage !== undefined && this.openUntil !== undefined) due = Math.min(due, this.openUntil);
      return {
        deliveryId: item.deliveryId, attempt: item.attempt, to: 'retry_wait', error: err.toJSON(), durationMs,
        nextAttemptAt: new Date(due).toISOString(),
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
          if (this.breakerState === 'open' && this.openUntil !== undefined) {
            wait = Math.max(10, this.openUntil - this.d.now().getTime());
          } else {
            const due = await this.d.ledger.nextDueAt(this.d.sinkId);
            if (due) wait = Math.max(10, Math.min(wait, Date.parse(due) - this.d.now().getTime()));
          }
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
