/**
 * The express app of the simulated OneRoster 1.2 consumer (no listen() here; index.ts starts it).
 *
 * OAuth 2 client credentials at `/oauth2/token`; the gradebook write endpoints (PUT and DELETE of
 * categories, lineItems, results by sourcedId) and, when `acceptRostering`, PUT/DELETE of the
 * rostering collections (not in the 1.2 standard; refused with 405 otherwise). Every PUT body is
 * validated against the official OpenAPI component; errors are imsx_StatusInfo bodies.
 * `/_sim/*` control routes need no token (loopback only).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../../../src/core/logger';
import { parseFault } from '../../../src/infra/sim/faults';
import { COLLECTIONS, GRADEBOOK_COLLECTIONS, isCollection, ROSTERING_COLLECTIONS, type CollectionName } from '../collections';
import { checkOneRoster } from '../openapi';
import { SCOPE_BASE } from '../spec';
import type { ConsumerFaults } from './faults';
import type { ConsumerStore } from './store';

type Obj = Record<string, unknown>;

export const CONSUMER_SCOPES = ['gradebook.createput', 'gradebook.delete', 'gradebook.readonly', 'gradebook-core.readonly'].map((s) => `${SCOPE_BASE}/${s}`);
const CREATE_PUT = `${SCOPE_BASE}/gradebook.createput`;
const DELETE = `${SCOPE_BASE}/gradebook.delete`;

interface Grant { scopes: ReadonlySet<string>; expiresAt: number; generation: number }

export interface ConsumerAppDeps {
  clientId: string;
  clientSecret: string;
  /** Scopes this client may be granted. */
  allowedScopes: ReadonlySet<string>;
  acceptRostering: boolean;
  tokenTtlSec: number;
  gradebookPath: string;
  rosteringPath: string;
  store: ConsumerStore;
  faults: ConsumerFaults;
  /** Tokens issued before the current generation are refused (`expire-sessions`). */
  generation(): number;
  now(): Date;
  log: Logger;
}

/** An `imsx_StatusInfo` failure body (portal-and-standards §B1 error model). */
export function imsx(description: string, codeMinor?: string, codeMajor = 'failure'): Obj {
  return {
    imsx_codeMajor: codeMajor, imsx_severity: 'error', imsx_description: description,
    ...(codeMinor ? { imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: codeMinor }] } } : {}),
  };
}

const delay = (ms: number): Promise<void> => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function clientOf(req: Request): { id?: string; secret?: string } {
  const h = req.get('authorization') ?? '';
  const m = /^Basic\s+(.+)$/i.exec(h);
  if (m) {
    const [id, secret] = Buffer.from(m[1] as string, 'base64').toString('utf8').split(':');
    const dec = (s: string | undefined): string | undefined => (s === undefined ? undefined : decodeURIComponent(s.replace(/\+/g, ' ')));
    return { id: dec(id), secret: dec(secret) };
  }
  const b = (req.body ?? {}) as Record<string, unknown>;
  return { ...(typeof b.client_id === 'string' ? { id: b.client_id } : {}), ...(typeof b.client_secret === 'string' ? { secret: b.client_secret } : {}) };
}

/** References a stored object of `c` must make to objects the consumer already holds. */
function missingRef(c: CollectionName, o: Obj, store: ConsumerStore): string | undefined {
  const idOf = (k: string): string | undefined => (o[k] as { sourcedId?: string } | undefined)?.sourcedId;
  if (c === 'lineItems' && !store.has('categories', idOf('category') ?? '')) return `category ${idOf('category') ?? '?'} is unknown`;
  if (c === 'results' && !store.has('lineItems', idOf('lineItem') ?? '')) return `lineItem ${idOf('lineItem') ?? '?'} is unknown`;
  return undefined;
}

