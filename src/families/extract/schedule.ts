/**
 * The weekly paper extracts as the running gateway makes them: one node-cron task per school
 * (`schools[].families.extracts.schedule`, default Monday 07:00 in the school's time zone),
 * each run under the ledger lock `extracts:<school>` so two gateways on one ledger never make
 * the same week twice at once. A failing school is logged and leaves the others alone; the next
 * tick (or a triggered run) tries again, and an unchanged week adds no new versions.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { scheduleCron } from '../../infra/cron';
import { GatewayError, toGatewayError } from '../../core/errors';
import type { Ledger } from '../../core/ledger';
import type { Logger } from '../../core/logger';
import type { GatewayConfig } from '../../infra/config';
import type { ForecastConfig } from '../forecast';
import type { ExtractRegister } from './register';
import { runWeeklyExtracts, type ExtractsConfig, type PaperRecipients, type WeeklyExtractResult } from './run';

export const DEFAULT_EXTRACTS_SCHEDULE = '0 7 * * 1';
export const DEFAULT_EXTRACTS_OUT_DIR = 'data/extracts';
/** A weekly run of a big school renders a few hundred PDFs; the lock outlives it comfortably. */
const LOCK_MS = 30 * 60_000;

export const extractsLockName = (schoolId: string): string => `extracts:${schoolId}`;

/**
 * Runs `fn` under the school's extracts lock (scheduled runs, the CLI and the purge's reprint all
 * take it); `{ locked: true }` without running when another process holds it.
 */
export async function withExtractsLock<T>(ledger: Ledger, schoolId: string, owner: string, now: Date, fn: () => Promise<T>): Promise<{ locked: true } | { locked: false; value: T }> {
  const lock = extractsLockName(schoolId);
  if (!(await ledger.tryLock(lock, owner, new Date(now.getTime() + LOCK_MS).toISOString(), now.toISOString()))) return { locked: true };
  try {
    return { locked: false, value: await fn() };
  } finally {
    await ledger.unlock(lock, owner).catch(() => undefined);
  }
}

/** A school as the extract scheduler sees it. */
export interface ExtractSchool {
  id: string;
  name: string;
  timezone: string;
  enabled: boolean;
  schedule: string;
  outDir: string;
  extracts: ExtractsConfig;
  forecast?: ForecastConfig;
}

/** `schools[].families.extracts` and `.forecast` with defaults, for every configured school. */
export function extractSchools(config: GatewayConfig): ExtractSchool[] {
  return config.schools.map((s) => {
    const fam = ((s as unknown as Record<string, unknown>)['families'] ?? {}) as { extracts?: ExtractsConfig; forecast?: ForecastConfig };
    const ex = fam.extracts ?? {};
    return {
      id: s.id, name: s.name, timezone: s.timezone, enabled: ex.enabled !== false, schedule: ex.schedule ?? DEFAULT_EXTRACTS_SCHEDULE,
      outDir: ex.outDir ?? DEFAULT_EXTRACTS_OUT_DIR, extracts: ex, ...(fam.forecast ? { forecast: fam.forecast } : {}),
    };
  });
}

export interface ExtractSchedulerDeps {
  ledger: Ledger;
  register: ExtractRegister;
  recipients: PaperRecipients;
  schools: readonly ExtractSchool[];
  log: Logger;
  now(): Date;
  /** Lock owner (the gateway's). */
  owner: string;
}

export type SchoolRunOutcome =
  | { schoolId: string; status: 'done'; result: WeeklyExtractResult }
  | { schoolId: string; status: 'locked' }
  | { schoolId: string; status: 'failed'; error: GatewayError };

export class WeeklyExtractScheduler {
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly d: ExtractSchedulerDeps) {
    for (const s of d.schools) {
      if (s.enabled && !cron.validate(s.schedule)) {
        throw new GatewayError('GW_CONFIG_INVALID', `school ${s.id}: families.extracts.schedule ${JSON.stringify(s.schedule)} is not a cron expression`, {
          issues: [{ path: `/schools/${s.id}/families/extracts/schedule`, message: 'not a node-cron expression' }],
        });
      }
    }
  }

  /** Schools whose extracts are scheduled. */
  get schools(): readonly ExtractSchool[] {
    return this.d.schools.filter((s) => s.enabled);
  }

  /** One cron task per enabled school, in the school's time zone. */
  start(): void {
    if (this.tasks.size > 0 || this.stopped) return;
    for (const s of this.schools) {
      this.tasks.set(s.id, scheduleCron(s.schedule, async () => { await this.runSchool(s.id); }, {
        name: extractsLockName(s.id), timezone: s.timezone, log: this.d.log, what: 'extracts scheduler',
      }));
    }
  }

  /** When the school's next scheduled run is (ISO), while started. */
  nextRunAt(schoolId: string): string | undefined {
    return this.tasks.get(schoolId)?.getNextRun()?.toISOString();
  }

  /**
   * The last finished week's extracts of one school, now, under its run lock. Never throws:
   * a failure is logged (code only) and returned, so one school cannot stop the others.
   */
  runSchool(schoolId: string): Promise<SchoolRunOutcome> {
    const p = this.runLocked(schoolId);
    this.running.add(p);
    return p.finally(() => this.running.delete(p));
  }

  /** Every enabled school, one after the other; each outcome on its own. */
  async runAll(): Promise<SchoolRunOutcome[]> {
    const out: SchoolRunOutcome[] = [];
    for (const s of this.schools) out.push(await this.runSchool(s.id));
    return out;
  }

  private async runLocked(schoolId: string): Promise<SchoolRunOutcome> {
    const s = this.d.schools.find((x) => x.id === schoolId);
    if (!s) return { schoolId, status: 'failed', error: new GatewayError('GW_SCHOOL_UNKNOWN', `school ${schoolId} is not configured`) };
    try {
      const run = await withExtractsLock(this.d.ledger, schoolId, this.d.owner, this.d.now(), () => runWeeklyExtracts(
        { ledger: this.d.ledger, register: this.d.register, recipients: this.d.recipients, now: this.d.now, log: this.d.log },
        { schoolId: s.id, schoolName: s.name, timeZone: s.timezone, outDir: s.outDir, extracts: s.extracts, ...(s.forecast ? { forecast: s.forecast } : {}) },
      ));
      if (run.locked) {
        this.d.log.info('weekly paper extracts skipped: another process holds the lock', { schoolId });
        return { schoolId, status: 'locked' };
      }
      return { schoolId, status: 'done', result: run.value };
    } catch (e: unknown) {
      const error = toGatewayError(e);
      this.d.log.error('weekly paper extracts failed', { schoolId, code: error.code });
      return { schoolId, status: 'failed', error };
    }
  }

  /** Stops the tasks and waits for runs in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.tasks.values()) { await t.stop(); await t.destroy(); }
    this.tasks.clear();
    await Promise.all([...this.running].map((p) => p.catch(() => undefined)));
  }
}
