/**
 * The intake listener: what outside systems call, apart from the admin API (which stays on
 * loopback): journals pushing records (`/intake/v1/...`, per-school HMAC or bearer) and
 * ФГИС «Моя школа» pulling schedules (`/fgis/v1/...`, OAuth2 client credentials). Each part
 * authenticates its own callers; nothing here accepts an admin token.
 */
import express from 'express';
import { GatewayError } from '../core/errors';
import { nullLogger, type Logger } from '../core/logger';
import { createErrorHandler } from './error-handler';
import { createFgisRouter, type FgisRouterDeps } from './fgis/routes';
import { createPushRouter, type PushRouterDeps } from './push-routes';

export interface IntakeAppDeps {
  push?: PushRouterDeps;
  fgis?: FgisRouterDeps & { basePath: string };
  log?: Logger;
}

export function createIntakeApp(deps: IntakeAppDeps): express.Express {
  const log = deps.log ?? nullLogger;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  if (deps.push) app.use(createPushRouter({ ...deps.push, log: deps.push.log ?? log }));
  if (deps.fgis) app.use(deps.fgis.basePath, createFgisRouter({ ...deps.fgis, log: deps.fgis.log ?? log }));
  app.use((req, _res, next) => { next(new GatewayError('GW_API_NOT_FOUND', `No route for ${req.method} on this path.`)); });
  app.use(createErrorHandler(log));
  return app;
}
