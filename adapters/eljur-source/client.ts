import { GatewayError } from '../../src/core/errors';
import type { HttpClient, HttpResponse } from '../../src/core/http';
import type { Logger } from '../../src/core/logger';
import { wallClockToUtc } from './dates';
import { eljurError, type EljurOp } from './errors';
import type { EljurAuthMethod } from './spec';

/** What the client needs from the adapter config. */
export interface EljurClientConfig {
  baseUrl: string;
  vendor: string;
  devkey: string;
  login?: string;
  password?: string;
  authToken?: string;
  authMethod?: EljurAuthMethod;
  utcOffset?: string;
  renewBeforeMinutes?: number;
  timeoutMs?: number;
}

export interface EljurClientDeps {
  http: HttpClient;
  log: Logger;
  now(): Date;
}

/** Token state kept between calls and runs (by the adapter instance). */
export interface EljurTokenState {
  token?: string;
  /** Expiry as a UTC epoch ms, from `result.expires` (school wall clock). */
  expiresAt?: number;
  /** When we got the token (our clock), so a short-lived token is not renewed on every call. */
  issuedAt?: number;
}

export function newTokenState(): EljurTokenState {
  return {};
}

/** The `{response:{state, error, result}}` envelope (sources §3.3). */
export interface EljurEnvelope {
  state?: number;
  error?: string | null;
  result?: unknown;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Reads the envelope out of a body. `state` may be a numeric string on some deployments.
 * Undefined when the body is not an envelope at all.
 */
export function unwrapEnvelope(body: unknown): EljurEnvelope | undefined {
  if (!isObj(body) || !isObj(body.response)) return undefined;
  const r = body.response;
  const state = typeof r.state === 'number' ? r.state : typeof r.state === 'string' && /^\d{3}$/.test(r.state) ? Number(r.state) : undefined;
  const error = typeof r.error === 'string' && r.error.trim() !== '' ? r.error : null;
  return { ...(state !== undefined ? { state } : {}), error, result: r.result };
}

const is2xx = (s: number): boolean => s >= 200 && s < 300;

/**
 * An ЭлЖур apiv3 client (sources §3.2–3.4): every call is `GET <baseUrl>/<method>` with
 * `devkey`, `vendor`, `out_format=json` and `auth_token` in the query; answers are enveloped.
 *
 * Quirks handled here, so streams never see them:
 * - errors arrive as HTTP 200 with `response.state` ≥ 400 and `response.error`, or as HTTP 4xx
 *   with the same envelope: both go through one table (errors.ts) on the effective state;
 * - the token is renewed before it expires (`expires` minus `renewBeforeMinutes`) and once
 *   more when a call is refused with state 401/403 (expired or revoked);
 * - `auth` is `POST` with a JSON body or `GET` with everything in the query (`authMethod`);
 * - a configured `authToken` cannot be renewed: its refusal is GW_SRC_AUTH_FAILED.
 * Never logs the query (devkey, token) or bodies.
 */
export class EljurClient {
  readonly base: string;

  constructor(
    private readonly cfg: EljurClientConfig,
    private readonly deps: EljurClientDeps,
    readonly state: EljurTokenState = newTokenState(),
  ) {
    this.base = cfg.baseUrl.replace(/\/+$/, '');
    if (!state.token && cfg.authToken && !cfg.login) state.token = cfg.authToken;
  }

  private get canLogin(): boolean {
    return Boolean(this.cfg.login && this.cfg.password);
  }

  private commonParams(): Record<string, string> {
    return { devkey: this.cfg.devkey, vendor: this.cfg.vendor, out_format: 'json' };
  }

  private async send(method: 'GET' | 'POST', name: string, params: Record<string, string | number | boolean | undefined>, body?: unknown): Promise<HttpResponse<unknown>> {
    return this.deps.http.request<unknown>({
      method, url: `${this.base}/${name}`, pathTemplate: `/${name}`, responseType: 'text',
      params: { ...this.commonParams(), ...params },
      headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(this.cfg.timeoutMs ? { timeoutMs: this.cfg.timeoutMs } : {}),
    });
  }

