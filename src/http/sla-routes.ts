/**
 * SLA routes of the admin API, mounted under the authenticated `/api/v1` (see app.ts):
 *
 *   GET  /sla/schools                                  schools with an SLA: open counts, alert levels
 *   GET  /sla/schools/:schoolId/report?from&to&format  the compliance report (json, csv, html, pdf)
 *   GET  /sla/schools/:schoolId/obligations            judged rows (state, obligation, window, paging)
 *   GET  /sla/schools/:schoolId/alerts                 alerts sent (newest first)
 *   GET  /sla/access-codes?schoolId&open               access-code requests
 *   POST /sla/access-codes                             register one {schoolId, familyRef, receivedAt?} (409 GW_ACCESS_CODE_CONFLICT: one is open)
 *   GET  /sla/access-codes/:id                         one request
 *   POST /sla/access-codes/:id/issue                   the code was handed over {issuedAt?} (409: already issued)
 *
 * The OpenAPI paths of these routes are `SLA_OPENAPI_PATHS` / `SLA_OPENAPI_SCHEMAS` below, to be
 * merged into src/http/openapi.ts (its test compares served and documented routes).
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { GatewayError, type Issue } from '../core/errors';
import { SLA_STATES, type SlaState } from '../core/sla-store';
import type { SlaReportFormat } from '../sla/report';
import { renderSlaReport } from '../sla/report';
import type { SlaRuntime } from '../sla/runtime';
import { actorOf } from './auth';

const PREFIX = '/api/v1';
const MAX_LIMIT = 1000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const FORMATS: readonly SlaReportFormat[] = ['json', 'csv', 'html', 'pdf'];

export interface SlaRouterDeps {
  /** Undefined when no school has SLA settings: every route answers 404. */
  runtime: SlaRuntime | undefined;
  now?: () => Date;
}

/** Query or body reader that lists every problem before answering 400. */
class Input {
  readonly issues: Issue[] = [];
  private readonly v: Record<string, unknown>;
  constructor(input: unknown, private readonly where: 'query' | 'body', allowed: readonly string[]) {
    this.v = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
    for (const k of Object.keys(this.v)) if (!allowed.includes(k)) this.bad(k, `unknown parameter; allowed: ${allowed.join(', ') || 'none'}`);
  }
  bad(name: string, message: string): undefined { this.issues.push({ path: `/${this.where}/${name}`, message }); return undefined; }
  str(name: string, re?: RegExp, hint = 'has the wrong shape'): string | undefined {
    const v = this.v[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length === 0 || v.length > 200) return this.bad(name, 'must be one string of 1..200 characters');
    return re === undefined || re.test(v) ? v : this.bad(name, hint);
  }
  int(name: string, min: number, max: number): number | undefined {
    const s = this.str(name, /^\d{1,10}$/, `must be an integer from ${min} to ${max}`);
    if (s === undefined) return undefined;
    const n = Number(s);
    return n >= min && n <= max ? n : this.bad(name, `must be an integer from ${min} to ${max}`);
  }
  done(): void {
    if (this.issues.length > 0) throw new GatewayError('GW_API_BAD_REQUEST', `Invalid request parameters: ${this.issues.map((i) => i.path).join(', ')}.`, { issues: this.issues });
  }
}

function param(req: Request, name: string): string {
  const v: unknown = req.params[name];
  return typeof v === 'string' ? v : '';
}

function idParam(req: Request): number {
  const raw = param(req, 'id');
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1) {
    throw new GatewayError('GW_API_BAD_REQUEST', 'Invalid id in path.', { issues: [{ path: '/params/id', message: 'must be a positive integer' }] });
  }
  return Number(raw);
}

function tagged(template: string, handler: RequestHandler): RequestHandler {
  return (req, res, next) => {
    res.locals['routeTemplate'] = `${PREFIX}${template}`;
    return handler(req, res, next);
  };
}

