/**
 * Declarative error table of the OneRoster sink: what a consumer's answer means, by exchange
 * (token, PUT, DELETE), HTTP status, the `imsx_codeMinorFieldValue` of an imsx_StatusInfo body
 * and the RFC 6749 `error` of a token answer. First match wins; one fallback. The README's
 * "Error mapping" table mirrors these rows (a test keeps them in step).
 *
 * Effects: `throw` fails the whole push (the delivery loop retries it, the breaker watches
 * outages); `item` fails only this record (invalid_data → rejected; retryable → retried with
 * backoff, dead after the attempts); `gone` is a DELETE of what is not there (delivered).
 * Nothing here reads message text.
 */
import type { ErrorCode } from '../../src/core/error-codes';
import { GatewayError } from '../../src/core/errors';
import { parseRetryAfter } from '../../src/core/http';

export type Exchange = 'token' | 'put' | 'delete';
export type Effect = 'throw' | 'item' | 'gone';

export interface ErrorRule {
  op?: Exchange;
  status?: number | readonly [number, number];
  codeMinor?: string;
  oauthError?: string;
  effect: Effect;
  code?: ErrorCode;
  why: string;
}

const AUTH: ErrorCode = 'GW_SINK_AUTH_FAILED';

export const ONEROSTER_SINK_ERROR_TABLE: readonly ErrorRule[] = [
  { op: 'token', oauthError: 'invalid_client', effect: 'throw', code: AUTH, why: 'client id or secret refused' },
  { op: 'token', oauthError: 'unauthorized_client', effect: 'throw', code: AUTH, why: 'client may not use client credentials' },
  { op: 'token', oauthError: 'invalid_grant', effect: 'throw', code: AUTH, why: 'grant refused' },
  { op: 'token', oauthError: 'invalid_scope', effect: 'throw', code: AUTH, why: 'a requested scope (gradebook.createput …) is not granted' },
  { op: 'token', oauthError: 'unsupported_grant_type', effect: 'throw', code: 'GW_SINK_PROTOCOL', why: 'endpoint does not do client credentials' },
  { op: 'token', status: [400, 403], effect: 'throw', code: AUTH, why: 'token request refused' },
  { op: 'token', status: 404, effect: 'throw', code: 'GW_SINK_PROTOCOL', why: 'no token endpoint at authUrl' },
  { op: 'delete', status: 404, codeMinor: 'unknownobject', effect: 'gone', why: 'already deleted, or never delivered' },
  { status: 401, effect: 'throw', code: AUTH, why: 'a fresh access token was refused' },
  { status: 403, effect: 'throw', code: AUTH, why: 'scope not granted for this write' },
  { status: 404, codeMinor: 'unknownobject', effect: 'item', code: 'GW_SINK_UNAVAILABLE', why: 'the consumer lacks an object this one refers to (its line item or category); retried' },
  { status: 404, effect: 'throw', code: 'GW_SINK_PROTOCOL', why: 'no such endpoint: check baseUrl and the service paths' },
  { status: 405, effect: 'item', code: 'GW_SINK_REJECTED', why: 'the consumer takes no writes to this collection (read-only rostering)' },
  { status: 501, effect: 'item', code: 'GW_SINK_REJECTED', why: 'the consumer takes no writes to this collection' },
  { status: 408, effect: 'throw', code: 'GW_SINK_TIMEOUT', why: 'the consumer gave up waiting for the request' },
  { codeMinor: 'server_busy', effect: 'throw', code: 'GW_SINK_RATE_LIMITED', why: 'consumer busy' },
  { status: 400, effect: 'item', code: 'GW_SINK_REJECTED', why: 'the consumer refused the object as invalid' },
  { status: 422, effect: 'item', code: 'GW_SINK_REJECTED', why: 'the consumer refused the object as semantically wrong' },
  { status: 429, effect: 'throw', code: 'GW_SINK_RATE_LIMITED', why: 'slow down; Retry-After says for how long' },
  { status: [500, 599], effect: 'throw', code: 'GW_SINK_UNAVAILABLE', why: 'consumer failing' },
];
/** Anything else (3xx, other 4xx, a token answer without a token): we do not know what the consumer meant. */
export const ONEROSTER_SINK_FALLBACK: ErrorCode = 'GW_SINK_PROTOCOL';

