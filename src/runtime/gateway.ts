import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { RunContext, SinkAdapter } from '../core/adapter';
import { GatewayError, toGatewayError } from '../core/errors';
import { DEFAULT_ID_NAMESPACE, makeIdResolver } from '../core/ids';
import type { Ledger, SinkRoute } from '../core/ledger';
import type { Logger } from '../core/logger';
import type { SimulatorHandle } from '../core/simulator';
import type { GatewayConfig } from '../infra/config';
import { effectiveHoldPolicy, resolveSecrets, validateConfig } from '../infra/config';
import { createHttpClient } from '../infra/http-client';
import type { GatewayMetrics } from '../infra/metrics';
import { createMetrics } from '../infra/metrics';
import { getCanonicalValidator } from '../infra/schemas';
import { openLedger } from '../ledger';
import { DeliveryWorker } from '../pipeline/deliver';
import { systemClock, type Clock } from './clock';
import { SIMULATORS, SINKS, SOURCES, specOf } from './registry';
import { Scheduler } from './scheduler';
import { SourceRunner, type SourceInstance } from './source-runner';
import { sinkPollerFor, type SinkPoller } from './sink-poll';
import { createFamiliesRuntime, type FamiliesRuntime } from '../families/consent/runtime';
import { familiesSettings } from '../families/consent/settings';
import { childAllowedFor } from '../families/gate';
import { consentFamilyChannels } from '../sla/channels';
import { SlaRuntime } from '../sla/runtime';
import { resolvePushConfig, type PushSourceConfig } from '../../adapters/push-source/spec';
import { jwtVerifierFromConfig } from '../http/fgis/jwt';
import { createTokenIssuer, parseClients } from '../http/fgis/oauth';
import type { IntakeAppDeps } from '../http/intake-app';
import type { UploadDeps } from '../http/upload-routes';
import { resolveConfig as resolveFileConfig, type FileSourceConfig } from '../../adapters/file-source/spec';
import { DEFAULT_MAX_BODY_BYTES, type PushTarget } from '../http/push-routes';

export interface GatewayOptions {
  /** Parsed config file content (not yet validated). */
  rawConfig: unknown;
  /** Folder the config file is in: relative ledger paths resolve against the working directory. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  log: Logger;
  /** Learns secret values as soon as they are resolved, so the logger can mask them. */
  addSecrets?(values: readonly string[]): void;
  clock?: Clock;
  /** Start embedded simulators listed in the config (default true). */
  simulators?: boolean;
}

/**
 * Everything a running gateway holds: ledger, runners, delivery workers, scheduler.
 * Built from config; `start()` begins scheduling and delivering; `stop()` shuts down
 * gracefully (stop intake, finish the batch in flight, close the ledger).
 */
export class Gateway {
  readonly runners: SourceRunner[] = [];
  /** Push-source instances by `school\u0000instance` (journals post to them; never polled). */
  readonly pushTargets = new Map<string, PushTarget>();
  private readonly pendingTriggers = new Set<SourceRunner>();
  readonly workers = new Map<string, DeliveryWorker<Record<string, unknown>>>();
  /** Follow-up pollers of sinks that answer later (SinkAdapter.poll), by sink id. */
  readonly pollers = new Map<string, SinkPoller<Record<string, unknown>>>();
  readonly scheduler: Scheduler;
  readonly metrics: GatewayMetrics;
  readonly owner = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly stopController = new AbortController();
  private readonly watchers: Array<{ close(): void }> = [];
  /** Consent registry, its gate, the withdrawal purge and e-mail to families. */
  families!: FamiliesRuntime;
  private purgeTimer: NodeJS.Timeout | undefined;
  /** The SLA engine; undefined when no school has `sla` settings. */
  sla: SlaRuntime | undefined = undefined;
  private started = false;
  private stopped = false;

