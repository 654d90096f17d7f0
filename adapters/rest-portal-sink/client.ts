/**
 * HTTP side of the REST portal sink: builds requests, reads answers, and turns them into
 * outcomes or errors through the tables in errors.ts.
 *
 * Every request goes out with `maxAttempts: 1`: the delivery loop owns retries for sinks,
 * with backoff persisted on the ledger row, so a second retry layer here would only hide
 * attempts from the audit trail.
 */
import type { CheckResult, DeliveryItem, DeliveryOutcome } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import type { HttpClient, HttpResponse } from '../../src/core/http';
import type { Logger } from '../../src/core/logger';
import { batchError, itemError, transportError } from './errors';
import {
  HEALTH_PATH,
  batchIdempotencyKey,
  type WireBatchRequest,
  type WireItem,
  type WireReason,
} from './protocol';
import type { ResolvedRestPortalConfig } from './spec';

export interface RestPortalClientDeps {
  http: HttpClient;
  config: ResolvedRestPortalConfig;
  log: Logger;
  now(): Date;
}

/** Counts of one answered batch, for logs (no keys, no payloads). */
export interface BatchSummary {
  items: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Items with no (usable) result in the answer. */
  missing: number;
  /** Results naming a key that was not sent, or repeating one. */
  stray: number;
}

export class RestPortalClient {
  constructor(private readonly deps: RestPortalClientDeps) {}

  /**
   * Sends one request with `items` (the caller keeps it within maxBatchSize).
   * Returns one outcome per item, in input order. Throws GatewayError when the whole
   * request failed (auth, 429, 5xx, timeout, malformed answer).
   */
  async pushChunk(items: readonly DeliveryItem[]): Promise<DeliveryOutcome[]> {
    const { config, log } = this.deps;
    const body: WireBatchRequest = { items: items.map(toWireItem) };
    const res = await this.send({
      method: 'POST',
      url: config.baseUrl + config.batchPath,
      pathTemplate: config.batchPath,
      headers: {
        'Content-Type': 'application/json',
        'Idempotency-Key': batchIdempotencyKey(items.map((i) => i.key)),
      },
      body,
    });
    if (res.status !== 200) throw batchError('batch', res, this.deps.now());
    const { outcomes, summary } = readBatchResponse(res.data, items);
    const level = summary.missing > 0 || summary.stray > 0 ? 'warn' : 'debug';
    log[level]('rest portal batch answered', { ...summary });
    return outcomes;
  }

  /** `GET /api/v1/health` with the token: proves reachability and that the token is accepted. */
  async health(): Promise<CheckResult> {
    const { config } = this.deps;
    let res: HttpResponse<unknown>;
    try {
      res = await this.send({ method: 'GET', url: config.baseUrl + HEALTH_PATH, pathTemplate: HEALTH_PATH });
    } catch (e) {
      return { ok: false, error: e instanceof GatewayError ? e : transportError(e) };
    }
    if (res.status !== 200) return { ok: false, error: batchError('health', res, this.deps.now()) };
    const parsed = parseJson(res.data);
    const version = isObject(parsed) && typeof parsed.version === 'string' ? parsed.version : undefined;
    return version ? { ok: true, details: { portalVersion: version } } : { ok: true };
  }

  private async send(req: {
    method: 'GET' | 'POST';
    url: string;
    pathTemplate: string;
    headers?: Record<string, string>;
    body?: unknown;
  }): Promise<HttpResponse<unknown>> {
    const { http, config } = this.deps;
    try {
      return await http.request<unknown>({
        ...req,
        headers: { Accept: 'application/json', ...req.headers, Authorization: `Bearer ${config.token}` },
        // Text, parsed here: a malformed body must become GW_SINK_PROTOCOL whatever the client does with bad JSON.
        responseType: 'text',
        timeoutMs: config.timeoutMs,
        maxAttempts: 1,
      });
    } catch (e) {
      throw transportError(e);
    }
  }
}

