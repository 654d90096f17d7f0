/**
 * The loop of a family-channel notifier (e-mail, SMS): one pass at a time (concurrent `tick()`s
 * share the pass in progress), a pass every interval, `poke()` for one at once (after an ingest),
 * `stop()` waiting for the pass in progress. A failing pass is logged by code and the loop goes on.
 */
import { toGatewayError } from '../../core/errors';
import type { Logger } from '../../core/logger';

export abstract class PassLoop<R> {
  private running: Promise<R> | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  /** `what` names the pass in the log line of a failure, e.g. 'family sms pass'. */
  protected constructor(private readonly loopLog: Logger, private readonly what: string) {}

  protected abstract pass(): Promise<R>;

  /** One pass; concurrent calls share the pass in progress. */
  tick(): Promise<R> {
    this.running ??= this.pass().finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Ticks every `intervalMs` until stop(); `poke()` ticks at once. */
  start(intervalMs: number): void {
    if (this.loop) return;
    this.loop = (async () => {
      while (!this.stopping) {
        try { await this.tick(); } catch (e: unknown) { this.loopLog.error(`${this.what} failed`, { code: toGatewayError(e).code }); }
        if (this.stopping) break;
        await new Promise<void>((resolve) => {
          const done = (): void => { clearTimeout(t); this.wake = undefined; resolve(); };
          const t = setTimeout(done, intervalMs);
          this.wake = done;
        });
      }
    })();
  }

  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.poke();
    await this.loop;
    await this.running;
  }
}
