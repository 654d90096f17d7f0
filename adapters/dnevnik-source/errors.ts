import type { ErrorCode } from '../../src/core/error-codes';
import { GatewayError } from '../../src/core/errors';
import { parseRetryAfter } from '../../src/core/http';

/**
 * Vendor error `type`s (sources §2.5): the partners API's `{type, description}` (pydnevnik
 * `_check_response`) and the mobile API's ResponseType values, which partner answers may share.
 */
export type DnevnikErrorType =
  | 'authorizationFailed' | 'tokenRequired' | 'parameterInvalid' | 'invalidRequest'
  | 'apiServerError' | 'apiUnknownError' | 'Error';

export const DNEVNIK_ERROR_TYPES: readonly DnevnikErrorType[] = [
  'authorizationFailed', 'tokenRequired', 'parameterInvalid', 'invalidRequest', 'apiServerError', 'apiUnknownError', 'Error',
];

/** Signals the client detects in bodies (not from the status line). */
export type DnevnikSignal =
  /** 2xx with a body that is not the JSON expected (an HTML page, a truncated body). */
  | 'bad-body';

export interface DnevnikFailure {
  status?: number;
  /** `type` of a JSON error body, when there is one. */
  type?: string;
  /** The body was an HTML error page (`<div class="error__description">`). */
  html?: boolean;
  signal?: DnevnikSignal;
}

interface Rule {
  type?: DnevnikErrorType;
  status?: number | readonly [number, number];
  signal?: DnevnikSignal;
  code: ErrorCode;
  why: string;
}

/**
 * Vendor signal → ErrorCode, first match wins: body signals, then the JSON `type`, then the
 * HTTP status (HTML error pages carry no type, so the status decides for them).
 * A refused Access-Token is permanent: the partners API has no refresh for implicit-flow
 * tokens (§2.2), so a person must issue a new one.
 */
export const DNEVNIK_ERROR_TABLE: readonly Rule[] = [
  { signal: 'bad-body', code: 'GW_SRC_PROTOCOL', why: 'body is not the JSON expected' },
  // A 429 beats the body's type: the sim (and likely the API) answers it with apiUnknownError.
  { status: 429, code: 'GW_SRC_RATE_LIMITED', why: 'rate limited' },
  { type: 'authorizationFailed', code: 'GW_SRC_AUTH_FAILED', why: 'access token refused or expired' },
  { type: 'tokenRequired', code: 'GW_SRC_AUTH_FAILED', why: 'no access token accepted' },
  { type: 'parameterInvalid', status: 404, code: 'GW_SRC_NOT_FOUND', why: 'object not found (wrong group, person or school id)' },
  { type: 'parameterInvalid', code: 'GW_SRC_PROTOCOL', why: 'the API rejected a parameter' },
  { type: 'invalidRequest', code: 'GW_SRC_PROTOCOL', why: 'the API rejected the request' },
  { type: 'apiServerError', code: 'GW_SRC_UNAVAILABLE', why: 'server error' },
  { type: 'apiUnknownError', status: [500, 599], code: 'GW_SRC_UNAVAILABLE', why: 'unknown server error' },
  { type: 'apiUnknownError', code: 'GW_SRC_PROTOCOL', why: 'unknown API error' },
  { status: 401, code: 'GW_SRC_AUTH_FAILED', why: 'access token refused or expired' },
  { status: 403, code: 'GW_SRC_AUTH_FAILED', why: 'the token lacks a scope or rights for this object' },
  { status: 404, code: 'GW_SRC_NOT_FOUND', why: 'unknown object or endpoint' },
  { status: 408, code: 'GW_SRC_TIMEOUT', why: 'server-side timeout' },
  { status: 550, code: 'GW_SRC_UNAVAILABLE', why: 'maintenance («Server Work»)' },
  { status: [500, 599], code: 'GW_SRC_UNAVAILABLE', why: 'server error or maintenance' },
  { status: [400, 499], code: 'GW_SRC_PROTOCOL', why: 'request refused' },
];

/** What no row matches (a JSON error `type` on a 2xx we do not know, an odd status). */
export const DNEVNIK_FALLBACK: ErrorCode = 'GW_SRC_PROTOCOL';

function statusMatches(rule: Rule['status'], status: number | undefined): boolean {
  if (rule === undefined) return true;
  if (status === undefined) return false;
  return typeof rule === 'number' ? rule === status : status >= rule[0] && status <= rule[1];
}

/** The table lookup: pure, unit-tested row by row. */
export function classifyDnevnik(f: DnevnikFailure): { code: ErrorCode; why: string } {
  for (const r of DNEVNIK_ERROR_TABLE) {
    if (r.signal !== undefined ? r.signal !== f.signal : f.signal !== undefined) continue;
    if (r.type !== undefined && r.type !== f.type) continue;
    if (!statusMatches(r.status, f.status)) continue;
    return { code: r.code, why: r.why };
  }
  return { code: DNEVNIK_FALLBACK, why: 'unexpected answer' };
}

/**
 * A GatewayError for a failed call. The message names the path template, status and vendor
 * type only: `description` texts may quote ids or names and are never copied.
 */
export function dnevnikError(
  f: DnevnikFailure,
  extra: { pathTemplate?: string; retryAfter?: string; now?: Date; cause?: unknown } = {},
): GatewayError {
  const { code, why } = classifyDnevnik(f);
  const status = f.status !== undefined ? ` HTTP ${f.status}` : '';
  const type = f.type !== undefined && (DNEVNIK_ERROR_TYPES as readonly string[]).includes(f.type) ? ` (${f.type})` : f.html ? ' (HTML page)' : '';
  const retryAfterMs = f.status === 429 || (f.status ?? 0) >= 500 ? parseRetryAfter(extra.retryAfter, extra.now ?? new Date()) : undefined;
  return new GatewayError(code, `Дневник.ру ${extra.pathTemplate ?? 'call'}${status}${type}: ${why}`, {
    ...(f.status !== undefined ? { httpStatus: f.status } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(extra.cause !== undefined ? { cause: extra.cause } : {}),
  });
}
