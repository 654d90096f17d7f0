import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../../../src/core/logger';
import { addDays, vendorDate } from '../dates';
import { ASSIGNMENT_TYPES, fullName, type DemoSchool } from './data';
import { mountFaultEndpoint, faultMiddleware } from '../../../src/infra/sim/server';
import type { FaultState } from './faults';
import { mountMobileApi } from './mobile-routes';
import { assignmentDetailsJson, contextJson, diaryInitJson, diaryJson, pastMandatoryJson, schoolYearJson } from './serialize';
import { SIM_TIMEOUT_SEC, type SessionStore, type SimSession } from './sessions';

export interface SimAppDeps {
  school: DemoSchool;
  faults: FaultState;
  sessions: SessionStore;
  mobileToken: string;
  log: Logger;
  /** Hook for `/_sim/live-tick` and the live timer. */
  addLiveMark(): number | undefined;
  /** The school's wall clock now ('YYYY-MM-DDTHH:MM:SS'), for marks set through `/_sim/set-mark`. */
  wallClock(): string;
}

const SECURITY_WARNING_HTML = '<html><head><meta charset="utf-8"><title>Предупреждение</title></head><body>'
  + 'Под вашим логином работает кто-то другой. <a href="/asp/SecurityWarning.asp">Продолжить</a></body></html>';

