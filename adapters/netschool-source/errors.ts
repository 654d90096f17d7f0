import type { ErrorCode } from '../../src/core/error-codes';
import { GatewayError } from '../../src/core/errors';
import { parseRetryAfter } from '../../src/core/http';

/** Which NetSchool call produced a signal; a few statuses mean different things per call. */
export type NetschoolOp =
  | 'logindata' | 'auth-getdata' | 'school-search' | 'login' | 'logout'
  | 'data' | 'assignment-details' | 'security-warning' | 'mobile';

/** Non-HTTP-status signals the client detects in bodies. */
export type NetschoolSignal =
  /** `auth/getdata` gave no lt/salt: the server only allows ESIA sign-in. */
  | 'no-auth-data'
  /** `login` answered 2xx without `at` (the body carries `message`). */
  | 'no-access-token'
  /** The school search found nothing for the configured name. */
  | 'school-not-found'
  /** The school search matched several schools and none exactly. */
  | 'school-ambiguous'
  /** The SecurityWarning page came back again after it was confirmed. */
  | 'session-collision'
  /** 401 again right after a fresh login. */
  | 'session-expired-after-relogin'
  /** A body that is not the JSON expected. */
  | 'bad-body';

export interface NetschoolFailure {
  op: NetschoolOp;
  status?: number;
  signal?: NetschoolSignal;
}

interface Rule {
  op?: NetschoolOp;
  status?: number | readonly [number, number];
  signal?: NetschoolSignal;
  code: ErrorCode;
  why: string;
}

/**
 * Vendor signal → ErrorCode, first match wins. Order matters: per-call rows before generic ones.
 * Sources: sources.md §1.2 (409 login, 403 search without name, 401 = session died,
 * SecurityWarning page), §1.8 (mobile 401/404/500/503).
 */
export const NETSCHOOL_ERROR_TABLE: readonly Rule[] = [
  { signal: 'no-auth-data', code: 'GW_SRC_AUTH_FAILED', why: 'server offers no login/password sign-in (ESIA only)' },
  { signal: 'no-access-token', code: 'GW_SRC_AUTH_FAILED', why: 'login answered without an access token' },
  { signal: 'school-not-found', code: 'GW_SRC_NOT_FOUND', why: 'no school matches the configured name' },
  { signal: 'school-ambiguous', code: 'GW_SRC_NOT_FOUND', why: 'several schools match the configured name; set schoolId' },
  { signal: 'session-collision', code: 'GW_SRC_SESSION_COLLISION', why: 'another session keeps displacing ours' },
  { signal: 'session-expired-after-relogin', code: 'GW_SRC_SESSION_EXPIRED', why: 'session refused right after a fresh login' },
  { signal: 'bad-body', code: 'GW_SRC_PROTOCOL', why: 'body is not the JSON expected' },
  { op: 'login', status: 409, code: 'GW_SRC_AUTH_FAILED', why: 'login refused (wrong login, password or school)' },
  { op: 'login', status: [400, 403], code: 'GW_SRC_AUTH_FAILED', why: 'login refused' },
  { op: 'school-search', status: 403, code: 'GW_SRC_PROTOCOL', why: 'school search requires a name filter' },
  { op: 'assignment-details', status: 404, code: 'GW_SRC_NOT_FOUND', why: 'assignment is gone' },
  { op: 'mobile', status: 401, code: 'GW_SRC_AUTH_FAILED', why: 'mobile API token refused' },
  { op: 'mobile', status: 403, code: 'GW_SRC_AUTH_FAILED', why: 'mobile API token lacks rights' },
  { status: 401, code: 'GW_SRC_SESSION_EXPIRED', why: 'session died' },
  { status: 403, code: 'GW_SRC_AUTH_FAILED', why: 'the account lacks rights' },
  { status: 404, code: 'GW_SRC_PROTOCOL', why: 'unknown endpoint (server version?)' },
  { status: 408, code: 'GW_SRC_TIMEOUT', why: 'server-side timeout' },
  { status: 429, code: 'GW_SRC_RATE_LIMITED', why: 'rate limited' },
  { status: [500, 599], code: 'GW_SRC_UNAVAILABLE', why: 'server error or maintenance' },
];

/** What no row matches: an answer we do not understand. */
export const NETSCHOOL_FALLBACK: ErrorCode = 'GW_SRC_PROTOCOL';

function statusMatches(rule: Rule['status'], status: number | undefined): boolean {
  if (rule === undefined) return true;
  if (status === undefined) return false;
  return typeof rule === 'number' ? rule === status : status >= rule[0] && status <= rule[1];
}

/** The table lookup: pure, so the table is unit-tested row by row. */
export function classifyNetschool(f: NetschoolFailure): { code: ErrorCode; why: string } {
  for (const r of NETSCHOOL_ERROR_TABLE) {
    if (r.signal !== undefined && r.signal !== f.signal) continue;
    if (r.signal === undefined && f.signal !== undefined) continue;
    if (r.op !== undefined && r.op !== f.op) continue;
    if (!statusMatches(r.status, f.status)) continue;
    return { code: r.code, why: r.why };
  }
  return { code: NETSCHOOL_FALLBACK, why: 'unexpected answer' };
}

/**
 * A GatewayError for a failed NetSchool call. The message names the call and status only
 * (never bodies: a 409 login message may echo the login name).
 */
export function netschoolError(
  f: NetschoolFailure,
  extra: { pathTemplate?: string; retryAfter?: string; now?: Date; cause?: unknown } = {},
): GatewayError {
  const { code, why } = classifyNetschool(f);
  const where = extra.pathTemplate ?? f.op;
  const status = f.status !== undefined ? ` HTTP ${f.status}` : '';
  const retryAfterMs = f.status === 429 || (f.status ?? 0) >= 500
    ? parseRetryAfter(extra.retryAfter, extra.now ?? new Date())
    : undefined;
  return new GatewayError(code, `NetSchool ${where}${status}: ${why}`, {
    ...(f.status !== undefined ? { httpStatus: f.status } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(extra.cause !== undefined ? { cause: extra.cause } : {}),
  });
}
