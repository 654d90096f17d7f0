/**
 * One node-cron task the way the gateway runs them: never overlapping itself, in a time zone,
 * optional jitter, node-cron's own warnings and errors through our logger (its info/debug dropped).
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../core/logger';

export interface CronTaskOptions {
  name: string;
  timezone?: string;
  /** Random delay up to this many ms before each run. */
  maxRandomDelay?: number;
  log: Logger;
  /** The log message of node-cron's own warnings and errors, e.g. 'scheduler'. */
  what: string;
}

export function scheduleCron(expression: string, run: () => Promise<void>, o: CronTaskOptions): ScheduledTask {
  return cron.schedule(expression, run, {
    name: o.name,
    noOverlap: true,
    ...(o.maxRandomDelay !== undefined ? { maxRandomDelay: o.maxRandomDelay } : {}),
    ...(o.timezone ? { timezone: o.timezone } : {}),
    logger: {
      info: () => undefined, debug: () => undefined,
      warn: (m) => o.log.warn(o.what, { detail: String(m) }),
      error: (m) => o.log.error(o.what, { detail: String(m) }),
    },
  });
}
