/**
 * Admin API of the families features, mounted by app.ts under the authenticated `/api/v1`
 * (bearer auth runs first; bodies are parsed only here, after it). Paths, relative to the mount:
 *
 *   POST /families/consents                 register a consent or refusal (JSON ConsentInput)
 *   POST /families/consents/import          CSV register (text/csv, UTF-8 or Windows-1251)
 *   GET  /families/consents?school&child    list, without the document items
 *   GET  /families/consents/{id}            one registration with its ст. 9 ч. 4 items
 *   POST /families/consents/{id}/withdraw   record a withdrawal ({evidenceRef, withdrawnAt?})
 *   PUT  /families/contacts                 a family's contacts and chosen channels
 *   GET  /families/contacts?school&child    contacts of one child
 *   GET  /families/status?school&child      the child's consent status and allowed channels
 *   GET  /families/paper?school&includeUnregistered   families served on paper
 *   GET  /families/purges?school&child      the withdrawal purge audit (acts of destruction)
 *   POST /families/purge                    run the purge now
 *
 * Answers carrying personal data (one consent's items, contacts) are only ever per child or per
 * registration, never in lists. Errors are GatewayErrors (problem+json by the app's handler).
 */
import express, { type Request, type Response, type Router } from 'express';
import type { ConsentInput, ConsentStore, ContactsInput } from '../core/consent';
import { GatewayError, type Issue } from '../core/errors';
import { nullLogger, type Logger } from '../core/logger';
import { decodeCsv, importConsentCsv } from '../families/consent/csv';
import { actorOf } from './auth';

export interface FamiliesRouterDeps {
  store: ConsentStore;
  now?: () => Date;
  log?: Logger;
  /** Prefix of the mount point, for the request log's route templates (default `/api/v1`). */
  prefix?: string;
  /** Told when a registration re-queued withheld deliveries (wake the delivery workers). */
  onRequeued?(count: number): void;
}

const MAX_LIMIT = 1000;

function query(req: Request, allowed: readonly string[], required: readonly string[] = []): Record<string, string> {
  const issues: Issue[] = [];
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.query)) {
    if (!allowed.includes(k)) issues.push({ path: `/query/${k}`, message: `unknown parameter; allowed: ${allowed.join(', ') || 'none'}` });
    else if (typeof v !== 'string' || v.length === 0 || v.length > 200) issues.push({ path: `/query/${k}`, message: 'must be given once, 1..200 characters' });
    else out[k] = v;
  }
  for (const r of required) if (out[r] === undefined && !issues.some((i) => i.path === `/query/${r}`)) issues.push({ path: `/query/${r}`, message: 'is required' });
  if (out['limit'] !== undefined && !(/^\d{1,4}$/.test(out['limit']) && Number(out['limit']) >= 1 && Number(out['limit']) <= MAX_LIMIT)) {
    issues.push({ path: '/query/limit', message: `must be an integer from 1 to ${MAX_LIMIT}` });
  }
  if (out['offset'] !== undefined && !/^\d{1,9}$/.test(out['offset'])) issues.push({ path: '/query/offset', message: 'must be a non-negative integer' });
  if (issues.length > 0) throw new GatewayError('GW_API_BAD_REQUEST', `Invalid request parameters: ${issues.map((i) => i.path).join(', ')}.`, { issues });
  return out;
}

function idParam(req: Request): number {
  const raw = typeof req.params['id'] === 'string' ? req.params['id'] : '';
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1) {
    throw new GatewayError('GW_API_BAD_REQUEST', 'Invalid id in path.', { issues: [{ path: '/params/id', message: 'must be a positive integer' }] });
  }
  return Number(raw);
}

function jsonBody(req: Request): Record<string, unknown> {
  const b: unknown = req.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    throw new GatewayError('GW_API_BAD_REQUEST', 'The body must be a JSON object.', { issues: [{ path: '/body', message: 'must be a JSON object (Content-Type: application/json)' }] });
  }
  return b as Record<string, unknown>;
}

/** Re-bases issue paths of a store error under `/body`. */
async function withBody<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e: unknown) {
    if (e instanceof GatewayError && e.code === 'GW_API_BAD_REQUEST' && e.issues.length > 0 && !e.issues[0]?.path.startsWith('/params')) {
      throw new GatewayError('GW_API_BAD_REQUEST', e.message, { issues: e.issues.map((i) => ({ path: `/body${i.path}`, message: i.message })) });
    }
    throw e;
  }
}

