import { GatewayError } from '../../src/core/errors';
import type { HttpClient, HttpRequest, HttpResponse } from '../../src/core/http';
import type { Logger } from '../../src/core/logger';
import { netschoolError, type NetschoolOp } from './errors';
import { hashPassword } from './password';

/** What the client needs from the adapter config. */
export interface NetschoolClientConfig {
  baseUrl: string;
  login: string;
  password: string;
  schoolName?: string;
  schoolId?: number;
  timeoutMs?: number;
}

export interface NetschoolClientDeps {
  http: HttpClient;
  log: Logger;
  now(): Date;
}

/**
 * Session state kept between calls (and between runs, by the adapter): the `at` token, the
 * cookie jar (`NSSESSIONID` and whatever else the server sets) and the resolved school id.
 */
export interface NetschoolSessionState {
  at?: string;
  cookies: Map<string, string>;
  schoolId?: number;
}

export function newSessionState(): NetschoolSessionState {
  return { cookies: new Map() };
}

export interface SchoolSearchItem {
  id: number;
  name?: string;
  shortName?: string;
}

interface CallOptions {
  op?: NetschoolOp;
  pathTemplate?: string;
  params?: HttpRequest['params'];
  /** Form fields, sent as application/x-www-form-urlencoded. */
  form?: Record<string, string | number>;
  /** A JSON body (report filters). */
  json?: unknown;
}

const SECURITY_WARNING_PATH = '/asp/SecurityWarning.asp';

/** Collects cookies from Set-Cookie however the HTTP client flattened it (array or ", "-joined). */
export function absorbSetCookie(jar: Map<string, string>, header: unknown): void {
  const parts = Array.isArray(header) ? header.map(String) : typeof header === 'string' ? [header] : [];
  for (const part of parts) {
    // Only a name=value at the start of an entry is a cookie; attributes follow ";" and
    // Expires dates contain ", " but no "=" right after their first token.
    const re = /(?:^|,)\s*([^=;,\s]+)=([^;,]*)/g;
    for (let m = re.exec(part); m; m = re.exec(part)) {
      const [, name, value] = m;
      if (!name) continue;
      if (/^(expires|path|domain|max-age|samesite)$/i.test(name)) continue;
      if (value === undefined || value === '' || value === 'deleted') jar.delete(name);
      else jar.set(name, value);
    }
  }
}

const is2xx = (status: number): boolean => status >= 200 && status < 300;

function formEncode(form: Record<string, string | number>): string {
  return Object.entries(form).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
}

/** The small HTML page some servers send instead of JSON when another session uses the login (§1.2). */
export function isSecurityWarning(res: HttpResponse<unknown>): boolean {
  const type = res.headers['content-type'] ?? '';
  return type.includes('text/html') && typeof res.data === 'string' && res.data.length < 4000
    && res.data.includes(SECURITY_WARNING_PATH);
}

