/** What the NetSchool end-to-end tests share: a config for a running simulator and call recording. */
import type { RunContext } from '../../../src/core/adapter';
import type { HttpRequest } from '../../../src/core/http';
import type { SimulatorHandle } from '../../../src/core/simulator';
import { simContext, type SimContextOptions } from '../../../test/support/source-run';
import type { NetschoolConfig } from '../index';

export interface Recorded { method: string; path: string; params?: HttpRequest['params'] }

export const toCall = (req: HttpRequest): Recorded => ({ method: req.method, path: new URL(req.url).pathname, ...(req.params ? { params: req.params } : {}) });

export function configOf(sim: SimulatorHandle, extra: Partial<NetschoolConfig> = {}): NetschoolConfig {
  return {
    baseUrl: sim.env.DIARY_SIM_NETSCHOOL_URL as string,
    login: sim.env.DIARY_SIM_NETSCHOOL_LOGIN as string,
    password: sim.env.DIARY_SIM_NETSCHOOL_PASSWORD as string,
    schoolName: sim.env.DIARY_SIM_NETSCHOOL_SCHOOL as string,
    mobileAccessToken: sim.env.DIARY_SIM_NETSCHOOL_MOBILE_TOKEN as string,
    weeksBack: 1, weeksAhead: 1, lookbackWeeks: 1,
    ...extra,
  };
}

export function contextAt(now: Date, cfg: NetschoolConfig, o: SimContextOptions<Recorded> = {}): RunContext<NetschoolConfig> {
  return simContext(cfg, 'netschool', now, toCall, o);
}
