/**
 * The SLA engine as the gateway runs it: built from the configuration (gateway.sla,
 * schools[].sla) over the ledger's SQLite file, judged on a timer, alerts sent after each
 * evaluation. The CLI (`report sla`, `access-codes`) and the admin API use the same object
 * without starting the timer.
 *
 * Only one process judges at a time: each tick takes the ledger lock `sla-engine`, so two
 * gateways (or a gateway and a CLI report) on one ledger do not judge the same rows twice.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../core/errors';
import type { HttpClient } from '../core/http';
import type { Ledger } from '../core/ledger';
import type { Logger } from '../core/logger';
import type { SlaStore } from '../core/sla-store';
import { createHttpClient } from '../infra/http-client';
import { SqliteLedger } from '../ledger/sqlite/sqlite-ledger';
import { SqliteSlaStore } from '../ledger/sqlite/sla-store';
import { AccessCodeService } from './access-codes';
import { loadCalendarSet, type CalendarSet } from './calendar-load';
import { SlaEngine, type EvaluationSummary } from './engine';
import { AlertDispatcher, smtpMailer, type DispatchResult, type Mailer } from './notify';
import type { FamilyChannelsSource } from './channels';
import { defaultRegulationDir, loadRegulationProfiles, type ProfileSet } from './profiles';
import { computeSlaReport, type SlaReportData } from './report';
import { buildSlaSchools, readGatewaySlaSettings, schoolSlaBlocks, type GatewaySlaSettings, type SlaConfigSource } from './settings';

/** How long one tick may hold the judging lock before another process may take it over. */
const LOCK_MS = 10 * 60_000;
export const SLA_LOCK = 'sla-engine';
/** Late and missing records listed in a report (a PDF of 5000 rows is already ~150 pages). */
export const DEFAULT_MAX_LISTED = 5000;

export interface SlaRuntimeDeps {
  /** The validated gateway configuration (secrets resolved when alerts are to be sent). */
  config: SlaConfigSource;
  ledger: Ledger;
  log: Logger;
  now(): Date;
  /** Lock owner (the gateway's). */
  owner?: string;
  http?: HttpClient;
  /** Default: SMTP from gateway.sla.alerts.email, when configured. */
  mailer?: Mailer;
  profiles?: ProfileSet;
  calendars?: CalendarSet;
  /**
   * How families are reached (paper for those who refused electronic delivery): the gateway and
   * the CLI pass `consentFamilyChannels(consent store)`. Every process judging one ledger must
   * pass the same source, since the answer is part of each school's fingerprint.
   */
  familyChannels?: FamilyChannelsSource;
}

export interface TickResult extends EvaluationSummary { dispatched: DispatchResult; skipped?: 'locked' }

/**
 * What `validate-config` checks of the SLA blocks, without a ledger: `gateway.sla`, the regulation
 * profiles (config/regulations and every `gateway.sla.regulationDirs` folder, so a school's own
 * profile is checked too), the production calendars, and every school's settings (profiles it
 * names, overrides, calendar region, office hours, deliveredVia). Throws GW_CONFIG_INVALID with
 * every problem, as the gateway would at start-up; undefined when no school has an `sla` block.
 */
export function checkSlaConfig(config: SlaConfigSource, deps: { profiles?: ProfileSet; calendars?: CalendarSet } = {}): { schools: string[]; profiles: string[]; calendarYears: number[] } | undefined {
  const settings = readGatewaySlaSettings(config);
  if (schoolSlaBlocks(config).length === 0) return undefined;
  const profiles = deps.profiles ?? loadRegulationProfiles([defaultRegulationDir(), ...settings.regulationDirs]);
  const calendars = deps.calendars ?? loadCalendarSet();
  const schools = buildSlaSchools(config, settings, { profiles, calendars });
  return {
    schools: schools.map((s) => s.schoolId),
    profiles: [...new Set(schools.flatMap((s) => s.sla.profileIds))].sort(),
    calendarYears: [...new Set(schools.flatMap((s) => s.sla.calendar.coveredYears()))].sort((a, b) => a - b),
  };
}

export class SlaRuntime {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<TickResult> | undefined;
  private readonly owner: string;

  private constructor(
    readonly settings: GatewaySlaSettings,
    readonly store: SlaStore,
    readonly engine: SlaEngine,
    readonly dispatcher: AlertDispatcher,
    readonly accessCodes: AccessCodeService,
    private readonly profiles: ProfileSet,
    private readonly deps: SlaRuntimeDeps,
  ) {
    this.owner = deps.owner ?? `sla:${randomUUID().slice(0, 8)}`;
  }

