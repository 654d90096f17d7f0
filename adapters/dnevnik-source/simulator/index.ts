import { nullLogger } from '../../../src/core/logger';
import type { FaultSpec, SimulatorFactory, SimulatorHandle, SimulatorStartOptions } from '../../../src/core/simulator';
import { SOURCE_FAULT_KINDS } from '../../../src/infra/sim/faults';
import { listenSim } from '../../../src/infra/sim/server';
import { localDate } from '../dates';
import { createSimApp } from './app';
import { DemoSchool } from './data';
import { FaultState } from './faults';

export { DemoSchool } from './data';

/** Offset of the simulated school's wall clock (the adapter's default `utcOffset`). */
export const SIM_UTC_OFFSET = '+03:00';
const LIVE_INTERVAL_MS = 4000;

/**
 * Simulator of the Дневник.ру partners API v2 (sources §2): «МБОУ Гимназия № 3», classes 5А
 * and 5Б of 25 students, 6 subjects, lessons Mon–Fri of the school year, marks, lesson log
 * entries, homework and quarter final marks, all derived from the seed and "today".
 */
export const dnevnikSimulator: SimulatorFactory = {
  system: 'dnevnik-ru',
  title: 'Дневник.ру partners API v2 simulator',
  async start(opts: SimulatorStartOptions = {}): Promise<SimulatorHandle> {
    const now = opts.now ?? (() => new Date());
    const log = opts.log ?? nullLogger;
    const school = new DemoSchool({ seed: opts.seed ?? 7, today: localDate(now(), SIM_UTC_OFFSET) });
    const faults = new FaultState();
    const inject = (f: FaultSpec): void => {
      if (f.kind === 'custom' && f.name === 'add-mark') for (let i = 0; i < (f.count ?? 1); i++) school.addLiveMark();
      else faults.apply(f);
    };
    const app = createSimApp({ school, faults, log, inject });
    const { url, close } = await listenSim(app, opts, opts.live ? { tick: () => { school.addLiveMark(); }, intervalMs: LIVE_INTERVAL_MS } : undefined);
    log.info('dnevnik simulator listening', { url, live: Boolean(opts.live) });
    return {
      system: 'dnevnik-ru',
      url,
      credentials: { accessToken: school.token, schoolId: school.schoolId },
      env: {
        DIARY_SIM_DNEVNIK_URL: url,
        DIARY_SIM_DNEVNIK_ACCESS_TOKEN: school.token,
        DIARY_SIM_DNEVNIK_SCHOOL_ID: school.schoolId,
      },
      faultKinds: SOURCE_FAULT_KINDS,
      inject,
      close,
    };
  },
};