export function createFamiliesRouter(deps: FamiliesRouterDeps): Router {
  const { store } = deps;
  const now = (): string => (deps.now ?? (() => new Date()))().toISOString();
  const log = deps.log ?? nullLogger;
  const prefix = deps.prefix ?? '/api/v1';
  const router = express.Router();
  const json = express.json({ limit: '256kb' });
  const route = (method: 'get' | 'post' | 'put', path: string, handler: (req: Request, res: Response) => Promise<void>, ...mw: express.RequestHandler[]): void => {
    router[method](path, ...mw, async (req, res) => {
      res.locals['routeTemplate'] = `${prefix}${path}`;
      await handler(req, res);
    });
  };

  route('post', '/families/consents', async (req, res) => {
    query(req, []);
    const r = await withBody(() => store.register(jsonBody(req) as unknown as ConsentInput, actorOf(res), now()));
    if (r.requeued > 0) deps.onRequeued?.(r.requeued);
    res.status(r.created ? 201 : 200).json(r);
  }, json);

  route('post', '/families/consents/import', async (req, res) => {
    const q = query(req, ['school']);
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
      throw new GatewayError('GW_API_BAD_REQUEST', 'Send the CSV file as the body (Content-Type: text/csv).', { issues: [{ path: '/body', message: 'empty or not text/csv' }] });
    }
    const result = await importConsentCsv(store, decodeCsv(req.body), { actor: actorOf(res), now: now(), ...(q['school'] ? { schoolId: q['school'] } : {}) });
    log.info('consent register imported', { rows: result.rows, created: result.created, unchanged: result.unchanged, withdrawn: result.withdrawn, rejected: result.rejected.length });
    if (result.requeued > 0) deps.onRequeued?.(result.requeued);
    res.json(result);
  }, express.raw({ type: ['text/csv', 'text/plain', 'application/octet-stream'], limit: '10mb' }));

  route('get', '/families/consents', async (req, res) => {
    const q = query(req, ['school', 'child', 'limit', 'offset']);
    const limit = q['limit'] ? Number(q['limit']) : 100;
    const offset = q['offset'] ? Number(q['offset']) : 0;
    res.json({ items: await store.list({ ...(q['school'] ? { schoolId: q['school'] } : {}), ...(q['child'] ? { childId: q['child'] } : {}), limit, offset }), limit, offset });
  });

  route('get', '/families/consents/:id', async (req, res) => {
    query(req, []);
    const id = idParam(req);
    const c = await store.get(id);
    if (!c) throw new GatewayError('GW_API_NOT_FOUND', `Consent ${id} does not exist.`);
    res.json(c);
  });

  route('post', '/families/consents/:id/withdraw', async (req, res) => {
    query(req, []);
    const id = idParam(req);
    const body = jsonBody(req);
    const c = await withBody(() => store.withdraw(id, body as { evidenceRef: string; withdrawnAt?: string }, actorOf(res), now()));
    res.json(c);
  }, json);

  route('put', '/families/contacts', async (req, res) => {
    query(req, []);
    res.json(await withBody(() => store.setContacts(jsonBody(req) as unknown as ContactsInput, actorOf(res), now())));
  }, json);

  route('get', '/families/contacts', async (req, res) => {
    const q = query(req, ['school', 'child'], ['school', 'child']);
    res.json({ items: await store.contactsOf(q['school'] as string, q['child'] as string) });
  });

  route('get', '/families/status', async (req, res) => {
    const q = query(req, ['school', 'child'], ['school', 'child']);
    res.json(await store.status(q['school'] as string, q['child'] as string, now()));
  });

  route('get', '/families/paper', async (req, res) => {
    const q = query(req, ['school', 'includeUnregistered']);
    const inc = q['includeUnregistered'];
    if (inc !== undefined && !['true', 'false'].includes(inc)) {
      throw new GatewayError('GW_API_BAD_REQUEST', 'Invalid request parameters: /query/includeUnregistered.', { issues: [{ path: '/query/includeUnregistered', message: 'must be true or false' }] });
    }
    res.json({ items: await store.paperFamilies({ ...(q['school'] ? { schoolId: q['school'] } : {}), includeUnregistered: inc === 'true' }, now()) });
  });

  route('get', '/families/purges', async (req, res) => {
    const q = query(req, ['school', 'child', 'limit']);
    res.json({ items: await store.purgeLog({ ...(q['school'] ? { schoolId: q['school'] } : {}), ...(q['child'] ? { childId: q['child'] } : {}), limit: q['limit'] ? Number(q['limit']) : 100 }) });
  });

  route('post', '/families/purge', async (req, res) => {
    query(req, []);
    const report = await store.purgeWithdrawn(now());
    log.warn('withdrawal purge run by an operator', { actor: actorOf(res), children: report.entries.length });
    res.json(report);
  });

  return router;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/**
 * The OpenAPI 3.1 `paths` of this router, to merge into buildOpenApiDocument (openapi.ts) when
 * it is mounted; responses reference the document's shared components (BadRequest, NotFound…).
 * test/unit/families-routes.test.ts compares them with the routes served.
 */
