import type { ErrorCode } from '../../src/core/error-codes';
import { GatewayError } from '../../src/core/errors';
import { parseRetryAfter } from '../../src/core/http';

/** Which exchange produced a signal: the token endpoint (RFC 6749) or a OneRoster service call. */
export type OneRosterOp = 'token' | 'data';

/** Signals the client detects itself (not an HTTP status or a vendor code). */
export type OneRosterSignal =
  /** The token endpoint answered 2xx without `access_token`. */
  | 'no-token'
  /** A fresh token was refused (401) again right away. */
  | 'token-refused-after-renew'
  /** Not JSON, or JSON without the collection array / object expected. */
  | 'bad-body'
  /** The provider ignores `offset` (the same page came back twice). */
  | 'paging-stuck';

/**
 * A failed exchange as the table sees it: the HTTP status, the `imsx_codeMinorFieldValue` of an
 * `imsx_StatusInfo` body (portal-and-standards §B1 error model), the OAuth `error` of a token
 * answer, or a signal.
 */
export interface OneRosterFailure {
  op: OneRosterOp;
  status?: number;
  codeMinor?: string;
  oauthError?: string;
  signal?: OneRosterSignal;
}

interface Rule {
  op?: OneRosterOp;
  signal?: OneRosterSignal;
  status?: number | readonly [number, number];
  codeMinor?: string;
  oauthError?: string;
  code: ErrorCode;
  why: string;
}

/** Vendor signal → ErrorCode, first match wins. */
export const ONEROSTER_ERROR_TABLE: readonly Rule[] = [
  { signal: 'no-token', code: 'GW_SRC_AUTH_FAILED', why: 'token endpoint answered without access_token' },
  { signal: 'token-refused-after-renew', code: 'GW_SRC_SESSION_EXPIRED', why: 'fresh access token refused right away' },
  { signal: 'bad-body', code: 'GW_SRC_PROTOCOL', why: 'answer is not the OneRoster JSON expected' },
  { signal: 'paging-stuck', code: 'GW_SRC_PROTOCOL', why: 'provider ignores offset (same page twice)' },
  { op: 'token', oauthError: 'invalid_client', code: 'GW_SRC_AUTH_FAILED', why: 'client id or secret refused' },
  { op: 'token', oauthError: 'unauthorized_client', code: 'GW_SRC_AUTH_FAILED', why: 'client may not use client credentials' },
  { op: 'token', oauthError: 'invalid_grant', code: 'GW_SRC_AUTH_FAILED', why: 'grant refused' },
  { op: 'token', oauthError: 'invalid_scope', code: 'GW_SRC_AUTH_FAILED', why: 'a requested scope is not granted to this client' },
  { op: 'token', oauthError: 'unsupported_grant_type', code: 'GW_SRC_PROTOCOL', why: 'endpoint does not do client credentials' },
  { op: 'token', status: [400, 403], code: 'GW_SRC_AUTH_FAILED', why: 'token request refused' },
  { op: 'token', status: 404, code: 'GW_SRC_PROTOCOL', why: 'no token endpoint at authUrl' },
  { codeMinor: 'unauthorisedrequest', status: 401, code: 'GW_SRC_SESSION_EXPIRED', why: 'access token expired or revoked' },
  { status: 401, code: 'GW_SRC_SESSION_EXPIRED', why: 'access token expired or revoked' },
  { codeMinor: 'forbidden', code: 'GW_SRC_AUTH_FAILED', why: 'scope not granted for this collection' },
  { status: 403, code: 'GW_SRC_AUTH_FAILED', why: 'scope not granted for this collection' },
  { codeMinor: 'invalid_filter_field', code: 'GW_SRC_PROTOCOL', why: 'filter not supported by the provider' },
  { codeMinor: 'invalid_selection_field', code: 'GW_SRC_PROTOCOL', why: 'sort or fields not supported by the provider' },
  { codeMinor: 'server_busy', code: 'GW_SRC_RATE_LIMITED', why: 'provider busy' },
  { status: 404, code: 'GW_SRC_PROTOCOL', why: 'unknown endpoint (service path or binding version?)' },
  { status: 408, code: 'GW_SRC_TIMEOUT', why: 'server-side timeout' },
  { status: 429, code: 'GW_SRC_RATE_LIMITED', why: 'rate limited' },
  { status: [500, 599], code: 'GW_SRC_UNAVAILABLE', why: 'server error or maintenance' },
  { status: [400, 499], code: 'GW_SRC_PROTOCOL', why: 'request refused as malformed' },
];

