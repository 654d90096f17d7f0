import { randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { Logger } from '../../../src/core/logger';
import { addDays, parseDaysParam } from '../dates';
import type { DemoSchool } from './data';
import { faultMiddleware, mountFaultEndpoint } from '../../../src/infra/sim/server';
import type { FaultState } from './faults';
import { diaryJson, finalsJson, marksJson, periodsJson, rulesJson } from './serialize';

/** Token lifetime the simulator hands out (≈3 months, as samplec0de notes). */
export const SIM_TOKEN_DAYS = 90;
/** The error text ЭлЖур gives for a bad devkey (sources §3.3). */
export const BAD_DEVKEY_TEXT = 'не удалось авторизовать разработчика';

export interface SimAppDeps {
  school: DemoSchool;
  faults: FaultState;
  account: { login: string; password: string; devkey: string };
  now(): Date;
  log: Logger;
  addLiveMark(): string | undefined;
}

interface SimToken { token: string; expires: number }

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
}

/** 'YYYY-MM-DD hh:mm:ss' in the school's wall clock (+03:00). */
function wallClock(ms: number): string {
  return new Date(ms + 3 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

const envelope = (res: Response, result: unknown, state = 200, error: string | null = null, http = 200): void => {
  res.status(http).json({ response: { state, error, result } });
};

/**
 * The simulated ЭлЖур apiv3 under `/apiv3/<method>` (and `/api/<method>`): every call checks
 * `devkey`, `vendor` and `out_format`; data methods check `auth_token`. Errors come as the
 * `{response:{state,error,result}}` envelope: bad devkey with HTTP 400, everything else inside
 * HTTP 200 (wrong password state 400, missing token 401, expired or unknown token 403).
 */
export function createSimApp(deps: SimAppDeps): express.Express {
  const { school, faults, account } = deps;
  const tokens = new Map<string, SimToken>();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  mountFaultEndpoint(app, (f) => faults.apply(f));
  app.post('/_sim/live-tick', (_req, res) => { res.json({ studentId: deps.addLiveMark() ?? null }); });
  app.get('/_sim/state', (_req, res) => { res.json({ tokens: tokens.size, malformedRemaining: faults.malformedRemaining, shapes: [...faults.shapes] }); });

  app.use((_req, _res, next) => {
    if (faults.expireRequested) { tokens.clear(); faults.expireRequested = false; }
    next();
  });
  app.use(faultMiddleware(faults, (res, st) => {
    res.status(st.status).type('text/html').send('<html><body><h1>502 Bad Gateway</h1>nginx</body></html>');
  }));
  app.use(express.json());

  const router = express.Router();
  // Developer key, vendor and format on every method.
  router.use((req, res, next) => {
    if (str(req.query.out_format) !== 'json') {
      res.status(200).type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><response><state>200</state><error/><result/></response>');
      return;
    }
    if (str(req.query.devkey) !== account.devkey || faults.takeBadDevkey()) { envelope(res, {}, 400, BAD_DEVKEY_TEXT, 400); return; }
    if (str(req.query.vendor) !== school.vendor) { envelope(res, {}, 400, 'Неверно указан vendor'); return; }
    next();
  });

  const auth = (req: Request, res: Response): void => {
    const body = (req.method === 'POST' && req.body && typeof req.body === 'object' ? req.body : req.query) as Record<string, unknown>;
    if (str(body.login) !== account.login || str(body.password) !== account.password) { envelope(res, {}, 400, 'Неверный логин или пароль'); return; }
    const t: SimToken = { token: randomBytes(24).toString('hex'), expires: deps.now().getTime() + SIM_TOKEN_DAYS * 86_400_000 };
    tokens.set(t.token, t);
    envelope(res, { token: t.token, expires: wallClock(t.expires) });
  };
  router.get('/auth', auth);
  router.post('/auth', auth);

  router.use((req, res, next) => {
    const token = str(req.query.auth_token);
    if (!token) { envelope(res, {}, 401, 'Не передан токен авторизации'); return; }
    const t = tokens.get(token);
    if (!t || t.expires <= deps.now().getTime()) { tokens.delete(token); envelope(res, {}, 403, 'Токен недействителен или устарел'); return; }
    next();
  });

  const studentOf = (req: Request, res: Response): ReturnType<DemoSchool['students']['get']> | null => {
    const s = school.students.get(str(req.query.student) ?? '');
    if (!s) { envelope(res, {}, 400, 'Ученик не найден'); return null; }
    return s;
  };
  const daysOf = (req: Request, res: Response): { from: string; to: string } | null => {
    const d = parseDaysParam(str(req.query.days));
    if (!d) { envelope(res, {}, 400, 'Неверный формат параметра days'); return null; }
    if (addDays(d.from, 366) < d.to) { envelope(res, {}, 400, 'Слишком большой период'); return null; }
    return d;
  };

  router.get('/getrules', (_req, res) => { envelope(res, rulesJson(school, account.login)); });
  router.get('/getperiods', (req, res) => {
    const sid = str(req.query.student);
    const s = sid ? studentOf(req, res) : undefined;
    if (s === null) return;
    envelope(res, periodsJson(school, s, faults));
  });
  router.get('/getdiary', (req, res) => {
    const s = studentOf(req, res); if (!s) return;
    const d = daysOf(req, res); if (!d) return;
    envelope(res, diaryJson(school, s, d.from, d.to, faults, ['true', '1', 'yes'].includes(str(req.query.rings) ?? '')));
  });
  router.get('/getmarks', (req, res) => {
    const s = studentOf(req, res); if (!s) return;
    const d = daysOf(req, res); if (!d) return;
    envelope(res, marksJson(school, s, d.from, d.to, faults));
  });
  router.get('/getfinalassessments', (req, res) => {
    const s = studentOf(req, res); if (!s) return;
    envelope(res, finalsJson(school, s, faults));
  });
  router.use((_req, res) => { envelope(res, {}, 404, 'Метод не найден', 404); });

  app.use('/apiv3', router);
  app.use('/api', router);
  app.use((_req, res) => { res.status(404).type('text/html').send('<html><body>404</body></html>'); });
  app.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    deps.log.error('eljur simulator error', { error: err instanceof Error ? err.message : String(err) });
    envelope(res, {}, 500, 'Внутренняя ошибка сервера', 500);
  });
  return app;
}
