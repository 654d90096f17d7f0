/**
 * A pluggable HTTP SMS gateway client.
 *
 * `SmsGateway` is what the notification code sees; `createHttpSmsGateway` implements it over the
 * shared HTTP client (timeouts, in-call retries of 429/5xx with Retry-After, logs without
 * bodies) and a `SmsDialect` that knows one aggregator's wire format. Outcomes are data, not
 * exceptions: one refused number must not stop a batch. The idempotency key (`clientRef`) goes
 * with every attempt, so a retried POST after a lost answer does not send the SMS twice.
 */
import type { CheckResult } from '../../core/adapter';
import { GatewayError, isGatewayError } from '../../core/errors';
import type { HttpClient, HttpRequest, HttpResponse } from '../../core/http';
import type { Logger } from '../../core/logger';
import { smsError, SMS_TRANSPORT_TABLE, type SmsFailureReason, type SmsSignal } from './errors';
import {
  HEALTH_PATH, SEND_PATH, STATUS_PATH_TEMPLATE, WIRE_DELIVERY_STATUSES,
  type WireDeliveryStatus, type WireSendRequest,
} from './protocol';

export interface SmsMessage {
  /** E.164 phone. Personal data: never logged. */
  to: string;
  text: string;
  /** Idempotency key, stable across retries of the same notice (e.g. `notice:<id>:sms`). */
  clientRef: string;
  sender?: string;
}

export type SmsSendOutcome =
  | { status: 'accepted'; messageId: string; segments?: number; attempts: number }
  | { status: 'failed'; reason: SmsFailureReason; error: GatewayError; retryAfterMs?: number; attempts: number };

export type SmsDeliveryState = 'pending' | 'delivered' | 'failed' | 'opted_out';

export type SmsStatusOutcome =
  | { status: 'known'; messageId: string; state: SmsDeliveryState; vendorStatus: string; updatedAt?: string }
  | { status: 'failed'; reason: SmsFailureReason; error: GatewayError };

export interface SmsGateway {
  readonly dialect: string;
  send(msg: SmsMessage): Promise<SmsSendOutcome>;
  /** Delivery report of an accepted message. `opted_out` means: stop and use another channel. */
  status(messageId: string): Promise<SmsStatusOutcome>;
  /** A cheap authenticated call; sends nothing. */
  check(): Promise<CheckResult>;
}

export interface SmsGatewayConfig {
  baseUrl: string;
  /** Resolved secret. Never logged. */
  token: string;
  sender?: string;
  timeoutMs?: number;
  /** Attempts per call including the first (429 and 5xx are retried in the call). */
  maxAttempts?: number;
}

/** How one aggregator's API looks on the wire. Add a dialect (and error-table rows) per vendor. */
export interface SmsDialect {
  id: string;
  sendRequest(cfg: SmsGatewayConfig, msg: SmsMessage): HttpRequest;
  /** A 2xx answer to send: the message id, or undefined when the body is not understood. */
  parseAccepted(res: HttpResponse): { messageId: string; segments?: number } | undefined;
  statusRequest(cfg: SmsGatewayConfig, messageId: string): HttpRequest;
  /** A 2xx answer to status: the vendor's status word, or undefined when not understood. */
  parseStatus(res: HttpResponse): { vendorStatus: string; updatedAt?: string } | undefined;
  /** Vendor status word → our delivery state. */
  deliveryState(vendorStatus: string): SmsDeliveryState | undefined;
  healthRequest(cfg: SmsGatewayConfig): HttpRequest;
  /** The vendor error code of a non-2xx answer, if its body carries one. */
  errorCode(res: HttpResponse): string | undefined;
}

const trimSlash = (u: string): string => u.replace(/\/+$/, '');
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
/** Only code-shaped vendor codes are used (and may appear in messages); anything else is ignored. */
const VENDOR_CODE = /^[A-Z][A-Z0-9_]{0,39}$/;

const GENERIC_STATES: Readonly<Record<WireDeliveryStatus, SmsDeliveryState>> = {
  queued: 'pending', sent: 'pending', delivered: 'delivered', undeliverable: 'failed', expired: 'failed', opted_out: 'opted_out',
};

