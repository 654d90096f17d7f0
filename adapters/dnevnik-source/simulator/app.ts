import express, { type Request, type Response } from 'express';
import type { Logger } from '../../../src/core/logger';
import { addDays, vendorDate } from '../dates';
import { SUBJECTS, type DemoSchool, type SimGroup } from './data';
import type { FaultSpec } from '../../../src/core/simulator';
import { faultMiddleware, mountFaultEndpoint } from '../../../src/infra/sim/server';
import type { FaultState } from './faults';
import * as ser from './serialize';

export interface SimAppDeps { school: DemoSchool; faults: FaultState; log: Logger; inject(f: FaultSpec): void }

/** The HTML error page the real API shows for some errors (sources §2.5). */
export function htmlErrorPage(status: number, text: string): string {
  return `<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Ошибка ${status} — Дневник.ру</title></head>`
    + `<body><div class="error"><h1 class="error__title">${status}</h1><div class="error__description">${text}</div></div></body></html>`;
}

function sendHtml(res: Response, status: number, text: string): void {
  res.status(status).type('text/html; charset=utf-8').send(htmlErrorPage(status, text));
}

function sendError(res: Response, status: number, type: string, description: string): void {
  res.status(status).type('application/json; charset=utf-8').send(JSON.stringify({ type, description }));
}

const param = (req: Request, k: string): string => String((req.params as Record<string, string>)[k] ?? '');

/**
 * Дневник.ру partners API v2 over express: `Access-Token` auth, ids as 19-digit numbers with
 * `_str` twins, PascalCase teachers and timetables, `{type, description}` JSON errors and HTML
 * error pages, plus `POST /_sim/faults`.
 */
