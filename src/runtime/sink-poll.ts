/**
 * The follow-up loop of one sink: calls `SinkAdapter.poll` every interval while the gateway
 * runs (СМЭВ: GetResponse / Ack / GetStatus), with the delivery worker's context, so the sink
 * finds its deliveries' transport state in `ctx.transport`. Generic: the runtime knows nothing
 * of what a sink polls for.
 *
 * One poll at a time per sink; a failed poll is logged (code only) and retried at the next
 * interval; `stop()` wakes the sleep and waits for a poll in progress to finish.
 */
import type { RunContext, SinkAdapter, SinkPollSummary } from '../core/adapter';
import { toGatewayError } from '../core/errors';
import type { Logger } from '../core/logger';

export interface SinkPollerDeps<C> {
  sinkId: string;
  adapter: SinkAdapter<C>;
  ctx: RunContext<C>;
  intervalMs: number;
  log: Logger;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Called after each poll (tests, metrics). */
  onPoll?(result: { ok: true; summary: SinkPollSummary } | { ok: false; code: string }): void;
}

/** The SinkPoller of a sink instance, or undefined when the adapter does not poll or the config turns it off. */
export function sinkPollerFor<C>(d: Omit<SinkPollerDeps<C>, 'intervalMs'>): SinkPoller<C> | undefined {
  if (!d.adapter.poll || !d.adapter.pollIntervalMs) return undefined;
  const intervalMs = d.adapter.pollIntervalMs(d.ctx.config);
  return intervalMs === undefined ? undefined : new SinkPoller({ ...d, intervalMs });
}

export class SinkPoller<C> {
  private readonly wake = new AbortController();
  private loop: Promise<void> | undefined;
  private running: Promise<SinkPollSummary | undefined> | undefined;
  /** Polls done (successful or not), for diagnostics. */
  polls = 0;
  lastError: string | undefined;

  constructor(private readonly d: SinkPollerDeps<C>) {}

  get intervalMs(): number {
    return this.d.intervalMs;
  }

  start(): void {
    if (this.loop || this.wake.signal.aborted) return;
    this.loop = (async () => {
      while (!this.wake.signal.aborted) {
        await this.tick();
        if (this.wake.signal.aborted) break;
        await this.d.sleep(this.d.intervalMs, this.wake.signal);
      }
    })();
  }

  /** One poll now (joins a poll already in progress). Never throws: failures are logged and returned as undefined. */
  tick(): Promise<SinkPollSummary | undefined> {
    this.running ??= this.pollOnce().finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Stops the loop after the poll in progress, if any. */
  async stop(): Promise<void> {
    this.wake.abort();
    await this.loop;
    await this.running;
  }

  private async pollOnce(): Promise<SinkPollSummary | undefined> {
    const { d } = this;
    const poll = d.adapter.poll;
    if (!poll) return undefined;
    try {
      const summary = await poll.call(d.adapter, d.ctx);
      this.polls++;
      this.lastError = undefined;
      if (summary.responses + summary.statuses > 0) d.log.info('sink poll', { sink: d.sinkId, ...summary });
      d.onPoll?.({ ok: true, summary });
      return summary;
    } catch (e) {
      const err = toGatewayError(e);
      this.polls++;
      this.lastError = err.code;
      d.log.warn('sink poll failed', { sink: d.sinkId, code: err.code, class: err.errorClass });
      d.onPoll?.({ ok: false, code: err.code });
      return undefined;
    }
  }
}