function cookieOf(req: Request, name: string): string | undefined {
  const raw = req.headers.cookie ?? '';
  for (const part of raw.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
}

type Authed = Request & { simSession?: SimSession };

/**
 * The simulated NetSchool server: `/webapi/*` (web API with the login dance), `/asp/*`
 * (SecurityWarning confirmation), `/api/mobile/*` (bearer token) and `/_sim/*` (control).
 */
export function createSimApp(deps: SimAppDeps): express.Express {
  const { school, faults, sessions } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // Control plane, not subject to faults.
  mountFaultEndpoint(app, (f) => faults.apply(f));
  app.post('/_sim/live-tick', (_req, res) => { res.json({ assignmentId: deps.addLiveMark() ?? null }); });
  // A teacher grades a work (e.g. an overdue one) now: {assignmentId, studentId, mark}.
  app.post('/_sim/set-mark', express.json(), (req, res) => {
    const b = (req.body ?? {}) as { assignmentId?: unknown; studentId?: unknown; mark?: unknown };
    const mark = Number(b.mark);
    const at = deps.wallClock();
    const ok = Number.isInteger(mark) && mark >= 1 && mark <= 5 && school.setMark(Number(b.assignmentId), Number(b.studentId), mark, at);
    res.status(ok ? 200 : 400).json({ ok });
  });
  app.get('/_sim/state', (_req, res) => {
    res.json({ sessions: sessions.list().length, malformedRemaining: faults.malformedRemaining, shape: faults.shape ?? null, statuses: faults.statuses.length });
  });

  app.use((_req, _res, next) => {
    if (faults.expireRequested) { sessions.expireAll(); faults.expireRequested = false; }
    next();
  });
  app.use(faultMiddleware(faults, (res, st) => {
    res.status(st.status).type('text/html').send('<html><body>Сервис временно недоступен</body></html>');
  }));
  app.use(express.urlencoded({ extended: false }));
  app.use(express.json());

  // ---- sign-in (no session needed) ----
  app.get('/webapi/logindata', (_req, res) => {
    res.cookie('NSSESSIONID', sessions.newCookie(), { path: '/', httpOnly: true });
    res.json({
      schoolLogin: true, esiaLogin: true, esiaMainAuth: false, esiaButton: true, signatureLogin: false,
      windowsAuth: false, enableSms: false, esaLogin: false, version: '5.43.62218.45', productName: 'Сетевой Город. Образование',
    });
  });
  app.post('/webapi/auth/getdata', (req, res) => {
    let cookie = cookieOf(req, 'NSSESSIONID');
    if (!cookie) { cookie = sessions.newCookie(); res.cookie('NSSESSIONID', cookie, { path: '/', httpOnly: true }); }
    res.json(sessions.issueTicket(cookie));
  });
  app.get('/webapi/schools/search', (req, res) => {
    const name = str(req.query.name);
    if (!name) { res.status(403).json({ message: 'Доступ запрещён' }); return; }
    const q = name.toLowerCase();
    const all = [school.school, ...school.otherSchools];
    res.json(all.filter((s) => s.name.toLowerCase().includes(q) || s.shortName.toLowerCase().includes(q)));
  });
  app.post('/webapi/login', (req, res) => {
    if (!req.headers.referer) { res.status(400).type('text/plain').send('Bad Request'); return; }
    const form = (req.body ?? {}) as Record<string, string>;
    const r = sessions.login(form, cookieOf(req, 'NSSESSIONID'), faults.takeCollision());
    if (!r.ok) { res.status(r.status).json({ message: r.message }); return; }
    res.json({
      at: r.session.at, code: null, timeOut: SIM_TIMEOUT_SEC, entryPoint: '/angular/school/studentdiary/',
      errorMessage: null, accountInfo: { activeToken: null, secureActiveToken: null, currentOrganization: { id: school.school.id, name: school.school.shortName }, user: { id: r.session.userId, name: r.session.login } },
    });
  });
  app.get('/webapi/context/expired', (req, res) => {
    const token = str(req.query.token);
    res.json(!token || !sessions.byToken(token));
  });
  app.get('/webapi/grade/assignment/types', (_req, res) => {
    res.json(ASSIGNMENT_TYPES.map(({ id, name, abbr, order }) => ({ id, name, abbr, order })));
  });

  app.post('/asp/SecurityWarning.asp', (req, res) => {
    const at = str((req.body as Record<string, unknown> | undefined)?.at);
    const s = at ? sessions.byToken(at) : undefined;
    if (s && str((req.body as Record<string, unknown>).WarnType) === '2') s.warning = false;
    res.type('text/html').send('<html><body>OK</body></html>');
  });

  // ---- authenticated web API ----
  const auth = (req: Authed, res: Response, next: NextFunction): void => {
    const s = sessions.authenticate(str(req.headers.at), cookieOf(req, 'NSSESSIONID'));
    if (!s) { res.status(401).end(); return; }
    if (s.warning && req.path !== '/webapi/auth/logout') { res.status(200).type('text/html').send(SECURITY_WARNING_HTML); return; }
    req.simSession = s;
    next();
  };
  const session = (req: Request): SimSession => (req as Authed).simSession as SimSession;

  app.post('/webapi/auth/logout', auth, (req, res) => { sessions.end(session(req).at); res.status(200).end(); });
  app.get('/webapi/context', auth, (req, res) => { const s = session(req); res.json(contextJson(school, s.at, s.userId, s.login)); });
  app.get('/webapi/context/activeSessions', auth, (_req, res) => {
    res.json(sessions.list().map((s) => ({
      schoolId: school.school.id, eoName: school.school.shortName, at: s.at, userId: s.userId, loginName: s.login, nickName: s.login,
      loginTime: new Date(s.loginTime).toISOString(), lastAccessTime: new Date(s.lastSeen).toISOString(), ip: '127.0.0.1', roles: 'Parent', eMs: null, timeOut: SIM_TIMEOUT_SEC,
    })));
  });
  app.get('/webapi/context/students', auth, (_req, res) => {
    res.json(school.classes.flatMap((c) => c.students.map((s) => ({ id: s.id, name: fullName(s) }))));
  });
  app.get('/webapi/years/current', auth, (_req, res) => { res.json(schoolYearJson(school.currentYear, school.school.id)); });
  app.get('/webapi/context/years', auth, (_req, res) => { res.json(school.years.map((y) => schoolYearJson(y, school.school.id))); });
  app.get('/webapi/student/diary/init', auth, (_req, res) => { res.json(diaryInitJson(school)); });
  app.get('/webapi/student/diary', auth, (req, res) => {
    const student = school.students.get(Number(str(req.query.studentId)));
    const from = vendorDate(str(req.query.weekStart));
    const to = vendorDate(str(req.query.weekEnd)) ?? (from ? addDays(from, 6) : undefined);
    const yearId = str(req.query.yearId);
    if (!student || !from || !to || to < from) { res.status(400).json({ message: 'Неверные параметры запроса' }); return; }
    if (yearId !== undefined && !school.years.some((y) => String(y.id) === yearId)) { res.status(400).json({ message: 'Неверный учебный год' }); return; }
    res.json(diaryJson(school, student, from, to, faults));
  });
  app.get('/webapi/student/diary/pastMandatory', auth, (req, res) => {
    if (faults.noPastMandatory) { res.status(404).json({ message: 'Not found' }); return; }
    const student = school.students.get(Number(str(req.query.studentId)));
    const from = vendorDate(str(req.query.weekStart));
    const to = vendorDate(str(req.query.weekEnd));
    if (!student || !from || !to || to < from) { res.status(400).json({ message: 'Неверные параметры запроса' }); return; }
    res.json(pastMandatoryJson(school, student, from, to, faults));
  });
  app.get('/webapi/student/diary/assigns/:id', auth, (req, res) => {
    const sid = str(req.query.studentId);
    if (sid !== undefined && !school.students.has(Number(sid))) { res.status(400).json({ message: 'Неверные параметры запроса' }); return; }
    const body = assignmentDetailsJson(school, Number(req.params.id), faults);
    if (!body) { res.status(404).json({ message: 'Задание не найдено' }); return; }
    res.json(body);
  });

  // Report filters: only what the adapter reads of them (term list and term dates, sources §1.6).
  app.get('/webapi/reports/studentGrades', auth, (_req, res) => {
    const terms = school.terms();
    const current = terms.find((t) => t.start <= school.today && school.today <= t.end) ?? terms[0];
    const students = school.classes.flatMap((c) => c.students);
    res.json({
      report: { id: 'StudentGrades', name: 'Отчет об успеваемости', group: 'Успеваемость', level: 'Student', order: 1, filterPanel: { filters: [] }, presentTypes: [] },
      filterSources: [
        { filterId: 'SID', items: students.map((s) => ({ title: fullName(s), value: String(s.id) })), defaultValue: String(students[0]?.id ?? '') },
        { filterId: 'PCLID_IUP', items: school.classes.map((c) => ({ title: c.name, value: `${c.id}_0` })), defaultValue: `${school.classes[0]?.id ?? 0}_0` },
        { filterId: 'SGID', items: school.subjects.map((s) => ({ title: s.name, value: String(s.id) })), defaultValue: '' },
        { filterId: 'TERMID', items: terms.map((t) => ({ title: t.name, value: String(t.id) })), defaultValue: String(current?.id ?? '') },
      ],
    });
  });
  app.post('/webapi/v2/reports/studentgrades/initfilters', auth, (req, res) => {
    const selected = (req.body as { selectedData?: { filterId?: string; filterValue?: unknown }[] } | undefined)?.selectedData ?? [];
    const termId = selected.find((x) => x.filterId === 'TERMID')?.filterValue;
    const term = school.terms().find((t) => String(t.id) === String(termId));
    if (!term) { res.status(400).json({ message: 'Неверный фильтр' }); return; }
    const range = { start: `${term.start}T00:00:00`, end: `${term.end}T00:00:00` };
    res.json([{ filterId: 'period', items: null, defaultValue: null, range, defaultRange: range, minValue: range.start, maxValue: range.end }]);
  });

  // ---- mobile API (bearer token) ----
  mountMobileApi(app, school, faults, deps.mobileToken);

  app.use((_req, res) => { res.status(404).json({ message: 'Not found' }); });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    deps.log.error('netschool simulator error', { error: err instanceof Error ? err.message : String(err) });
    res.status(500).json({ message: 'Internal error' });
  });
  return app;
}
