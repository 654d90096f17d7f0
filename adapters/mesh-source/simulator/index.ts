import { nullLogger } from '../../../src/core/logger';
import type { SimulatorFactory, SimulatorHandle, SimulatorStartOptions } from '../../../src/core/simulator';
import { SOURCE_FAULT_KINDS } from '../../../src/infra/sim/faults';
import { listenSim } from '../../../src/infra/sim/server';
import { localDate } from '../dates';
import { createSimApp } from './app';
import { DemoSchool } from './data';
import { FaultState } from './faults';

export { DemoSchool } from './data';

/** Moscow: no DST since 2014. */
export const SIM_UTC_OFFSET = '+03:00';

/**
 * Simulator of МЭШ / «Моя школа» (family mobile API + event calendar) with a fixed MESH token.
 * Demo data: ГБОУ «Школа № 1535», classes 7-А and 7-Б (25 students each) all visible to one
 * demo profile, 9 subjects, lessons Mon–Fri outside holidays, marks with forms of control,
 * weights, points and comments, homework, missed lessons with reasons, trimesters with term marks.
 * `live` is not supported (data is generated per week from the seed).
 */
export const meshSimulator: SimulatorFactory = {
  system: 'mesh',
  title: 'МЭШ / «Моя школа» simulator',
  async start(opts: SimulatorStartOptions = {}): Promise<SimulatorHandle> {
    const now = opts.now ?? (() => new Date());
    const log = opts.log ?? nullLogger;
    const school = new DemoSchool(opts.seed ?? 7, localDate(now(), SIM_UTC_OFFSET));
    const faults = new FaultState();
    const token = school.token();
    const app = createSimApp({ school, faults, token, log });
    const { url, close } = await listenSim(app, opts);
    log.info('mesh simulator listening', { url });
    return {
      system: 'mesh',
      url,
      credentials: { token, profileId: String(school.profileId) },
      env: {
        DIARY_SIM_MESH_URL: url,
        DIARY_SIM_MESH_API_URL: `${url}/api`,
        DIARY_SIM_MESH_EVENTS_URL: url,
        DIARY_SIM_MESH_TOKEN: token,
        DIARY_SIM_MESH_PROFILE_ID: String(school.profileId),
      },
      faultKinds: SOURCE_FAULT_KINDS,
      inject: (f) => faults.apply(f),
      close,
    };
  },
};