export function createSimApp(d: SimAppDeps): express.Express {
  const app = express();
  const { school, faults } = d;
  const send = (res: Response, body: unknown): void => {
    res.status(200).type('application/json; charset=utf-8').send(ser.toJson(body, { dropStrIds: faults.shape === 'ids' }));
  };

  mountFaultEndpoint(app, d.inject, 'error');

  app.use(faultMiddleware(faults, (res, f) => {
    if (f.status === 429) sendError(res, 429, 'apiUnknownError', 'Превышено допустимое количество запросов');
    else if (f.status === 500) sendError(res, 500, 'apiServerError', 'Внутренняя ошибка сервера');
    else if (f.status >= 500) sendHtml(res, f.status, 'Сервис временно недоступен. Ведутся технические работы.');
    else sendError(res, f.status, 'parameterInvalid', 'Ошибка запроса');
  }));

  const v2 = express.Router();
  v2.use((req, res, next) => {
    const token = req.get('Access-Token');
    if (!token || token !== school.token || faults.tokenExpired) {
      sendError(res, 401, 'authorizationFailed', token ? 'Access token is invalid or expired' : 'Access token required');
      return;
    }
    next();
  });

  const groupOr404 = (req: Request, res: Response): SimGroup | undefined => {
    const g = school.group(param(req, 'g'));
    if (!g) sendError(res, 404, 'parameterInvalid', 'Группа не найдена');
    return g;
  };
  const rangeOr400 = (res: Response, a: unknown, b: unknown): [string, string] | undefined => {
    const from = vendorDate(a);
    const to = vendorDate(b);
    if (!from || !to || from > to) { sendError(res, 400, 'parameterInvalid', 'Неверный диапазон дат'); return undefined; }
    return [from, to];
  };

  v2.get('/users/me/context', (_req, res) => send(res, ser.context(school)));
  v2.get('/edu-groups/:g/reporting-periods', (req, res) => {
    if (!groupOr404(req, res)) return;
    send(res, school.periods.map((p) => ({ id: ser.num(p.id), id_str: p.id, start: `${p.start}T00:00:00`, finish: `${p.finish}T23:59:59`, number: p.number, type: 'Quarter', name: p.name, year: p.year })));
  });
  v2.get('/edu-groups/:g/students', (req, res) => { const g = groupOr404(req, res); if (g) send(res, g.students.map(ser.student)); });
  v2.get('/edu-groups/:g/subjects', (req, res) => { if (groupOr404(req, res)) send(res, ser.subjects(school)); });
  v2.get('/edu-groups/:g/teachers', (req, res) => { if (groupOr404(req, res)) send(res, ser.teachers(school, faults.shape === 'teachers-casing')); });
  v2.get('/edu-groups/:g/timetables', (req, res) => { const g = groupOr404(req, res); if (g) send(res, ser.timetable(g)); });
  v2.get('/work-types/:school', (req, res) => {
    if (param(req, 'school') !== school.schoolId) { sendError(res, 404, 'parameterInvalid', 'Школа не найдена'); return; }
    send(res, ser.workTypes(school, faults.shape === 'work-type-name'));
  });
  v2.get('/edu-groups/:g/lessons/:from/:to', (req, res) => {
    const g = groupOr404(req, res);
    const r = g && rangeOr400(res, param(req, 'from'), param(req, 'to'));
    if (g && r) send(res, school.lessons(g, r[0], r[1]).map((l) => ser.lesson(school, l, g)));
  });
  v2.get('/edu-groups/:g/marks/:from/:to', (req, res) => {
    const g = groupOr404(req, res);
    const r = g && rangeOr400(res, param(req, 'from'), param(req, 'to'));
    if (!g || !r) return;
    const marks = school.marks(g, r[0], r[1]).map((m) => ser.mark(m, faults.shape === 'mark-value') as Record<string, unknown>);
    if (marks[0] && faults.takeMalformed()) marks[0].value = null;
    send(res, marks);
  });
  v2.get('/lesson-log-entries/group/:g', (req, res) => {
    const g = groupOr404(req, res);
    const r = g && rangeOr400(res, req.query.from, req.query.to);
    if (!g || !r) return;
    send(res, school.logEntries(g, r[0], r[1]).map(ser.logEntry));
  });
  v2.get('/persons/:p/groups/:g/schedules', (req, res) => {
    const g = groupOr404(req, res);
    const r = g && rangeOr400(res, req.query.startDate, req.query.endDate);
    if (!g || !r) return;
    const person = param(req, 'p');
    if (!g.students.some((s) => s.id === person)) { sendError(res, 404, 'parameterInvalid', 'Персона не найдена в группе'); return; }
    const days = [];
    for (let d = r[0]; d <= r[1]; d = addDays(d, 1)) days.push(ser.scheduleDay(school, g, person, d, addDays(d, 1)));
    send(res, faults.shape === 'schedule-list' ? days : { days });
  });
  v2.get('/lesson-log-entries/statuses', (_req, res) => send(res, ['Attend', 'Absent', 'Ill', 'Late', 'Pass']));
  v2.get('/edu-groups/:g/final-marks', (req, res) => {
    const g = groupOr404(req, res);
    if (!g) return;
    const byKey = new Map<string, { person: string; period: string; items: unknown[] }>();
    for (const f of school.finalMarks(g)) {
      const key = `${f.person}|${f.period.id}`;
      const e = byKey.get(key) ?? { person: f.person, period: f.period.id, items: [] };
      e.items.push({
        subject: ser.num(school.subjectId(f.subjectIndex)), subject_str: school.subjectId(f.subjectIndex), subjectName: SUBJECTS[f.subjectIndex],
        'final-mark': { id: ser.num(f.id), id_str: f.id, type: 'Mark5', value: f.value, textValue: f.value, person: ser.num(f.person), person_str: f.person, date: f.date, mood: 'Good' },
      });
      byKey.set(key, e);
    }
    send(res, [...byKey.values()].map((e) => ({
      person: ser.num(e.person), person_str: e.person, group: ser.num(g.id), group_str: g.id,
      reportingPeriod: ser.num(e.period), reportingPeriod_str: e.period, 'per-subject-final-marks': e.items,
    })));
  });

  app.use('/v2', v2);
  app.use((_req, res) => sendHtml(res, 404, 'Страница не найдена'));
  return app;
}
