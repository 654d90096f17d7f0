import type express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { vendorDate } from '../dates';
import type { DemoSchool, SimStudent } from './data';
import type { FaultState } from './faults';
import { mobileAssignmentsJson, mobileClassmeetingsJson, mobileEducationJson, mobileStudentsJson, mobileSubjectsJson, mobileTotalsJson } from './mobile';

/** Query values as a list (`?a=1&a=2`, `?a=1,2`). */
function list(v: unknown): string[] {
  return (Array.isArray(v) ? v : [v]).flatMap((x) => (typeof x === 'string' ? x.split(',') : [])).filter((x) => x !== '');
}

/**
 * Mounts the simulated mobile API under `/api/mobile` (bearer token; 401 `{message}` otherwise,
 * 400 on missing parameters, as the real one answers a bad request).
 */
export function mountMobileApi(app: express.Express, school: DemoSchool, faults: FaultState, token: string): void {
  const bearer = (req: Request, res: Response, next: NextFunction): void => {
    if (req.headers.authorization !== `Bearer ${token}`) { res.status(401).json({ message: 'Unauthorized' }); return; }
    next();
  };
  const studentOf = (req: Request, res: Response): SimStudent | undefined => {
    const s = school.students.get(Number(list(req.query.studentId)[0]));
    if (!s) res.status(400).json({ message: 'Bad request' });
    return s;
  };
  const yearOk = (req: Request, res: Response): boolean => {
    const y = list(req.query.schoolYearId)[0];
    if (y === undefined || school.years.some((x) => String(x.id) === y)) return true;
    res.status(400).json({ message: 'Bad request' });
    return false;
  };

  app.get('/api/mobile/students', bearer, (_req, res) => { res.json(mobileStudentsJson(school)); });
  app.get('/api/mobile/education', bearer, (req, res) => {
    const s = studentOf(req, res);
    if (s) res.json(mobileEducationJson(school, s));
  });
  app.get('/api/mobile/subjects', bearer, (req, res) => {
    const s = studentOf(req, res);
    if (s && yearOk(req, res)) res.json(mobileSubjectsJson(school));
  });
  app.get('/api/mobile/totals', bearer, (req, res) => {
    const s = studentOf(req, res);
    if (!s || !yearOk(req, res)) return;
    // Totals of a closed year are not generated: an empty list, as for a year without marks.
    const y = list(req.query.schoolYearId)[0];
    res.json(y !== undefined && y !== String(school.currentYear.id) ? [] : mobileTotalsJson(school, s, faults));
  });
  app.get('/api/mobile/classmeetings', bearer, (req, res) => {
    const ids = list(req.query.studentIds).map(Number);
    const from = vendorDate(list(req.query.startDate)[0]);
    const to = vendorDate(list(req.query.endDate)[0]);
    if (!from || !to || ids.length === 0) { res.status(400).json({ message: 'Bad request' }); return; }
    res.json(ids.flatMap((id) => {
      const s = school.students.get(id);
      return s ? mobileClassmeetingsJson(school, s, from, to) : [];
    }));
  });
  app.get('/api/mobile/assignments', bearer, (req, res) => {
    const s = studentOf(req, res);
    if (!s) return;
    const lessons = list(req.query.classmeetingId).map(Number).filter(Number.isInteger);
    if (lessons.length === 0) { res.status(400).json({ message: 'Bad request' }); return; }
    res.json(mobileAssignmentsJson(school, s, lessons, faults));
  });
}
