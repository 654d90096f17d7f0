/**
 * Declarative error tables of the REST portal sink: portal signal → ErrorCode.
 *
 * Three tables, each with one fallback, read top to bottom (first match wins):
 * - BATCH_ERROR_TABLE: HTTP status (+ optional portal error code) of a whole-request answer;
 * - ITEM_REASON_TABLE: `reason.code` of a per-item `rejected` result;
 * - TRANSPORT_ERROR_TABLE: codes the shared HTTP client throws (network, timeout).
 * The README's "Error mapping" table mirrors these rows; a test keeps them in step.
 * Nothing here reads message text: behaviour follows codes only.
 */
import { GatewayError, type Issue } from '../../src/core/errors';
import type { ErrorCode } from '../../src/core/error-codes';
import { parseRetryAfter } from '../../src/core/http';
import type { WireReason } from './protocol';

export interface BatchErrorRule {
  /** One status, or an inclusive range. */
  status: number | readonly [number, number];
  /** When set, the rule matches only if the error body carries this portal code. */
  portalCode?: string;
  code: ErrorCode;
  why: string;
}

export const BATCH_ERROR_TABLE: readonly BatchErrorRule[] = [
  { status: 400, code: 'GW_SINK_PROTOCOL', why: 'the portal found the batch malformed: a gateway/portal version mismatch' },
  { status: 401, code: 'GW_SINK_AUTH_FAILED', why: 'token missing, unknown or expired' },
  { status: 403, code: 'GW_SINK_AUTH_FAILED', why: 'token valid but not allowed to write here' },
  { status: 404, code: 'GW_SINK_PROTOCOL', why: 'no such endpoint: wrong baseUrl or batchPath' },
  { status: 408, code: 'GW_SINK_TIMEOUT', why: 'the portal gave up waiting for the request' },
  {
    status: 409, portalCode: 'REQUEST_IN_PROGRESS', code: 'GW_SINK_UNAVAILABLE',
    why: 'a request with the same Idempotency-Key is still being applied; retry later',
  },
  { status: 413, code: 'GW_SINK_PROTOCOL', why: 'batch larger than the portal takes: lower maxBatchSize' },
  { status: 422, code: 'GW_SINK_PROTOCOL', why: 'the batch envelope failed the portal schema' },
  { status: 429, code: 'GW_SINK_RATE_LIMITED', why: 'slow down; Retry-After says for how long' },
  { status: [500, 599], code: 'GW_SINK_UNAVAILABLE', why: 'portal or its proxy failing' },
];
/** Anything else (3xx, other 4xx, a 2xx other than 200): we do not know what the portal meant. */
export const BATCH_ERROR_FALLBACK: ErrorCode = 'GW_SINK_PROTOCOL';

export interface ItemReasonRule {
  portalCode: string;
  code: ErrorCode;
  why: string;
}

export const ITEM_REASON_TABLE: readonly ItemReasonRule[] = [
  {
    portalCode: 'TEMPORARILY_UNAVAILABLE', code: 'GW_SINK_UNAVAILABLE',
    why: 'the portal could not apply this item now (lock, dependency down); the same key is retried',
  },
];
/** Every other reason (RECORD_INVALID, ENTITY_NOT_ACCEPTED, SCHOOL_UNKNOWN …) means the data is refused. */
export const ITEM_REASON_FALLBACK: ErrorCode = 'GW_SINK_REJECTED';

/** The shared HTTP client throws source-flavoured codes; a sink reports them as sink codes. */
export const TRANSPORT_ERROR_TABLE: Readonly<Partial<Record<ErrorCode, ErrorCode>>> = {
  GW_SRC_NETWORK: 'GW_SINK_UNAVAILABLE',
  GW_SRC_TIMEOUT: 'GW_SINK_TIMEOUT',
};

function statusMatches(rule: BatchErrorRule, status: number): boolean {
  if (typeof rule.status === 'number') return rule.status === status;
  return status >= rule.status[0] && status <= rule.status[1];
}

/** Looks a whole-request answer up in BATCH_ERROR_TABLE. */
export function batchErrorCode(status: number, portalCode?: string): ErrorCode {
  const rule = BATCH_ERROR_TABLE.find(
    (r) => statusMatches(r, status) && (r.portalCode === undefined || r.portalCode === portalCode),
  );
  return rule?.code ?? BATCH_ERROR_FALLBACK;
}

/** Looks a per-item rejection reason up in ITEM_REASON_TABLE. */
export function itemReasonCode(portalCode: string | undefined): ErrorCode {
  return ITEM_REASON_TABLE.find((r) => r.portalCode === portalCode)?.code ?? ITEM_REASON_FALLBACK;
}

/** What a non-200 body may tell us. Anything unparseable yields `{}`: the status alone decides. */
export function readErrorBody(data: unknown): { portalCode?: string; issues?: Issue[] } {
  let body: unknown = data;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return {};
    }
  }
  if (!isObject(body) || !isObject(body.error)) return {};
  const err = body.error;
  const out: { portalCode?: string; issues?: Issue[] } = {};
  if (typeof err.code === 'string') out.portalCode = err.code;
  if (Array.isArray(err.issues)) {
    const issues = err.issues
      .filter(isObject)
      .filter((i) => typeof i.path === 'string' && typeof i.message === 'string')
      .map((i) => ({ path: i.path as string, message: i.message as string }));
    if (issues.length > 0) out.issues = issues;
  }
  return out;
}

/** Builds the error thrown for a whole-request failure (push or check). */
export function batchError(
  op: 'batch' | 'health',
  res: { status: number; headers: Record<string, string>; data: unknown },
  now: Date,
): GatewayError {
  const { portalCode, issues } = readErrorBody(res.data);
  const code = batchErrorCode(res.status, portalCode);
  const retryAfterMs = parseRetryAfter(headerValue(res.headers, 'retry-after'), now);
  return new GatewayError(
    code,
    `REST portal answered HTTP ${res.status}${portalCode ? ` ${portalCode}` : ''} to the ${op} request`,
    {
      httpStatus: res.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(issues ? { issues } : {}),
      context: { portalCode },
    },
  );
}

/** Builds the per-item error of a `rejected` result. */
export function itemError(reason: WireReason | undefined): GatewayError {
  const code = itemReasonCode(reason?.code);
  const issues: Issue[] = reason
    ? [{ path: reason.path ?? '', message: reason.message }]
    : [{ path: '', message: 'rejected without a reason' }];
  return new GatewayError(code, `REST portal rejected the item${reason ? ` (${reason.code})` : ''}`, {
    issues,
    context: { portalCode: reason?.code },
  });
}

/** Maps what the HTTP client threw to a sink error. Unknown throwables stay GW_INTERNAL (a bug). */
export function transportError(e: unknown): GatewayError {
  if (!(e instanceof GatewayError)) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return new GatewayError('GW_INTERNAL', `HTTP client threw a non-gateway error: ${msg}`, { cause: e });
  }
  const mapped = TRANSPORT_ERROR_TABLE[e.code];
  if (!mapped) return e;
  return new GatewayError(mapped, `REST portal unreachable: ${e.message}`, { ...e.opts, cause: e });
}

export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === want) return v;
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
