/**
 * Simulator of an HTTP SMS gateway (generic-json protocol): a real loopback server that
 * accepts messages, counts their parts as an operator would, keeps idempotency keys, answers
 * delivery reports that move on with the injected clock, and refuses opt-out numbers.
 *
 * Demo behaviour: +79990000001 and +79990000002 are refused at once with OPT_OUT; +79990000010
 * is accepted and then reported `opted_out`; +79990000020 is reported `undeliverable`; a +7
 * number that is not +79XXXXXXXXX is INVALID_NUMBER. Faults (`POST /_sim/faults` or `inject`):
 * `slow`, `status` (503, 500, 429 with `retryAfterSec` …), `malformed` (202 with a non-JSON
 * body), `custom` `opt-out:<phone>` / `late-opt-out:<phone>`, `clear`.
 */
import { randomBytes } from 'node:crypto';
import { nullLogger } from '../../../core/logger';
import type { FaultSpec, SimulatorFactory, SimulatorHandle, SimulatorStartOptions } from '../../../core/simulator';
import { listenSim } from '../../../infra/sim/server';
import { createSmsSimApp } from './app';
import { SmsSimState, type SimMessage } from './state';

export { DEMO_LATE_OPT_OUT_NUMBERS, DEMO_OPT_OUT_NUMBERS, DEMO_UNDELIVERABLE_NUMBERS, type SimMessage } from './state';

export const SMS_SIM_SYSTEM = 'sms-gateway';
export const SMS_SIM_FAULT_KINDS: readonly FaultSpec['kind'][] = ['slow', 'status', 'malformed', 'custom', 'clear'];

export interface SmsSimulatorOptions extends SimulatorStartOptions {
  /** Bearer token to accept; default DIARY_SIM_SMS_TOKEN, else random per start. */
  token?: string;
  optOut?: readonly string[];
  lateOptOut?: readonly string[];
  undeliverable?: readonly string[];
  /** A message is reported `sent` this long, then delivered (default 2000 ms of the injected clock). */
  deliverAfterMs?: number;
  /** Default 10 parts. */
  maxSegments?: number;
}

export interface SmsSimulatorHandle extends SimulatorHandle {
  token: string;
  /** Accepted messages, in order. */
  messages(): SimMessage[];
  /** Requests answered per path template (retries and idempotent re-sends show here). */
  hits(path: string): number;
}

export async function startSmsSimulator(opts: SmsSimulatorOptions = {}): Promise<SmsSimulatorHandle> {
  const log = opts.log ?? nullLogger;
  const now = opts.now ?? (() => new Date());
  const token = opts.token ?? process.env.DIARY_SIM_SMS_TOKEN ?? randomBytes(18).toString('base64url');
  const state = new SmsSimState(opts, opts.deliverAfterMs ?? 2000);
  const app = createSmsSimApp({ state, token, maxSegments: opts.maxSegments ?? 10, now, log });
  const { url, close } = await listenSim(app, opts);
  log.info('sms-gateway simulator listening', { url });
  let closing: Promise<void> | undefined;
  return {
    system: SMS_SIM_SYSTEM,
    url,
    token,
    credentials: { token },
    env: { DIARY_SIM_SMS_URL: url, DIARY_SIM_SMS_TOKEN: token },
    faultKinds: SMS_SIM_FAULT_KINDS,
    inject: (f) => state.faults.apply(f),
    messages: () => [...state.messages.values()].map((m) => ({ ...m })),
    hits: (path) => state.hits.get(path) ?? 0,
    close: () => (closing ??= close()),
  };
}

export interface SmsSimulatorFactory extends SimulatorFactory {
  start(opts?: SmsSimulatorOptions): Promise<SmsSimulatorHandle>;
}

export const smsGatewaySimulator: SmsSimulatorFactory = {
  system: SMS_SIM_SYSTEM,
  title: 'HTTP SMS gateway (generic JSON; opt-out numbers, delivery reports, faults)',
  start: (opts?: SmsSimulatorOptions) => startSmsSimulator(opts),
};
