import type { ErrorCode } from '../../src/core/error-codes';
import { GatewayError } from '../../src/core/errors';
import { parseRetryAfter } from '../../src/core/http';

/** Which ЭлЖур call produced a signal: the same state means different things for `auth`. */
export type EljurOp = 'auth' | 'data';

/** Signals the client detects itself (not an HTTP status or envelope state). */
export type EljurSignal =
  /** `auth` answered success without `result.token`. */
  | 'no-token'
  /** The configured `authToken` was refused or has expired, and there are no credentials to renew it. */
  | 'token-not-renewable'
  /** A fresh token was refused again right away. */
  | 'token-refused-after-renew'
  /** Not JSON, or JSON without the `{response:{…}}` envelope / expected result. */
  | 'bad-body';

/**
 * A failed exchange as the table sees it. `state` is `response.state` when the body has the
 * envelope (errors come inside HTTP 200 too), else the HTTP status.
 */
export interface EljurFailure {
  op: EljurOp;
  state?: number;
  /** `response.error` text; matched only against the known vendor texts below, never logged. */
  errorText?: string;
  signal?: EljurSignal;
}

interface Rule {
  op?: EljurOp;
  signal?: EljurSignal;
  state?: number | readonly [number, number];
  /** Known vendor error text (ЭлЖур has no error codes besides `state`). */
  errorText?: RegExp;
  code: ErrorCode;
  why: string;
}

/**
 * Vendor signal → ErrorCode, first match wins (sources §3.2–3.3).
 * The only error text known for certain is «не удалось авторизовать разработчика» (bad devkey).
 */
export const ELJUR_ERROR_TABLE: readonly Rule[] = [
  { signal: 'no-token', code: 'GW_SRC_AUTH_FAILED', why: 'auth answered without a token' },
  { signal: 'token-not-renewable', code: 'GW_SRC_AUTH_FAILED', why: 'configured auth_token refused or expired; set a new one or configure login/password' },
  { signal: 'token-refused-after-renew', code: 'GW_SRC_SESSION_EXPIRED', why: 'fresh token refused right after auth' },
  { signal: 'bad-body', code: 'GW_SRC_PROTOCOL', why: 'body is not the {response:{state,error,result}} JSON expected' },
  { errorText: /авторизовать\s+разработчика/i, code: 'GW_SRC_AUTH_FAILED', why: 'devkey refused' },
  { op: 'auth', state: [400, 403], code: 'GW_SRC_AUTH_FAILED', why: 'login, password or vendor refused' },
  { state: 401, code: 'GW_SRC_SESSION_EXPIRED', why: 'auth_token expired or revoked' },
  { state: 403, code: 'GW_SRC_SESSION_EXPIRED', why: 'auth_token expired or revoked' },
  { state: 404, code: 'GW_SRC_PROTOCOL', why: 'unknown method (API version?)' },
  { state: 408, code: 'GW_SRC_TIMEOUT', why: 'server-side timeout' },
  { state: 429, code: 'GW_SRC_RATE_LIMITED', why: 'rate limited' },
  { state: [500, 599], code: 'GW_SRC_UNAVAILABLE', why: 'server error or maintenance' },
  { state: 400, code: 'GW_SRC_PROTOCOL', why: 'request refused as malformed' },
];

/** What no row matches. */
export const ELJUR_FALLBACK: ErrorCode = 'GW_SRC_PROTOCOL';

function stateMatches(rule: Rule['state'], state: number | undefined): boolean {
  if (rule === undefined) return true;
  if (state === undefined) return false;
  return typeof rule === 'number' ? rule === state : state >= rule[0] && state <= rule[1];
}

/** Pure table lookup. */
export function classifyEljur(f: EljurFailure): { code: ErrorCode; why: string } {
  for (const r of ELJUR_ERROR_TABLE) {
    if (r.signal !== undefined ? r.signal !== f.signal : f.signal !== undefined) continue;
    if (r.errorText !== undefined && !(f.errorText !== undefined && r.errorText.test(f.errorText))) continue;
    if (r.op !== undefined && r.op !== f.op) continue;
    if (!stateMatches(r.state, f.state)) continue;
    return { code: r.code, why: r.why };
  }
  return { code: ELJUR_FALLBACK, why: 'unexpected answer' };
}

/** A GatewayError for a failed ЭлЖур call; the message names the method and state, never the body. */
export function eljurError(
  f: EljurFailure,
  extra: { method?: string; retryAfter?: string; now?: Date; cause?: unknown; httpStatus?: number } = {},
): GatewayError {
  const { code, why } = classifyEljur(f);
  const where = extra.method ?? f.op;
  const state = f.state !== undefined ? ` state ${f.state}` : '';
  const retryAfterMs = f.state === 429 || (f.state ?? 0) >= 500 ? parseRetryAfter(extra.retryAfter, extra.now ?? new Date()) : undefined;
  const httpStatus = extra.httpStatus ?? f.state;
  return new GatewayError(code, `ЭлЖур ${where}${state}: ${why}`, {
    ...(httpStatus !== undefined ? { httpStatus } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(extra.cause !== undefined ? { cause: extra.cause } : {}),
  });
}