/** The shared HTTP client may throw source-flavoured codes; a sink reports them as sink codes. */
export const TRANSPORT_ERROR_TABLE: Readonly<Partial<Record<ErrorCode, ErrorCode>>> = {
  GW_SRC_NETWORK: 'GW_SINK_UNAVAILABLE',
  GW_SRC_TIMEOUT: 'GW_SINK_TIMEOUT',
};

export interface Failure { op: Exchange; status: number; codeMinor?: string; oauthError?: string }

function statusMatches(rule: ErrorRule['status'], status: number): boolean {
  if (rule === undefined) return true;
  return typeof rule === 'number' ? rule === status : status >= rule[0] && status <= rule[1];
}

/** Pure table lookup. */
export function classify(f: Failure): { effect: Effect; code: ErrorCode; why: string } {
  for (const r of ONEROSTER_SINK_ERROR_TABLE) {
    if (r.op !== undefined && r.op !== f.op) continue;
    if (r.codeMinor !== undefined && r.codeMinor !== f.codeMinor) continue;
    if (r.oauthError !== undefined && r.oauthError !== f.oauthError) continue;
    if (!statusMatches(r.status, f.status)) continue;
    return { effect: r.effect, code: r.code ?? ONEROSTER_SINK_FALLBACK, why: r.why };
  }
  return { effect: 'throw', code: ONEROSTER_SINK_FALLBACK, why: 'unexpected answer' };
}

const obj = (x: unknown): Record<string, unknown> | undefined => (typeof x === 'object' && x !== null && !Array.isArray(x) ? x as Record<string, unknown> : undefined);

/** `imsx_codeMinorFieldValue` and `imsx_description` of an imsx_StatusInfo body (also wrapped, as some servers send it). */
export function imsxOf(body: unknown): { codeMinor?: string; description?: string } {
  const root = obj(body);
  const info = obj(root?.imsx_statusInfo) ?? obj(root?.imsx_StatusInfo) ?? root;
  const fields = obj(info?.imsx_CodeMinor)?.imsx_codeMinorField;
  const v = obj(Array.isArray(fields) ? fields[0] : undefined)?.imsx_codeMinorFieldValue;
  const d = info?.imsx_description;
  return {
    ...(typeof v === 'string' && /^[a-z_]{1,40}$/.test(v) ? { codeMinor: v } : {}),
    ...(typeof d === 'string' && d.trim() !== '' ? { description: d.trim().slice(0, 500) } : {}),
  };
}

/** The RFC 6749 §5.2 `error` of a token answer. */
export function oauthErrorOf(body: unknown): string | undefined {
  const e = obj(body)?.error;
  return typeof e === 'string' && /^[a-z_]{1,40}$/.test(e) ? e : undefined;
}

/**
 * The GatewayError of a failed exchange. The message names the exchange, the object and the
 * status; the consumer's own words (imsx_description) go to `issues`, where the operator reads
 * the reason for a rejection.
 */
export function failureError(f: Failure, what: { where: string; path?: string; description?: string; retryAfter?: string; now: Date }): { effect: Effect; error: GatewayError } {
  const c = classify(f);
  const retryAfterMs = f.status === 429 || f.status >= 500 || f.codeMinor === 'server_busy' ? parseRetryAfter(what.retryAfter, what.now) : undefined;
  const minor = f.codeMinor ?? f.oauthError;
  const error = new GatewayError(c.code, `OneRoster consumer ${what.where}: HTTP ${f.status}${minor ? ` (${minor})` : ''}: ${c.why}`, {
    httpStatus: f.status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(c.effect === 'item' ? { issues: [{ path: what.path ?? '', message: what.description ?? c.why }] } : {}),
    context: { codeMinor: f.codeMinor },
  });
  return { effect: c.effect, error };
}

/** Maps what the HTTP client threw to a sink error; unknown throwables stay GW_INTERNAL (a bug). */
export function transportError(e: unknown, where: string): GatewayError {
  if (!(e instanceof GatewayError)) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return new GatewayError('GW_INTERNAL', `HTTP client threw a non-gateway error: ${msg}`, { cause: e });
  }
  const mapped = TRANSPORT_ERROR_TABLE[e.code];
  if (!mapped) return e;
  return new GatewayError(mapped, `OneRoster consumer unreachable (${where}): ${e.message}`, { ...e.opts, cause: e });
}
