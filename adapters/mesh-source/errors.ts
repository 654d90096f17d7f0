import type { ErrorCode } from '../../src/core/error-codes';
import { GatewayError } from '../../src/core/errors';
import { parseRetryAfter } from '../../src/core/http';

/** Which МЭШ call failed: the profile call doubles as the credentials check. */
export type MeshOp = 'profile' | 'family' | 'events';

/** What the error body looked like (sources §4.5: JSON `{type, description, details}` or an HTML page). */
export type MeshBodyKind = 'json' | 'html' | 'empty' | 'other';

export type MeshSignal =
  /** The «Предыдущая сессия работы в ЭЖД завершена» answer: the token's session is over. */
  | 'session-ended'
  /** A 2xx body that is not the JSON expected. */
  | 'bad-body';

export interface MeshFailure {
  op: MeshOp;
  status?: number;
  body?: MeshBodyKind;
  /** `type` of a JSON error body, lower-cased. */
  vendorType?: string;
  signal?: MeshSignal;
}

interface Rule {
  op?: MeshOp;
  status?: number | readonly [number, number];
  body?: MeshBodyKind;
  vendorType?: RegExp;
  signal?: MeshSignal;
  code: ErrorCode;
  why: string;
}

/**
 * Vendor signal → ErrorCode, first match wins. The token comes from config and the adapter
 * cannot renew it (no OAuth flow here), so a refused or ended token is a permanent
 * GW_SRC_AUTH_FAILED: a person must put a fresh token in. Sources: §4.2 (session-ended text,
 * mosreg 499 on refresh), §4.5 (JSON and HTML error bodies; 403 HTML after API changes).
 */
export const MESH_ERROR_TABLE: readonly Rule[] = [
  { signal: 'session-ended', code: 'GW_SRC_AUTH_FAILED', why: 'the MESH session ended; put a fresh token in the config' },
  { signal: 'bad-body', code: 'GW_SRC_PROTOCOL', why: 'body is not the JSON expected' },
  { status: 401, code: 'GW_SRC_AUTH_FAILED', why: 'token refused' },
  { status: 499, code: 'GW_SRC_AUTH_FAILED', why: 'token refused (mosreg 499)' },
  { status: 403, body: 'html', code: 'GW_SRC_PROTOCOL', why: 'HTML 403 page: endpoint closed or needs other headers (API changed?)' },
  { status: 403, code: 'GW_SRC_AUTH_FAILED', why: 'the token or profile-id lacks rights' },
  { status: 404, body: 'json', vendorType: /not.?found/, code: 'GW_SRC_NOT_FOUND', why: 'student or profile unknown' },
  { status: 404, code: 'GW_SRC_PROTOCOL', why: 'unknown endpoint (host or API version?)' },
  { status: 408, code: 'GW_SRC_TIMEOUT', why: 'server-side timeout' },
  { status: 429, code: 'GW_SRC_RATE_LIMITED', why: 'rate limited' },
  { status: [500, 599], code: 'GW_SRC_UNAVAILABLE', why: 'server error or maintenance' },
  { status: [400, 400], code: 'GW_SRC_PROTOCOL', why: 'request refused as malformed' },
];

/** What no row matches. */
export const MESH_FALLBACK: ErrorCode = 'GW_SRC_PROTOCOL';

function statusMatches(rule: Rule['status'], status: number | undefined): boolean {
  if (rule === undefined) return true;
  if (status === undefined) return false;
  return typeof rule === 'number' ? rule === status : status >= rule[0] && status <= rule[1];
}

export function classifyMesh(f: MeshFailure): { code: ErrorCode; why: string } {
  for (const r of MESH_ERROR_TABLE) {
    if (r.signal !== undefined && r.signal !== f.signal) continue;
    if (r.signal === undefined && f.signal !== undefined) continue;
    if (r.op !== undefined && r.op !== f.op) continue;
    if (!statusMatches(r.status, f.status)) continue;
    if (r.body !== undefined && r.body !== f.body) continue;
    if (r.vendorType !== undefined && !(f.vendorType !== undefined && r.vendorType.test(f.vendorType))) continue;
    return { code: r.code, why: r.why };
  }
  return { code: MESH_FALLBACK, why: 'unexpected answer' };
}

/** A GatewayError for a failed МЭШ call; the message names the call, status and vendor `type` only. */
export function meshError(
  f: MeshFailure,
  extra: { pathTemplate?: string; retryAfter?: string; now?: Date; cause?: unknown } = {},
): GatewayError {
  const { code, why } = classifyMesh(f);
  const where = extra.pathTemplate ?? f.op;
  const status = f.status !== undefined ? ` HTTP ${f.status}` : '';
  const type = f.vendorType ? ` (${f.vendorType.slice(0, 40)})` : '';
  const retryAfterMs = f.status === 429 || (f.status ?? 0) >= 500
    ? parseRetryAfter(extra.retryAfter, extra.now ?? new Date())
    : undefined;
  return new GatewayError(code, `МЭШ ${where}${status}${type}: ${why}`, {
    ...(f.status !== undefined ? { httpStatus: f.status } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(extra.cause !== undefined ? { cause: extra.cause } : {}),
  });
}