export function createConsumerApp(d: ConsumerAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const grants = new Map<string, Grant>();
  const { store, faults } = d;

  app.get('/_sim/state', (_req, res) => { res.json(store.snapshot()); });
  app.get('/_sim/objects/:collection/:id', (req, res) => {
    const c = String(req.params.collection);
    const o = isCollection(c) ? store.get(c, String(req.params.id)) : undefined;
    if (!o) { res.status(404).json(imsx('no such object', 'unknownobject')); return; }
    res.json(o);
  });
  app.post('/_sim/faults', express.json(), (req, res) => {
    const f = parseFault(req.body);
    try {
      if (!f || !faults.inject(f)) { res.status(400).json({ message: 'not a FaultSpec this consumer produces' }); return; }
      res.status(204).end();
    } catch (e) {
      res.status(400).json({ message: e instanceof Error ? e.message : String(e) });
    }
  });

  app.post('/oauth2/token', express.urlencoded({ extended: false }), (req, res) => {
    const st = faults.takeStatus(req.path);
    if (st) {
      if (st.retryAfterSec !== undefined) res.setHeader('Retry-After', String(st.retryAfterSec));
      res.status(st.status).json({ error: st.status >= 500 ? 'temporarily_unavailable' : 'invalid_request' });
      return;
    }
    if (faults.takeMalformed()) { res.status(200).type('text/html').send('<html><body>Sign in</body></html>'); return; }
    const { id, secret } = clientOf(req);
    if (!id || !secret || !same(id, d.clientId) || !same(secret, d.clientSecret)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="oneroster"');
      res.status(401).json({ error: 'invalid_client' });
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.grant_type !== 'client_credentials') { res.status(400).json({ error: 'unsupported_grant_type' }); return; }
    const asked = typeof body.scope === 'string' && body.scope.trim() !== '' ? body.scope.trim().split(/\s+/) : [CREATE_PUT];
    if (asked.some((s) => !d.allowedScopes.has(s))) { res.status(400).json({ error: 'invalid_scope' }); return; }
    const token = randomBytes(24).toString('base64url');
    grants.set(token, { scopes: new Set(asked), expiresAt: d.now().getTime() + d.tokenTtlSec * 1000, generation: d.generation() });
    res.json({ access_token: token, token_type: 'bearer', expires_in: d.tokenTtlSec, scope: asked.join(' ') });
  });

  app.use('/ims', (req, res, next) => {
    const st = faults.takeStatus(req.baseUrl + req.path);
    if (st) {
      if (st.retryAfterSec !== undefined) res.setHeader('Retry-After', String(st.retryAfterSec));
      const minor = st.status === 429 ? 'server_busy' : st.status >= 500 ? 'internal_server_error' : undefined;
      res.status(st.status).json(imsx('injected fault', minor));
      return;
    }
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const g = m ? grants.get(m[1] as string) : undefined;
    if (!g || g.expiresAt <= d.now().getTime() || g.generation < d.generation()) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="oneroster"');
      res.status(401).json(imsx('access token missing, expired or revoked', 'unauthorisedrequest'));
      return;
    }
    res.locals.scopes = g.scopes;
    next();
  });

  const route = (service: 'gradebook' | 'rostering'): string => `${service === 'gradebook' ? d.gradebookPath : d.rosteringPath}/:collection/:id`;
  const allowed = (service: 'gradebook' | 'rostering', c: string): c is CollectionName =>
    isCollection(c) && (service === 'gradebook' ? GRADEBOOK_COLLECTIONS : ROSTERING_COLLECTIONS).includes(c);

  for (const service of ['gradebook', 'rostering'] as const) {
    app.put(route(service), express.json({ limit: '2mb' }), async (req, res) => {
      const c = String(req.params.collection);
      const id = String(req.params.id);
      if (!allowed(service, c)) { res.status(404).type('text/plain').send('Not Found'); return; }
      if (service === 'rostering' && !d.acceptRostering) {
        store.countRejected();
        res.status(405).json(imsx('this rostering service is read-only', undefined, 'unsupported'));
        return;
      }
      if (!(res.locals.scopes as Set<string>).has(CREATE_PUT)) { res.status(403).json(imsx('scope gradebook.createput not granted', 'forbidden')); return; }
      const refuse = (status: number, description: string, minor: string): void => {
        store.countRejected();
        res.status(status).json(imsx(description, minor));
      };
      if (faults.takeHtmlError()) {
        store.countRejected();
        res.status(422).type('text/html').send('<html><body>Unprocessable</body></html>');
        return;
      }
      const info = COLLECTIONS[c];
      const issues = checkOneRoster(info.service, info.schema, req.body);
      if (issues.length > 0) {
        refuse(400, `${info.schema}: ${issues.slice(0, 5).map((i) => `${i.path} ${i.message}`).join('; ')}`, 'invaliddata');
        return;
      }
      const object = (req.body as Obj)[info.single] as Obj;
      if (object.sourcedId !== id) { refuse(400, 'sourcedId in the body differs from the one in the path', 'invaliddata'); return; }
      const missing = missingRef(c, object, store);
      if (missing) { refuse(404, missing, 'unknownobject'); return; }
      if (faults.takeReject(c)) { refuse(422, `${info.single} refused by the consumer: the student is not enrolled in the line item's class`, 'invaliddata'); return; }
      const outcome = store.put(c, id, object, d.now().toISOString());
      d.log.debug('oneroster consumer: put', { collection: c, outcome });
      // `slow` delays the answer after applying: a gateway that gives up has still been applied.
      await delay(faults.takeSlow());
      res.status(201).end();
    });

    app.delete(route(service), async (req, res) => {
      const c = String(req.params.collection);
      if (!allowed(service, c)) { res.status(404).type('text/plain').send('Not Found'); return; }
      if (service === 'rostering' && !d.acceptRostering) { res.status(405).json(imsx('this rostering service is read-only', undefined, 'unsupported')); return; }
      if (!(res.locals.scopes as Set<string>).has(DELETE)) { res.status(403).json(imsx('scope gradebook.delete not granted', 'forbidden')); return; }
      if (!store.delete(c, String(req.params.id))) { res.status(404).json(imsx(`${c} ${String(req.params.id)} is unknown`, 'unknownobject')); return; }
      await delay(faults.takeSlow());
      res.status(204).end();
    });
  }

  app.use((_req: Request, res: Response) => { res.status(404).type('text/plain').send('Not Found'); });

  // Body-parser failures (bad JSON, too large) reach here; anything else is a simulator bug.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.parse.failed' || e.status === 400) { store.countRejected(); res.status(400).json(imsx('request body is not valid JSON', 'invaliddata')); return; }
    if (e.type === 'entity.too.large') { store.countRejected(); res.status(422).json(imsx('request body too large', 'invaliddata')); return; }
    d.log.error('oneroster consumer simulator: unexpected error', { error: err instanceof Error ? err.message : String(err) });
    res.status(500).json(imsx('simulator error', 'internal_server_error'));
  });
  return app;
}