  private constructor(
    readonly config: GatewayConfig,
    readonly ledger: Ledger,
    readonly simulators: SimulatorHandle[],
    readonly log: Logger,
    readonly clock: Clock,
  ) {
    this.scheduler = new Scheduler(log, config.gateway.scheduleJitterMs);
    this.metrics = createMetrics({ ledger, now: () => clock.now() });
  }

  /** Validates config, starts embedded simulators, resolves secrets, opens and migrates the ledger. */
  static async create(opts: GatewayOptions): Promise<Gateway> {
    const log = opts.log;
    const clock = opts.clock ?? systemClock;
    const env = { ...(opts.env ?? process.env) };
    const validated = validateConfig(opts.rawConfig, specOf);
    const sims: SimulatorHandle[] = [];
    if (opts.simulators !== false) {
      for (const s of validated.simulators ?? []) {
        const factory = SIMULATORS[s.system];
        if (!factory) throw new GatewayError('GW_ADAPTER_UNKNOWN', `unknown simulator ${s.system}`);
        const h = await factory.start({ port: s.port ?? 0, host: '127.0.0.1', ...(s.live !== undefined ? { live: s.live } : {}), ...(s.seed !== undefined ? { seed: s.seed } : {}), log: log.child({ simulator: s.system }) });
        sims.push(h);
        for (const [k, v] of Object.entries(h.env)) if (env[k] === undefined) env[k] = v;
      }
    }
    try {
      const { config, secretValues } = resolveSecrets(validated, env, specOf);
      opts.addSecrets?.(secretValues);
      const ledgerCfg = config.gateway.ledger;
      const ledger = openLedger({ driver: 'sqlite', path: ledgerCfg.path === ':memory:' ? ':memory:' : path.resolve(opts.cwd ?? process.cwd(), ledgerCfg.path) });
      const mig = await ledger.migrate();
      if (mig.from !== mig.to) log.info('ledger migrated', { from: mig.from, to: mig.to });
      const gw = new Gateway(config, ledger, sims, log, clock);
      try {
        gw.build();
        gw.sla = SlaRuntime.create({ config, ledger, log, now: () => clock.now(), owner: gw.owner, familyChannels: consentFamilyChannels(gw.families.store) });
      } catch (e) {
        await ledger.close();
        throw e;
      }
      const recovered = await ledger.recoverInFlight({ now: clock.now().toISOString(), all: true });
      if (recovered > 0) log.warn('deliveries recovered after restart', { count: recovered });
      return gw;
    } catch (e) {
      await Promise.all(sims.map((s) => s.close().catch(() => undefined)));
      throw e;
    }
  }

