/**
 * Declarative error table of the SMS gateway client: gateway signal → ErrorCode and what to do.
 *
 * First match wins; a rule with `vendorCode` matches only that code in the error body, so an
 * operator opt-out is recognised by its code, never by message text. `reason` drives the
 * decision after a failure (policy.ts `decideAfterFailure`): `opted_out` and `invalid_number`
 * fall back to another channel and are not retried; `rate_limited`, `unavailable` and `timeout`
 * are retried (Retry-After wins); `auth` and `protocol` wait for the operator.
 *
 * Until the catalog has SMS-specific codes (proposed: GW_SMS_OPT_OUT, GW_SMS_INVALID_NUMBER),
 * refusals of one message are GW_SINK_REJECTED and the `reason` tells them apart.
 */
import type { ErrorCode } from '../../core/error-codes';
import { GatewayError } from '../../core/errors';
import { parseRetryAfter } from '../../core/http';

export type SmsFailureReason = 'opted_out' | 'invalid_number' | 'rejected' | 'rate_limited' | 'unavailable' | 'timeout' | 'auth' | 'protocol';

export interface SmsSignal {
  /** HTTP status of the answer. */
  status: number;
  /** `error.code` of the body, when the body has one. */
  vendorCode?: string;
}

interface Rule {
  status?: number | readonly [number, number];
  vendorCode?: string;
  code: ErrorCode;
  reason: SmsFailureReason;
  why: string;
}

export const SMS_ERROR_TABLE: readonly Rule[] = [
  { vendorCode: 'OPT_OUT', code: 'GW_SINK_REJECTED', reason: 'opted_out', why: 'the subscriber refused mailings through the operator (126-ФЗ ст. 44.1 п. 1.1)' },
  { vendorCode: 'INVALID_NUMBER', code: 'GW_SINK_REJECTED', reason: 'invalid_number', why: 'the number is not a valid mobile number' },
  { vendorCode: 'TEXT_TOO_LONG', code: 'GW_SINK_REJECTED', reason: 'rejected', why: 'the text has more parts than the gateway takes' },
  { status: 401, code: 'GW_SINK_AUTH_FAILED', reason: 'auth', why: 'token missing or refused' },
  { status: 403, code: 'GW_SINK_AUTH_FAILED', reason: 'auth', why: 'token not allowed to send (sender name not approved?)' },
  { status: 404, code: 'GW_SINK_PROTOCOL', reason: 'protocol', why: 'no such endpoint: check baseUrl' },
  { status: 408, code: 'GW_SINK_TIMEOUT', reason: 'timeout', why: 'the gateway gave up waiting' },
  { status: 429, code: 'GW_SINK_RATE_LIMITED', reason: 'rate_limited', why: 'slow down; Retry-After says for how long' },
  { status: [500, 599], code: 'GW_SINK_UNAVAILABLE', reason: 'unavailable', why: 'SMS gateway failing' },
  { status: [400, 499], code: 'GW_SINK_REJECTED', reason: 'rejected', why: 'the gateway refused this message' },
];

export const SMS_ERROR_FALLBACK: Omit<Rule, 'status' | 'vendorCode'> = { code: 'GW_SINK_PROTOCOL', reason: 'protocol', why: 'unexpected answer' };

/** The client's own transport errors (thrown by the shared HTTP client) → reason. */
export const SMS_TRANSPORT_TABLE: Readonly<Partial<Record<ErrorCode, { code: ErrorCode; reason: SmsFailureReason }>>> = {
  GW_SINK_TIMEOUT: { code: 'GW_SINK_TIMEOUT', reason: 'timeout' },
  GW_SINK_UNAVAILABLE: { code: 'GW_SINK_UNAVAILABLE', reason: 'unavailable' },
  GW_SRC_TIMEOUT: { code: 'GW_SINK_TIMEOUT', reason: 'timeout' },
  GW_SRC_NETWORK: { code: 'GW_SINK_UNAVAILABLE', reason: 'unavailable' },
};

function statusMatches(rule: Rule['status'], status: number): boolean {
  if (rule === undefined) return true;
  return typeof rule === 'number' ? rule === status : status >= rule[0] && status <= rule[1];
}

/** Pure table lookup. */
export function classifySms(s: SmsSignal): { code: ErrorCode; reason: SmsFailureReason; why: string } {
  for (const r of SMS_ERROR_TABLE) {
    if (r.vendorCode !== undefined && r.vendorCode !== s.vendorCode) continue;
    if (!statusMatches(r.status, s.status)) continue;
    return { code: r.code, reason: r.reason, why: r.why };
  }
  return { ...SMS_ERROR_FALLBACK };
}

/** A GatewayError for a failed call; the message names the operation and status, never the number or text. */
export function smsError(s: SmsSignal, op: string, extra: { retryAfter?: string; now: Date }): { error: GatewayError; reason: SmsFailureReason } {
  const { code, reason, why } = classifySms(s);
  const retryAfterMs = reason === 'rate_limited' || reason === 'unavailable' ? parseRetryAfter(extra.retryAfter, extra.now) : undefined;
  const vendor = s.vendorCode !== undefined ? ` ${s.vendorCode}` : '';
  const error = new GatewayError(code, `SMS gateway ${op}: HTTP ${s.status}${vendor}: ${why}`, {
    httpStatus: s.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), context: { reason },
  });
  return { error, reason };
}
