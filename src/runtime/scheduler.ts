import type { ScheduledTask } from 'node-cron';
import { scheduleCron } from '../infra/cron';
import type { Logger } from '../core/logger';
import type { SourceRunner } from './source-runner';

export interface ScheduleEntry {
  runner: SourceRunner;
  expression: string;
  timezone?: string;
}

/**
 * node-cron schedules, one per source instance. node-cron's `noOverlap` skips a tick while
 * the previous run is busy, `maxRandomDelay` adds the jitter that keeps many schools from
 * hitting one regional server in the same second, and the runner's ledger lock keeps two
 * processes apart.
 */
export class Scheduler {
  private tasks = new Map<SourceRunner, ScheduledTask>();

  constructor(private readonly log: Logger, private readonly jitterMs: number) {}

  add(entry: ScheduleEntry): void {
    const task = scheduleCron(entry.expression, async () => {
      await entry.runner.sync({ trigger: 'schedule' });
    }, {
      name: `${entry.runner.inst.schoolId}/${entry.runner.inst.instanceId}`, maxRandomDelay: this.jitterMs,
      ...(entry.timezone ? { timezone: entry.timezone } : {}), log: this.log, what: 'scheduler',
    });
    this.tasks.set(entry.runner, task);
  }

  nextRunAt(runner: SourceRunner): string | undefined {
    return this.tasks.get(runner)?.getNextRun()?.toISOString();
  }

  async stop(): Promise<void> {
    for (const t of this.tasks.values()) await t.stop();
    for (const t of this.tasks.values()) await t.destroy();
    this.tasks.clear();
  }
}
