/**
 * Simulator of a REST portal speaking the generic batch protocol: a real HTTP server on
 * loopback that records what it accepted, so tests and demos can prove the gateway
 * delivered everything once and in order.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nullLogger } from '../../../src/core/logger';
import type { EntityType } from '../../../src/core/records';
import type { FaultSpec, SimulatorFactory, SimulatorHandle, SimulatorStartOptions } from '../../../src/core/simulator';
import { DEFAULT_BATCH_PATH } from '../protocol';
import { createPortalApp } from './app';
import { FaultState, REST_PORTAL_FAULT_KINDS } from './faults';
import { PortalLedger, type LatestRecord, type RestPortalSimState } from './state';

export type { AppliedEntry, LatestRecord, RestPortalSimCounters, RestPortalSimState } from './state';
export { createPortalApp, SIMULATED_PORTAL_VERSION, type PortalAppDeps } from './app';
export { CUSTOM_FAULTS, FaultState, parseFaultSpec, REST_PORTAL_FAULT_KINDS } from './faults';
export { PortalLedger } from './state';

export const REST_PORTAL_SIM_SYSTEM = 'rest-portal';

export interface RestPortalSimulatorOptions extends SimulatorStartOptions {
  /** Bearer token to accept; default `DIARY_SIM_PORTAL_TOKEN` from the environment, else a random one per start. */
  token?: string;
  /** Default `/api/v1/diary/batches`. */
  batchPath?: string;
  /** Default 500. */
  maxBatchSize?: number;
  /** Entity types this portal refuses (`ENTITY_NOT_ACCEPTED`), permanently. */
  refuseEntities?: readonly EntityType[];
  /** Append applied items to this JSON-lines file and reload it on start. */
  persistPath?: string;
}

export interface RestPortalSimulatorHandle extends SimulatorHandle {
  token: string;
  batchPath: string;
  /** A deep copy of the counters and the applied items, in arrival order. */
  state(): RestPortalSimState;
  /** The latest applied version of a record, or undefined. */
  latest(recordId: string): LatestRecord | undefined;
}

export async function startRestPortalSimulator(opts: RestPortalSimulatorOptions = {}): Promise<RestPortalSimulatorHandle> {
  const log = opts.log ?? nullLogger;
  const token = opts.token ?? process.env.DIARY_SIM_PORTAL_TOKEN ?? randomBytes(24).toString('base64url');
  const batchPath = opts.batchPath ?? DEFAULT_BATCH_PATH;
  const ledger = new PortalLedger(opts.persistPath);
  const faults = new FaultState();
  const app = createPortalApp({
    token,
    batchPath,
    maxBatchSize: opts.maxBatchSize ?? 500,
    refuseEntities: new Set(opts.refuseEntities ?? []),
    ledger,
    faults,
    now: opts.now ?? (() => new Date()),
    log,
  });

  const server: Server = createServer(app);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info('rest-portal simulator listening', { url, batchPath });
  let closing: Promise<void> | undefined;

  return {
    system: REST_PORTAL_SIM_SYSTEM,
    url,
    token,
    batchPath,
    credentials: { token },
    env: { DIARY_SIM_PORTAL_URL: url, DIARY_SIM_PORTAL_TOKEN: token },
    faultKinds: REST_PORTAL_FAULT_KINDS,
    inject(fault: FaultSpec) {
      if (faults.inject(fault)) log.info('rest-portal simulator: fault injected', { kind: fault.kind });
      else log.warn('rest-portal simulator: fault kind not supported, ignored', { kind: fault.kind });
    },
    state: () => ledger.snapshot(),
    latest: (recordId) => ledger.latestOf(recordId),
    close: () => {
      // Idempotent: tests and the CLI may both close a handle.
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** A SimulatorFactory whose `start` also takes the portal options and returns the extended handle. */
export interface RestPortalSimulatorFactory extends SimulatorFactory {
  start(opts?: RestPortalSimulatorOptions): Promise<RestPortalSimulatorHandle>;
}

export const restPortalSimulator: RestPortalSimulatorFactory = {
  system: REST_PORTAL_SIM_SYSTEM,
  title: 'Generic REST portal (JSON batches, records what it accepted)',
  start: (opts?: RestPortalSimulatorOptions) => startRestPortalSimulator(opts),
};