  private build(): void {
    const cfg = this.config;
    this.families = createFamiliesRuntime(cfg, this.ledger, { log: this.log, now: () => this.clock.now(), owner: this.owner });
    const gateOn = familiesSettings(cfg).consentGate !== 'off';
    if (!gateOn) this.log.warn('consent gate is OFF: records of children reach electronic channels without a registered consent (demo and tests only)', { setting: 'gateway.families.consentGate' });
    const idNamespace = cfg.gateway.idNamespace ?? DEFAULT_ID_NAMESPACE;
    const validator = getCanonicalValidator();
    const policy = cfg.gateway.delivery;
    for (const s of cfg.sinks) {
      const adapter = SINKS[s.adapter] as SinkAdapter<Record<string, unknown>> | undefined;
      if (!adapter) throw new GatewayError('GW_ADAPTER_UNKNOWN', `sink ${s.id}: unknown adapter ${s.adapter}`);
      const merged = { ...policy, ...(s.delivery ?? {}) };
      const log = this.log.child({ sink: s.id });
      const signal = this.stopController.signal;
      const ctx: RunContext<Record<string, unknown>> = {
        config: s.config, schoolId: '*', log, signal,
        http: createHttpClient({ log, side: 'sink', signal, now: () => this.clock.now(), sleep: (ms) => this.clock.sleep(ms, signal), maxAttempts: 1 }),
        ids: makeIdResolver(idNamespace, adapter.spec.system, '*'),
        now: () => this.clock.now(), sleep: (ms) => this.clock.sleep(ms, signal),
        ...(this.ledger.transport ? { transport: this.ledger.transport().forSink(s.id) } : {}),
      };
      const poller = sinkPollerFor({ sinkId: s.id, adapter, ctx, log, sleep: (ms, sig) => this.clock.sleep(ms, sig) });
      if (poller) this.pollers.set(s.id, poller);
      this.workers.set(s.id, new DeliveryWorker({
        sinkId: s.id, adapter, ctx, ledger: this.ledger, log, owner: this.owner,
        now: () => this.clock.now(), sleep: (ms) => this.clock.sleep(ms, signal),
        policy: {
          batchSize: merged.batchSize, maxAttempts: merged.maxAttempts, leaseMs: merged.leaseMs, pollIntervalMs: merged.pollIntervalMs,
          backoff: { baseMs: merged.backoffBaseMs, capMs: merged.backoffCapMs },
          breaker: { failureThreshold: merged.breakerThreshold, openMs: merged.breakerOpenMs, maxOpenMs: merged.breakerMaxOpenMs },
          ...(merged.ratePerSecond !== undefined ? { ratePerSecond: merged.ratePerSecond } : {}),
        },
        observer: {
          delivered: (sink, outcome, n) => this.metrics.deliveries.inc({ sink, outcome }, n),
        },
        ...(gateOn ? { consent: { gate: this.families.gate } } : {}),
      }));
    }
    for (const school of cfg.schools) {
      const routes: SinkRoute[] = school.sinks.map((sinkId) => {
        const s = cfg.sinks.find((x) => x.id === sinkId);
        const adapter = s ? SINKS[s.adapter] : undefined;
        return {
          sinkId, maxAttempts: s?.delivery?.maxAttempts ?? policy.maxAttempts,
          ...(adapter?.accepts ? { accepts: adapter.accepts } : {}),
        };
      });
      for (const src of school.sources) {
        const adapter = SOURCES[src.adapter];
        if (!adapter) throw new GatewayError('GW_ADAPTER_UNKNOWN', `school ${school.id}, source ${src.id}: unknown adapter ${src.adapter}`);
        if (src.adapter === 'push-source') {
          this.pushTargets.set(`${school.id}\u0000${src.id}`, {
            schoolId: school.id, instanceId: src.id, routes, idNamespace, hold: effectiveHoldPolicy(this.config, school.id),
            config: resolvePushConfig(src.config as unknown as PushSourceConfig),
          });
        }
        const inst: SourceInstance = {
          schoolId: school.id, schoolName: school.name, instanceId: src.id, adapterId: src.adapter, adapter,
          config: src.config, streams: src.streams ?? adapter.streams.map((s) => s.name), routes,
          hold: effectiveHoldPolicy(this.config, school.id),
          ...(src.schedule ? { schedule: src.schedule } : {}),
        };
        this.runners.push(new SourceRunner(inst, {
          ledger: this.ledger, validator, log: this.log, clock: this.clock, idNamespace, owner: this.owner,
          onEnqueued: () => { for (const w of this.workers.values()) w.poke(); this.families.notifier?.poke(); this.families.smsNotifier?.poke(); },
          observer: {
            counted: (schoolId, source, result, n) => { if (n > 0) this.metrics.recordsIn.inc({ school: schoolId, source, result }, n); },
            runFinished: (schoolId, source, status, seconds) => {
              this.metrics.runs.inc({ school: schoolId, source, status });
              this.metrics.runDuration.observe({ school: schoolId, source, status }, seconds);
            },
          },
        }));
      }
    }
  }

  findRunner(schoolId: string, instanceId?: string): SourceRunner[] {
    const list = this.runners.filter((r) => r.inst.schoolId === schoolId && (!instanceId || r.inst.instanceId === instanceId));
    if (list.length === 0) throw new GatewayError('GW_SCHOOL_UNKNOWN', `no school ${schoolId}${instanceId ? ` with source ${instanceId}` : ''} in the configuration`);
    return list;
  }