  /**
   * The runtime, or undefined when no school has an `sla` block. Throws GW_CONFIG_INVALID (all
   * problems at once) on bad settings, an unknown profile or a missing regional calendar.
   */
  static create(deps: SlaRuntimeDeps): SlaRuntime | undefined {
    const settings = readGatewaySlaSettings(deps.config);
    if (schoolSlaBlocks(deps.config).length === 0) return undefined;
    if (!(deps.ledger instanceof SqliteLedger)) throw new GatewayError('GW_INTERNAL', 'The SLA engine needs the SQLite ledger');
    const profiles = deps.profiles ?? loadRegulationProfiles([defaultRegulationDir(), ...settings.regulationDirs]);
    const calendars = deps.calendars ?? loadCalendarSet();
    const schools = buildSlaSchools(deps.config, settings, { profiles, calendars });
    const store = new SqliteSlaStore(deps.ledger.database());
    const log = deps.log.child({ component: 'sla' });
    const email = settings.alerts.email;
    const mailer = deps.mailer ?? (email !== undefined ? smtpMailer(email, settings.alerts.timeoutMs) : undefined);
    const engine = new SlaEngine({
      store, schools, log, recoveryHoldMs: settings.recoveryHoldMinutes * 60_000, emailEnabled: mailer !== undefined,
      ...(deps.familyChannels !== undefined ? { familyChannels: deps.familyChannels } : {}),
    });
    const http = deps.http ?? createHttpClient({ log, side: 'sink', now: deps.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), maxAttempts: 1, timeoutMs: settings.alerts.timeoutMs });
    const dispatcher = new AlertDispatcher({
      store, http, log, maxAttempts: settings.alerts.maxAttempts, timeoutMs: settings.alerts.timeoutMs,
      contactOf: (id) => engine.schools.get(id)?.itContact, ...(mailer !== undefined ? { mailer } : {}),
    });
    return new SlaRuntime(settings, store, engine, dispatcher, new AccessCodeService({ store, engine, log }), profiles, deps);
  }

  /** One evaluation and one round of sending, under the ledger lock. Ticks do not overlap. */
  tick(): Promise<TickResult> {
    if (this.ticking !== undefined) return this.ticking;
    this.ticking = this.tickOnce().finally(() => { this.ticking = undefined; });
    return this.ticking;
  }

  private async tickOnce(): Promise<TickResult> {
    const now = this.deps.now();
    const until = new Date(now.getTime() + LOCK_MS).toISOString();
    if (!(await this.deps.ledger.tryLock(SLA_LOCK, this.owner, until, now.toISOString()))) {
      return { judged: 0, rows: 0, rebuilt: [], alerts: 0, complete: true, dispatched: { sent: 0, failed: 0, retrying: 0 }, skipped: 'locked' };
    }
    try {
      const summary = await this.engine.evaluate(now);
      const dispatched = await this.dispatcher.flush(this.deps.now());
      return { ...summary, dispatched };
    } finally {
      await this.deps.ledger.unlock(SLA_LOCK, this.owner);
    }
  }

  /**
   * Brings the judgements up to date without sending alerts (for reports outside `run`); the
   * transitions it finds are queued for the running gateway to send. Undefined when another
   * process holds the lock (it is judging right now).
   */
  async judgeNow(): Promise<EvaluationSummary | undefined> {
    const now = this.deps.now();
    if (!(await this.deps.ledger.tryLock(SLA_LOCK, this.owner, new Date(now.getTime() + LOCK_MS).toISOString(), now.toISOString()))) return undefined;
    try {
      return await this.engine.evaluate(now);
    } finally {
      await this.deps.ledger.unlock(SLA_LOCK, this.owner);
    }
  }

  /** Ticks now and then every `gateway.sla.evaluateEverySeconds`; errors are logged, never thrown. */
  start(): void {
    if (this.timer !== undefined || !this.settings.enabled) return;
    const run = (): void => {
      this.tick().catch((e: unknown) => {
        const err = e instanceof GatewayError ? e : undefined;
        this.deps.log.error('sla evaluation failed', { code: err?.code ?? 'GW_INTERNAL', error: e instanceof Error ? e.message : String(e) });
      });
    };
    this.timer = setInterval(run, this.settings.evaluateEverySeconds * 1000);
    this.timer.unref();
    run();
  }

  /** Stops the timer and waits for a tick in progress. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking?.catch(() => undefined);
  }

  /**
   * The compliance report of a school over local dates [from, to] (by due date). Counts and
   * medians are aggregated in the store; at most `maxListed` late and missing records are listed.
   */
  async report(schoolId: string, from: string, to: string, maxListed = DEFAULT_MAX_LISTED): Promise<SlaReportData> {
    const school = this.engine.schools.get(schoolId);
    if (school === undefined) throw new GatewayError('GW_SCHOOL_UNKNOWN', `School ${schoolId} has no SLA settings (schools[].sla).`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^\d{4}-\d{2}-\d{2}$/.test(to) || from > to) {
      throw new GatewayError('GW_API_BAD_REQUEST', 'The report window must be two dates YYYY-MM-DD, from not after to.', {
        issues: [{ path: '/query/from', message: 'YYYY-MM-DD, not after to' }],
      });
    }
    const { cells, lateValues } = await this.store.reportCells(schoolId, from, to);
    const lateTotal = cells.filter((c) => c.state === 'late' || c.state === 'breached').reduce((n, c) => n + c.count, 0);
    const lateRows = await this.store.listObligations({ schoolId, fromDate: from, toDate: to, states: ['late', 'breached'], limit: maxListed });
    return computeSlaReport({ cells, lateValues, lateRows, lateTotal }, {
      school: { id: schoolId, name: school.name, timeZone: school.sla.timeZone }, from, to, generatedAt: this.deps.now().toISOString(),
      obligations: school.sla.obligations.map((o) => ({ key: o.key, title: o.title, profileTitle: this.profiles.get(o.profileId).title })),
      availability: school.sla.availability.map((a) => ({ key: a.key, title: a.title, schedule: a.schedule, profileTitle: this.profiles.get(a.profileId).title })),
    });
  }
}