/** The `/api/v1` router of the SLA engine. Mount it after bearer auth. */
export function createSlaRouter(deps: SlaRouterDeps): Router {
  const now = deps.now ?? (() => new Date());
  const router = express.Router();
  const rt = (): SlaRuntime => {
    if (deps.runtime === undefined) throw new GatewayError('GW_API_NOT_FOUND', 'The SLA engine is not configured (no school has schools[].sla).');
    return deps.runtime;
  };
  const school = (req: Request): string => {
    const id = param(req, 'schoolId');
    if (!rt().engine.schools.has(id)) throw new GatewayError('GW_SCHOOL_UNKNOWN', `School ${id} has no SLA settings.`, { context: { schoolId: id } });
    return id;
  };
  const get = (path: string, h: (req: Request, res: Response) => Promise<void>): void => { router.get(path, tagged(path, h)); };

  get('/sla/schools', async (req, res) => {
    new Input(req.query, 'query', []).done();
    const r = rt();
    const open = await r.store.openCounts();
    const states = await r.store.alertStates();
    const items = [];
    for (const s of r.engine.schools.values()) {
      items.push({
        schoolId: s.schoolId, schoolName: s.name, timeZone: s.sla.timeZone, profiles: s.sla.profileIds,
        counts: await r.store.stateCounts(s.schoolId),
        obligations: s.sla.obligations.map((o) => {
          const c = open.find((x) => x.schoolId === s.schoolId && x.obligation === o.key);
          const st = states.find((x) => x.schoolId === s.schoolId && x.obligation === o.key);
          return {
            key: o.key, title: o.title, atRisk: c?.atRisk ?? 0, breached: c?.breached ?? 0, level: st?.observedLevel ?? 'ok',
            alertedLevel: st?.alertedLevel ?? 'ok', ...(c?.earliestDueAt !== undefined ? { earliestDueAt: c.earliestDueAt } : {}),
          };
        }),
      });
    }
    res.json({ items });
  });

  get('/sla/schools/:schoolId/report', async (req, res) => {
    const r = new Input(req.query, 'query', ['from', 'to', 'format']);
    const from = r.str('from', DATE, 'must be YYYY-MM-DD') ?? r.bad('from', 'is required');
    const to = r.str('to', DATE, 'must be YYYY-MM-DD') ?? r.bad('to', 'is required');
    const format = (r.str('format') ?? 'json') as SlaReportFormat;
    if (!FORMATS.includes(format)) r.bad('format', `must be one of: ${FORMATS.join(', ')}`);
    if (from !== undefined && to !== undefined && from > to) r.bad('to', 'must not be before from');
    r.done();
    const schoolId = school(req);
    const data = await rt().report(schoolId, from as string, to as string);
    const out = await renderSlaReport(data, format);
    if (format !== 'json') res.set('Content-Disposition', `attachment; filename="sla-${schoolId}-${from as string}-${to as string}.${out.extension}"`);
    res.type(out.contentType).send(out.body);
  });

  get('/sla/schools/:schoolId/obligations', async (req, res) => {
    const r = new Input(req.query, 'query', ['state', 'obligation', 'from', 'to', 'limit', 'offset']);
    const state = r.str('state');
    if (state !== undefined && !SLA_STATES.includes(state as SlaState)) r.bad('state', `must be one of: ${SLA_STATES.join(', ')}`);
    const obligation = r.str('obligation', /^[a-z0-9-]+\/[a-z0-9-]+$/, 'must be <profile>/<obligation>');
    const from = r.str('from', DATE, 'must be YYYY-MM-DD');
    const to = r.str('to', DATE, 'must be YYYY-MM-DD');
    const limit = r.int('limit', 1, MAX_LIMIT) ?? 100;
    const offset = r.int('offset', 0, 1e9) ?? 0;
    r.done();
    const items = await rt().store.listObligations({
      schoolId: school(req), ...(state !== undefined ? { states: [state as SlaState] } : {}), ...(obligation !== undefined ? { obligation } : {}),
      ...(from !== undefined ? { fromDate: from } : {}), ...(to !== undefined ? { toDate: to } : {}), limit, offset,
    });
    res.json({ items, limit, offset });
  });

  get('/sla/schools/:schoolId/alerts', async (req, res) => {
    const r = new Input(req.query, 'query', ['limit']);
    const limit = r.int('limit', 1, MAX_LIMIT) ?? 100;
    r.done();
    res.json({ items: await rt().store.listAlerts({ schoolId: school(req), limit }), limit });
  });

  get('/sla/access-codes', async (req, res) => {
    const r = new Input(req.query, 'query', ['schoolId', 'open', 'limit']);
    const schoolId = r.str('schoolId');
    const open = r.str('open', /^(true|false)$/, 'must be true or false');
    const limit = r.int('limit', 1, MAX_LIMIT) ?? 100;
    r.done();
    const items = await rt().accessCodes.list({ ...(schoolId !== undefined ? { schoolId } : {}), ...(open !== undefined ? { open: open === 'true' } : {}), limit }, now());
    res.json({ items, limit });
  });

  get('/sla/access-codes/:id', async (req, res) => {
    new Input(req.query, 'query', []).done();
    res.json(await rt().accessCodes.get(idParam(req), now()));
  });

  // Bodies are parsed only here, after auth.
  router.post('/sla/access-codes', express.json({ limit: '4kb' }), tagged('/sla/access-codes', async (req, res) => {
    new Input(req.query, 'query', []).done();
    const b = new Input(req.body, 'body', ['schoolId', 'familyRef', 'receivedAt']);
    const schoolId = b.str('schoolId') ?? b.bad('schoolId', 'is required');
    const familyRef = b.str('familyRef') ?? b.bad('familyRef', 'is required');
    const receivedAt = b.str('receivedAt');
    b.done();
    const v = await rt().accessCodes.register({ schoolId: schoolId as string, familyRef: familyRef as string, ...(receivedAt !== undefined ? { receivedAt } : {}), actor: actorOf(res), now: now() });
    res.status(201).location(`${PREFIX}/sla/access-codes/${v.id}`).json(v);
  }));

  router.post('/sla/access-codes/:id/issue', express.json({ limit: '4kb' }), tagged('/sla/access-codes/:id/issue', async (req, res) => {
    new Input(req.query, 'query', []).done();
    const b = new Input(req.body ?? {}, 'body', ['issuedAt']);
    const issuedAt = b.str('issuedAt');
    b.done();
    res.json(await rt().accessCodes.issue(idParam(req), { ...(issuedAt !== undefined ? { issuedAt } : {}), actor: actorOf(res), now: now() }));
  }));

  return router;
}

