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
import { acceptToken, clientCredentialsRequest, tokenIsFresh, type TokenState } from '../../src/infra/adapter-kit/oauth2';
import type { Step } from './plan';
import type { ResolvedOneRosterSinkConfig } from './spec';

export type { TokenState } from '../../src/infra/adapter-kit/oauth2';

export interface ClientDeps { http: HttpClient; log: Logger; now(): Date }

/** The answer to one step: done, already gone (DELETE), or this item failed (the push goes on). */
export type StepResult = { kind: 'ok'; status: number } | { kind: 'gone' } | { kind: 'item'; error: GatewayError };

export { formEncode } from '../../src/infra/adapter-kit/oauth2';

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
    return tokenIsFresh(this.state, this.deps.now().getTime());
  }

  /** Asks the token endpoint for a new access token. Throws GatewayError (auth, outage, protocol). */
  async fetchToken(): Promise<void> {
    this.state.token = undefined;
    this.state.expiresAt = undefined;
    const { cfg } = this;
    const { headers, body: form } = clientCredentialsRequest(cfg);
    let res: HttpResponse<unknown>;
    try {
      res = await this.deps.http.request<unknown>({
        method: 'POST', url: cfg.authUrl, pathTemplate: '/token', headers, body: form,
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
    const accepted = acceptToken(this.state, body, this.deps.now().getTime());
    if (!accepted.ok) {
      throw new GatewayError('GW_SINK_PROTOCOL', `OneRoster consumer token endpoint answered HTTP ${res.status} without an access_token`, { httpStatus: res.status });
    }
    this.deps.log.debug('oneroster consumer token ok', { expiresInSec: accepted.expiresIn });
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
