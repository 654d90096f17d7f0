import type { HttpClient } from '../../src/core/http';
import type { Logger } from '../../src/core/logger';
import { netschoolError } from './errors';

export interface MobileClientDeps {
  http: HttpClient;
  log: Logger;
  now(): Date;
}

const is2xx = (status: number): boolean => status >= 200 && status < 300;

/**
 * The NetSchool mobile API (`/api/mobile`, §1.8) with a bearer token. No session dance:
 * a refused token is a config problem (GW_SRC_AUTH_FAILED), everything else goes through
 * the same error table.
 */
export class NetschoolMobileClient {
  constructor(
    private readonly base: string,
    private readonly token: string,
    private readonly deps: MobileClientDeps,
    private readonly timeoutMs?: number,
  ) {}

  async get<T>(path: string, params: Record<string, string | readonly string[]>, pathTemplate: string): Promise<T> {
    const url = new URL(`${this.base.replace(/\/+$/, '')}/${path}`);
    for (const [k, v] of Object.entries(params)) for (const x of typeof v === 'string' ? [v] : v) url.searchParams.append(k, x);
    const res = await this.deps.http.request<unknown>({
      method: 'GET', url: url.toString(), pathTemplate, responseType: 'text',
      headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' },
      ...(this.timeoutMs ? { timeoutMs: this.timeoutMs } : {}),
    });
    if (!is2xx(res.status)) {
      throw netschoolError({ op: 'mobile', status: res.status }, { pathTemplate, retryAfter: res.headers['retry-after'], now: this.deps.now() });
    }
    if (typeof res.data !== 'string') return res.data as T;
    try {
      return JSON.parse(res.data) as T;
    } catch (e) {
      throw netschoolError({ op: 'mobile', signal: 'bad-body', status: res.status }, { pathTemplate, cause: e });
    }
  }
}
