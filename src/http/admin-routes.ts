/**
 * Routes of the admin API under `/api/v1`. Authentication happens before this router is reached
 * (see app.ts); handlers here validate input, call the ledger and the runtime view, and shape
 * answers. Paths and parameters must match `openapi.ts` (a unit test compares them).
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { DELIVERY_STATES, REPLAYABLE_STATES, type DeliveryState } from '../core/delivery-states';
import { GatewayError, type Issue } from '../core/errors';
import type { CursorRow, DeliveryFilter, HoldState, Ledger, QuarantineEntry, RunCounts, RunSummary } from '../core/ledger';
import type { DeliveryTransportState } from '../core/transport';
import { nullLogger } from '../core/logger';
import type { AdminDeps, SourceStatus } from './app';
import { actorOf } from './auth';
import { familiesOpenApiPaths } from './families-routes';
import { buildOpenApiDocument } from './openapi';

export const API_PREFIX = '/api/v1';

/** Page sizes: big enough for a day of dead letters, small enough to keep a response cheap. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
export const DEFAULT_RUNS_LIMIT = 20;
const MAX_ID_LENGTH = 200;

/** One source of a school as the API shows it: runtime state plus what the ledger knows. */
export interface SourceView extends Omit<SourceStatus, 'schoolId' | 'schoolName'> {
  lastRun: RunSummary | null;
  /** Counts of `lastRun` (zeros while it runs), null before the first run. */
  counts: RunCounts | null;
  cursors: Array<Omit<CursorRow, 'schoolId' | 'sourceInstance'>>;
}

export interface SchoolView {
  schoolId: string;
  schoolName?: string;
  /** All sources healthy. */
  healthy: boolean;
  /** Any source running. */
  running: boolean;
  sources: SourceView[];
}

// --- input validation -------------------------------------------------------------------

/**
 * Collects issues for every bad parameter before answering, so one 400 lists all of them.
 * Works on the query (`/query/<name>`) and on JSON bodies (`/body/<name>`).
 */
class InputReader {
  readonly issues: Issue[] = [];
  private readonly input: Record<string, unknown>;

  constructor(input: unknown, private readonly where: 'query' | 'body', allowed: readonly string[]) {
    this.input = typeof input === 'object' && input !== null && !Array.isArray(input)
      ? (input as Record<string, unknown>) : {};
    for (const key of Object.keys(this.input)) {
      // Unknown names are refused: a mistyped filter (`stat=dead`) must not widen a query silently.
      if (!allowed.includes(key)) this.issue(key, `unknown parameter; allowed: ${allowed.join(', ')}`);
    }
  }

  has(name: string): boolean {
    return this.input[name] !== undefined;
  }

  issue(name: string, message: string): undefined {
    this.issues.push({ path: name ? `/${this.where}/${name}` : `/${this.where}`, message });
    return undefined;
  }

  string(name: string): string | undefined {
    const v = this.input[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') return this.issue(name, this.where === 'query' ? 'must be given once' : 'must be a string');
    if (v.length === 0 || v.length > MAX_ID_LENGTH) return this.issue(name, `must be 1..${MAX_ID_LENGTH} characters`);
    return v;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) return this.issue(name, `must be one of: ${values.join(', ')}`);
    return v as T;
  }

  int(name: string, min: number, max: number): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = /^\d{1,10}$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) return this.issue(name, `must be an integer from ${min} to ${max}`);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    return this.issue(name, 'must be true or false');
  }

  /** RFC 3339 date-time with offset, or a date (= 00:00 UTC); normalised to ISO UTC like the ledger. */
  dateTime(name: string): string | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const shape = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/i;
    const ms = shape.test(v) ? Date.parse(v) : NaN;
    if (!Number.isFinite(ms)) return this.issue(name, 'must be an ISO 8601 date or date-time with offset, e.g. 2025-01-31T00:00:00Z');
    return new Date(ms).toISOString();
  }

  /** Throws GW_API_BAD_REQUEST listing every issue, if any. */
  done(): void {
    if (this.issues.length > 0) {
      const names = this.issues.map((i) => i.path).join(', ');
      throw new GatewayError('GW_API_BAD_REQUEST', `Invalid request parameters: ${names}.`, { issues: this.issues });
    }
  }
}

/** A path parameter as one string (express 5 types allow arrays for wildcard segments). */
function pathParam(req: Request, name: string): string {
  const v: unknown = req.params[name];
  return typeof v === 'string' ? v : '';
}

function idParam(req: Request): number {
  const raw = pathParam(req, 'id');
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new GatewayError('GW_API_BAD_REQUEST', 'Invalid id in path.', {
      issues: [{ path: '/params/id', message: 'must be a positive integer' }],
    });
  }
  return n;
}