/** The dialect of the generic JSON protocol (protocol.ts), spoken by the simulator. */
export const genericJsonDialect: SmsDialect = {
  id: 'generic-json',
  sendRequest(cfg, msg) {
    const body: WireSendRequest = { to: msg.to, text: msg.text, clientRef: msg.clientRef, ...(msg.sender ?? cfg.sender ? { sender: msg.sender ?? cfg.sender } : {}) };
    return {
      method: 'POST', url: `${trimSlash(cfg.baseUrl)}${SEND_PATH}`, pathTemplate: SEND_PATH, body,
      headers: { authorization: `Bearer ${cfg.token}`, 'idempotency-key': msg.clientRef, 'content-type': 'application/json' },
    };
  },
  parseAccepted(res) {
    const d = res.data;
    if (!isObj(d) || typeof d.id !== 'string' || d.id.length === 0) return undefined;
    return { messageId: d.id, ...(typeof d.segments === 'number' ? { segments: d.segments } : {}) };
  },
  statusRequest(cfg, id) {
    return {
      method: 'GET', url: `${trimSlash(cfg.baseUrl)}${SEND_PATH}/${encodeURIComponent(id)}`, pathTemplate: STATUS_PATH_TEMPLATE,
      headers: { authorization: `Bearer ${cfg.token}` },
    };
  },
  parseStatus(res) {
    const d = res.data;
    if (!isObj(d) || typeof d.status !== 'string') return undefined;
    return { vendorStatus: d.status, ...(typeof d.updatedAt === 'string' ? { updatedAt: d.updatedAt } : {}) };
  },
  deliveryState(s) {
    return (WIRE_DELIVERY_STATUSES as readonly string[]).includes(s) ? GENERIC_STATES[s as WireDeliveryStatus] : undefined;
  },
  healthRequest(cfg) {
    return { method: 'GET', url: `${trimSlash(cfg.baseUrl)}${HEALTH_PATH}`, pathTemplate: HEALTH_PATH, headers: { authorization: `Bearer ${cfg.token}` } };
  },
  errorCode(res) {
    const e = isObj(res.data) ? res.data.error : undefined;
    return isObj(e) && typeof e.code === 'string' ? e.code : undefined;
  },
};

export const SMS_DIALECTS: Readonly<Record<string, SmsDialect>> = { 'generic-json': genericJsonDialect };

export interface HttpSmsGatewayDeps {
  config: SmsGatewayConfig;
  /** A sink-side HTTP client (createHttpClient({side: 'sink', …})). */
  http: HttpClient;
  now(): Date;
  log: Logger;
  dialect?: SmsDialect;
}

export function createHttpSmsGateway(deps: HttpSmsGatewayDeps): SmsGateway {
  const { config, http, now, log } = deps;
  const dialect = deps.dialect ?? genericJsonDialect;
  const retry = { maxAttempts: config.maxAttempts ?? 3, retryOn: [429, 502, 503, 504], ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}) };

  const signalOf = (res: HttpResponse): SmsSignal => {
    const code = dialect.errorCode(res);
    return { status: res.status, ...(code !== undefined && VENDOR_CODE.test(code) ? { vendorCode: code } : {}) };
  };
  const transportFailure = (e: unknown, op: string): { reason: SmsFailureReason; error: GatewayError } => {
    if (isGatewayError(e)) {
      const row = SMS_TRANSPORT_TABLE[e.code];
      if (row) return { reason: row.reason, error: new GatewayError(row.code, `SMS gateway ${op}: ${e.message}`, { cause: e }) };
      return { reason: 'protocol', error: e };
    }
    return { reason: 'protocol', error: new GatewayError('GW_INTERNAL', `SMS gateway ${op}: ${String(e)}`, { cause: e }) };
  };
  const protocolFailure = (op: string, status: number): { reason: SmsFailureReason; error: GatewayError } => ({
    reason: 'protocol', error: new GatewayError('GW_SINK_PROTOCOL', `SMS gateway ${op}: HTTP ${status} with a body the ${dialect.id} dialect does not understand`, { httpStatus: status }),
  });

  return {
    dialect: dialect.id,
    async send(msg) {
      let res: HttpResponse;
      try {
        res = await http.request({ ...dialect.sendRequest(config, msg), ...retry });
      } catch (e) {
        return { status: 'failed', ...transportFailure(e, 'send'), attempts: retry.maxAttempts };
      }
      if (res.status >= 200 && res.status < 300) {
        const ok = dialect.parseAccepted(res);
        if (ok) {
          log.info('sms accepted', { dialect: dialect.id, status: res.status, attempts: res.attempts, segments: ok.segments });
          return { status: 'accepted', ...ok, attempts: res.attempts };
        }
        return { status: 'failed', ...protocolFailure('send', res.status), attempts: res.attempts };
      }
      const { error, reason } = smsError(signalOf(res), 'send', { retryAfter: res.headers['retry-after'], now: now() });
      log.warn('sms refused', { dialect: dialect.id, status: res.status, code: error.code, reason, attempts: res.attempts });
      return { status: 'failed', reason, error, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}), attempts: res.attempts };
    },
    async status(messageId) {
      let res: HttpResponse;
      try {
        res = await http.request({ ...dialect.statusRequest(config, messageId), ...retry });
      } catch (e) {
        return { status: 'failed', ...transportFailure(e, 'status') };
      }
      if (res.status >= 200 && res.status < 300) {
        const s = dialect.parseStatus(res);
        const state = s ? dialect.deliveryState(s.vendorStatus) : undefined;
        if (!s || !state) return { status: 'failed', ...protocolFailure('status', res.status) };
        return { status: 'known', messageId, state, vendorStatus: s.vendorStatus, ...(s.updatedAt ? { updatedAt: s.updatedAt } : {}) };
      }
      return { status: 'failed', ...smsError(signalOf(res), 'status', { retryAfter: res.headers['retry-after'], now: now() }) };
    },
    async check() {
      try {
        const res = await http.request({ ...dialect.healthRequest(config), maxAttempts: 1, ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}) });
        if (res.status >= 200 && res.status < 300) return { ok: true };
        return { ok: false, error: smsError(signalOf(res), 'check', { now: now() }).error };
      } catch (e) {
        return { ok: false, error: transportFailure(e, 'check').error };
      }
    },
  };
}
