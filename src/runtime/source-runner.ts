import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { CheckResult, RunContext, SourceAdapter } from '../core/adapter';
import { GatewayError, toGatewayError, type SerializedError } from '../core/errors';
import { makeIdResolver } from '../core/ids';
import type { HoldPolicy, Ledger, RunSummary, SinkRoute } from '../core/ledger';
import type { Logger } from '../core/logger';
import { createHttpClient } from '../infra/http-client';
import { runSource, type IngestObserver, type RecordValidator } from '../pipeline/ingest';
import type { Clock } from './clock';

export interface SourceInstance {
  schoolId: string;
  schoolName?: string;
  instanceId: string;
  adapterId: string;
  adapter: SourceAdapter<Record<string, unknown>>;
  /** Resolved config (secrets filled in). Never logged. */
  config: Record<string, unknown>;
  streams: readonly string[];
  routes: readonly SinkRoute[];
  /** The school's safety-hold policy; absent = changes are applied at once. */
  hold?: HoldPolicy;
  schedule?: string;
  timeoutMs?: number;
}

export interface SourceRunnerDeps {
  ledger: Ledger;
  validator: RecordValidator;
  log: Logger;
  clock: Clock;
  idNamespace: string;
  owner: string;
  observer?: IngestObserver & {
    runFinished?(schoolId: string, source: string, status: string, seconds: number): void;
  };
  /** Called after a run queued deliveries, to wake the delivery workers. */
  onEnqueued?(): void;
}

export interface SyncOptions {
  trigger: RunSummary['trigger'];
  streams?: readonly string[];
  since?: string;
  signal?: AbortSignal;
}

/**
 * Owners are `host:pid:nonce` (see Gateway.owner). True when the owner ran on this host and
 * its process is gone, so its lock can be taken over safely.
 */
