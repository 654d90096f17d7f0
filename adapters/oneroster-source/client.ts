import { GatewayError } from '../../src/core/errors';
import type { HttpClient, HttpResponse } from '../../src/core/http';
import type { Logger } from '../../src/core/logger';
import { acceptToken, clientCredentialsRequest, tokenIsFresh, type TokenState } from '../../src/infra/adapter-kit/oauth2';
import { COLLECTIONS, type Collection } from './collections';
import { codeMinorOf, oauthErrorOf, oneRosterError, type OneRosterOp } from './errors';
import type { ClientAuth } from './spec';

/** What the client needs from the adapter config. */
export interface OneRosterClientConfig {
  baseUrl: string;
  rosteringPath: string;
  gradebookPath: string;
  authUrl: string;
  clientId: string;
  clientSecret: string;
  clientAuth: ClientAuth;
  scopes: readonly string[];
  pageSize: number;
  sortBySourcedId: boolean;
  timeoutMs?: number;
}

export interface OneRosterClientDeps {
  http: HttpClient;
  log: Logger;
  now(): Date;
}

export type { TokenState } from '../../src/infra/adapter-kit/oauth2';

/** One page of a collection read. */
export interface Page {
  items: unknown[];
  /** `X-Total-Count`, when the provider sent it. */
  total?: number;
  /** Offset this page started at (`undefined` when reached through a `Link` URL). */
  offset?: number;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export { formEncode } from '../../src/infra/adapter-kit/oauth2';

/** The `rel="next"` target of a `Link` header (RFC 8288), resolved against `base`; undefined when none. */
export function nextLink(header: string | undefined, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (!m) continue;
    const rels = /\brel\s*=\s*"?([^";]+)"?/i.exec(m[2] as string)?.[1]?.toLowerCase().split(/\s+/) ?? [];
    if (rels.includes('next')) {
      try { return new URL(m[1] as string, base).toString(); } catch { return undefined; }
    }
  }
  return undefined;
}

/**
 * A OneRoster 1.2 REST client (portal-and-standards §B1):
 * - OAuth 2 client credentials at `authUrl` (HTTP Basic or form body), the token cached until
 *   `expires_in` runs out and renewed once when a call is refused with 401;
 * - collection reads with `limit`/`offset`, following `Link: rel="next"` when sent, else
 *   `X-Total-Count`, else reading until an empty page (short pages never end a read early);
 * - errors through the declarative table in errors.ts (HTTP status + imsx codeMinor).
 * Logs counts and path templates only; never tokens, the secret or bodies.
 */
export class OneRosterClient {
  private readonly base: string;
  /** Set when the provider refused `sort` (invalid_selection_field): later reads go without it. */
  private sortRefused = false;

  constructor(
    private readonly cfg: OneRosterClientConfig,
    private readonly deps: OneRosterClientDeps,
    readonly state: TokenState = {},
  ) {
    this.base = cfg.baseUrl.replace(/\/+$/, '');
  }

  urlOf(c: Collection, suffix = ''): string {
    const info = COLLECTIONS[c];
    const svc = info.service === 'rostering' ? this.cfg.rosteringPath : this.cfg.gradebookPath;
    return `${this.base}${svc.replace(/\/+$/, '')}${info.path}${suffix}`;
  }

  private fresh(): boolean {
    return tokenIsFresh(this.state, this.deps.now().getTime());
  }

  /** Asks the token endpoint for a new access token (client credentials grant). */
  async fetchToken(): Promise<void> {
    this.state.token = undefined;
    this.state.expiresAt = undefined;
    const { headers, body: form } = clientCredentialsRequest(this.cfg);
    const res = await this.deps.http.request<unknown>({
      method: 'POST', url: this.cfg.authUrl, pathTemplate: '/token', headers, body: form, responseType: 'text',
      ...(this.cfg.timeoutMs ? { timeoutMs: this.cfg.timeoutMs } : {}),
    });
    const body = this.parse(res, 'token', 'token');
    const accepted = acceptToken(this.state, body, this.deps.now().getTime());
    if (!accepted.ok) throw oneRosterError({ op: 'token', signal: 'no-token' }, { where: 'token' });
    this.deps.log.debug('oneroster token ok', { expiresInSec: accepted.expiresIn });
  }

  /** JSON of a 2xx answer, or the error the table gives for a failing one. */
  private parse(res: HttpResponse<unknown>, op: OneRosterOp, where: string): unknown {
    let body: unknown = res.data;
    if (typeof body === 'string') {
      try { body = body.trim() === '' ? undefined : JSON.parse(body); } catch { body = undefined; }
    }
    if (res.status >= 200 && res.status < 300) {
      if (body === undefined) throw oneRosterError({ op, signal: 'bad-body' }, { where });
      return body;
    }
    const codeMinor = op === 'data' ? codeMinorOf(body) : undefined;
    const oauthError = op === 'token' ? oauthErrorOf(body) : undefined;
    throw oneRosterError(
      { op, status: res.status, ...(codeMinor ? { codeMinor } : {}), ...(oauthError ? { oauthError } : {}) },
      { where, retryAfter: res.headers['retry-after'], now: this.deps.now() },
    );
  }