  /** Starts delivery workers and schedules; runs `runOnStart` syncs at once (without waiting). */
  start(): { initialSyncs: Promise<unknown> } {
    if (this.started) return { initialSyncs: Promise.resolve() };
    this.started = true;
    for (const w of this.workers.values()) w.start();
    for (const p of this.pollers.values()) p.start();
    const purge = (): void => {
      void this.families.store.purgeWithdrawn(this.clock.now().toISOString())
        .catch((e: unknown) => this.log.error('withdrawal purge failed', { code: toGatewayError(e).code }));
    };
    purge();
    this.purgeTimer = setInterval(purge, this.families.purgeIntervalMs);
    this.purgeTimer.unref();
    this.families.notifier?.start(this.families.notifyIntervalMs);
    this.families.smsNotifier?.start(this.families.notifyIntervalMs);
    this.families.extractScheduler.start();
    this.sla?.start();
    const cfg = this.config;
    const initial: Promise<unknown>[] = [];
    for (const r of this.runners) {
      // Push sources are fed by the journal through the intake listener; their runner serves `check` only.
      if (this.pushTargets.has(`${r.inst.schoolId}\u0000${r.inst.instanceId}`)) continue;
      const src = cfg.schools.find((s) => s.id === r.inst.schoolId)?.sources.find((s) => s.id === r.inst.instanceId);
      const tz = cfg.schools.find((s) => s.id === r.inst.schoolId)?.timezone;
      if (src?.schedule) this.scheduler.add({ runner: r, expression: src.schedule, ...(tz ? { timezone: tz } : {}) });
      if (r.inst.adapter.watch) this.watchers.push(r.inst.adapter.watch(r.inst.config, () => this.trigger(r)));
      if (src?.runOnStart !== false) initial.push(r.sync({ trigger: 'startup', signal: this.stopController.signal }).catch(() => undefined));
    }
    return { initialSyncs: Promise.all(initial) };
  }

  /**
   * Runs a sync of a runner soon (a watched folder changed, a file was uploaded). Calls while a
   * sync runs coalesce into one more sync after it, so nothing that arrived is left unread.
   */
  trigger(r: SourceRunner): void {
    if (this.stopped) return;
    if (this.pendingTriggers.has(r)) return;
    this.pendingTriggers.add(r);
    void (async () => {
      while (r.running && !this.stopped) await new Promise((res) => setTimeout(res, 100));
      this.pendingTriggers.delete(r);
      if (!this.stopped) await r.sync({ trigger: 'watch', signal: this.stopController.signal }).catch(() => undefined);
    })();
  }

  /** What the admin API's upload route needs: the inbox of a file-source instance and a sync trigger. */
  uploadDeps(maxBytes: number): UploadDeps {
    const runner = (schoolId: string, instanceId: string): SourceRunner | undefined =>
      this.runners.find((x) => x.inst.schoolId === schoolId && x.inst.instanceId === instanceId);
    return {
      maxBytes,
      inboxOf: (s, i) => {
        const r = runner(s, i);
        return r?.inst.adapterId === 'file-source' ? resolveFileConfig(r.inst.config as unknown as FileSourceConfig).inbox : undefined;
      },
      trigger: (s, i) => { const r = runner(s, i); if (r) this.trigger(r); },
    };
  }

  pushTarget(schoolId: string, instanceId: string): PushTarget | undefined {
    return this.pushTargets.get(`${schoolId}\u0000${instanceId}`);
  }