function normName(s: string): string {
  return s.toLowerCase().replace(/ё/g, 'е').replace(/[«»"]/g, '').replace(/\s+/g, ' ').trim();
}

/** Picks the configured school from a search answer: exact name or short name, else the only hit. */
export function pickSchool(items: readonly SchoolSearchItem[], wanted: string): SchoolSearchItem | 'none' | 'ambiguous' {
  const w = normName(wanted);
  const exact = items.filter((s) => [s.name, s.shortName].some((n) => typeof n === 'string' && normName(n) === w));
  if (exact.length === 1 && exact[0]) return exact[0];
  if (items.length === 1 && items[0]) return items[0];
  return items.length === 0 ? 'none' : 'ambiguous';
}

/**
 * A NetSchool web API session (sources §1.2): logindata → auth/getdata → schools/search →
 * login with pw/pw2 → `at` header + NSSESSIONID cookie on every call.
 *
 * Quirks handled here, so streams never see them:
 * - 401 on a data call: log in again once and repeat the call;
 * - the SecurityWarning HTML page ("someone else works under your login"): confirm it with
 *   `POST /asp/SecurityWarning.asp` (at, WarnType=2) and repeat the call once;
 * - login failures come as HTTP 409 with `{message}` (the message is not logged: it may echo the login).
 * Every body is read as text and parsed here, so an HTML page where JSON was expected is a
 * protocol error with a code, not a parser crash.
 */
export class NetschoolClient {
  readonly origin: string;
  readonly api: string;

  constructor(
    private readonly cfg: NetschoolClientConfig,
    private readonly deps: NetschoolClientDeps,
    readonly state: NetschoolSessionState = newSessionState(),
  ) {
    this.origin = new URL(cfg.baseUrl).origin;
    this.api = `${this.origin}/webapi`;
  }

  get loggedIn(): boolean {
    return this.state.at !== undefined;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { Referer: `${this.origin}/`, Accept: 'application/json, text/plain, */*', ...extra };
    if (this.state.at) h.at = this.state.at;
    if (this.state.cookies.size > 0) {
      h.Cookie = [...this.state.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    return h;
  }

  /** One raw exchange: cookies absorbed, body as text. Throws only what the HTTP client throws. */
  private async send(method: 'GET' | 'POST', url: string, o: CallOptions): Promise<HttpResponse<unknown>> {
    const req: HttpRequest = {
      method, url, responseType: 'text',
      pathTemplate: o.pathTemplate ?? new URL(url).pathname,
      headers: this.headers(o.form ? { 'Content-Type': 'application/x-www-form-urlencoded' }
        : o.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(o.params ? { params: o.params } : {}),
      ...(o.form ? { body: formEncode(o.form) } : o.json !== undefined ? { body: JSON.stringify(o.json) } : {}),
      ...(this.cfg.timeoutMs ? { timeoutMs: this.cfg.timeoutMs } : {}),
    };
    const res = await this.deps.http.request<unknown>(req);
    absorbSetCookie(this.state.cookies, res.headers['set-cookie']);
    return res;
  }

  private fail(res: HttpResponse<unknown>, op: NetschoolOp, pathTemplate: string): GatewayError {
    return netschoolError({ op, status: res.status }, { pathTemplate, retryAfter: res.headers['retry-after'], now: this.deps.now() });
  }

  private parse<T>(res: HttpResponse<unknown>, op: NetschoolOp, pathTemplate: string): T {
    if (typeof res.data !== 'string') return res.data as T;
    const text = res.data.trim();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw netschoolError({ op, signal: 'bad-body', status: res.status }, { pathTemplate, cause: e });
    }
  }

  /** Logs in from scratch (any previous token is dropped; the school id is kept). */
  async login(): Promise<void> {
    this.state.at = undefined;
    this.state.cookies.clear();
    const ld = await this.send('GET', `${this.api}/logindata`, { pathTemplate: '/webapi/logindata' });
    if (!is2xx(ld.status)) throw this.fail(ld, 'logindata', '/webapi/logindata');

    const gd = await this.send('POST', `${this.api}/auth/getdata`, { pathTemplate: '/webapi/auth/getdata' });
    if (!is2xx(gd.status)) throw this.fail(gd, 'auth-getdata', '/webapi/auth/getdata');
    const auth = this.parse<{ lt?: unknown; ver?: unknown; salt?: unknown } | undefined>(gd, 'auth-getdata', '/webapi/auth/getdata');
    if (!auth || typeof auth.salt !== 'string' || auth.lt === undefined || auth.ver === undefined) {
      throw netschoolError({ op: 'auth-getdata', signal: 'no-auth-data' });
    }
    const scid = this.state.schoolId ?? this.cfg.schoolId ?? (await this.findSchool());
    this.state.schoolId = scid;
    const { pw, pw2 } = hashPassword(this.cfg.password, auth.salt);
    const res = await this.send('POST', `${this.api}/login`, {
      pathTemplate: '/webapi/login',
      form: { loginType: 1, scid, un: this.cfg.login, pw, pw2, lt: String(auth.lt), ver: String(auth.ver) },
    });
    if (!is2xx(res.status)) throw this.fail(res, 'login', '/webapi/login');
    const body = this.parse<{ at?: unknown; timeOut?: unknown } | undefined>(res, 'login', '/webapi/login');
    if (!body || typeof body.at !== 'string' || body.at === '') {
      throw netschoolError({ op: 'login', signal: 'no-access-token', status: res.status });
    }
    this.state.at = body.at;
    this.deps.log.debug('netschool login ok', { timeOutSec: typeof body.timeOut === 'number' ? body.timeOut : undefined });
  }

  private async findSchool(): Promise<number> {
    const name = this.cfg.schoolName;
    if (!name) throw new GatewayError('GW_CONFIG_INVALID', 'NetSchool config needs `schoolName` or `schoolId`');
    const tpl = '/webapi/schools/search';
    const res = await this.send('GET', `${this.api}/schools/search`, { pathTemplate: tpl, params: { name } });
    if (!is2xx(res.status)) throw this.fail(res, 'school-search', tpl);
    const list = this.parse<unknown>(res, 'school-search', tpl);
    if (!Array.isArray(list)) throw netschoolError({ op: 'school-search', signal: 'bad-body' }, { pathTemplate: tpl });
    const items = list.filter((x): x is SchoolSearchItem => typeof x === 'object' && x !== null && typeof (x as SchoolSearchItem).id === 'number');
    const pick = pickSchool(items, name);
    if (pick === 'none') throw netschoolError({ op: 'school-search', signal: 'school-not-found' });
    if (pick === 'ambiguous') throw netschoolError({ op: 'school-search', signal: 'school-ambiguous' });
    return pick.id;
  }

  private async confirmSecurityWarning(): Promise<void> {
    const res = await this.send('POST', `${this.origin}${SECURITY_WARNING_PATH}`, {
      pathTemplate: SECURITY_WARNING_PATH,
      form: { at: this.state.at ?? '', WarnType: 2 },
    });
    if (res.status >= 400) throw this.fail(res, 'security-warning', SECURITY_WARNING_PATH);
    this.deps.log.info('netschool session collision confirmed');
  }

  /**
   * An authenticated call under `/webapi`, JSON in and out. Logs in first if needed;
   * re-logs in once on 401; confirms the SecurityWarning page once.
   */
  async call<T>(method: 'GET' | 'POST', path: string, o: CallOptions = {}): Promise<T> {
    const op = o.op ?? 'data';
    const tpl = o.pathTemplate ?? `/webapi/${path}`;
    const url = `${this.api}/${path}`;
    if (!this.loggedIn) await this.login();
    let relogged = false;
    let warned = false;
    for (;;) {
      const res = await this.send(method, url, { ...o, pathTemplate: tpl });
      if (res.status === 401) {
        if (relogged) throw netschoolError({ op, signal: 'session-expired-after-relogin', status: 401 }, { pathTemplate: tpl });
        this.deps.log.info('netschool session expired, logging in again', { path: tpl });
        relogged = true;
        await this.login();
        continue;
      }
      if (isSecurityWarning(res)) {
        if (warned) throw netschoolError({ op, signal: 'session-collision' }, { pathTemplate: tpl });
        warned = true;
        await this.confirmSecurityWarning();
        continue;
      }
      if (!is2xx(res.status)) throw this.fail(res, op, tpl);
      return this.parse<T>(res, op, tpl);
    }
  }

  get<T>(path: string, params?: HttpRequest['params'], o: Omit<CallOptions, 'params'> = {}): Promise<T> {
    return this.call<T>('GET', path, { ...o, ...(params ? { params } : {}) });
  }

  /** Ends the session; an already dead session (401) or a failing logout is not an error. */
  async logout(): Promise<void> {
    if (!this.loggedIn) return;
    try {
      const res = await this.send('POST', `${this.api}/auth/logout`, { pathTemplate: '/webapi/auth/logout' });
      if (res.status >= 400 && res.status !== 401) {
        this.deps.log.warn('netschool logout failed', { status: res.status });
      }
    } catch (e) {
      this.deps.log.warn('netschool logout failed', { code: e instanceof GatewayError ? e.code : 'unknown' });
    } finally {
      this.state.at = undefined;
      this.state.cookies.clear();
    }
  }
}