function timeWindow(r: InputReader): { from?: string; to?: string } {
  const from = r.dateTime('from');
  const to = r.dateTime('to');
  if (from !== undefined && to !== undefined && from > to) r.issue('to', 'must not be before from');
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

function notFound(what: string, id: number | string): GatewayError {
  return new GatewayError('GW_API_NOT_FOUND', `${what} ${id} does not exist.`);
}

/** Drops undefined members so filters passed to the ledger carry only what was asked. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// --- schools ------------------------------------------------------------------------------

async function sourceView(ledger: Ledger, s: SourceStatus, cursors: readonly CursorRow[]): Promise<SourceView> {
  const [lastRun] = await ledger.listRuns({ schoolId: s.schoolId, sourceInstance: s.sourceInstance, limit: 1 });
  const { schoolId: _schoolId, schoolName: _schoolName, ...status } = s;
  return {
    ...status,
    lastRun: lastRun ?? null,
    counts: lastRun?.counts ?? null,
    cursors: cursors
      .filter((c) => c.schoolId === s.schoolId && c.sourceInstance === s.sourceInstance)
      .map((c) => ({ stream: c.stream, cursor: c.cursor, updatedAt: c.updatedAt })),
  };
}

/** Builds the views of the given schools (all configured schools when `onlySchool` is absent). */
async function schoolViews(deps: AdminDeps, onlySchool?: string): Promise<SchoolView[]> {
  const sources = deps.runtime.sources().filter((s) => onlySchool === undefined || s.schoolId === onlySchool);
  const cursors = await deps.ledger.listCursors(onlySchool);
  const bySchool = new Map<string, SourceStatus[]>();
  for (const s of sources) bySchool.set(s.schoolId, [...(bySchool.get(s.schoolId) ?? []), s]);
  const views: SchoolView[] = [];
  for (const [schoolId, list] of bySchool) {
    const srcViews = await Promise.all(list.map((s) => sourceView(deps.ledger, s, cursors)));
    const schoolName = list.find((s) => s.schoolName !== undefined)?.schoolName;
    views.push({
      schoolId,
      ...(schoolName !== undefined ? { schoolName } : {}),
      healthy: srcViews.every((s) => s.healthy),
      running: srcViews.some((s) => s.running),
      sources: srcViews,
    });
  }
  return views;
}

// --- router -------------------------------------------------------------------------------

/** Stores the full path template for the request log (the raw path may carry ids). */
function tagged(template: string, handler: RequestHandler): RequestHandler {
  return (req, res, next) => {
    res.locals['routeTemplate'] = `${API_PREFIX}${template}`;
    return handler(req, res, next);
  };
}

/** The `/api/v1` router. Mount it after bearer auth. */
export function createAdminRouter(deps: AdminDeps): Router {
  const { ledger } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? nullLogger;
  const onHoldDecided = deps.onHoldDecided;
  const router = express.Router();
  const base = buildOpenApiDocument({ metricsAuth: deps.metricsAuth === true });
  // The families and upload routers are mounted beside this one when configured; document them too.
  const openApi = deps.consentStore ? { ...base, paths: { ...base.paths, ...familiesOpenApiPaths() } } : base;
  const get = (path: string, h: (req: Request, res: Response) => Promise<void>): void => {
    router.get(path, tagged(path, h));
  };

  get('/schools', async (req, res) => {
    new InputReader(req.query, 'query', []).done();
    res.json({ items: await schoolViews(deps) });
  });

  get('/schools/:schoolId', async (req, res) => {
    new InputReader(req.query, 'query', []).done();
    const schoolId = pathParam(req, 'schoolId');
    const [view] = await schoolViews(deps, schoolId);
    if (!view) throw new GatewayError('GW_SCHOOL_UNKNOWN', 'No school with this id is configured.', { context: { schoolId } });
    res.json(view);
  });

  get('/deliveries', async (req, res) => {
    const r = new InputReader(req.query, 'query', ['state', 'sink', 'school', 'from', 'to', 'limit', 'offset']);
    const state = r.oneOf<DeliveryState>('state', DELIVERY_STATES);
    const sinkId = r.string('sink');
    const schoolId = r.string('school');
    const win = timeWindow(r);
    const limit = r.int('limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
    const offset = r.int('offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    r.done();
    const items = await ledger.listDeliveries(defined({ state, sinkId, schoolId, ...win, limit, offset }));
    res.json({ items: await withTransport(ledger, items), limit, offset });
  });

  get('/deliveries/:id', async (req, res) => {
    new InputReader(req.query, 'query', []).done();
    const id = idParam(req);
    const d = await ledger.getDelivery(id);
    if (!d) throw notFound('Delivery', id);
    const [withT] = await withTransport(ledger, [d]);
    res.json(withT);
  });

  router.post('/deliveries/:id/replay', tagged('/deliveries/:id/replay', async (req, res) => {
    new InputReader(req.query, 'query', []).done();
    const id = idParam(req);
    const d = await ledger.getDelivery(id);
    if (!d) throw notFound('Delivery', id);
    if (!REPLAYABLE_STATES.includes(d.state)) {
      throw new GatewayError('GW_API_BAD_REQUEST', `Delivery ${id} is ${d.state}; only dead or rejected deliveries can be replayed.`, {
        issues: [{ path: '/params/id', message: `delivery is ${d.state}, not ${REPLAYABLE_STATES.join(' or ')}` }],
      });
    }
    res.json(await ledger.replayDeliveries({ ids: [id] }, actorOf(res), now().toISOString()));
  }));

  // Parse JSON only here, after auth: unauthenticated bodies are never read.
  router.post('/deliveries/replay', express.json({ limit: '16kb' }), tagged('/deliveries/replay', async (req, res) => {
    new InputReader(req.query, 'query', []).done();
    const body: unknown = req.body;
    const r = new InputReader(body, 'body', ['state', 'sinkId', 'schoolId', 'from', 'to']);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      r.issue('', 'must be a JSON object (Content-Type: application/json)');
    } else if (!['state', 'sinkId', 'schoolId', 'from', 'to'].some((k) => r.has(k))) {
      // An empty body must not mean "replay everything": the operator names at least one filter.
      r.issue('', 'give at least one of state, sinkId, schoolId, from, to');
    }
    const state = r.oneOf<DeliveryState>('state', REPLAYABLE_STATES) ?? 'dead';
    const sinkId = r.string('sinkId');
    const schoolId = r.string('schoolId');
    const win = timeWindow(r);
    r.done();
    const filter: DeliveryFilter = defined({ state, sinkId, schoolId, ...win });
    res.json(await ledger.replayDeliveries(filter, actorOf(res), now().toISOString()));
  }));

  get('/quarantine', async (req, res) => {
    const r = new InputReader(req.query, 'query', ['school', 'includeResolved', 'limit', 'offset']);
    const schoolId = r.string('school');
    const includeResolved = r.bool('includeResolved');
    const limit = r.int('limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
    const offset = r.int('offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    r.done();
    const entries = await ledger.listQuarantine(defined({ schoolId, includeResolved, limit, offset }));
    // The raw vendor record carries personal data: only the single-entry endpoint returns it.
    const items = entries.map(({ raw: _raw, ...rest }: QuarantineEntry) => rest);
    res.json({ items, limit, offset });
  });

  get('/quarantine/:id', async (req, res) => {
    new InputReader(req.query, 'query', []).done();
    const id = idParam(req);
    const q = await ledger.getQuarantine(id);
    if (!q) throw notFound('Quarantine entry', id);
    res.json(q);
  });

  get('/holds', async (req, res) => {
    const r = new InputReader(req.query, 'query', ['school', 'state', 'limit']);
    const schoolId = r.string('school');
    const state = r.oneOf<HoldState>('state', ['pending', 'approved', 'rejected']);
    const limit = r.int('limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
    r.done();
    res.json({ items: await ledger.listHolds(defined({ schoolId, state, limit })), limit });
  });

  get('/holds/:id', async (req, res) => {
    new InputReader(req.query, 'query', []).done();
    const id = idParam(req);
    const h = await ledger.getHold(id);
    if (!h) throw notFound('Safety hold', id);
    res.json(h);
  });

  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/holds/:id/${decision}`, tagged(`/holds/:id/${decision}`, async (req, res) => {
      new InputReader(req.query, 'query', []).done();
      const id = idParam(req);
      if (!(await ledger.getHold(id))) throw notFound('Safety hold', id);
      const hold = await ledger.decideHold(id, decision, actorOf(res), now().toISOString());
      log.warn(`safety hold ${decision === 'approve' ? 'approved' : 'rejected'}`, { holdId: id, schoolId: hold.schoolId, entityType: hold.entityType, actor: actorOf(res) });
      onHoldDecided?.(hold);
      res.json(hold);
    }));
  }

  get('/runs', async (req, res) => {
    const r = new InputReader(req.query, 'query', ['school', 'source', 'limit']);
    const schoolId = r.string('school');
    const sourceInstance = r.string('source');
    const limit = r.int('limit', 1, MAX_LIMIT) ?? DEFAULT_RUNS_LIMIT;
    r.done();
    res.json({ items: await ledger.listRuns(defined({ schoolId, sourceInstance, limit })), limit });
  });

  get('/openapi.json', async (req, res) => {
    new InputReader(req.query, 'query', []).done();
    res.json(openApi);
  });

  get('/stats', async (req, res) => {
    new InputReader(req.query, 'query', []).done();
    const s = await ledger.stats();
    const at = s.oldestPendingAt ? Date.parse(s.oldestPendingAt) : NaN;
    const oldestPendingAgeSeconds = Number.isFinite(at) ? Math.max(0, Math.round((now().getTime() - at) / 1000)) : null;
    res.json({ ...s, oldestPendingAgeSeconds });
  });

  return router;
}

/**
 * Adds `transport` (destination message id, SendingTimestamp, remote status and detail,
 * acknowledgement; src/core/transport.ts) to delivery views that have any.
 */
async function withTransport<T extends { id: number }>(ledger: Ledger, views: T[]): Promise<Array<T & { transport?: Omit<DeliveryTransportState, 'deliveryId'> }>> {
  if (!ledger.transport || views.length === 0) return views;
  const states = await ledger.transport().lookup(views.map((v) => v.id));
  return views.map((v) => {
    const { deliveryId: _id, ...t } = states.get(v.id) ?? { deliveryId: v.id };
    return Object.keys(t).length > 0 ? { ...v, transport: t } : v;
  });
}