  /**
   * What the intake listener serves: push intake when a push source is configured, the ФГИС
   * pull API when enabled (its client credentials and signing key from the environment).
   * Undefined when there is nothing to listen for.
   */
  intakeDeps(env: NodeJS.ProcessEnv = process.env): IntakeAppDeps | undefined {
    const cfg = this.config;
    const wake = (): void => { for (const w of this.workers.values()) w.poke(); this.families.notifier?.poke(); this.families.smsNotifier?.poke(); };
    const deps: IntakeAppDeps = { log: this.log.child({ listener: 'intake' }) };
    if (this.pushTargets.size > 0) {
      deps.push = {
        ledger: this.ledger, validator: getCanonicalValidator(), pushTarget: (s, i) => this.pushTarget(s, i), now: () => this.clock.now(),
        onEnqueued: wake,
        observer: { counted: (school, source, result, n) => { if (n > 0) this.metrics.recordsIn.inc({ school, source, result }, n); } },
        maxBodyBytes: Math.max(DEFAULT_MAX_BODY_BYTES, ...[...this.pushTargets.values()].map((t) => t.config.maxBytes)),
      };
    }
    const f = cfg.gateway.fgis;
    if (f.enabled) {
      const clients = parseClients(env[f.clientsEnv]);
      const key = env[f.signingKeyEnv] ?? '';
      if (clients.length === 0 && !f.issuer) throw new GatewayError('GW_CONFIG_SECRET_MISSING', `gateway.fgis is enabled but ${f.clientsEnv} holds no client_id:secret pairs`);
      if (key.length < 32) throw new GatewayError('GW_CONFIG_SECRET_MISSING', `gateway.fgis is enabled but ${f.signingKeyEnv} is unset or shorter than 32 characters`);
      const schools = new Map(cfg.schools.map((s) => [s.id, { name: s.name, timezone: s.timezone }]));
      deps.fgis = {
        basePath: f.basePath, ledger: this.ledger, issuer: createTokenIssuer(clients, key, f.tokenTtlSeconds), accountKey: key,
        idNamespace: cfg.gateway.idNamespace ?? DEFAULT_ID_NAMESPACE, schoolInfo: (id) => schools.get(id),
        now: () => this.clock.now(), maxWindowDays: f.maxWindowDays,
        ...(f.issuer ? { externalTokens: jwtVerifierFromConfig(f.issuer, env) } : {}),
        ...(familiesSettings(cfg).consentGate !== 'off' ? { allowChild: childAllowedFor(this.families.store, 'api', () => this.clock.now()) } : {}),
      };
    }
    return deps.push || deps.fgis ? deps : undefined;
  }

  ready(): boolean {
    return !this.stopped;
  }

  /** Graceful: stop schedules (no new intake), let running syncs and in-flight batches finish, close the ledger. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.watchers.splice(0)) w.close();
    await this.scheduler.stop();
    const deadline = Date.now() + graceMs;
    while (this.runners.some((r) => r.running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Workers finish the batch in flight before the abort: aborting it would cost each of its
    // deliveries an attempt (the last one makes it dead). Only a push outlasting the grace is cut off.
    const workersStopped = Promise.all([...this.workers.values()].map((w) => w.stop()));
    // Pollers stop sleeping now; a poll in progress ends by itself or at the abort below.
    const pollersStopped = Promise.all([...this.pollers.values()].map((p) => p.stop()));
    let graceTimer: NodeJS.Timeout | undefined;
    await Promise.race([workersStopped, new Promise((r) => { graceTimer = setTimeout(r, Math.max(0, deadline - Date.now())); })]);
    clearTimeout(graceTimer);
    this.stopController.abort();
    await workersStopped;
    await pollersStopped;
    while (this.runners.some((r) => r.running) && Date.now() < deadline + 2000) await new Promise((r) => setTimeout(r, 50));
    clearInterval(this.purgeTimer);
    await this.families.extractScheduler.stop();
    await this.sla?.stop();
    await this.families.notifier?.stop();
    await this.families.smsNotifier?.stop();
    this.families.transport?.close();
    await this.ledger.close();
    await Promise.all(this.simulators.map((s) => s.close().catch(() => undefined)));
  }
}
