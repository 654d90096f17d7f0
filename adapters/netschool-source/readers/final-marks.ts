import type { SourceMessage } from '../../../src/core/adapter';
import type { Cursor } from '../../../src/core/cursor';
import { refreshCursor } from '../../../src/infra/adapter-kit/week-window';
import { localDate } from '../dates';
import type { NetschoolMobileClient } from '../mobile-client';
import { intOf, isObject } from '../streams/common';
import { parseMobileSubjects, pickMobileSchoolYear } from '../streams/enrichment';
import { mapTotals } from '../streams/final-marks';
import { isFutureCursor } from '../window';
import { currentYear, emit, mapContext, mobileClientOf, terms, type ReadEnv } from './shared';

/** The calls of one student's final marks (mobile API, sources §1.8). */
export async function fetchStudentTotals(mobile: NetschoolMobileClient, studentId: number, webYearId: number, today: string): Promise<{
  schoolYearId: number; yearEnd?: string; subjects: Map<number, string>; totals: unknown;
}> {
  const sid = String(studentId);
  const education = await mobile.get<unknown>('education', { studentId: sid }, '/api/mobile/education');
  const year = pickMobileSchoolYear(education, webYearId, today);
  const schoolYearId = year?.id ?? webYearId;
  const params = { studentId: sid, schoolYearId: String(schoolYearId) };
  const subjects = parseMobileSubjects(await mobile.get<unknown>('subjects', params, '/api/mobile/subjects'));
  const totals = await mobile.get<unknown>('totals', params, '/api/mobile/totals');
  return { schoolYearId, subjects, totals, ...(year?.endDate ? { yearEnd: year.endDate } : {}) };
}

/**
 * `final_marks`: term (period) marks and year, final and exam marks of the current school year
 * from the mobile API's `/totals`, per student (`/students`; `/education` for the school year,
 * `/subjects` for subject names). Terms are matched to the reporting periods of the web report
 * filters (`school_years`). Needs `mobileAccessToken`; without it the stream reads nothing and
 * says so. Full refresh; one checkpoint at the end.
 */
export async function* readFinalMarks(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  const { ctx, cfg, stream, client } = env;
  if (isFutureCursor(from, ctx.now())) return;
  const mobile = mobileClientOf(env);
  if (!mobile) {
    ctx.log.warn('netschool final_marks stream skipped: no mobileAccessToken configured');
    return;
  }
  const signpost = ctx.now();
  const today = localDate(signpost, cfg.utcOffset);
  const cur = await currentYear(client);
  const { ranges } = await terms(env, cur.id);
  const list = await mobile.get<unknown>('students', {}, '/api/mobile/students');
  const seen = new Set<string>();
  for (const s of Array.isArray(list) ? list : []) {
    if (ctx.signal.aborted) return;
    const studentId = isObject(s) ? intOf(s.studentId) : undefined;
    if (studentId === undefined) continue;
    const r = await fetchStudentTotals(mobile, studentId, cur.id, today);
    yield* emit(stream, mapTotals(r.totals, {
      ...mapContext(env), studentId, subjects: r.subjects, terms: ranges, termMatch: cfg.totalsTermMatch,
      yearEnd: r.yearEnd ?? cur.endDate ?? today,
    }), seen);
  }
  yield { kind: 'checkpoint', stream, cursor: refreshCursor(signpost) };
}