export function ownerIsDeadHere(owner: string): boolean {
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== os.hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** How long a run lock lives without being released (a crashed run on another host frees its lock after this). */
const RUN_LOCK_TTL_MS = 30 * 60_000;

/**
 * Runs syncs of one source instance: one at a time (in-process flag plus a ledger lock, so
 * two gateway processes on one ledger do not overlap), with a run summary in the ledger and
 * the health the admin API reports. One failing school never touches another's runner.
 */
export class SourceRunner {
  running = false;
  healthy = true;
  lastError: SerializedError | undefined;
  lastRun: RunSummary | undefined;

  constructor(readonly inst: SourceInstance, private readonly deps: SourceRunnerDeps) {}

  private context(runId: string, signal: AbortSignal, since?: string): RunContext<Record<string, unknown>> {
    const { inst, deps } = this;
    const log = deps.log.child({ runId, schoolId: inst.schoolId, source: inst.instanceId, adapter: inst.adapterId });
    return {
      config: inst.config,
      schoolId: inst.schoolId,
      log,
      http: createHttpClient({
        log, side: 'source', signal, now: () => deps.clock.now(), sleep: (ms) => deps.clock.sleep(ms, signal),
        timeoutMs: inst.timeoutMs ?? 30_000,
      }),
      signal,
      ids: makeIdResolver(deps.idNamespace, inst.adapter.spec.system, inst.schoolId),
      now: () => deps.clock.now(),
      sleep: (ms) => deps.clock.sleep(ms, signal),
      ...(since ? { since } : {}),
    };
  }

  async check(): Promise<CheckResult> {
    const ac = new AbortController();
    const ctx = this.context(`check-${randomUUID()}`, ac.signal);
    try {
      const res = await this.inst.adapter.check(ctx);
      await this.inst.adapter.close?.(ctx).catch(() => undefined);
      return res;
    } catch (e) {
      return { ok: false, error: toGatewayError(e) };
    }
  }

  /**
   * Takes the run lock. A lock left by a process on this host that no longer exists (killed,
   * crashed) is taken over at once instead of waiting for it to expire.
   */
  private async acquireRunLock(lockName: string): Promise<boolean> {
    const { deps } = this;
    const now = deps.clock.now();
    const until = new Date(now.getTime() + RUN_LOCK_TTL_MS).toISOString();
    if (await deps.ledger.tryLock(lockName, deps.owner, until, now.toISOString())) return true;
    const holder = await deps.ledger.lockHolder(lockName);
    if (holder && ownerIsDeadHere(holder.owner)) {
      deps.log.warn('taking over a run lock left by a dead process', { lock: lockName });
      return deps.ledger.tryLock(lockName, deps.owner, until, now.toISOString(), holder.owner);
    }
    return false;
  }

  /** Runs one sync. Returns undefined when a run is already in progress (no overlap). */
  async sync(opts: SyncOptions): Promise<RunSummary | undefined> {
    const { inst, deps } = this;
    if (this.running) return undefined;
    this.running = true;
    const runId = randomUUID();
    const lockName = `run:${inst.schoolId}:${inst.instanceId}`;
    let locked = false;
    let interrupted = 0;
    try {
      locked = await this.acquireRunLock(lockName);
      if (locked) {
        interrupted = await deps.ledger.failInterruptedRuns(inst.schoolId, inst.instanceId, deps.clock.now().toISOString(),
          'interrupted: the gateway process stopped during this run; the next run resumed from the last committed cursor');
        // Changes an interrupted run staged were committed with its cursors: settle them now.
        if (inst.hold?.enabled) await deps.ledger.settleInterrupted(inst.schoolId, inst.instanceId, inst.hold, deps.clock.now().toISOString());
      }
    } catch (e) {
      // A ledger error here (GW_LEDGER_BUSY) must not leave `running` set: every later sync would be skipped.
      if (locked) await deps.ledger.unlock(lockName, deps.owner).catch(() => undefined);
      this.running = false;
      throw e;
    }
    if (!locked) {
      this.running = false;
      deps.log.info('run skipped: locked by another process', { schoolId: inst.schoolId, source: inst.instanceId });
      return undefined;
    }
    if (interrupted > 0) deps.log.warn('earlier run was interrupted', { schoolId: inst.schoolId, source: inst.instanceId, runs: interrupted });
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // A long sync keeps its lock: renew it well before it would expire.
    const renew = setInterval(() => {
      const now = deps.clock.now();
      void deps.ledger.tryLock(lockName, deps.owner, new Date(now.getTime() + RUN_LOCK_TTL_MS).toISOString(), now.toISOString()).catch(() => undefined);
    }, RUN_LOCK_TTL_MS / 3);
    renew.unref();
    const startedAt = deps.clock.now();
    const base = { runId, schoolId: inst.schoolId, sourceInstance: inst.instanceId, trigger: opts.trigger, startedAt: startedAt.toISOString() };
    const log = deps.log.child({ runId, schoolId: inst.schoolId, source: inst.instanceId });
    let summary: RunSummary;
    try {
      await deps.ledger.startRun(base);
      const ctx = this.context(runId, ac.signal, opts.since);
      const streams = opts.streams ?? inst.streams;
      const unknown = streams.filter((s) => !inst.adapter.streams.some((x) => x.name === s));
      if (unknown.length > 0) {
        throw new GatewayError('GW_CONFIG_INVALID', `school ${inst.schoolId}, source ${inst.instanceId}: unknown stream(s) ${unknown.join(', ')}; known: ${inst.adapter.streams.map((s) => s.name).join(', ')}`);
      }
      log.info('run started', { trigger: opts.trigger, streams });
      let result;
      try {
        result = await runSource({ ledger: deps.ledger, validator: deps.validator, log, now: () => deps.clock.now(), ...(deps.observer ? { observer: deps.observer } : {}) }, {
          runId, schoolId: inst.schoolId, sourceInstance: inst.instanceId, adapter: inst.adapter, ctx, streams,
          routes: inst.routes, idNamespace: deps.idNamespace, ignoreCursor: opts.since !== undefined,
          ...(inst.hold ? { hold: inst.hold } : {}),
        });
      } finally {
        await inst.adapter.close?.(ctx).catch((e: unknown) => log.debug('close failed', { code: toGatewayError(e).code }));
      }
      summary = { ...base, finishedAt: deps.clock.now().toISOString(), ...result };
    } catch (e) {
      const err = toGatewayError(e);
      log.error('run failed', { code: err.code, class: err.errorClass, err });
      summary = {
        ...base, finishedAt: deps.clock.now().toISOString(), status: 'failed',
        counts: { read: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0, enqueued: 0 }, error: err.toJSON(),
      };
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    try {
      await deps.ledger.finishRun(runId, summary);
    } catch (e) {
      log.error('could not record run summary', { code: toGatewayError(e).code });
    }
    clearInterval(renew);
    await deps.ledger.unlock(lockName, deps.owner).catch(() => undefined);
    this.running = false;
    this.lastRun = summary;
    this.healthy = summary.status !== 'failed' || summary.error?.class === 'retryable';
    this.lastError = summary.error;
    const seconds = (deps.clock.now().getTime() - startedAt.getTime()) / 1000;
    deps.observer?.runFinished?.(inst.schoolId, inst.instanceId, summary.status, seconds);
    log.info('run finished', { status: summary.status, ...summary.counts, seconds });
    if (summary.counts.enqueued > 0) deps.onEnqueued?.();
    return summary;
  }
}