export function toWireItem(item: DeliveryItem): WireItem {
  return {
    idempotencyKey: item.key,
    recordId: item.recordId,
    entityType: item.entityType,
    schoolId: item.schoolId,
    revision: item.revision,
    status: item.status,
    record: item.payload,
  };
}

/**
 * Reads a 200 answer. A body that is not `{results: [...]}` throws GW_SINK_PROTOCOL;
 * a result that is unusable, or missing, fails only its item (with GW_SINK_PROTOCOL), since
 * the item keys make a re-send safe.
 */
export function readBatchResponse(
  data: unknown,
  items: readonly DeliveryItem[],
): { outcomes: DeliveryOutcome[]; summary: BatchSummary } {
  const body = parseJson(data);
  if (!isObject(body) || !Array.isArray(body.results)) {
    throw new GatewayError('GW_SINK_PROTOCOL', 'REST portal answered 200 without a results array', {
      httpStatus: 200,
    });
  }
  const sentKeys = new Set(items.map((i) => i.key));
  const byKey = new Map<string, DeliveryOutcomeBody>();
  const summary: BatchSummary = { items: items.length, accepted: 0, duplicates: 0, rejected: 0, missing: 0, stray: 0 };

  for (const r of body.results) {
    if (!isObject(r) || typeof r.idempotencyKey !== 'string') {
      summary.stray++;
      continue;
    }
    const key = r.idempotencyKey;
    if (!sentKeys.has(key) || byKey.has(key)) {
      summary.stray++;
      continue;
    }
    const remoteRef = typeof r.remoteId === 'string' && r.remoteId !== '' ? r.remoteId : undefined;
    if (r.status === 'accepted') {
      byKey.set(key, { status: 'delivered', ...(remoteRef ? { remoteRef } : {}) });
    } else if (r.status === 'duplicate') {
      byKey.set(key, { status: 'delivered', duplicate: true, ...(remoteRef ? { remoteRef } : {}) });
    } else if (r.status === 'rejected') {
      byKey.set(key, { status: 'failed', error: itemError(readReason(r.reason)) });
    } else {
      byKey.set(key, {
        status: 'failed',
        error: new GatewayError('GW_SINK_PROTOCOL', 'REST portal answered an unknown item status', {
          context: { itemStatus: typeof r.status === 'string' ? r.status.slice(0, 40) : typeof r.status },
        }),
      });
    }
  }

  const outcomes = items.map((item): DeliveryOutcome => {
    const o = byKey.get(item.key);
    if (!o) {
      summary.missing++;
      return {
        deliveryId: item.deliveryId,
        status: 'failed',
        error: new GatewayError('GW_SINK_PROTOCOL', 'REST portal answer has no result for this item', {
          httpStatus: 200,
        }),
      };
    }
    if (o.status === 'failed') {
      if (o.error.code === 'GW_SINK_PROTOCOL') summary.missing++;
      else summary.rejected++;
      return { deliveryId: item.deliveryId, status: 'failed', error: o.error };
    }
    if (o.duplicate) summary.duplicates++;
    else summary.accepted++;
    return { deliveryId: item.deliveryId, ...o };
  });
  return { outcomes, summary };
}

type DeliveryOutcomeBody =
  | { status: 'delivered'; remoteRef?: string; duplicate?: boolean }
  | { status: 'failed'; error: GatewayError };

function readReason(v: unknown): WireReason | undefined {
  if (!isObject(v) || typeof v.code !== 'string') return undefined;
  return {
    code: v.code,
    message: typeof v.message === 'string' ? v.message : v.code,
    ...(typeof v.path === 'string' ? { path: v.path } : {}),
  };
}

function parseJson(data: unknown): unknown {
  if (typeof data !== 'string') return Buffer.isBuffer(data) ? parseJson(data.toString('utf8')) : data;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