// --- OpenAPI 3.1 fragment (merge into openapi.ts: paths and components.schemas) -----------------

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
const sref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const rref = (name: string): Json => ({ $ref: `#/components/responses/${name}` });
const ok = (schema: Json, description: string): Json => ({ description, content: { 'application/json': { schema } } });
const q = (name: string, description: string, schema: Json): Json => ({ name, in: 'query', required: false, description, schema });
const pathParam = (name: string, schema: Json): Json => ({ name, in: 'path', required: true, schema });
const errors = { '400': rref('BadRequest'), '401': rref('Unauthorized'), '404': rref('NotFound'), '500': rref('Internal'), '503': rref('Unavailable') };
const op = (operationId: string, summary: string, extra: Record<string, Json>, responses: Record<string, Json>): Json =>
  ({ operationId, summary, tags: ['sla'], ...extra, responses: { ...responses, ...errors } });
const S = { type: 'string' } as const;
const T = { type: 'string', format: 'date-time' } as const;
const D = { type: 'string', format: 'date' } as const;
const N = { type: 'integer', minimum: 0 } as const;
const LEVEL: Json = { enum: ['ok', 'at_risk', 'breached'] };
const CLOCK: Json = { enum: ['on_time', 'late', 'pending', 'overdue', 'unknown'] };
const CHANNEL: Json = { enum: ['pending', 'sent', 'failed', 'skipped'] };
const limitParam = q('limit', 'At most this many items (1..1000, default 100).', { type: 'integer', minimum: 1, maximum: 1000 });
const schoolParam = pathParam('schoolId', S);
const idParamDoc = pathParam('id', { type: 'integer', minimum: 1 });

