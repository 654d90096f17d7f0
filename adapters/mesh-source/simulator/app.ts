import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../../../src/core/logger';
import { vendorDate } from '../dates';
import type { DemoSchool, SimStudent } from './data';
import { faultMiddleware, mountFaultEndpoint } from '../../../src/infra/sim/server';
import type { FaultState } from './faults';
import { eventsJson, homeworksJson, marksJson, periodsSchedulesJson, profileJson, subjectMarksJson, subjectsJson } from './serialize';

export interface SimAppDeps { school: DemoSchool; faults: FaultState; token: string; log: Logger }

/** The page api.myschool.mosreg.ru answered with after the summer-2025 changes (OctoDiary issue #8). */
export const HTML_403 = '<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>';
export const SESSION_ENDED_TEXT = 'Предыдущая сессия работы в ЭЖД завершена. Войдите в ЭЖД заново';

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
}

const problem = (res: Response, status: number, type: string, description: string, details: unknown = null): void => {
  res.status(status).json({ type, description, details });
};

/**
 * The simulated МЭШ: the family mobile API under `/api/family/mobile/v1` (school.mos.ru shape) and
 * `/family/mobile/v1` (api.myschool.mosreg.ru shape), the event calendar under
 * `/api/eventcalendar/v1/api/events`, and `/_sim/*` (control).
 */
export function createSimApp(deps: SimAppDeps): express.Express {
  const { school, faults, token } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  mountFaultEndpoint(app, (f) => faults.apply(f));

  app.use(faultMiddleware(faults, (res, st) => {
    if (st.status >= 500) res.status(st.status).type('text/html').send('<html><body>502 Bad Gateway</body></html>');
      else if (st.status === 429) problem(res, 429, 'too_many_requests', 'Слишком много запросов');
    else problem(res, st.status, 'error', 'Ошибка запроса');
  }));

  /** Token in `Authorization: Bearer` and/or `Auth-Token` (or cookie aupd_token); when several are sent they must agree. */
  const auth = (req: Request, res: Response, next: NextFunction): void => {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const authToken = str(req.headers['auth-token']);
    const cookie = /(?:^|;\s*)aupd_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const given = [bearer, authToken, cookie].filter((x): x is string => x !== undefined);
    if (given.length === 0 || given.some((t) => t !== token)) { problem(res, 401, 'authentication', 'Необходима авторизация'); return; }
    if (faults.sessionEnded) { problem(res, 401, 'authentication', SESSION_ENDED_TEXT); return; }
    next();
  };

  /** Family calls need `x-mes-subsystem: familymp` and the right `profile-id`. */
  const family = (req: Request, res: Response, next: NextFunction): void => {
    if (faults.takeHtml403() || str(req.headers['x-mes-subsystem']) !== 'familymp') { res.status(403).type('text/html').send(HTML_403); return; }
    if (str(req.headers['profile-id']) !== String(school.profileId)) { problem(res, 403, 'access_denied', 'Профиль недоступен'); return; }
    next();
  };

  const student = (req: Request, res: Response): SimStudent | undefined => {
    const s = school.students.get(Number(str(req.query.student_id)));
    if (!s) problem(res, 404, 'not_found', 'Обучающийся не найден');
    return s;
  };
  const range = (req: Request, res: Response, a = 'from', b = 'to'): [string, string] | undefined => {
    const from = vendorDate(str(req.query[a]));
    const to = vendorDate(str(req.query[b]));
    if (!from || !to || to < from) { problem(res, 400, 'validation', 'Неверный период', { [a]: str(req.query[a]) ?? null, [b]: str(req.query[b]) ?? null }); return undefined; }
    return [from, to];
  };

  const router = express.Router();
  router.use(auth, family);
  router.get('/profile', (_req, res) => { res.json(profileJson(school)); });
  router.get('/subjects/list', (req, res) => { if (student(req, res)) res.json(subjectsJson(school, faults)); });
  router.get('/marks', (req, res) => {
    const s = student(req, res); if (!s) return;
    const r = range(req, res); if (!r) return;
    res.json(marksJson(school, s, r[0], r[1], faults));
  });
  router.get('/homeworks/short', (req, res) => {
    const s = student(req, res); if (!s) return;
    const r = range(req, res); if (!r) return;
    res.json(homeworksJson(school, s, r[0], r[1], faults));
  });
  router.get('/subject_marks', (req, res) => { const s = student(req, res); if (s) res.json(subjectMarksJson(school, s, faults)); });
  router.get('/periods_schedules', (req, res) => {
    if (!student(req, res)) return;
    const r = range(req, res); if (!r) return;
    res.json(periodsSchedulesJson(school, r[0], r[1], faults));
  });
  app.use('/api/family/mobile/v1', router);
  app.use('/family/mobile/v1', router);

  app.get('/api/eventcalendar/v1/api/events', auth, (req, res) => {
    const ids = (str(req.query.person_ids) ?? '').split(',').filter(Boolean);
    const students = ids.flatMap((id) => [...school.students.values()].filter((s) => s.guid === id || String(s.id) === id));
    if (students.length === 0) { problem(res, 400, 'validation', 'Не указан person_ids'); return; }
    const r = range(req, res, 'begin_date', 'end_date'); if (!r) return;
    // One person per call is what the mobile app sends; several are concatenated.
    const lists = students.map((s) => eventsJson(school, s, r[0], r[1], faults));
    if (lists.length === 1) { res.json(lists[0]); return; }
    const all = lists.flatMap((l) => (Array.isArray(l) ? l : (l as { response: unknown[] }).response));
    res.json(faults.shapes.has('events') ? all : { total_count: all.length, response: all, errors: null });
  });

  app.use((_req, res) => { problem(res, 404, 'not_found', 'Ресурс не найден'); });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    deps.log.error('mesh simulator error', { error: err instanceof Error ? err.message : String(err) });
    problem(res, 500, 'internal_error', 'Внутренняя ошибка');
  });
  return app;
}
