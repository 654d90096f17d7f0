import type { AddressInfo } from 'node:net';
import { nullLogger } from '../../../src/core/logger';
import type { FaultSpec, SimulatorFactory, SimulatorHandle, SimulatorStartOptions } from '../../../src/core/simulator';
import { localDate } from '../dates';
import { createSimApp } from './app';
import { DemoSchool } from './data';
import { FaultState } from './faults';
import { SessionStore } from './sessions';

export { DemoSchool } from './data';

/** Offset of the simulated school's wall clock (the adapter's default `utcOffset`). */
export const SIM_UTC_OFFSET = '+03:00';
const LIVE_INTERVAL_MS = 4000;

const FAULT_KINDS: readonly FaultSpec['kind'][] = ['slow', 'status', 'expire-sessions', 'malformed', 'shape-change', 'custom', 'clear'];

/**
 * Simulator of «Сетевой город. Образование»: the web API with its login dance and quirks, plus
 * the mobile API's classmeetings (attendance) behind a bearer token. Demo data: МБОУ СОШ № 7,
 * classes 5а and 5б (26 students each), 8 subjects, lessons Mon–Fri for any week asked, marks,
 * duty dots, teacher comments, homework and absences up to "today".
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
    const app = createSimApp({ school, faults, sessions, mobileToken: creds.mobileToken, log, addLiveMark: () => school.addLiveMark() });

    const server = app.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const url = `http://${host}:${addr.port}`;
    const timer = opts.live ? setInterval(() => { school.addLiveMark(); }, LIVE_INTERVAL_MS) : undefined;
    timer?.unref();
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
      faultKinds: FAULT_KINDS,
      inject: (f) => faults.apply(f),
      close: async () => {
        if (timer) clearInterval(timer);
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
};