/** What no row matches. */
export const ONEROSTER_FALLBACK: ErrorCode = 'GW_SRC_PROTOCOL';

function statusMatches(rule: Rule['status'], status: number | undefined): boolean {
  if (rule === undefined) return true;
  if (status === undefined) return false;
  return typeof rule === 'number' ? rule === status : status >= rule[0] && status <= rule[1];
}

/** Pure table lookup. */
export function classifyOneRoster(f: OneRosterFailure): { code: ErrorCode; why: string } {
  for (const r of ONEROSTER_ERROR_TABLE) {
    if (r.signal !== undefined ? r.signal !== f.signal : f.signal !== undefined) continue;
    if (r.op !== undefined && r.op !== f.op) continue;
    if (r.codeMinor !== undefined && r.codeMinor !== f.codeMinor) continue;
    if (r.oauthError !== undefined && r.oauthError !== f.oauthError) continue;
    if (!statusMatches(r.status, f.status)) continue;
    return { code: r.code, why: r.why };
  }
  return { code: ONEROSTER_FALLBACK, why: 'unexpected answer' };
}

/** The codeMinor value of an `imsx_StatusInfo` body (also the `imsx_statusInfo` wrapper some 1.1 servers send). */
export function codeMinorOf(body: unknown): string | undefined {
  const obj = (x: unknown): Record<string, unknown> | undefined => (typeof x === 'object' && x !== null && !Array.isArray(x) ? x as Record<string, unknown> : undefined);
  const root = obj(body);
  const info = obj(root?.imsx_statusInfo) ?? obj(root?.imsx_StatusInfo) ?? root;
  const minor = obj(info?.imsx_CodeMinor);
  const fields = Array.isArray(minor?.imsx_codeMinorField) ? minor.imsx_codeMinorField : [];
  const v = obj(fields[0])?.imsx_codeMinorFieldValue;
  return typeof v === 'string' && /^[a-z_]{1,40}$/.test(v) ? v : undefined;
}

/** The RFC 6749 §5.2 `error` of a token answer, when it is one of the registered shapes. */
export function oauthErrorOf(body: unknown): string | undefined {
  const e = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).error : undefined;
  return typeof e === 'string' && /^[a-z_]{1,40}$/.test(e) ? e : undefined;
}

/** A GatewayError for a failed OneRoster exchange; the message names the call and status, never the body. */
export function oneRosterError(
  f: OneRosterFailure,
  extra: { where?: string; retryAfter?: string; now?: Date; cause?: unknown } = {},
): GatewayError {
  const { code, why } = classifyOneRoster(f);
  const where = extra.where ?? f.op;
  const st = f.status !== undefined ? ` HTTP ${f.status}` : '';
  const minor = f.codeMinor ?? f.oauthError;
  const retryAfterMs = f.status === 429 || (f.status ?? 0) >= 500 ? parseRetryAfter(extra.retryAfter, extra.now ?? new Date()) : undefined;
  return new GatewayError(code, `OneRoster ${where}${st}${minor ? ` (${minor})` : ''}: ${why}`, {
    ...(f.status !== undefined ? { httpStatus: f.status } : {}),
    ...(f.codeMinor ? { context: { codeMinor: f.codeMinor } } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(extra.cause !== undefined ? { cause: extra.cause } : {}),
  });
}
