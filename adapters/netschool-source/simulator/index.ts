import { nullLogger } from '../../../src/core/logger';
import type { SimulatorFactory, SimulatorHandle, SimulatorStartOptions } from '../../../src/core/simulator';
import { SOURCE_FAULT_KINDS } from '../../../src/infra/sim/faults';
import { listenSim } from '../../../src/infra/sim/server';
import { localDate, offsetMinutes } from '../dates';
import { createSimApp } from './app';
import { DemoSchool } from './data';
import { FaultState } from './faults';
import { SessionStore } from './sessions';

export { DemoSchool } from './data';

/** Offset of the simulated school's wall clock (the adapter's default `utcOffset`). */
export const SIM_UTC_OFFSET = '+03:00';
const LIVE_INTERVAL_MS = 4000;

/**
 * Simulator of «Сетевой город. Образование»: the web API with its login dance and quirks
 * (diary, overdue works, assignment details, report filters), plus the mobile API behind a bearer
 * token (classmeetings with attendance, assignments with entry times, education, subjects, term
 * and year totals). Demo data: МБОУ СОШ № 7, classes 5а and 5б (26 students each), 8 subjects,
 * lessons Mon–Fri for any week asked, marks with entry times, duty dots, overdue works, teacher
 * comments, homework, absences up to "today", and term marks from the marks of each term.
 */
export const netschoolSimulator: SimulatorFactory = {
  system: 'netschool',
  title: '«Сетевой город. Образование» (NetSchool) simulator',
  async start(opts: SimulatorStartOptions = {}): Promise<SimulatorHandle> {
    const now = opts.now ?? (() => new Date());
    const log = opts.log ?? nullLogger;
    const school = new DemoSchool({ seed: opts.seed ?? 7, today: localDate(now(), SIM_UTC_OFFSET) });
    const creds = school.credentials();
    const faults = new FaultState();
    const sessions = new SessionStore({ login: creds.login, password: creds.password, userId: 77001, schoolId: school.school.id }, now);
    const app = createSimApp({ school, faults, sessions, mobileToken: creds.mobileToken, log, addLiveMark: () => school.addLiveMark(),
      wallClock: () => new Date(now().getTime() + offsetMinutes(SIM_UTC_OFFSET) * 60_000).toISOString().slice(0, 19),
    });

    const { url, close } = await listenSim(app, opts, opts.live ? { tick: () => { school.addLiveMark(); }, intervalMs: LIVE_INTERVAL_MS } : undefined);
    log.info('netschool simulator listening', { url, live: Boolean(opts.live) });

    return {
      system: 'netschool',
      url,
      credentials: { login: creds.login, password: creds.password, school: school.school.shortName, mobileToken: creds.mobileToken },
      env: {
        DIARY_SIM_NETSCHOOL_URL: url,
        DIARY_SIM_NETSCHOOL_LOGIN: creds.login,
        DIARY_SIM_NETSCHOOL_PASSWORD: creds.password,
        DIARY_SIM_NETSCHOOL_SCHOOL: school.school.shortName,
        DIARY_SIM_NETSCHOOL_MOBILE_TOKEN: creds.mobileToken,
      },
      faultKinds: SOURCE_FAULT_KINDS,
      inject: (f) => faults.apply(f),
      close,
    };
  },
};