  /**
   * GET with the bearer token: a token is fetched when there is none or it ran out, and once
   * more when the call is refused with 401. `allow404` returns undefined for an unknown object.
   */
  async get(url: string, where: string, params?: Record<string, string | number | undefined>, allow404 = false): Promise<{ body: unknown; headers: Record<string, string> } | undefined> {
    if (!this.fresh()) await this.fetchToken();
    let renewed = false;
    for (;;) {
      const res = await this.deps.http.request<unknown>({
        method: 'GET', url, pathTemplate: where, responseType: 'text',
        headers: { Authorization: `Bearer ${this.state.token as string}`, Accept: 'application/json' },
        ...(params ? { params } : {}),
        ...(this.cfg.timeoutMs ? { timeoutMs: this.cfg.timeoutMs } : {}),
      });
      if (res.status === 401) {
        if (renewed) throw oneRosterError({ op: 'data', signal: 'token-refused-after-renew' }, { where });
        this.deps.log.info('oneroster token refused, renewing', { path: where });
        renewed = true;
        await this.fetchToken();
        continue;
      }
      if (res.status === 404 && allow404) return undefined;
      return { body: this.parse(res, 'data', where), headers: res.headers };
    }
  }

  private where(c: Collection, suffix = ''): string {
    return `/${COLLECTIONS[c].service}${COLLECTIONS[c].path}${suffix}`;
  }

  /** One object by sourcedId (`GET /<collection>/{id}`); undefined when the provider does not know it. */
  async getOne(c: Collection, sourcedId: string): Promise<unknown> {
    const r = await this.get(this.urlOf(c, `/${encodeURIComponent(sourcedId)}`), this.where(c, '/{id}'), undefined, true);
    if (!r) return undefined;
    const obj = isObj(r.body) ? r.body[COLLECTIONS[c].singleKey] : undefined;
    if (!isObj(obj)) throw oneRosterError({ op: 'data', signal: 'bad-body' }, { where: this.where(c, '/{id}') });
    return obj;
  }

  /** Reads a collection page by page (see the class comment for when a read ends). */
  async *pages(c: Collection, q: { filter?: string; limit?: number } = {}): AsyncGenerator<Page> {
    const where = this.where(c);
    const limit = q.limit ?? this.cfg.pageSize;
    const fixed: Record<string, string | number | undefined> = {
      limit, filter: q.filter, ...(this.cfg.sortBySourcedId && !this.sortRefused ? { sort: 'sourcedId', orderBy: 'asc' } : {}),
    };
    let offset = 0;
    let linkUrl: string | undefined;
    let lastFirst: string | undefined;
    let pages = 0;
    for (;;) {
      const url = linkUrl ?? this.urlOf(c);
      let r: { body: unknown; headers: Record<string, string> };
      try {
        r = await this.get(url, where, linkUrl ? undefined : { ...fixed, offset }) as typeof r;
      } catch (e) {
        // A provider that cannot sort by sourcedId says so on the first page; read unsorted.
        if (!(pages === 0 && fixed.sort && e instanceof GatewayError && e.opts.context?.codeMinor === 'invalid_selection_field')) throw e;
        this.deps.log.warn('oneroster provider refuses sort=sourcedId; reading unsorted', { path: where });
        this.sortRefused = true;
        delete fixed.sort;
        delete fixed.orderBy;
        continue;
      }
      const items = itemsOf(r.body, COLLECTIONS[c].setKey);
      if (!items) throw oneRosterError({ op: 'data', signal: 'bad-body' }, { where });
      const totalHeader = r.headers['x-total-count'];
      const total = totalHeader !== undefined && /^\d+$/.test(totalHeader.trim()) ? Number(totalHeader.trim()) : undefined;
      pages++;
      if (items.length > 0) {
        const first = isObj(items[0]) && typeof items[0].sourcedId === 'string' ? items[0].sourcedId : undefined;
        if (first !== undefined && first === lastFirst) throw oneRosterError({ op: 'data', signal: 'paging-stuck' }, { where });
        lastFirst = first;
      }
      yield { items, ...(total !== undefined ? { total } : {}), ...(linkUrl ? {} : { offset }) };
      if (items.length === 0) break;
      const next = nextLink(r.headers.link, url);
      if (next) { linkUrl = next; continue; }
      if (linkUrl) break; // reached through links and the last page has no `next`
      offset += items.length;
      if (total !== undefined && offset >= total) break;
    }
    this.deps.log.debug('oneroster collection read', { path: where, pages });
  }
}

/** The array of a collection answer: `{<setKey>: […]}`; a bare array is accepted too (drift). */
export function itemsOf(body: unknown, setKey: string): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (isObj(body) && Array.isArray(body[setKey])) return body[setKey] as unknown[];
  return undefined;
}

/** Throws the error for a config without what REST needs (the schema's `else` branch, for direct callers). */
export function requireRest(cfg: { baseUrl?: string; authUrl?: string; clientId?: string; clientSecret?: string }): void {
  const missing = (['baseUrl', 'authUrl', 'clientId', 'clientSecret'] as const).filter((k) => !cfg[k]);
  if (missing.length > 0) throw new GatewayError('GW_CONFIG_INVALID', `OneRoster REST mode needs ${missing.join(', ')}`);
}
