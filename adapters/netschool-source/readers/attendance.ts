import type { SourceMessage } from '../../../src/core/adapter';
import type { Cursor } from '../../../src/core/cursor';
import { addDays } from '../dates';
import { intOf, isObject } from '../streams/common';
import { mapClassmeetingAttendance } from '../streams/attendance';
import { weekCursor, weekWindow } from '../window';
import { emit, mapContext, mobileClientOf, type ReadEnv } from './shared';

/** Students per classmeetings call: keeps URLs short on big accounts. */
const STUDENTS_PER_CALL = 10;

/**
 * `attendance`: absences and lateness from the mobile API (`/api/mobile/classmeetings`,
 * sources §1.8; the web diary has none), week by week with the same cursor as `diary`.
 * Needs `mobileAccessToken`; without it the stream reads nothing and says so once per run.
 */
export async function* readAttendance(env: ReadEnv, from: Cursor | null): AsyncGenerator<SourceMessage> {
  const { ctx, cfg, stream } = env;
  const mobile = mobileClientOf(env);
  if (!mobile) {
    ctx.log.warn('netschool attendance stream skipped: no mobileAccessToken configured');
    return;
  }
  const win = weekWindow({
    now: ctx.now(), utcOffset: cfg.utcOffset, weeksBack: cfg.weeksBack, weeksAhead: 0, lookbackWeeks: cfg.lookbackWeeks, from,
    ...(ctx.since ? { since: ctx.since } : {}),
  });
  if (win.weeks.length === 0) return;
  const list = await mobile.get<unknown>('students', {}, '/api/mobile/students');
  const ids = (Array.isArray(list) ? list : []).flatMap((s) => {
    const id = isObject(s) ? intOf(s.studentId) : undefined;
    return id !== undefined ? [String(id)] : [];
  });
  const seen = new Set<string>();
  for (const week of win.weeks) {
    if (ctx.signal.aborted) return;
    const end = addDays(week, 6) < win.today ? addDays(week, 6) : win.today;
    for (let i = 0; i < ids.length; i += STUDENTS_PER_CALL) {
      const rows = await mobile.get<unknown>('classmeetings', { studentIds: ids.slice(i, i + STUDENTS_PER_CALL), startDate: week, endDate: end }, '/api/mobile/classmeetings');
      const mapped = (Array.isArray(rows) ? rows : []).flatMap((r) => mapClassmeetingAttendance(r, mapContext(env)) ?? []);
      yield* emit(stream, mapped, seen);
    }
    yield { kind: 'checkpoint', stream, cursor: weekCursor(week, win) };
  }
}