/** Component schemas of the SLA routes. */
export const SLA_OPENAPI_SCHEMAS: Record<string, Json> = {
  SlaState: { enum: [...SLA_STATES] },
  SlaObligationRow: {
    type: 'object', required: ['recordId', 'obligation', 'schoolId', 'entityType', 'periodDate', 'sourceLateMs', 'sourceApproximate', 'gatewayLateMs', 'lateMs', 'state', 'evaluatedAt'],
    properties: {
      recordId: S, obligation: S, schoolId: S, entityType: S, recordRevision: N, recordRef: S, classGroupId: S, classLabel: S, subjectId: S, subjectLabel: S,
      eventDate: D, clockStart: T, dueAt: T, dueDate: D, periodDate: D, metAt: T, sourceStatus: CLOCK, sourceLateMs: N, sourceBasis: S,
      sourceApproximate: { type: 'boolean' }, gatewayStatus: CLOCK, gatewayLateMs: N, gatewayDueAt: T, lateMs: N, state: sref('SlaState'),
      detail: S, nextCheckAt: T, evaluatedAt: T,
    },
  },
  SlaSchool: {
    type: 'object', required: ['schoolId', 'schoolName', 'timeZone', 'profiles', 'counts', 'obligations'],
    properties: {
      schoolId: S, schoolName: S, timeZone: S, profiles: { type: 'array', items: S },
      counts: { type: 'object', additionalProperties: N },
      obligations: {
        type: 'array',
        items: {
          type: 'object', required: ['key', 'title', 'atRisk', 'breached', 'level', 'alertedLevel'],
          properties: { key: S, title: S, atRisk: N, breached: N, level: LEVEL, alertedLevel: LEVEL, earliestDueAt: T },
        },
      },
    },
  },
  SlaAlert: {
    type: 'object', required: ['id', 'schoolId', 'obligation', 'level', 'previousLevel', 'createdAt', 'payload', 'webhookState', 'emailState', 'attempts'],
    properties: {
      id: { type: 'integer', minimum: 1 }, schoolId: S, obligation: S, level: LEVEL, previousLevel: LEVEL, createdAt: T, payload: { type: 'object' },
      webhookState: CHANNEL, emailState: CHANNEL, attempts: N, nextAttemptAt: T, lastError: S, sentAt: T,
    },
  },
  AccessCodeRequest: {
    type: 'object', required: ['id', 'ref', 'schoolId', 'familyRef', 'receivedAt', 'registeredAt', 'dueAt', 'dueDate', 'registeredBy', 'status', 'movedToNextWorkingDay', 'createdAt', 'updatedAt'],
    properties: {
      id: { type: 'integer', minimum: 1 }, ref: S, schoolId: S, familyRef: S, receivedAt: T, registeredAt: T, dueAt: T, dueDate: D, registeredBy: S,
      issuedAt: T, issuedBy: S, status: { enum: ['open', 'overdue', 'issued', 'issued_late'] }, movedToNextWorkingDay: { type: 'boolean' }, createdAt: T, updatedAt: T,
    },
  },
  AccessCodeRequestInput: {
    type: 'object', additionalProperties: false, required: ['schoolId', 'familyRef'],
    properties: { schoolId: S, familyRef: { type: 'string', pattern: '^(?=.*[0-9])[A-Za-z0-9._:/-]{1,64}$' }, receivedAt: T },
  },
  SlaReport: {
    type: 'object', required: ['meta', 'summary', 'byClass', 'byPeriod', 'late'], description: 'SlaReportData of src/sla/report.ts; lateness in ms.',
    properties: {
      meta: { type: 'object' }, summary: { type: 'array', items: { type: 'object' } }, byClass: { type: 'array', items: { type: 'object' } },
      byPeriod: { type: 'array', items: { type: 'object' } }, late: { type: 'array', items: { type: 'object' } },
    },
  },
};

