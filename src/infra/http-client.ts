import axios, { AxiosError, type AxiosInstance } from 'axios';
import http from 'node:http';
import https from 'node:https';
import { GatewayError } from '../core/errors';
import { parseRetryAfter, type HttpClient, type HttpRequest, type HttpResponse } from '../core/http';
import type { Logger } from '../core/logger';
import { backoffDelay, type BackoffPolicy } from '../pipeline/backoff';

export interface HttpClientOptions {
  log: Logger;
  sleep(ms: number): Promise<void>;
  now(): Date;
  timeoutMs?: number;
  /** Attempts including the first, for requests that do not say. */
  maxAttempts?: number;
  userAgent?: string;
  /** Backoff between attempts (short: these are retries inside one call). */
  backoff?: BackoffPolicy;
  /** Which side we are, for error codes: 'source' → GW_SRC_*, 'sink' → GW_SINK_*. */
  side?: 'source' | 'sink';
  signal?: AbortSignal;
}

const DEFAULT_RETRY_ON = [429, 502, 503, 504];
/** In-call retries are short; the scheduler and the delivery loop own the long waits. */
const DEFAULT_INCALL_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 10_000, maxRetryAfterMs: 120_000 };

function hostOf(url: string): string {
  try { return new URL(url).host; } catch { return 'invalid-url'; }
}

function flattenHeaders(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (h && typeof h === 'object') {
    for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
      if (v === undefined || v === null) continue;
      out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    }
  }
  return out;
}

/**
 * The HttpClient of src/core/http.ts on axios with keep-alive agents.
 * Logs method, host, path template, status, duration and attempt, never headers or bodies.
 */
export function createHttpClient(opts: HttpClientOptions): HttpClient {
  const side = opts.side ?? 'source';
  const instance: AxiosInstance = axios.create({
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 16 }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 16 }),
    validateStatus: () => true,
    maxRedirects: 5,
    headers: { 'User-Agent': opts.userAgent ?? 'diary-gateway' },
    // Axios must not throw on body parse problems: adapters judge bodies.
    transitional: { silentJSONParsing: true, forcedJSONParsing: true, clarifyTimeoutError: true },
  });

  async function once<T>(req: HttpRequest): Promise<HttpResponse<T>> {
    const isBuffer = Buffer.isBuffer(req.body);
    const res = await instance.request({
      method: req.method,
      url: req.url,
      headers: req.headers,
      params: req.params,
      data: req.body,
      timeout: req.timeoutMs ?? opts.timeoutMs ?? 30_000,
      responseType: req.responseType === 'buffer' ? 'arraybuffer' : req.responseType === 'text' ? 'text' : 'json',
      signal: opts.signal,
      ...(isBuffer ? { transformRequest: [(d: unknown) => d] } : {}),
    });
    let data: unknown = res.data;
    if (req.responseType === 'buffer') data = Buffer.from(res.data as ArrayBuffer);
    return { status: res.status, headers: flattenHeaders(res.headers), data: data as T, attempts: 1 };
  }

  function networkError(e: unknown, req: HttpRequest): GatewayError {
    const ax = e as AxiosError;
    const timedOut = ax?.code === 'ECONNABORTED' || ax?.code === 'ETIMEDOUT';
    const where = `${req.method} ${hostOf(req.url)}${req.pathTemplate ?? ''}`;
    if (timedOut) {
      return new GatewayError(side === 'source' ? 'GW_SRC_TIMEOUT' : 'GW_SINK_TIMEOUT', `${where} timed out`, { cause: e });
    }
    return new GatewayError(side === 'source' ? 'GW_SRC_NETWORK' : 'GW_SINK_UNAVAILABLE',
      `${where} failed: ${ax?.code ?? (e instanceof Error ? e.message : 'network error')}`, { cause: e });
  }

  return {
    async request<T>(req: HttpRequest): Promise<HttpResponse<T>> {
      const maxAttempts = Math.max(1, req.maxAttempts ?? opts.maxAttempts ?? 4);
      const retryOn = req.retryOn ?? DEFAULT_RETRY_ON;
      const path = req.pathTemplate ?? (() => { try { return new URL(req.url).pathname; } catch { return ''; } })();
      for (let attempt = 1; ; attempt++) {
        const started = Date.now();
        let res: HttpResponse<T> | undefined;
        let err: GatewayError | undefined;
        try {
          res = await once<T>(req);
        } catch (e) {
          if (opts.signal?.aborted) throw new GatewayError('GW_INTERNAL', 'aborted', { cause: e });
          err = networkError(e, req);
        }
        const durationMs = Date.now() - started;
        opts.log.debug('http', { method: req.method, host: hostOf(req.url), path, status: res?.status, durationMs, attempt, error: err?.code });
        const retryable = err !== undefined || (res !== undefined && retryOn.includes(res.status));
        if (!retryable || attempt >= maxAttempts) {
          if (err) throw err;
          return { ...(res as HttpResponse<T>), attempts: attempt };
        }
        const retryAfter = res ? parseRetryAfter(res.headers['retry-after'], opts.now()) : undefined;
        const delay = backoffDelay(attempt, opts.backoff ?? DEFAULT_INCALL_BACKOFF, retryAfter);
        opts.log.info('http retry', { method: req.method, host: hostOf(req.url), path, status: res?.status, error: err?.code, attempt, delayMs: delay });
        await opts.sleep(delay);
      }
    },
  };
}
