/**
 * Simulator of a OneRoster 1.2 gradebook consumer (system `oneroster-consumer`): a real HTTP
 * server on loopback that takes the sink's PUTs and DELETEs, validates them against the official
 * schemas, stores what it applied and counts what a correct gateway must never do (a stale
 * version after a newer one, the same version applied with two contents).
 */
import { randomBytes } from 'node:crypto';
import { nullLogger } from '../../../src/core/logger';
import type { FaultSpec, SimulatorFactory, SimulatorHandle, SimulatorStartOptions } from '../../../src/core/simulator';
import { listenSim } from '../../../src/infra/sim/server';
import type { CollectionName } from '../collections';
import { GRADEBOOK_PATH, ROSTERING_PATH } from '../spec';
import { CONSUMER_SCOPES, createConsumerApp } from './app';
import { CONSUMER_FAULT_KINDS, ConsumerFaults } from './faults';
import { ConsumerStore, type ConsumerState, type StoredObject } from './store';

export { CONSUMER_SCOPES, createConsumerApp, imsx } from './app';
export { CONSUMER_FAULT_KINDS, CUSTOM_FAULTS, ConsumerFaults } from './faults';
export { compareVersions, ConsumerStore, stableJson, type ConsumerCounters, type ConsumerState, type StoredObject } from './store';

export const ONEROSTER_CONSUMER_SYSTEM = 'oneroster-consumer';

export interface OneRosterConsumerOptions extends SimulatorStartOptions {
  /** Default `DIARY_SIM_OR_CONSUMER_CLIENT_ID`, else `gateway`. */
  clientId?: string;
  /** Default `DIARY_SIM_OR_CONSUMER_CLIENT_SECRET`, else random per start. */
  clientSecret?: string;
  /** Take PUTs to the rostering collections (a 1.2 rostering service is read-only: off by default). */
  acceptRostering?: boolean;
  /** Scopes the client may be granted (default: gradebook createput, delete, readonly). */
  allowedScopes?: readonly string[];
  /** Access token lifetime (default 3600 s). */
  tokenTtlSec?: number;
}

export interface OneRosterConsumerHandle extends SimulatorHandle {
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  state(): ConsumerState;
  get(collection: CollectionName, sourcedId: string): StoredObject | undefined;
  list(collection: CollectionName): StoredObject[];
}

export async function startOneRosterConsumer(opts: OneRosterConsumerOptions = {}): Promise<OneRosterConsumerHandle> {
  const log = opts.log ?? nullLogger;
  const clientId = opts.clientId ?? process.env.DIARY_SIM_OR_CONSUMER_CLIENT_ID ?? 'gateway';
  const clientSecret = opts.clientSecret ?? process.env.DIARY_SIM_OR_CONSUMER_CLIENT_SECRET ?? randomBytes(18).toString('base64url');
  const store = new ConsumerStore();
  let generation = 0;
  const faults = new ConsumerFaults(() => { generation++; });
  const app = createConsumerApp({
    clientId, clientSecret, allowedScopes: new Set(opts.allowedScopes ?? CONSUMER_SCOPES), acceptRostering: opts.acceptRostering ?? false,
    tokenTtlSec: opts.tokenTtlSec ?? 3600, gradebookPath: GRADEBOOK_PATH, rosteringPath: ROSTERING_PATH,
    store, faults, generation: () => generation, now: opts.now ?? (() => new Date()), log,
  });
  const srv = await listenSim(app, opts);
  const tokenUrl = `${srv.url}/oauth2/token`;
  log.info('oneroster consumer simulator listening', { url: srv.url });
  let closing: Promise<void> | undefined;
  return {
    system: ONEROSTER_CONSUMER_SYSTEM,
    url: srv.url,
    clientId,
    clientSecret,
    tokenUrl,
    credentials: { clientId, clientSecret, tokenUrl },
    env: {
      DIARY_SIM_OR_CONSUMER_URL: srv.url,
      DIARY_SIM_OR_CONSUMER_TOKEN_URL: tokenUrl,
      DIARY_SIM_OR_CONSUMER_CLIENT_ID: clientId,
      DIARY_SIM_OR_CONSUMER_CLIENT_SECRET: clientSecret,
    },
    faultKinds: CONSUMER_FAULT_KINDS,
    inject(fault: FaultSpec) {
      if (faults.inject(fault)) log.info('oneroster consumer simulator: fault injected', { kind: fault.kind });
      else log.warn('oneroster consumer simulator: fault kind not supported, ignored', { kind: fault.kind });
    },
    state: () => store.snapshot(),
    get: (c, id) => store.get(c, id),
    list: (c) => store.list(c),
    close: () => (closing ??= srv.close()),
  };
}

/** A SimulatorFactory whose `start` also takes the consumer options and returns the extended handle. */
export interface OneRosterConsumerFactory extends SimulatorFactory {
  start(opts?: OneRosterConsumerOptions): Promise<OneRosterConsumerHandle>;
}

export const oneRosterConsumerSimulator: OneRosterConsumerFactory = {
  system: ONEROSTER_CONSUMER_SYSTEM,
  title: 'OneRoster 1.2 gradebook consumer (OAuth 2, PUT by sourcedId, validates against the official schemas)',
  start: (opts?: OneRosterConsumerOptions) => startOneRosterConsumer(opts),
};