/** Paths of the SLA routes, keyed as in openapi.ts (`/api/v1/...`). */
export const SLA_OPENAPI_PATHS: Record<string, Json> = {
  '/api/v1/sla/schools': {
    get: op('listSlaSchools', 'Schools that follow regulations: row counts per state, open (at-risk, breached) rows and alert level per obligation', {},
      { '200': ok({ type: 'object', required: ['items'], properties: { items: { type: 'array', items: sref('SlaSchool') } } }, 'Schools') }),
  },
  '/api/v1/sla/schools/{schoolId}/report': {
    get: op('getSlaReport', 'Compliance report (Russian): per obligation, class and month, with late and missing records', {
      parameters: [schoolParam, { ...(q('from', 'First local day (by due date), YYYY-MM-DD.', D) as Record<string, Json>), required: true },
        { ...(q('to', 'Last local day, YYYY-MM-DD.', D) as Record<string, Json>), required: true }, q('format', 'json (default), csv, html or pdf.', { enum: [...FORMATS] })],
    }, {
      '200': {
        description: 'The report',
        content: {
          'application/json': { schema: sref('SlaReport') }, 'text/csv': { schema: S }, 'text/html': { schema: S },
          'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } },
        },
      },
    }),
  },
  '/api/v1/sla/schools/{schoolId}/obligations': {
    get: op('listSlaObligations', 'Judged (record, obligation) rows of a school, by reporting date', {
      parameters: [schoolParam, q('state', 'Only this state.', sref('SlaState')), q('obligation', '<profile>/<obligation>.', S), q('from', 'First local day.', D),
        q('to', 'Last local day.', D), limitParam, q('offset', 'Skip this many.', N)],
    }, { '200': ok({ type: 'object', required: ['items', 'limit', 'offset'], properties: { items: { type: 'array', items: sref('SlaObligationRow') }, limit: N, offset: N } }, 'Rows') }),
  },
  '/api/v1/sla/schools/{schoolId}/alerts': {
    get: op('listSlaAlerts', 'Alerts queued and sent for a school, newest first', { parameters: [schoolParam, limitParam] },
      { '200': ok({ type: 'object', required: ['items', 'limit'], properties: { items: { type: 'array', items: sref('SlaAlert') }, limit: N } }, 'Alerts') }),
  },
  '/api/v1/sla/access-codes': {
    get: op('listAccessCodeRequests', 'Access-code requests, oldest first', {
      parameters: [q('schoolId', 'Only this school.', S), q('open', 'true: not yet issued; false: issued.', { enum: ['true', 'false'] }), limitParam],
    }, { '200': ok({ type: 'object', required: ['items', 'limit'], properties: { items: { type: 'array', items: sref('AccessCodeRequest') }, limit: N } }, 'Requests') }),
    post: op('registerAccessCodeRequest', 'Register a family\'s request; its deadline follows the school\'s regulations', {
      requestBody: { required: true, content: { 'application/json': { schema: sref('AccessCodeRequestInput') } } },
    }, { '201': ok(sref('AccessCodeRequest'), 'Registered'), '409': rref('Conflict') }),
  },
  '/api/v1/sla/access-codes/{id}': {
    get: op('getAccessCodeRequest', 'One access-code request', { parameters: [idParamDoc] }, { '200': ok(sref('AccessCodeRequest'), 'Request') }),
  },
  '/api/v1/sla/access-codes/{id}/issue': {
    post: op('issueAccessCode', 'Record that the code was handed over (default: now)', {
      parameters: [idParamDoc],
      requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { issuedAt: T } } } } },
    }, { '200': ok(sref('AccessCodeRequest'), 'Issued'), '409': rref('Conflict') }),
  },
};
