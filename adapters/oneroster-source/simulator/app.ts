import { randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { Logger } from '../../../src/core/logger';
import { faultMiddleware, mountFaultEndpoint } from '../../../src/infra/sim/server';
import { COLLECTIONS, DEFAULT_PATHS, SCOPES, isCollection, type Collection } from '../collections';
import type { DemoDistrict, Obj } from './data';
import type { FaultState } from './faults';
import { matches, parseFilter, valueAt } from './filter';
import { statusInfo, wireObject } from './serialize';

export const TOKEN_PATH = '/oauth2/token';
/** Lifetime of the access tokens handed out (seconds). */
export const TOKEN_LIFETIME_SEC = 3600;
/** The most objects one page holds, whatever `limit` asks (providers cap pages). */
export const MAX_LIMIT = 1000;
const SHORT_PAGE = 7;

export interface SimAppDeps {
  district: DemoDistrict;
  faults: FaultState;
  client: { clientId: string; clientSecret: string; scopes: readonly string[] };
  now(): Date;
  log: Logger;
}

interface SimToken { expiresAt: number; scopes: Set<string> }

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const formDecode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
const BASE_FIELDS = ['sourcedId', 'status', 'dateLastModified', 'metadata'];

/** Aliases of the rostering binding: a path and the subset of a collection it serves. */
const ALIASES: readonly [string, Collection, (o: Obj) => boolean][] = [
  ['/schools', 'orgs', (o) => o.type === 'school'],
  ['/terms', 'academicSessions', (o) => o.type === 'term'],
  ['/gradingPeriods', 'academicSessions', (o) => o.type === 'gradingPeriod'],
  ['/students', 'users', (o) => Array.isArray(o.roles) && o.roles.some((r) => (r as Obj).role === 'student')],
  ['/teachers', 'users', (o) => Array.isArray(o.roles) && o.roles.some((r) => (r as Obj).role === 'teacher')],
];

function neededScopes(c: Collection): string[] {
  if (c === 'demographics') return [SCOPES.demographics];
  return COLLECTIONS[c].service === 'rostering' ? [SCOPES.roster, SCOPES.rosterCore] : [SCOPES.gradebook, SCOPES.gradebookCore];
}

/**
 * The simulated OneRoster 1.2 provider: an OAuth 2 token endpoint (client credentials, HTTP
 * Basic or form body, scopes), and the rostering and gradebook services under their standard
 * base paths with limit/offset paging, X-Total-Count, Link (next/prev/first/last), filter, sort,
 * fields, and imsx_StatusInfo errors (401 unauthorisedrequest, 403 forbidden, 404 unknownobject,
 * 400 invalid_filter_field / invalid_selection_field).
 */
export function createSimApp(deps: SimAppDeps): express.Express {
  const { district, faults, client } = deps;
  const tokens = new Map<string, SimToken>();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const fail = (res: Response, status: number, codeMinor: string, description: string): void => { res.status(status).json(statusInfo(codeMinor, description)); };

  mountFaultEndpoint(app, (f) => faults.apply(f));
  app.post('/_sim/live-tick', (_req, res) => { res.json({ sourcedId: district.addLiveResult() ?? null }); });
  app.post('/_sim/touch', express.json(), (req, res) => {
    const b = (req.body ?? {}) as Obj;
    const c = str(b.collection) ?? '';
    const ok = isCollection(c) && district.touch(c, str(b.sourcedId) ?? '', (b.patch ?? {}) as Obj);
    res.status(ok ? 200 : 404).json({ ok });
  });
  app.get('/_sim/state', (_req, res) => { res.json({ tokens: tokens.size, malformedRemaining: faults.malformedRemaining, shapes: [...faults.shapes], flags: [...faults.flags] }); });

  app.use((_req, _res, next) => {
    if (faults.expireRequested) { tokens.clear(); faults.expireRequested = false; }
    next();
  });
  app.use(faultMiddleware(faults, (res, st) => {
    if (res.req.path === TOKEN_PATH) res.status(st.status).json({ error: st.status === 429 ? 'slow_down' : 'temporarily_unavailable' });
    else fail(res, st.status, st.status === 429 || st.status === 503 ? 'server_busy' : 'internal_server_error', 'Simulated fault');
  }));

  app.post(TOKEN_PATH, express.urlencoded({ extended: false }), (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const body = (req.body ?? {}) as Record<string, string>;
    let id = body.client_id;
    let secret = body.client_secret;
    const basic = /^Basic\s+(.+)$/i.exec(req.get('authorization') ?? '');
    if (basic) {
      const dec = Buffer.from(basic[1] as string, 'base64').toString('utf8');
      const i = dec.indexOf(':');
      if (i > 0) { id = formDecode(dec.slice(0, i)); secret = formDecode(dec.slice(i + 1)); }
    }
    if (faults.takeBadClient() || id !== client.clientId || secret !== client.clientSecret) {
      res.setHeader('WWW-Authenticate', 'Basic realm="oneroster"');
      res.status(401).json({ error: 'invalid_client', error_description: 'Client authentication failed' });
      return;
    }
    if (body.grant_type !== 'client_credentials') { res.status(400).json({ error: 'unsupported_grant_type' }); return; }
    const asked = (body.scope ?? '').split(' ').filter(Boolean);
    if (asked.some((s) => !client.scopes.includes(s))) { res.status(400).json({ error: 'invalid_scope' }); return; }
    const scopes = new Set(asked.length > 0 ? asked : client.scopes);
    const token = randomBytes(24).toString('hex');
    tokens.set(token, { expiresAt: deps.now().getTime() + TOKEN_LIFETIME_SEC * 1000, scopes });
    res.json({ access_token: token, token_type: 'bearer', expires_in: TOKEN_LIFETIME_SEC, scope: [...scopes].join(' ') });
  });

  const authorized = (req: Request, res: Response, c: Collection): boolean => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const t = m ? tokens.get(m[1] as string) : undefined;
    if (!t || t.expiresAt <= deps.now().getTime()) {
      if (m && t) tokens.delete(m[1] as string);
      res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      fail(res, 401, 'unauthorisedrequest', 'Access token missing, unknown or expired');
      return false;
    }
    if (!neededScopes(c).some((s) => t.scopes.has(s))) { fail(res, 403, 'forbidden', 'The access token lacks the scope for this collection'); return false; }
    return true;
  };

  const list = (c: Collection, subset?: (o: Obj) => boolean) => (req: Request, res: Response): void => {
    if (!authorized(req, res, c)) return;
    const q = req.query;
    const limit = q.limit === undefined ? 100 : Number(str(q.limit));
    const offset = q.offset === undefined ? 0 : Number(str(q.offset));
    if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(offset) || offset < 0) { fail(res, 400, 'invalid_selection_field', 'limit or offset is not a valid integer'); return; }
    const all = district.data[c].filter((o) => !subset || subset(o));
    const known = new Set([...BASE_FIELDS, ...all.flatMap((o) => Object.keys(o))]);
    let items = all;
    const filterText = str(q.filter);
    if (filterText !== undefined) {
      const f = parseFilter(filterText);
      if (!f || f.some((ands) => ands.some((cl) => !known.has(cl.field.split('.')[0] as string)))) { fail(res, 400, 'invalid_filter_field', 'The filter is not valid'); return; }
      items = items.filter((o) => matches(o, f));
    }
    const sort = str(q.sort);
    if (sort !== undefined) {
      if (!known.has(sort.split('.')[0] as string)) { fail(res, 400, 'invalid_selection_field', 'Unknown sort field'); return; }
      const dir = str(q.orderBy) === 'desc' ? -1 : 1;
      items = [...items].sort((a, b) => { const x = String(valueAt(a, sort) ?? ''); const y = String(valueAt(b, sort) ?? ''); return x < y ? -dir : x > y ? dir : 0; });
    }
    const fields = (Array.isArray(q.fields) ? q.fields.map(String) : str(q.fields)?.split(',') ?? []).map((x) => x.trim()).filter(Boolean);
    if (fields.some((x) => !known.has(x))) { fail(res, 400, 'invalid_selection_field', 'Unknown field'); return; }
    const size = Math.min(limit, MAX_LIMIT, faults.flag('short-pages') ? SHORT_PAGE : Infinity);
    const start = faults.flag('offset-ignored') ? 0 : offset;
    const page = items.slice(start, start + size);
    const origin = `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;
    const total = items.length;
    if (!faults.flag('no-total')) res.setHeader('X-Total-Count', String(total));
    if (!faults.flag('no-link')) {
      const at = (off: number): string => {
        const u = new URL(`${origin}${req.baseUrl}${req.path}`);
        for (const [k, v] of Object.entries(q)) if (k !== 'offset' && typeof v === 'string') u.searchParams.set(k, v);
        u.searchParams.set('limit', String(limit));
        u.searchParams.set('offset', String(off));
        return u.toString();
      };
      const links = [`<${at(0)}>; rel="first"`, `<${at(Math.max(0, Math.floor(Math.max(0, total - 1) / limit) * limit))}>; rel="last"`];
      if (offset + page.length < total) links.push(`<${at(offset + page.length)}>; rel="next"`);
      if (offset > 0) links.push(`<${at(Math.max(0, offset - limit))}>; rel="prev"`);
      res.setHeader('Link', links.join(', '));
    }
    const wire = page.map((o) => wireObject(c, o, origin, faults));
    const shown = fields.length > 0 ? wire.map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => fields.includes(k)))) : wire;
    res.json({ [COLLECTIONS[c].setKey]: shown });
  };

  const one = (c: Collection) => (req: Request, res: Response): void => {
    if (!authorized(req, res, c)) return;
    const o = district.data[c].find((x) => x.sourcedId === req.params.sourcedId);
    if (!o) { fail(res, 404, 'unknownobject', 'Unknown Object'); return; }
    res.json({ [COLLECTIONS[c].singleKey]: wireObject(c, o, `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`, faults) });
  };

  for (const service of ['rostering', 'gradebook'] as const) {
    const router = express.Router();
    for (const [name, info] of Object.entries(COLLECTIONS)) {
      if (info.service !== service) continue;
      router.get(info.path, list(name as Collection));
      router.get(`${info.path}/:sourcedId`, one(name as Collection));
    }
    if (service === 'rostering') for (const [p, c, subset] of ALIASES) { router.get(p, list(c, subset)); router.get(`${p}/:sourcedId`, one(c)); }
    router.use((_req, res) => { fail(res, 404, 'unknownobject', 'Unknown endpoint'); });
    app.use(DEFAULT_PATHS[service], router);
  }
  app.use((_req, res) => { res.status(404).type('text/html').send('<html><body>404 Not Found</body></html>'); });
  app.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    deps.log.error('oneroster simulator error', { error: err instanceof Error ? err.message : String(err) });
    fail(res, 500, 'internal_server_error', 'Internal server error');
  });
  return app;
}
