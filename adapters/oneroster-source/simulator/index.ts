import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nullLogger } from '../../../src/core/logger';
import type { SimulatorFactory, SimulatorHandle, SimulatorStartOptions } from '../../../src/core/simulator';
import { SOURCE_FAULT_KINDS } from '../../../src/infra/sim/faults';
import { hex, rngFor } from '../../../src/infra/sim/rng';
import { listenSim } from '../../../src/infra/sim/server';
import { SCOPES } from '../collections';
import { createSimApp, TOKEN_PATH } from './app';
import { writeCsvPackage } from './csv-package';
import { DemoDistrict, SCHOOL_ID } from './data';
import { FaultState } from './faults';

export { DemoDistrict, SCHOOL_ID } from './data';
export { writeCsvPackage } from './csv-package';

const LIVE_INTERVAL_MS = 4000;

/**
 * Simulator of a OneRoster 1.2 provider (portal-and-standards §B1): OAuth 2 client credentials
 * at `/oauth2/token`, the rostering and gradebook services at their standard base paths, the
 * demo district of data.ts, and every source fault kind (custom: short-pages, no-total,
 * no-link, offset-ignored, bad-client). At start it also writes a bulk CSV package of the same
 * data into a temporary folder (env `DIARY_SIM_ONEROSTER_CSV`), removed on close.
 */
export const oneRosterSimulator: SimulatorFactory = {
  system: 'oneroster',
  title: 'OneRoster 1.2 REST provider simulator (+ CSV package)',
  async start(opts: SimulatorStartOptions = {}): Promise<SimulatorHandle> {
    const now = opts.now ?? (() => new Date());
    const log = opts.log ?? nullLogger;
    const seed = opts.seed ?? 7;
    const district = new DemoDistrict(seed, now);
    const faults = new FaultState();
    const client = { clientId: 'diary-gateway-demo', clientSecret: hex(rngFor(seed, 'client-secret'), 40), scopes: Object.values(SCOPES) };
    const app = createSimApp({ district, faults, client, now, log });
    const { url, close } = await listenSim(app, opts, opts.live ? { tick: () => { district.addLiveResult(); }, intervalMs: LIVE_INTERVAL_MS } : undefined);
    const csvDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dgw-oneroster-'));
    writeCsvPackage(path.join(csvDir, 'bulk'), district, { mode: 'bulk' });
    log.info('oneroster simulator listening', { url, live: Boolean(opts.live) });
    return {
      system: 'oneroster',
      url,
      credentials: { clientId: client.clientId, clientSecret: client.clientSecret, schoolSourcedId: SCHOOL_ID },
      env: {
        DIARY_SIM_ONEROSTER_URL: url,
        DIARY_SIM_ONEROSTER_AUTH_URL: `${url}${TOKEN_PATH}`,
        DIARY_SIM_ONEROSTER_CLIENT_ID: client.clientId,
        DIARY_SIM_ONEROSTER_CLIENT_SECRET: client.clientSecret,
        DIARY_SIM_ONEROSTER_SCHOOL: SCHOOL_ID,
        DIARY_SIM_ONEROSTER_CSV: path.join(csvDir, 'bulk'),
      },
      faultKinds: SOURCE_FAULT_KINDS,
      inject: (f) => faults.apply(f),
      close: async () => {
        await close();
        fs.rmSync(csvDir, { recursive: true, force: true });
      },
    };
  },
};