  /** Body → envelope, or the error the table gives for it. */
  private open(res: HttpResponse<unknown>, op: EljurOp, name: string): EljurEnvelope {
    let body: unknown = res.data;
    if (typeof body === 'string') {
      try {
        body = body.trim() === '' ? undefined : JSON.parse(body);
      } catch (e) {
        // An HTML error page with a failing status is that status; with 200 it is a protocol error.
        if (!is2xx(res.status)) throw this.failure(res, op, name, { state: res.status });
        throw eljurError({ op, signal: 'bad-body' }, { method: name, cause: e, httpStatus: res.status });
      }
    }
    const env = unwrapEnvelope(body);
    if (!env) {
      if (!is2xx(res.status)) throw this.failure(res, op, name, { state: res.status });
      throw eljurError({ op, signal: 'bad-body' }, { method: name, httpStatus: res.status });
    }
    const state = env.state ?? res.status;
    if (!is2xx(res.status) || state >= 400 || env.error) {
      throw this.failure(res, op, name, { state: state >= 400 ? state : res.status >= 400 ? res.status : 400, ...(env.error ? { errorText: env.error } : {}) });
    }
    return env;
  }

  private failure(res: HttpResponse<unknown>, op: EljurOp, name: string, f: { state: number; errorText?: string }): GatewayError {
    return eljurError({ op, ...f }, { method: name, retryAfter: res.headers['retry-after'], now: this.deps.now(), httpStatus: res.status });
  }

  get hasToken(): boolean {
    return this.state.token !== undefined;
  }

  private tokenFresh(): boolean {
    if (!this.state.token) return false;
    if (this.state.expiresAt === undefined) return true;
    // The margin never exceeds half the lifetime we saw: with a short token, or a server clock
    // ahead of ours, a fixed margin would renew on every call.
    const lifetime = this.state.issuedAt !== undefined ? this.state.expiresAt - this.state.issuedAt : Infinity;
    const margin = Math.min((this.cfg.renewBeforeMinutes ?? 60) * 60_000, Math.max(0, lifetime / 2));
    return this.deps.now().getTime() < this.state.expiresAt - margin;
  }

  /** `auth` with login and password; stores token and expiry. */
  async authenticate(): Promise<void> {
    this.state.token = undefined;
    this.state.expiresAt = undefined;
    this.state.issuedAt = undefined;
    if (!this.canLogin) {
      if (this.cfg.authToken) throw eljurError({ op: 'auth', signal: 'token-not-renewable' }, { method: 'auth' });
      throw new GatewayError('GW_CONFIG_INVALID', 'ЭлЖур config needs login and password, or authToken');
    }
    const creds = { login: this.cfg.login as string, password: this.cfg.password as string };
    const res = this.cfg.authMethod === 'get-query'
      ? await this.send('GET', 'auth', creds)
      : await this.send('POST', 'auth', {}, creds);
    const env = this.open(res, 'auth', 'auth');
    const result = isObj(env.result) ? env.result : undefined;
    const token = result && typeof result.token === 'string' && result.token !== '' ? result.token : undefined;
    if (!token) throw eljurError({ op: 'auth', signal: 'no-token' }, { method: 'auth', httpStatus: res.status });
    this.state.token = token;
    const expires = result ? wallClockToUtc(result.expires, this.cfg.utcOffset ?? '+03:00') : undefined;
    if (expires) {
      this.state.expiresAt = Date.parse(expires);
      this.state.issuedAt = this.deps.now().getTime();
    }
    this.deps.log.debug('eljur auth ok', { expiresInDays: this.state.expiresAt ? Math.round((this.state.expiresAt - this.deps.now().getTime()) / 86_400_000) : undefined });
  }

  /**
   * One data method: `GET <base>/<name>?devkey&vendor&out_format=json&auth_token&…` → `result`.
   * Renews an expiring token first and a refused one once.
   */
  async call<T = unknown>(name: string, params: Record<string, string | number | boolean | undefined> = {}): Promise<T> {
    if (!this.tokenFresh()) {
      if (this.state.token && !this.canLogin) throw eljurError({ op: 'data', signal: 'token-not-renewable' }, { method: name });
      await this.authenticate();
    }
    let renewed = false;
    for (;;) {
      const res = await this.send('GET', name, { ...params, auth_token: this.state.token });
      try {
        return this.open(res, 'data', name).result as T;
      } catch (e) {
        if (!(e instanceof GatewayError) || e.code !== 'GW_SRC_SESSION_EXPIRED') throw e;
        if (!this.canLogin) throw eljurError({ op: 'data', signal: 'token-not-renewable' }, { method: name, cause: e });
        if (renewed) throw eljurError({ op: 'data', signal: 'token-refused-after-renew' }, { method: name, cause: e });
        this.deps.log.info('eljur token refused, renewing', { method: name });
        renewed = true;
        await this.authenticate();
      }
    }
  }
}
