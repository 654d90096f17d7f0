/**
 * HTTP side of the OneRoster sink: OAuth 2 client credentials (token cached until `expires_in`
 * runs out, renewed once when a call is refused with 401) and one PUT or DELETE per step, its
 * answer classified through the table in errors.ts.
 *
 * Every request goes out with `maxAttempts: 1`: the delivery loop owns retries for sinks, with
 * backoff persisted on the ledger row, so every attempt is in the audit trail. Logs carry
 * method, path template, status and duration (the HTTP client's), never tokens, ids or bodies.
 */
import { GatewayError } from '../../src/core/errors';
import type { HttpClient, HttpResponse } from '../../src/core/http';
import type { Logger } from '../../src/core/logger';
import { COLLECTIONS } from './collections';
import { failureError, imsxOf, oauthErrorOf, transportError } from './errors';
import type { Step } from './plan';
import type { ResolvedOneRosterSinkConfig } from './spec';

export interface TokenState { token?: string; issuedAt?: number; expiresAt?: number }

export interface ClientDeps { http: HttpClient; log: Logger; now(): Date }

/** The answer to one step: done, already gone (DELETE), or this item failed (the push goes on). */
export type StepResult = { kind: 'ok'; status: number } | { kind: 'gone' } | { kind: 'item'; error: GatewayError };

/** Never use a token this close to its expiry (a call must not race it); half the lifetime for short tokens. */
const EXPIRY_MARGIN_MS = 30_000;

/** `application/x-www-form-urlencoded` value (RFC 6749 appendix B, also inside HTTP Basic). */
export function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function parseBody(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try { return data.trim() === '' ? undefined : JSON.parse(data); } catch { return undefined; }
}

export class OneRosterConsumerClient {
  constructor(
    private readonly cfg: ResolvedOneRosterSinkConfig,
    private readonly deps: ClientDeps,
    readonly state: TokenState,
  ) {}

  private fresh(): boolean {
    if (!this.state.token) return false;
    if (this.state.expiresAt === undefined) return true;
    const lifetime = this.state.issuedAt !== undefined ? this.state.expiresAt - this.state.issuedAt : Infinity;
    return this.deps.now().getTime() < this.state.expiresAt - Math.min(EXPIRY_MARGIN_MS, Math.max(0, lifetime / 2));
  }

  /** Asks the token endpoint for a new access token. Throws GatewayError (auth, outage, protocol). */
  async fetchToken(): Promise<void> {
    this.state.token = undefined;
    this.state.expiresAt = undefined;
    const { cfg } = this;
    const form = ['grant_type=client_credentials', `scope=${formEncode(cfg.scopes.join(' '))}`];
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
    if (cfg.clientAuth === 'basic') {
      headers.Authorization = `Basic ${Buffer.from(`${formEncode(cfg.clientId)}:${formEncode(cfg.clientSecret)}`).toString('base64')}`;
    } else {
      form.push(`client_id=${formEncode(cfg.clientId)}`, `client_secret=${formEncode(cfg.clientSecret)}`);
    }
    let res: HttpResponse<unknown>;
    try {
      res = await this.deps.http.request<unknown>({
        method: 'POST', url: cfg.authUrl, pathTemplate: '/token', headers, body: form.join('&'),
        responseType: 'text', timeoutMs: cfg.timeoutMs, maxAttempts: 1,
      });
    } catch (e) {
      throw transportError(e, 'token');
    }
    const body = parseBody(res.data);
    if (res.status < 200 || res.status >= 300) {
      const oauthError = oauthErrorOf(body);
      throw failureError({ op: 'token', status: res.status, ...(oauthError ? { oauthError } : {}) }, {
        where: 'token request', retryAfter: res.headers['retry-after'], now: this.deps.now(),
      }).error;
    }
    const rec = typeof body === 'object' && body !== null ? body as Record<string, unknown> : undefined;
    const token = typeof rec?.access_token === 'string' && rec.access_token !== '' ? rec.access_token : undefined;
    if (!token) {
      throw new GatewayError('GW_SINK_PROTOCOL', `OneRoster consumer token endpoint answered HTTP ${res.status} without an access_token`, { httpStatus: res.status });
    }
    const now = this.deps.now().getTime();
    const expiresIn = Number(rec?.expires_in);
    this.state.token = token;
    this.state.issuedAt = now;
    this.state.expiresAt = Number.isFinite(expiresIn) && expiresIn > 0 ? now + expiresIn * 1000 : undefined;
    this.deps.log.debug('oneroster consumer token ok', { expiresInSec: Number.isFinite(expiresIn) ? expiresIn : undefined });
  }

  urlOf(step: Step): { url: string; template: string } {
    const c = COLLECTIONS[step.collection];
    const base = c.service === 'gradebook' ? this.cfg.gradebookPath : this.cfg.rosteringPath;
    return {
      url: `${this.cfg.baseUrl}${base}/${step.collection}/${encodeURIComponent(step.sourcedId)}`,
      template: `${base}/${step.collection}/{sourcedId}`,
    };
  }

  private async once(step: Step): Promise<HttpResponse<unknown>> {
    const { url, template } = this.urlOf(step);
    const c = COLLECTIONS[step.collection];
    try {
      return await this.deps.http.request<unknown>({
        method: step.op === 'put' ? 'PUT' : 'DELETE', url, pathTemplate: template,
        headers: { Accept: 'application/json', Authorization: `Bearer ${this.state.token ?? ''}`, ...(step.op === 'put' ? { 'Content-Type': 'application/json' } : {}) },
        ...(step.op === 'put' ? { body: { [c.single]: step.body } } : {}),
        responseType: 'text', timeoutMs: this.cfg.timeoutMs, maxAttempts: 1,
      });
    } catch (e) {
      throw transportError(e, `${step.op.toUpperCase()} ${step.collection}`);
    }
  }

  /**
   * Sends one step. A 401 gets one fresh token and the step again. Returns ok/gone/item;
   * throws GatewayError when the answer fails the whole push (auth, outage, protocol).
   */
  async send(step: Step, where: string): Promise<StepResult> {
    if (!this.fresh()) await this.fetchToken();
    let res = await this.once(step);
    if (res.status === 401) {
      this.deps.log.info('oneroster consumer refused the token; renewing once', { collection: step.collection });
      await this.fetchToken();
      res = await this.once(step);
    }
    if (res.status >= 200 && res.status < 300) return { kind: 'ok', status: res.status };
    const imsx = imsxOf(parseBody(res.data));
    const f = failureError({ op: step.op, status: res.status, ...(imsx.codeMinor ? { codeMinor: imsx.codeMinor } : {}) }, {
      where, path: `/${step.collection}/${step.sourcedId}`, ...(imsx.description ? { description: imsx.description } : {}),
      retryAfter: res.headers['retry-after'], now: this.deps.now(),
    });
    if (f.effect === 'throw') throw f.error;
    if (f.effect === 'gone') return { kind: 'gone' };
    return { kind: 'item', error: f.error };
  }
}
