/**
 * Simulator of a СМЭВ 3 node (message exchange 1.1) with a provider emulator behind it:
 * a real SOAP server on loopback built from the official WSDL, validating every request
 * against the official XSDs, keeping accepted MessageIDs, applying records, queueing answers
 * for GetResponse/Ack and statuses for GetStatus, and misbehaving on demand (faults.ts).
 */
import { nullLogger } from '../../../src/core/logger';
import type { FaultSpec, SimulatorFactory, SimulatorHandle, SimulatorStartOptions } from '../../../src/core/simulator';
import { listenSim } from '../../../src/infra/sim/server';
import { DEFAULT_PAYLOAD_NS, REQUEST_ROOT } from '../protocol';
import { DEFAULT_TEST_CERTIFICATE } from '../spec';
import { loadSmev3Xml } from '../xsd';
import { createSmev3App } from './app';
import { SMEV3_FAULT_KINDS, Smev3FaultState, type MtomMode } from './faults';
import { Smev3SimStore, type ReceivedBody, type Smev3SimState } from './state';

export type { AcceptedMessage, AppliedRecord, ReceivedBody, Smev3SimCounters, Smev3SimState } from './state';
export { SMEV3_CUSTOM_FAULTS, SMEV3_FAULT_KINDS } from './faults';
export { mtomResponse, readMtomRequest } from './mtom';

export const SMEV3_SIM_SYSTEM = 'smev3';
export const DEFAULT_SIM_PATH = '/smev/v1.1/ws';

export interface Smev3SimulatorOptions extends SimulatorStartOptions {
  /** Endpoint path (default `/smev/v1.1/ws`, as the test environment's). */
  path?: string;
  /** Test-certificate aliases taken as registered senders (default `diary-gateway-test`). */
  senders?: readonly string[];
  /** Refuse requests without CallerInformationSystemSignature, as the real СМЭВ does (default true). */
  requireSignature?: boolean;
  /** Take signatures that are not the test signer's without checking them (GOST cannot be checked here). */
  acceptForeignSignatures?: boolean;
  /** The registered "вид сведений" (default the diary-exchange namespace and DiaryBatchRequest). */
  payloadNamespace?: string;
  /** A MessageID older than this is StaleMessageId (default two days). */
  staleAfterMs?: number;
  /** Total attachment bytes per message before AttachmentSizeLimitExceeded (default 5 MiB). */
  maxAttachmentBytes?: number;
  /** Which answers are MTOM multipart (default `get-response`, as the real node answers GetResponse). */
  mtom?: MtomMode;
}

export interface Smev3SimulatorHandle extends SimulatorHandle {
  /** Full endpoint URL (url + path). */
  endpoint: string;
  /** A deep copy of counters, accepted messages and applied records. */
  state(): Smev3SimState;
  /** Logical bodies of the requests received (attachments inline), oldest first. */
  received(): ReceivedBody[];
}

export async function startSmev3Simulator(opts: Smev3SimulatorOptions = {}): Promise<Smev3SimulatorHandle> {
  const log = opts.log ?? nullLogger;
  const path = opts.path ?? DEFAULT_SIM_PATH;
  const senders = opts.senders ?? [DEFAULT_TEST_CERTIFICATE];
  const store = new Smev3SimStore();
  const faults = new Smev3FaultState(opts.mtom ?? 'get-response');
  const xml = await loadSmev3Xml();
  const app = await createSmev3App({
    path, store, faults, xml, log, now: opts.now ?? (() => new Date()),
    opts: {
      senders,
      requireSignature: opts.requireSignature ?? true,
      acceptForeignSignatures: opts.acceptForeignSignatures ?? false,
      registered: { namespaceUri: opts.payloadNamespace ?? DEFAULT_PAYLOAD_NS, rootElementLocalName: REQUEST_ROOT },
      staleAfterMs: opts.staleAfterMs ?? 2 * 24 * 3_600_000,
      maxAttachmentBytes: opts.maxAttachmentBytes ?? 5_242_880,
      provider: { mnemonic: 'emu', name: 'Эмулятор поставщика (diary-gateway)' },
    },
  });
  const listening = await listenSim(app, opts);
  const endpoint = listening.url + path;
  log.info('smev3 simulator listening', { url: endpoint });
  let closing: Promise<void> | undefined;
  return {
    system: SMEV3_SIM_SYSTEM,
    url: listening.url,
    endpoint,
    credentials: { certificateAlias: senders[0] ?? DEFAULT_TEST_CERTIFICATE },
    env: { DIARY_SIM_SMEV3_URL: endpoint, DIARY_SIM_SMEV3_CERT_ALIAS: senders[0] ?? DEFAULT_TEST_CERTIFICATE },
    faultKinds: SMEV3_FAULT_KINDS,
    inject(fault: FaultSpec) {
      if (faults.inject(fault)) log.info('smev3 simulator: fault injected', { kind: fault.kind });
      else log.warn('smev3 simulator: fault kind not supported, ignored', { kind: fault.kind });
    },
    state: () => store.snapshot(),
    received: () => store.received.map((r) => ({ ...r })),
    close: () => (closing ??= listening.close()),
  };
}

export interface Smev3SimulatorFactory extends SimulatorFactory {
  start(opts?: Smev3SimulatorOptions): Promise<Smev3SimulatorHandle>;
}

export const smev3Simulator: Smev3SimulatorFactory = {
  system: SMEV3_SIM_SYSTEM,
  title: 'СМЭВ 3 node (message exchange 1.1) with a diary provider emulator',
  start: (opts?: Smev3SimulatorOptions) => startSmev3Simulator(opts),
};
