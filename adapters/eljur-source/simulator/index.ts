import { nullLogger } from '../../../src/core/logger';
import type { SimulatorFactory, SimulatorHandle, SimulatorStartOptions } from '../../../src/core/simulator';
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
 * Simulator of ЭлЖур apiv3: devkey/vendor/auth_token query auth, the response envelope with
 * errors inside HTTP 200, `days=YYYYMMDD-YYYYMMDD`. Demo data: vendor `demo7` (МБОУ СОШ № 7),
 * classes 5А and 5Б (25 students each), 8 subjects, lessons Mon–Fri for any week asked (an
 * autumn break with `holiday_name`), marks with «+»/«−», absence pseudo-marks н/Н/оп/ОП,
 * homework (some individual), quarters and quarter marks.
 */
export const eljurSimulator: SimulatorFactory = {
  system: 'eljur',
  title: 'ЭлЖур (eljur.ru apiv3) simulator',
  async start(opts: SimulatorStartOptions = {}): Promise<SimulatorHandle> {
    const now = opts.now ?? (() => new Date());
    const log = opts.log ?? nullLogger;
    const school = new DemoSchool({ seed: opts.seed ?? 7, today: localDate(now(), SIM_UTC_OFFSET) });
    const account = school.credentials();
    const faults = new FaultState();
    const app = createSimApp({ school, faults, account, now, log, addLiveMark: () => school.addLiveMark() });
    const { url, close } = await listenSim(app, opts, opts.live ? { tick: () => { school.addLiveMark(); }, intervalMs: LIVE_INTERVAL_MS } : undefined);
    log.info('eljur simulator listening', { url, live: Boolean(opts.live) });
    return {
      system: 'eljur',
      url,
      credentials: { login: account.login, password: account.password, devkey: account.devkey, vendor: school.vendor },
      env: {
        DIARY_SIM_ELJUR_URL: `${url}/apiv3`,
        DIARY_SIM_ELJUR_VENDOR: school.vendor,
        DIARY_SIM_ELJUR_DEVKEY: account.devkey,
        DIARY_SIM_ELJUR_LOGIN: account.login,
        DIARY_SIM_ELJUR_PASSWORD: account.password,
      },
      faultKinds: SOURCE_FAULT_KINDS,
      inject: (f) => faults.apply(f),
      close,
    };
  },
};
