import type { HttpClient, HttpRequest, HttpResponse } from '../../src/core/http';
import type { Logger } from '../../src/core/logger';
import { DNEVNIK_ERROR_TYPES, dnevnikError } from './errors';
import { parseLossless } from './json';

export interface DnevnikClientConfig {
  baseUrl: string;
  accessToken: string;
  timeoutMs?: number;
}

export interface DnevnikClientDeps {
  http: HttpClient;
  log: Logger;
  now(): Date;
}

/** Statuses retried inside one call: the HTTP client's defaults plus 550 «Server Work» (maintenance, §2.5). */
export const DNEVNIK_RETRY_ON = [429, 502, 503, 504, 550];

const is2xx = (s: number): boolean => s >= 200 && s < 300;

function isHtml(res: HttpResponse<unknown>): boolean {
  const type = res.headers['content-type'] ?? '';
  return type.includes('text/html') || (typeof res.data === 'string' && /^\s*<(!doctype|html)/i.test(res.data));
}

/** A JSON error body `{type, description}` (also on 200, as the mobile API does). */
export function errorTypeOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const o = body as Record<string, unknown>;
  const type = o.type ?? o.Type;
  if (typeof type !== 'string') return undefined;
  if (!('description' in o) && !('Description' in o)) return undefined;
  return (DNEVNIK_ERROR_TYPES as readonly string[]).includes(type) ? type : undefined;
}

/**
 * Дневник.ру partners API v2 (sources §2): `Access-Token` header on every call, bodies read as
 * text and parsed losslessly (ids beyond 2^53), errors from a JSON `{type, description}` or an
 * HTML error page classified by the table in errors.ts. Retries of 429/5xx are the HTTP client's
 * (it honours Retry-After); there is no session to renew, so a 401 is final.
 */
export class DnevnikClient {
  readonly api: string;

  constructor(private readonly cfg: DnevnikClientConfig, private readonly deps: DnevnikClientDeps) {
    this.api = `${cfg.baseUrl.replace(/\/+$/, '')}/v2`;
  }

  /** GET `/v2/<path>`; `pathTemplate` (e.g. `/v2/edu-groups/{g}/marks/{from}/{to}`) is what gets logged. */
  async get<T = unknown>(path: string, pathTemplate: string, params?: HttpRequest['params']): Promise<T> {
    const res = await this.deps.http.request<unknown>({
      method: 'GET', url: `${this.api}/${path}`, pathTemplate, responseType: 'text',
      headers: { 'Access-Token': this.cfg.accessToken, Accept: 'application/json' },
      retryOn: DNEVNIK_RETRY_ON,
      ...(params ? { params } : {}),
      ...(this.cfg.timeoutMs ? { timeoutMs: this.cfg.timeoutMs } : {}),
    });
    const retry = { pathTemplate, retryAfter: res.headers['retry-after'], now: this.deps.now() };
    const html = isHtml(res);
    let body: unknown;
    let parseError: unknown;
    if (!html) {
      const text = typeof res.data === 'string' ? res.data.trim() : undefined;
      if (text === undefined) body = res.data;
      else if (text !== '') {
        try { body = parseLossless(text); } catch (e) { parseError = e; }
      }
    }
    if (!is2xx(res.status)) {
      const type = errorTypeOf(body);
      throw dnevnikError({ status: res.status, ...(type ? { type } : {}), ...(html ? { html } : {}) }, retry);
    }
    if (html || parseError !== undefined) {
      throw dnevnikError({ status: res.status, signal: 'bad-body', html }, { ...retry, cause: parseError });
    }
    const type = errorTypeOf(body);
    if (type) throw dnevnikError({ status: res.status, type }, retry);
    return body as T;
  }
}
