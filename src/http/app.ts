/**
 * The admin HTTP app: probes, Prometheus metrics and the authenticated `/api/v1` admin API.
 *
 * No `listen()` here (see server.ts): tests drive the app with supertest, the runtime decides
 * where it listens. Order matters: bearer auth is mounted on `/api` before any API route, so
 * every `/api/` request without a valid token gets 401 — unknown paths included — and the
 * existence of a route is not revealed to anonymous callers.
 */
import express from 'express';
import type { SerializedError } from '../core/errors';
import { GatewayError } from '../core/errors';
import type { HoldView, Ledger } from '../core/ledger';
import { nullLogger, type Logger } from '../core/logger';
import type { GatewayMetrics } from '../infra/metrics';
import { API_PREFIX, createAdminRouter } from './admin-routes';
import { createBearerAuth } from './auth';
import { createErrorHandler } from './error-handler';
import { createUploadRouter, type UploadDeps } from './upload-routes';
import type { ConsentStore } from '../core/consent';
import { createFamiliesRouter } from './families-routes';
import type { SlaRuntime } from '../sla/runtime';
import { createSlaRouter } from './sla-routes';

/** What the runtime reports about one configured source of one school. */
export interface SourceStatus {
  schoolId: string;
  schoolName?: string;
  /** Adapter instance id from the config (e.g. `netschool`). */
  sourceInstance: string;
  /** Adapter type id. */
  adapter: string;
  /** Cron expression. */
  schedule?: string;
  nextRunAt?: string;
  running: boolean;
  healthy: boolean;
  /** Why it is unhealthy: `remedy` says what to do, `actor` who must act. */
  lastError?: SerializedError;
}

/** The runtime as the admin API sees it (read-only). */
export interface RuntimeView {
  sources(): SourceStatus[];
  /** True once the ledger is open, the config loaded and the scheduler started. */
  ready(): boolean;
}

export interface AdminDeps {
  ledger: Ledger;
  runtime: RuntimeView;
  metrics: GatewayMetrics;
  /** Accepted bearer tokens. Empty: every `/api/` call is refused. */
  tokens: readonly string[];
  now?: () => Date;
  log?: Logger;
  /** Require the bearer token on `/metrics` too (default false: scrapers usually sit inside). */
  metricsAuth?: boolean;
  /** The SLA engine (reports, obligations, alerts, access codes); absent = its routes answer 404. */
  sla?: SlaRuntime;
  /** The consent registry (families API); absent = not mounted. */
  consentStore?: ConsentStore;
  /** Told when a registered consent re-queued withheld deliveries (wakes the delivery workers). */
  onConsentRequeued?(n: number): void;
  /** File uploads into the inbox of a file-source instance (`PUT /api/v1/intake/files/...`). */
  upload?: UploadDeps;
  /** Told when an operator approved or rejected a safety hold (wakes the delivery workers). */
  onHoldDecided?(hold: HoldView): void;
}

/** Probe and scrape paths: logged at debug level, they arrive every few seconds. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function createApp(deps: AdminDeps): express.Express {
  const log = deps.log ?? nullLogger;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Plain key=value pairs only: nested `a[b]=` syntax is not part of this API.
  app.set('query parser', 'simple');

  app.use(requestLog(log));

  app.get('/healthz', (_req, res) => {
    res.locals['routeTemplate'] = '/healthz';
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    res.locals['routeTemplate'] = '/readyz';
    let ready = false;
    try {
      ready = deps.runtime.ready();
    } catch {
      ready = false;
    }
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready' });
  });

  const auth = createBearerAuth(deps.tokens);
  const metricsHandler: express.RequestHandler = async (_req, res) => {
    res.locals['routeTemplate'] = '/metrics';
    const text = await deps.metrics.registry.metrics();
    res.type(deps.metrics.registry.contentType).send(text);
  };
  if (deps.metricsAuth) app.get('/metrics', auth, metricsHandler);
  else app.get('/metrics', metricsHandler);

  app.use('/api', (_req, res, next) => {
    res.locals['routeTemplate'] = '/api/*';
    res.set('Cache-Control', 'no-store');
    next();
  }, auth);
  app.use(API_PREFIX, createAdminRouter(deps));
  app.use(API_PREFIX, createSlaRouter({ runtime: deps.sla, ...(deps.now ? { now: deps.now } : {}) }));
  if (deps.upload) app.use(API_PREFIX, createUploadRouter({ ...deps.upload, log: deps.upload.log ?? log }));
  if (deps.consentStore) {
    app.use(API_PREFIX, createFamiliesRouter({
      store: deps.consentStore, log, ...(deps.now ? { now: deps.now } : {}), ...(deps.onConsentRequeued ? { onRequeued: deps.onConsentRequeued } : {}),
    }));
  }
  // Reached only with a valid token (auth above answered everyone else).
  app.use((req, _res, next) => {
    next(new GatewayError('GW_API_NOT_FOUND', `No route for ${req.method} on this path.`));
  });
  app.use(createErrorHandler(log));

  return app;
}

/** Logs method, path template, status and duration of every request; nothing else. */
function requestLog(log: Logger): express.RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const template: unknown = res.locals['routeTemplate'];
      const route = typeof template === 'string' ? template : '(unmatched)';
      const meta = {
        method: req.method,
        route,
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      };
      if (QUIET_PATHS.has(route)) log.debug('admin http', meta);
      else log.info('admin http', meta);
    });
    next();
  };
}