export function familiesOpenApiPaths(prefix = '/api/v1'): Record<string, Json> {
  const r = (name: string): Json => ({ $ref: `#/components/responses/${name}` });
  const errors = { '400': r('BadRequest'), '401': r('Unauthorized'), '500': r('Internal'), '503': r('Unavailable') };
  const obj = (description: string): Json => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
  const q = (name: string, description: string, required = false): Json => ({ name, in: 'query', required, description, schema: { type: 'string' } });
  const idParam: Json = { name: 'id', in: 'path', required: true, description: 'Consent number.', schema: { type: 'integer', minimum: 1 } };
  const body = (description: string, type = 'application/json'): Json => ({ required: true, content: { [type]: { schema: type === 'application/json' ? { type: 'object', description } : { type: 'string', description } } } });
  const op = (operationId: string, summary: string, extra: Record<string, Json>, ok: Json, more: Record<string, Json> = {}): Json =>
    ({ operationId, summary, tags: ['families'], ...extra, responses: { '200': ok, ...errors, ...more } });
  const school = q('school', 'School id.');
  const child = q('child', 'Canonical person id of the child.');
  return {
    [`${prefix}/families/consents`]: {
      post: op('registerConsent', 'Register a consent or refusal (152-ФЗ ст. 9 ч. 4 items)', { requestBody: body('ConsentInput (src/core/consent.ts)') }, obj('Already registered (created: false)'), { '201': obj('Registered') }),
      get: op('listConsents', 'Registrations, newest first, without the document items', { parameters: [school, child, q('limit', '1..1000'), q('offset', '≥ 0')] }, obj('Registrations')),
    },
    [`${prefix}/families/consents/import`]: {
      post: op('importConsents', 'Import a CSV register (UTF-8 or Windows-1251)', { parameters: [q('school', 'School of rows without school_id.')], requestBody: body('CSV register', 'text/csv') }, obj('Import result with rejected rows by line and column')),
    },
    [`${prefix}/families/consents/{id}`]: {
      get: op('getConsent', 'One registration with its items', { parameters: [idParam] }, obj('Registration'), { '404': r('NotFound') }),
    },
    [`${prefix}/families/consents/{id}/withdraw`]: {
      post: op('withdrawConsent', 'Record a withdrawal: delivery stops, the purge falls due', { parameters: [idParam], requestBody: body('{ evidenceRef, withdrawnAt? }') }, obj('Registration'), { '404': r('NotFound') }),
    },
    [`${prefix}/families/contacts`]: {
      put: op('setFamilyContacts', 'A family\'s contacts and chosen channels', { requestBody: body('ContactsInput (src/core/consent.ts)') }, obj('Contacts')),
      get: op('getFamilyContacts', 'Contacts of one child', { parameters: [q('school', 'School id.', true), q('child', 'Canonical person id of the child.', true)] }, obj('Contacts')),
    },
    [`${prefix}/families/status`]: {
      get: op('getConsentStatus', 'The child\'s consent state and allowed channels', { parameters: [q('school', 'School id.', true), q('child', 'Canonical person id of the child.', true)] }, obj('Status')),
    },
    [`${prefix}/families/paper`]: {
      get: op('listPaperFamilies', 'Families served on paper', { parameters: [school, q('includeUnregistered', 'true or false')] }, obj('Paper families')),
    },
    [`${prefix}/families/purges`]: {
      get: op('listPurges', 'Acts of destruction of the withdrawal purge', { parameters: [school, child, q('limit', '1..1000')] }, obj('Purge audit')),
    },
    [`${prefix}/families/purge`]: {
      post: op('runPurge', 'Run the withdrawal purge now', {}, obj('Purge report')),
    },
  };
}
